package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.DenseMatrices;
import dev.kobai.curvature.LossKind;
import dev.kobai.nn.Activation;
import dev.kobai.nn.Linear;
import dev.kobai.nn.Models;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** K-FAC: reference properties 11 and 12, validation, and training speed against SGD. */
class KFACTest {
    /** Largest |K-FAC block - exact block| over all layers, relative to the exact block's largest entry. */
    private static double worstBlockError(CurvatureProblem prob) {
        KFAC kfac = new KFAC(prob, Map.of("fisher", "true"));
        kfac.updateFactors();
        double[][] exact = prob.gaussNewton();
        double worst = 0;
        for (int l = 0; l < kfac.layers().size(); l++) {
            double[][] block = kfac.fisherBlock(l);
            int[] idx = kfac.blockIndices(l);
            double scale = 0;
            double err = 0;
            for (int a = 0; a < idx.length; a++) {
                for (int b = 0; b < idx.length; b++) {
                    double e = exact[idx[a]][idx[b]];
                    scale = Math.max(scale, Math.abs(e));
                    err = Math.max(err, Math.abs(block[a][b] - e));
                }
            }
            worst = Math.max(worst, err / scale);
        }
        return worst;
    }

    @Test
    void exactForOneDataPointOnAnyMlp() {
        Sequential m = Models.fromSpec("mlp:3-4-3-3:tanh", new Rng(50), DType.FLOAT64);
        Tensor x = Tensor.randn(new Rng(51), DType.FLOAT64, 1, 3);
        assertTrue(worstBlockError(CurvatureProblem.of(m, LossKind.CROSS_ENTROPY, x, new int[] {2})) < 1e-10);
    }

    @Test
    void exactForADeepLinearNetworkWithMseAtAnyBatchSize() {
        Rng rng = new Rng(52);
        Sequential m = new Sequential(new Linear(3, 4, true, rng, DType.FLOAT64), new Linear(4, 2, true, rng,
                DType.FLOAT64), new Linear(2, 2, true, rng, DType.FLOAT64));
        Tensor x = Tensor.randn(new Rng(53), DType.FLOAT64, 9, 3);
        Tensor y = Tensor.randn(new Rng(54), DType.FLOAT64, 9, 2);
        assertTrue(worstBlockError(CurvatureProblem.of(m, LossKind.MSE, x, y)) < 1e-10);
    }

    @Test
    void exactForOneSoftmaxLayerAtZeroAndNotAtRandomWeights() {
        Tensor x = Tensor.randn(new Rng(55), DType.FLOAT64, 6, 3);
        int[] labels = {0, 1, 2, 3, 1, 0};
        Sequential zero = new Sequential(new Linear(3, 4, true, new Rng(56), DType.FLOAT64));
        zero.parameters().forEach(p -> p.fill(0));
        assertTrue(worstBlockError(CurvatureProblem.of(zero, LossKind.CROSS_ENTROPY, x, labels)) < 1e-10);
        // negative controls: random weights with distinct inputs, and an MLP with a batch
        Sequential random = new Sequential(new Linear(3, 4, true, new Rng(57), DType.FLOAT64));
        random.parameters().forEach(p -> p.copyFrom(Tensor.randn(new Rng(58), DType.FLOAT64, p.shape())));
        assertTrue(worstBlockError(CurvatureProblem.of(random, LossKind.CROSS_ENTROPY, x, labels)) > 1e-2);
        Sequential mlp = Models.fromSpec("mlp:3-4-4:tanh", new Rng(59), DType.FLOAT64);
        assertTrue(worstBlockError(CurvatureProblem.of(mlp, LossKind.CROSS_ENTROPY, x, labels)) > 1e-2);
    }

    private static double[][] randomSpd(int n, long seed) {
        Tensor r = Tensor.randn(new Rng(seed), DType.FLOAT64, n, n);
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < n; k++) {
                    a[i][j] += r.get(i, k) * r.get(j, k);
                }
            }
            a[i][i] += 0.1;
        }
        return a;
    }

    private static double[] vec(double[][] m) {
        double[] v = new double[m.length * m[0].length];
        for (int i = 0; i < m.length; i++) {
            System.arraycopy(m[i], 0, v, i * m[0].length, m[0].length);
        }
        return v;
    }

    @Test
    void kroneckerAlgebra() {
        double[][] a = randomSpd(4, 60);
        double[][] g = randomSpd(3, 61);
        double[][] v = new double[3][4];
        Tensor r = Tensor.randn(new Rng(62), DType.FLOAT64, 3, 4);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                v[i][j] = r.get(i, j);
            }
        }
        // (G (x) A)^-1 vec(V) = vec(G^-1 V A^-1) with row-major vec
        double[][] k = DenseMatrices.kron(g, a);
        double[] dense = DenseMatrices.choleskySolve(DenseMatrices.cholesky(k, 0), vec(v));
        double[] factored = vec(KFAC.factoredSolve(a, g, v));
        for (int i = 0; i < dense.length; i++) {
            assertEquals(dense[i], factored[i], 1e-10 * Math.max(1, Math.abs(dense[i])));
        }
        // eigen-damped K-FAC is the dense (G (x) A + lambda I)^-1
        double lambda = 0.3;
        double[] denseDamped = DenseMatrices.choleskySolve(DenseMatrices.cholesky(k, lambda), vec(v));
        double[] eigen = vec(KFAC.eigenDampedSolve(a, g, v, lambda));
        for (int i = 0; i < dense.length; i++) {
            assertEquals(denseDamped[i], eigen[i], 1e-10);
        }
    }

    @Test
    void trainsASmallMlpFasterPerStepThanSgd() {
        int steps = 15;
        Sequential m = SecondOrderTrainingTest.model();
        CurvatureProblem prob = CurvatureProblem.of(m, LossKind.CROSS_ENTROPY, SecondOrderTrainingTest.X,
                SecondOrderTrainingTest.Y);
        double start = prob.lossValue();
        KFAC kfac = new KFAC(prob, Map.of("lr", 0.3, "damping", 1e-2, "kl_clip", 1e-2));
        for (int i = 0; i < steps; i++) {
            kfac.step(null);
        }
        double kfacLoss = prob.lossValue();
        double sgd = SecondOrderTrainingTest.sgdLoss(steps);
        assertTrue(kfacLoss < 0.65 * sgd, "kfac " + kfacLoss + " vs sgd " + sgd + " (start " + start + ")");
        // the other options run and also lower the loss
        for (String opts : new String[] {"factored", "true", "empirical"}) {
            Sequential m2 = SecondOrderTrainingTest.model();
            CurvatureProblem p2 = CurvatureProblem.of(m2, LossKind.CROSS_ENTROPY, SecondOrderTrainingTest.X,
                    SecondOrderTrainingTest.Y);
            Map<String, Object> o = opts.equals("factored") ? Map.of("damping_mode", "factored", "inv_update_period", 3)
                    : Map.of("fisher", opts);
            KFAC k2 = new KFAC(p2, o);
            for (int i = 0; i < 10; i++) {
                k2.step(null);
            }
            assertTrue(p2.lossValue() < start, opts + ": " + p2.lossValue());
        }
    }

    @Test
    void refusesPlainParametersAndBadOptions() {
        Parameter w = new Parameter(Tensor.of(1, 2));
        UsageException e = assertThrows(UsageException.class, () -> Optimizers.create("kfac", List.of(w)));
        assertTrue(e.getMessage().contains("Linear"), e.getMessage());
        Sequential m = new Sequential(new Linear(2, 2, true, new Rng(1), DType.FLOAT64), Activation.tanh());
        CurvatureProblem prob = CurvatureProblem.of(m, LossKind.CROSS_ENTROPY, Tensor.zeros(DType.FLOAT64, 2, 2),
                new int[] {0, 1});
        UsageException bad = assertThrows(UsageException.class, () -> new KFAC(prob, Map.of("damping_mode", "tikhonov")));
        assertTrue(bad.getMessage().contains("damping_mode") && bad.getMessage().contains("tikhonov"));
        assertThrows(UsageException.class, () -> new KFAC(prob, Map.of("damping", 0.0)));
        assertThrows(UsageException.class, () -> new KFAC(prob, Map.of("factor_decay", 1.5)));
    }
}
