package dev.kobai.curvature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.nn.Losses;
import dev.kobai.nn.Models;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Curvature products against finite differences and against each other (reference properties 4, 5, 7, 8, 10). */
class CurvatureTest {
    static final Tensor X = Tensor.randn(new Rng(3), DType.FLOAT64, 7, 3);
    static final int[] LABELS = {0, 2, 1, 1, 0, 2, 0};

    static double maxAbsDiff(double[][] a, double[][] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                m = Math.max(m, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return m;
    }

    static double maxAbs(double[][] a) {
        double m = 0;
        for (double[] r : a) {
            for (double v : r) {
                m = Math.max(m, Math.abs(v));
            }
        }
        return m;
    }

    static double[] randomVector(long seed, int n) {
        return Tensor.randn(new Rng(seed), DType.FLOAT64, n).toDoubleArray();
    }

    static double relErr(double[] a, double[] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            num += (a[i] - b[i]) * (a[i] - b[i]);
            den += b[i] * b[i];
        }
        return Math.sqrt(num / den);
    }

    private static CurvatureProblem mlpProblem() {
        Sequential m = Models.fromSpec("mlp:3-4-3:tanh", new Rng(8), DType.FLOAT64);
        return CurvatureProblem.of(m, LossKind.CROSS_ENTROPY, X, LABELS);
    }

    @Test
    void hessianVectorMatchesCentralDifferencesAndIsSymmetric() {
        CurvatureProblem prob = mlpProblem();
        List<Parameter> ps = prob.parameters();
        int n = prob.parameterCount();
        double[] v = randomVector(1, n);
        double[] u = randomVector(2, n);
        double[] hv = prob.hessianVector(v);
        double[] w0 = ParamVectors.values(ps);
        double h = 1e-5;
        ParamVectors.add(ps, h, v);
        double[] gp = prob.gradient();
        ParamVectors.set(ps, w0);
        ParamVectors.add(ps, -h, v);
        double[] gm = prob.gradient();
        ParamVectors.set(ps, w0);
        double[] fd = new double[n];
        for (int i = 0; i < n; i++) {
            fd[i] = (gp[i] - gm[i]) / (2 * h);
        }
        assertTrue(relErr(hv, fd) < 1e-6, "relative error " + relErr(hv, fd));
        double uHv = DenseMatrices.dot(u, hv);
        double vHu = DenseMatrices.dot(v, prob.hessianVector(u));
        assertEquals(uHv, vHu, 1e-12 * Math.abs(uHv) + 1e-14);
        double[][] dense = prob.hessian();
        assertTrue(relErr(DenseMatrices.multiply(dense, v), hv) < 1e-12);
    }

    @Test
    void doubleVjpJacobianVectorMatchesTheExplicitJacobian() {
        CurvatureProblem prob = mlpProblem();
        double[] v = randomVector(4, prob.parameterCount());
        double[][] j = prob.jacobian();
        double[] expected = DenseMatrices.multiply(j, v);
        assertTrue(relErr(prob.jacobianVector(v), expected) < 1e-12);
        // and the explicit Jacobian against central differences of the outputs
        List<Parameter> ps = prob.parameters();
        double[] w0 = ParamVectors.values(ps);
        double h = 1e-6;
        ParamVectors.add(ps, h, v);
        double[] zp = prob.outputs().toDoubleArray();
        ParamVectors.set(ps, w0);
        ParamVectors.add(ps, -h, v);
        double[] zm = prob.outputs().toDoubleArray();
        ParamVectors.set(ps, w0);
        double[] fd = new double[zp.length];
        for (int i = 0; i < fd.length; i++) {
            fd[i] = (zp[i] - zm[i]) / (2 * h);
        }
        assertTrue(relErr(expected, fd) < 1e-7);
    }

    @Test
    void gaussNewtonProductsMatchTheDenseMatrixWhichIsPositiveSemidefinite() {
        CurvatureProblem prob = mlpProblem();
        double[][] g = prob.gaussNewton();
        double[] v = randomVector(5, prob.parameterCount());
        assertTrue(relErr(prob.gaussNewtonVector(v), DenseMatrices.multiply(g, v)) < 1e-12);
        double min = Double.POSITIVE_INFINITY;
        for (double e : DenseMatrices.symmetricEigen(g).values()) {
            min = Math.min(min, e);
        }
        assertTrue(min >= -1e-12, "smallest GGN eigenvalue " + min);
        // the exact Fisher (explicit sum over classes) equals the GGN for softmax cross-entropy
        assertTrue(maxAbsDiff(prob.fisher(FisherType.TRUE, null, 0), g) < 1e-12);
        // and the Monte-Carlo product is an unbiased estimate of it: many samples come close
        double[][] mc = prob.fisher(FisherType.MONTE_CARLO, new Rng(9), 4000);
        assertTrue(maxAbsDiff(mc, g) < 0.1 * maxAbs(g), "MC Fisher far from exact: " + maxAbsDiff(mc, g));
    }

    @Test
    void softmaxRegressionHasEqualHessianGaussNewtonAndFisher() {
        // linear in w: H = GGN = F for any labels; also the closed form of property 7
        int c = 3;
        int d = 3;
        Parameter w = new Parameter(Tensor.randn(new Rng(6), DType.FLOAT64, c, d + 1));
        Tensor xb = Tensor.concat(1, X, Tensor.ones(DType.FLOAT64, X.size(0), 1));
        CurvatureProblem prob = CurvatureProblem.of(List.of(w), x -> x.matmul(w, false, true), LossKind.CROSS_ENTROPY,
                xb, LABELS);
        double[][] h = prob.hessian();
        double[][] g = prob.gaussNewton();
        double[][] f = prob.fisher(FisherType.TRUE, null, 0);
        assertTrue(maxAbsDiff(h, g) < 1e-10);
        assertTrue(maxAbsDiff(h, f) < 1e-10);
        int n = xb.size(0);
        int p = c * (d + 1);
        double[][] closed = new double[p][p];
        double[] z = prob.outputs().toDoubleArray();
        for (int row = 0; row < n; row++) {
            double[] prob1 = LossKind.softmaxRow(z, row, c);
            double[][] s = new double[c][c];
            for (int a = 0; a < c; a++) {
                for (int b = 0; b < c; b++) {
                    s[a][b] = (a == b ? prob1[a] : 0) - prob1[a] * prob1[b];
                }
            }
            double[][] xx = new double[d + 1][d + 1];
            for (int a = 0; a <= d; a++) {
                for (int b = 0; b <= d; b++) {
                    xx[a][b] = xb.get(row, a) * xb.get(row, b);
                }
            }
            double[][] k = DenseMatrices.kron(s, xx);
            for (int a = 0; a < p; a++) {
                for (int b = 0; b < p; b++) {
                    closed[a][b] += k[a][b] / n;
                }
            }
        }
        assertTrue(maxAbsDiff(f, closed) < 1e-12);
        // null space: F (1_C (x) u) = 0
        double[] u = randomVector(7, d + 1);
        double[] ones = new double[p];
        for (int a = 0; a < c; a++) {
            System.arraycopy(u, 0, ones, a * (d + 1), d + 1);
        }
        for (double x : DenseMatrices.multiply(f, ones)) {
            assertEquals(0, x, 1e-12);
        }
    }

    @Test
    void linearRegressionCurvaturesAreTheGramMatrixAndTheEmpiricalFisherVanishesAtAPerfectFit() {
        // Losses.mse is mean (z - y)^2, i.e. twice the unit-variance form: F = GGN = H = 2 X^T X / N
        Tensor x = Tensor.randn(new Rng(10), DType.FLOAT64, 9, 3);
        Parameter w = new Parameter(Tensor.randn(new Rng(11), DType.FLOAT64, 3, 1));
        Tensor y = x.matmul(w).detach().copy(); // noiseless targets at the current w: a perfect fit
        CurvatureProblem prob = CurvatureProblem.of(List.of(w), in -> in.matmul(w), LossKind.MSE, x, y);
        double[][] gram = new double[3][3];
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 3; b++) {
                for (int n = 0; n < 9; n++) {
                    gram[a][b] += 2 * x.get(n, a) * x.get(n, b) / 9;
                }
            }
        }
        assertTrue(maxAbsDiff(prob.hessian(), gram) < 1e-12);
        assertTrue(maxAbsDiff(prob.gaussNewton(), gram) < 1e-12);
        assertTrue(maxAbsDiff(prob.fisher(FisherType.TRUE, null, 0), gram) < 1e-12);
        assertTrue(maxAbs(prob.fisher(FisherType.EMPIRICAL, null, 0)) < 1e-25, "empirical Fisher should vanish");
        assertTrue(maxAbs(gram) > 0.1);
        // the Fisher-vector products agree with the dense matrices
        double[] v = randomVector(12, 3);
        Tensor z = prob.outputs();
        assertTrue(relErr(prob.fisherVector(z, FisherType.TRUE, null, v), DenseMatrices.multiply(gram, v)) < 1e-12);
        assertEquals(0, DenseMatrices.norm(prob.fisherVector(z, FisherType.EMPIRICAL, null, v)), 1e-25);
    }

    @Test
    void bceAndPoissonFisherEqualTheirGaussNewton() {
        Tensor x = Tensor.randn(new Rng(13), DType.FLOAT64, 6, 3);
        Sequential m = Models.fromSpec("mlp:3-4-2:tanh", new Rng(14), DType.FLOAT64);
        Tensor y = Tensor.uniform(new Rng(15), DType.FLOAT64, 0, 1, 6, 2);
        CurvatureProblem bce = CurvatureProblem.of(m, LossKind.BCE, x, y);
        assertTrue(maxAbsDiff(bce.fisher(FisherType.TRUE, null, 0), bce.gaussNewton()) < 1e-12);
        CurvatureProblem poisson = CurvatureProblem.of(m, LossKind.POISSON, x, y);
        assertTrue(maxAbsDiff(poisson.fisher(FisherType.TRUE, null, 0), poisson.gaussNewton()) < 1e-12);
        // the BCE kind's loss is the library's
        assertEquals(Losses.bceWithLogits(m.forward(x), y).item(), bce.lossValue(), 1e-15);
    }

    @Test
    void jacobiEigenAndCholeskyAreAccurate() {
        int n = 12;
        double[][] a = new double[n][n];
        Tensor r = Tensor.randn(new Rng(16), DType.FLOAT64, n, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                a[i][j] = r.get(i, j) + r.get(j, i);
            }
        }
        DenseMatrices.Eigen e = DenseMatrices.symmetricEigen(a);
        double[] b = randomVector(17, n);
        double[] viaEigen = DenseMatrices.spectralApply(e, lam -> lam, b);
        assertTrue(relErr(viaEigen, DenseMatrices.multiply(a, b)) < 1e-12);
        double[][] spd = DenseMatrices.multiply(DenseMatrices.transpose(a), a);
        double[][] l = DenseMatrices.cholesky(spd, 1e-3);
        double[] x = DenseMatrices.choleskySolve(l, b);
        double[] back = DenseMatrices.multiply(spd, x);
        DenseMatrices.axpy(1e-3, x, back);
        assertTrue(relErr(back, b) < 1e-10);
        assertEquals(null, DenseMatrices.cholesky(a, 0), "an indefinite matrix has no Cholesky factor");
    }
}
