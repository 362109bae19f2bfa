package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.DenseMatrices;
import dev.kobai.curvature.LossKind;
import dev.kobai.nn.Models;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Natural gradient: reference properties 6, 8, 9 and the refusal on bare surfaces. */
class NaturalGradientTest {
    /** One IRLS (Fisher scoring) step for a GLM: w + (X^T S X)^-1 X^T (y - mu). */
    private static double[] irls(Tensor x, Tensor y, double[] w, boolean poisson) {
        int n = x.size(0);
        int d = x.size(1);
        double[][] xsx = new double[d][d];
        double[] rhs = new double[d];
        for (int i = 0; i < n; i++) {
            double eta = 0;
            for (int a = 0; a < d; a++) {
                eta += x.get(i, a) * w[a];
            }
            double mu = poisson ? Math.exp(eta) : 1 / (1 + Math.exp(-eta));
            double s = poisson ? mu : mu * (1 - mu);
            for (int a = 0; a < d; a++) {
                rhs[a] += x.get(i, a) * (y.getFlat(i) - mu);
                for (int b = 0; b < d; b++) {
                    xsx[a][b] += x.get(i, a) * s * x.get(i, b);
                }
            }
        }
        double[] step = DenseMatrices.choleskySolve(DenseMatrices.cholesky(xsx, 0), rhs);
        double[] out = w.clone();
        DenseMatrices.axpy(1, step, out);
        return out;
    }

    private void equalsIrls(LossKind kind, Tensor x, Tensor y, boolean poisson) {
        Parameter w = new Parameter(Tensor.zeros(DType.FLOAT64, x.size(1), 1));
        CurvatureProblem prob = CurvatureProblem.of(List.of(w), in -> in.matmul(w), kind, x, y);
        NaturalGradient opt = new NaturalGradient(prob, Map.of("damping", 0.0));
        double[] expected = new double[x.size(1)];
        for (int k = 0; k < 5; k++) {
            expected = irls(x, y, expected, poisson);
            opt.step(null);
            for (int a = 0; a < expected.length; a++) {
                assertEquals(expected[a], w.getFlat(a), 1e-10 * Math.max(1, Math.abs(expected[a])), "step " + k);
            }
        }
    }

    @Test
    void equalsIrlsOnLogisticAndPoissonRegression() {
        equalsIrls(LossKind.BCE, NewtonTest.logisticInputs(), NewtonTest.logisticTargets(), false);
        Tensor x = Tensor.randn(new Rng(21), DType.FLOAT64, 30, 2).mul(0.5);
        Tensor xb = Tensor.concat(1, x, Tensor.ones(DType.FLOAT64, 30, 1));
        Rng rng = new Rng(22);
        Tensor counts = Tensor.zeros(DType.FLOAT64, 30, 1);
        for (int i = 0; i < 30; i++) {
            double mean = Math.exp(0.7 * xb.get(i, 0) - 0.4 * xb.get(i, 1) + 0.5);
            double limit = Math.exp(-mean);
            double prod = rng.nextDouble();
            int c = 0;
            while (prod > limit) {
                prod *= rng.nextDouble();
                c++;
            }
            counts.setFlat(i, c);
        }
        equalsIrls(LossKind.POISSON, xb, counts, true);
    }

    @Test
    void oneStepLandsOnLeastSquaresForLinearRegression() {
        Tensor x = Tensor.randn(new Rng(23), DType.FLOAT64, 25, 4);
        Tensor y = Tensor.randn(new Rng(24), DType.FLOAT64, 25, 1);
        Parameter w = new Parameter(Tensor.randn(new Rng(25), DType.FLOAT64, 4, 1));
        CurvatureProblem prob = CurvatureProblem.of(List.of(w), in -> in.matmul(w), LossKind.MSE, x, y);
        new NaturalGradient(prob, Map.of("damping", 0.0)).step(null);
        double[][] xtx = new double[4][4];
        double[] xty = new double[4];
        for (int i = 0; i < 25; i++) {
            for (int a = 0; a < 4; a++) {
                xty[a] += x.get(i, a) * y.getFlat(i);
                for (int b = 0; b < 4; b++) {
                    xtx[a][b] += x.get(i, a) * x.get(i, b);
                }
            }
        }
        double[] ls = DenseMatrices.choleskySolve(DenseMatrices.cholesky(xtx, 0), xty);
        for (int a = 0; a < 4; a++) {
            assertEquals(ls[a], w.getFlat(a), 1e-10);
        }
    }

    /**
     * theta = M phi + c put into the graph: undamped natural gradient and Newton in phi follow the
     * same path as in theta; SGD does not.
     */
    @Test
    void naturalGradientAndNewtonAreInvariantToAffineReparametrisation() {
        Tensor x = NewtonTest.logisticInputs();
        Tensor y = NewtonTest.logisticTargets();
        Tensor m = Tensor.randn(new Rng(26), DType.FLOAT64, 4, 4).add(Tensor.fromArray(
                new double[] {3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 3}, 4, 4));
        Tensor c = Tensor.randn(new Rng(27), DType.FLOAT64, 4, 1).mul(0.1);
        for (String method : new String[] {"natural", "newton", "sgd"}) {
            Parameter theta = new Parameter(Tensor.zeros(DType.FLOAT64, 4, 1));
            // phi0 with M phi0 + c = 0
            double[][] md = new double[4][4];
            for (int a = 0; a < 4; a++) {
                for (int b = 0; b < 4; b++) {
                    md[a][b] = m.get(a, b);
                }
            }
            double[] negC = DenseMatrices.scale(-1, c.toDoubleArray());
            double[] phi0 = solve(md, negC);
            Parameter phi = new Parameter(Tensor.fromArray(phi0, 4, 1));
            Function<Tensor, Tensor> direct = in -> in.matmul(theta);
            Function<Tensor, Tensor> reparam = in -> in.matmul(m.matmul(phi).add(c));
            Optimizer a = build(method, CurvatureProblem.of(List.of(theta), direct, LossKind.BCE, x, y));
            Optimizer b = build(method, CurvatureProblem.of(List.of(phi), reparam, LossKind.BCE, x, y));
            double worst = 0;
            for (int k = 0; k < 4; k++) {
                a.step(null);
                b.step(null);
                double[] mapped = m.matmul(phi).add(c).toDoubleArray();
                for (int i = 0; i < 4; i++) {
                    worst = Math.max(worst, Math.abs(mapped[i] - theta.getFlat(i)));
                }
            }
            if (method.equals("sgd")) {
                assertTrue(worst > 1e-2, "SGD should not be invariant, differs by " + worst);
            } else {
                assertTrue(worst < 1e-8, method + " differs by " + worst);
            }
        }
    }

    private static double[] solve(double[][] a, double[] b) {
        DenseMatrices.Eigen e = DenseMatrices.symmetricEigen(DenseMatrices.multiply(DenseMatrices.transpose(a), a));
        double[] atb = DenseMatrices.multiply(DenseMatrices.transpose(a), b);
        return DenseMatrices.spectralApply(e, l -> 1 / l, atb);
    }

    private static Optimizer build(String method, CurvatureProblem prob) {
        return switch (method) {
            case "natural" -> new NaturalGradient(prob, Map.of("damping", 0.0));
            case "newton" -> new Newton(prob, Map.of("damping", 0.0));
            default -> sgdOn(prob);
        };
    }

    /** SGD driven through the problem (the closure sets the gradients). */
    private static Optimizer sgdOn(CurvatureProblem prob) {
        SGD sgd = new SGD(prob.parameters(), 1.0);
        return new Optimizer(List.of(new ParamGroup(prob.parameters())), Map.of("lr", 1.0)) {
            @Override
            protected void validate(ParamGroup group) {}

            @Override
            public double step(Closure closure) {
                return sgd.step(prob::evaluate);
            }
        };
    }

    @Test
    void cgOnFisherVectorProductsAgreesWithTheDenseSolve() {
        Sequential m1 = Models.fromSpec("mlp:3-4-3:tanh", new Rng(30), DType.FLOAT64);
        Sequential m2 = Models.fromSpec("mlp:3-4-3:tanh", new Rng(30), DType.FLOAT64);
        Tensor x = Tensor.randn(new Rng(31), DType.FLOAT64, 12, 3);
        int[] labels = {0, 1, 2, 0, 1, 2, 0, 1, 2, 2, 1, 0};
        NaturalGradient dense = new NaturalGradient(CurvatureProblem.of(m1, LossKind.CROSS_ENTROPY, x, labels),
                Map.of("solver", "dense", "damping", 1e-2));
        NaturalGradient cg = new NaturalGradient(CurvatureProblem.of(m2, LossKind.CROSS_ENTROPY, x, labels),
                Map.of("solver", "cg", "damping", 1e-2, "cg_iters", 200, "cg_tol", 1e-13));
        double before = dense.problem().lossValue();
        dense.step(null);
        cg.step(null);
        double[] a = m1.parameters().stream().flatMapToDouble(p -> java.util.Arrays.stream(p.toDoubleArray())).toArray();
        double[] b = m2.parameters().stream().flatMapToDouble(p -> java.util.Arrays.stream(p.toDoubleArray())).toArray();
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], 1e-7);
        }
        // the Monte-Carlo and empirical options run through both solvers; (F + damping I)^-1 g is a descent direction
        for (String f : new String[] {"mc", "empirical"}) {
            for (String s : new String[] {"dense", "cg"}) {
                Sequential m3 = Models.fromSpec("mlp:3-4-3:tanh", new Rng(30), DType.FLOAT64);
                NaturalGradient opt = new NaturalGradient(CurvatureProblem.of(m3, LossKind.CROSS_ENTROPY, x, labels),
                        Map.of("fisher", f, "solver", s, "damping", 0.1, "lr", 0.05, "mc_samples", 4));
                opt.step(null);
                assertTrue(opt.problem().lossValue() < before, f + "/" + s + ": " + before + " -> " + opt.problem().lossValue());
            }
        }
    }

    @Test
    void refusesABareSurfaceAndBadOptions() {
        Parameter w = new Parameter(Tensor.of(1, 2));
        UsageException e = assertThrows(UsageException.class, () -> Optimizers.create("natural", List.of(w)));
        assertTrue(e.getMessage().contains("predictive distribution"), e.getMessage());
        assertTrue(Optimizers.names().contains("natural"));
        Sequential m = Models.fromSpec("mlp:3-3", new Rng(1), DType.FLOAT64);
        CurvatureProblem prob = CurvatureProblem.of(m, LossKind.CROSS_ENTROPY, Tensor.zeros(DType.FLOAT64, 2, 3),
                new int[] {0, 1});
        UsageException bad = assertThrows(UsageException.class,
                () -> new NaturalGradient(prob, Map.of("fisher", "guess")));
        assertTrue(bad.getMessage().contains("fisher") && bad.getMessage().contains("guess"), bad.getMessage());
        assertThrows(UsageException.class, () -> new NaturalGradient(prob, Map.of("damping", -1.0)));
        assertThrows(UsageException.class, () -> new NaturalGradient(prob, Map.of("solver", "lu")));
    }
}
