package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.DenseMatrices;
import dev.kobai.curvature.LossKind;
import dev.kobai.curvature.ParamVectors;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Models;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Newton's method: reference properties 1, 2, 3, and its contract. */
class NewtonTest {
    /** A = Q diag(logspace(-2, 2)) Q^T with Q from a Jacobi decomposition of a random symmetric matrix. */
    static double[][] spd(int n, long seed) {
        Tensor r = Tensor.randn(new Rng(seed), DType.FLOAT64, n, n);
        double[][] s = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                s[i][j] = r.get(i, j) + r.get(j, i);
            }
        }
        double[][] q = DenseMatrices.symmetricEigen(s).vectors();
        double[][] a = new double[n][n];
        for (int k = 0; k < n; k++) {
            double lam = Math.pow(10, -2 + 4.0 * k / (n - 1));
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    a[i][j] += lam * q[i][k] * q[j][k];
                }
            }
        }
        return DenseMatrices.symmetrize(a);
    }

    static Tensor matrix(double[][] a) {
        int n = a.length;
        double[] flat = new double[n * a[0].length];
        for (int i = 0; i < n; i++) {
            System.arraycopy(a[i], 0, flat, i * a[0].length, a[0].length);
        }
        return Tensor.fromArray(flat, n, a[0].length);
    }

    @Test
    void solvesAnSpdQuadraticInOneStep() {
        int n = 10;
        double[][] a = spd(n, 1);
        double[] b = Tensor.randn(new Rng(2), DType.FLOAT64, n).toDoubleArray();
        Tensor at = matrix(a);
        Tensor bt = Tensor.fromArray(b.clone(), n, 1);
        Parameter w = new Parameter(Tensor.zeros(DType.FLOAT64, n, 1));
        LossClosure f = () -> w.matmul(at.matmul(w), true, false).mul(0.5).sub(bt.matmul(w, true, false)).sum();
        Optimizer opt = Optimizers.create("newton:damping=0", List.of(w));
        opt.step(f);
        double[] expected = DenseMatrices.choleskySolve(DenseMatrices.cholesky(a, 0), b);
        double[] got = w.toDoubleArray();
        double err = 0;
        for (int i = 0; i < n; i++) {
            err = Math.max(err, Math.abs(got[i] - expected[i]));
        }
        assertTrue(err < 1e-10 * DenseMatrices.norm(expected), "error " + err);

        // a plain closure (gradients only) gets a finite-difference Hessian: close, not exact
        Parameter w2 = new Parameter(Tensor.zeros(DType.FLOAT64, n, 1));
        Optimizer opt2 = Optimizers.create("newton:damping=0", List.of(w2));
        opt2.step(() -> {
            Tensor l = w2.matmul(at.matmul(w2), true, false).mul(0.5).sub(bt.matmul(w2, true, false)).sum();
            l.backward();
            return l.item();
        });
        for (int i = 0; i < n; i++) {
            assertEquals(expected[i], w2.getFlat(i), 1e-6 * DenseMatrices.norm(expected));
        }
    }

    /** Non-separable logistic regression data: random labels on Gaussian inputs, plus a bias column. */
    static Tensor logisticInputs() {
        Tensor x = Tensor.randn(new Rng(3), DType.FLOAT64, 40, 3);
        return Tensor.concat(1, x, Tensor.ones(DType.FLOAT64, 40, 1));
    }

    static Tensor logisticTargets() {
        Rng rng = new Rng(4);
        Tensor x = logisticInputs();
        Tensor y = Tensor.zeros(DType.FLOAT64, 40, 1);
        for (int i = 0; i < 40; i++) {
            double logit = 1.5 * x.get(i, 0) - x.get(i, 1) + 0.3;
            y.setFlat(i, rng.nextDouble() < 1 / (1 + Math.exp(-logit)) ? 1 : 0);
        }
        return y;
    }

    @Test
    void convergesQuadraticallyOnLogisticRegression() {
        Tensor x = logisticInputs();
        Tensor y = logisticTargets();
        Parameter w = new Parameter(Tensor.zeros(DType.FLOAT64, 4, 1));
        CurvatureProblem prob = CurvatureProblem.of(List.of(w), in -> in.matmul(w), LossKind.BCE, x, y);
        Newton opt = new Newton(prob, Map.of("damping", 0.0));
        double[] norms = new double[10];
        for (int k = 0; k < 10; k++) {
            opt.step(null);
            norms[k] = DenseMatrices.norm(prob.gradient());
        }
        assertTrue(norms[9] < 1e-10, "gradient norms " + java.util.Arrays.toString(norms));
        // quadratic: once small, each norm is below a constant times the square of the last
        int k = 0;
        while (norms[k] > 1e-2) {
            k++;
        }
        assertTrue(norms[k + 1] < 10 * norms[k] * norms[k] || norms[k + 1] < 1e-14,
                java.util.Arrays.toString(norms));
    }

    @Test
    void plainNewtonGoesToTheSaddleAndSaddleFreeNewtonEscapesIt() {
        Parameter plain = new Parameter(Tensor.of(1, 0.1));
        Parameter free = new Parameter(Tensor.of(1, 0.1));
        Optimizer a = Optimizers.create("newton:indefinite=none,damping=0", List.of(plain));
        Optimizer b = Optimizers.create("newton:indefinite=saddle-free,damping=0", List.of(free));
        for (int i = 0; i < 3; i++) {
            a.step((LossClosure) () -> saddle(plain));
            b.step((LossClosure) () -> saddle(free));
        }
        assertEquals(0, plain.getFlat(0), 1e-12);
        assertEquals(0, plain.getFlat(1), 1e-12);
        assertEquals(0, free.getFlat(0), 1e-12);
        assertEquals(0.8, free.getFlat(1), 1e-12, "|y| doubles each step: away from the saddle");
        assertTrue(saddle(free).item() < -0.5);
        // the shift mode moves away too, since x^2 - y^2 is shifted to positive definite
        Parameter shifted = new Parameter(Tensor.of(1, 0.1));
        Optimizer c = Optimizers.create("newton:indefinite=shift", List.of(shifted));
        c.step((LossClosure) () -> saddle(shifted));
        assertTrue(Math.abs(shifted.getFlat(1)) > 0.1);
        // the default is plain Newton, as the lecture's: it goes to the saddle like indefinite=none
        Parameter byDefault = new Parameter(Tensor.of(1, 0.1));
        Optimizer d = Optimizers.create("newton:damping=0", List.of(byDefault));
        d.step((LossClosure) () -> saddle(byDefault));
        assertEquals(0, byDefault.getFlat(1), 1e-12);
    }

    private static Tensor saddle(Parameter p) {
        Tensor sq = p.square();
        return sq.slice(0, 0, 1).sub(sq.slice(0, 1, 2)).sum();
    }

    @Test
    void gaussNewtonLineSearchAndAdaptiveDampingTrainAnMlp() {
        Sequential m = Models.fromSpec("mlp:3-5-3:tanh", new Rng(5), DType.FLOAT64);
        Tensor x = Tensor.randn(new Rng(6), DType.FLOAT64, 20, 3);
        int[] labels = new int[20];
        for (int i = 0; i < 20; i++) {
            labels[i] = x.get(i, 0) > 0.3 ? 0 : x.get(i, 1) > 0 ? 1 : 2;
        }
        CurvatureProblem prob = CurvatureProblem.of(m, LossKind.CROSS_ENTROPY, x, labels);
        Newton opt = new Newton(prob, Map.of("curvature", "gauss-newton", "damping", 1e-2, "line_search", true,
                "adapt_damping", true));
        double start = prob.lossValue();
        double last = start;
        for (int i = 0; i < 10; i++) {
            opt.step(null);
            double now = prob.lossValue();
            assertTrue(now <= last + 1e-12, "line search keeps the loss from rising");
            last = now;
        }
        assertTrue(last < 0.3 * start, start + " -> " + last);
        assertTrue(opt.currentDamping() != 1e-2, "damping adapts");
    }

    @Test
    void refusesLargeModelsAndBadOptions() {
        Sequential big = Models.fromSpec("mlp:50-50-10", new Rng(1), DType.FLOAT64);
        UsageException e = assertThrows(UsageException.class, () -> Optimizers.create("newton", big.parameters()));
        assertTrue(e.getMessage().contains("hessian-free"), e.getMessage());
        Parameter w = new Parameter(Tensor.of(1, 2));
        UsageException bad = assertThrows(UsageException.class,
                () -> Optimizers.create("newton:indefinite=wild", List.of(w)));
        assertTrue(bad.getMessage().contains("indefinite") && bad.getMessage().contains("wild"), bad.getMessage());
        assertThrows(UsageException.class, () -> Optimizers.create("newton:damping=-1", List.of(w)));
        assertThrows(UsageException.class, () -> Optimizers.create("newton:curvature=gauss-newton", List.of(w)));
        assertThrows(UsageException.class, () -> Optimizers.create("newton", List.of(w)).step());
        // the same closure-based API as LBFGS: the step returns the loss before the step
        Optimizer opt = Optimizers.create("newton", List.of(w));
        assertEquals(5.0, opt.step((LossClosure) () -> w.square().sum()), 1e-15);
        assertEquals(0, ParamVectors.values(List.of(w))[0], 1e-6);
    }
}
