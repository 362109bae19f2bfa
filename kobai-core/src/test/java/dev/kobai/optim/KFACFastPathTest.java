package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.DenseMatrices;
import dev.kobai.curvature.LossKind;
import dev.kobai.nn.Linear;
import dev.kobai.nn.Models;
import dev.kobai.nn.Module;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The GEMM path of K-FAC (flat factors, Cholesky or Householder-QL inverses, preconditioning by
 * GEMMs) against the dense reference it replaced: factors summed example by example in double[][]
 * loops, Jacobi eigendecompositions or column-by-column Cholesky inverses, and G^-1 V A^-1 by
 * triple loops. Float64, to 1e-10.
 */
class KFACFastPathTest {
    private static final double TOL = 1e-10;

    /** Layer inputs [N, in] of every Linear layer, by running the model layer by layer. */
    private static List<Tensor> layerInputs(Sequential m, Tensor x) {
        List<Tensor> ins = new ArrayList<>();
        for (Module layer : m.layers()) {
            if (layer instanceof Linear) {
                ins.add(x);
            }
            x = layer.forward(x);
        }
        return ins;
    }

    /** The old A: sum over rows of a_bar a_bar^T / N, entry by entry. */
    private static double[][] denseA(Tensor x) {
        int n = x.size(0);
        int in = x.size(1);
        double[][] a = new double[in + 1][in + 1];
        for (int r = 0; r < n; r++) {
            double[] row = new double[in + 1];
            for (int c = 0; c < in; c++) {
                row[c] = x.get(r, c);
            }
            row[in] = 1;
            for (int p = 0; p <= in; p++) {
                for (int q = 0; q <= in; q++) {
                    a[p][q] += row[p] * row[q] / n;
                }
            }
        }
        return a;
    }

    private static void assertClose(double[][] expected, double[][] actual, String what) {
        double scale = 0;
        double err = 0;
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[0].length; j++) {
                scale = Math.max(scale, Math.abs(expected[i][j]));
                err = Math.max(err, Math.abs(expected[i][j] - actual[i][j]));
            }
        }
        assertTrue(err <= TOL * Math.max(scale, 1e-300), what + ": error " + err + " at scale " + scale);
    }

    private static CurvatureProblem problem(Sequential m) {
        return problem(m, 12, 6, DType.FLOAT64);
    }

    private static CurvatureProblem problem(Sequential m, int n, int in, DType dtype) {
        Tensor x = Tensor.randn(new Rng(71), DType.FLOAT64, n, in).to(dtype);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 4;
        }
        return CurvatureProblem.of(m, LossKind.CROSS_ENTROPY, x, labels);
    }

    @Test
    void inputFactorsMatchTheLoops() {
        // the second model's first layer is wider than the row blocks of the lower-triangle GEMMs
        for (String spec : new String[] {"mlp:6-9-7-4:tanh", "mlp:300-9-4:tanh"}) {
            Sequential m = Models.fromSpec(spec, new Rng(70), DType.FLOAT64);
            CurvatureProblem prob = spec.startsWith("mlp:300") ? problem(m, 12, 300, DType.FLOAT64) : problem(m);
            KFAC kfac = new KFAC(prob, Map.of("factor_decay", 0.5));
            for (int round = 0; round < 2; round++) {
                kfac.updateFactors(); // the second round blends a second estimate (of the same batch) into the first
                List<Tensor> ins = layerInputs(m, prob.inputs());
                for (int i = 0; i < ins.size(); i++) {
                    assertClose(denseA(ins.get(i)), kfac.factorA(i), spec + ": A of layer " + i + ", round " + round);
                }
            }
        }
    }

    /**
     * One step's update of every parameter, for each damping mode, against the dense formulas: on
     * a narrow model with a batch of 12, where the factored update is Gi V Ai, and on a wide one
     * with a batch of 3, where it is (delta Gi)^T ([x 1] Ai) for the first layer.
     */
    @Test
    void stepEqualsTheDenseComputation() {
        assertTrue(!KFAC.lowRankIsCheaper(12, 9, 7) && KFAC.lowRankIsCheaper(3, 20, 31)
                && KFAC.lowRankIsCheaper(128, 256, 785) && !KFAC.lowRankIsCheaper(128, 10, 257));
        for (String mode : new String[] {"eigen", "factored", "factored-wide"}) {
            boolean wide = mode.endsWith("wide");
            mode = mode.replace("-wide", "");
            Sequential m = Models.fromSpec(wide ? "mlp:30-20-4:tanh" : "mlp:6-9-7-4:tanh", new Rng(70), DType.FLOAT64);
            CurvatureProblem prob = wide ? problem(m, 3, 30, DType.FLOAT64) : problem(m);
            double damping = 0.03;
            double lr = 0.2;
            // kl_clip off, so the update is exactly lr times the preconditioned gradient
            KFAC kfac = new KFAC(prob, Map.of("lr", lr, "damping", damping, "damping_mode", mode, "kl_clip", 0.0));
            List<double[]> before = new ArrayList<>();
            for (Parameter p : prob.parameters()) {
                before.add(p.toDoubleArray());
            }
            // the factors and gradient at the starting point, from a twin optimizer (same seed)
            KFAC twin = new KFAC(prob, Map.of("damping_mode", mode));
            twin.updateFactors();
            Tensor loss = prob.loss(prob.outputs());
            Tensor[] grads = dev.kobai.autograd.Autograd.grad(loss, prob.parameters().toArray(new Tensor[0]), false);
            kfac.step(null);
            List<Module> layers = kfac.layers();
            for (int i = 0; i < layers.size(); i++) {
                Linear l = (Linear) layers.get(i);
                double[][] a = twin.factorA(i);
                double[][] g = twin.factorG(i);
                int in = l.inFeatures();
                int out = l.outFeatures();
                double[][] v = new double[out][in + 1];
                int wi = prob.parameters().indexOf(l.weight());
                int bi = prob.parameters().indexOf(l.bias());
                for (int o = 0; o < out; o++) {
                    for (int c = 0; c < in; c++) {
                        v[o][c] = grads[wi].getFlat(o * in + c);
                    }
                    v[o][in] = grads[bi].getFlat(o);
                }
                double[][] d;
                if (mode.equals("eigen")) {
                    DenseMatrices.Eigen ea = DenseMatrices.symmetricEigen(a);
                    DenseMatrices.Eigen eg = DenseMatrices.symmetricEigen(g);
                    double[][] r = DenseMatrices.multiply(DenseMatrices.multiply(DenseMatrices.transpose(eg.vectors()), v),
                            ea.vectors());
                    for (int p = 0; p < out; p++) {
                        for (int q = 0; q <= in; q++) {
                            r[p][q] /= eg.values()[p] * ea.values()[q] + damping;
                        }
                    }
                    d = DenseMatrices.multiply(DenseMatrices.multiply(eg.vectors(), r),
                            DenseMatrices.transpose(ea.vectors()));
                } else {
                    double pi = Math.sqrt((DenseMatrices.trace(a) / a.length) / (DenseMatrices.trace(g) / g.length));
                    double[][] ai = DenseMatrices.spdInverse(a, pi * Math.sqrt(damping));
                    double[][] gi = DenseMatrices.spdInverse(g, Math.sqrt(damping) / pi);
                    d = DenseMatrices.multiply(DenseMatrices.multiply(gi, v), ai);
                }
                double[][] expected = new double[out][in + 1];
                double[][] actual = new double[out][in + 1];
                double[] w0 = before.get(wi);
                double[] b0 = before.get(bi);
                for (int o = 0; o < out; o++) {
                    for (int c = 0; c <= in; c++) {
                        expected[o][c] = lr * d[o][c];
                        actual[o][c] = c < in ? w0[o * in + c] - l.weight().getFlat(o * in + c)
                                : b0[o] - l.bias().getFlat(o);
                    }
                }
                assertClose(expected, actual, mode + (wide ? " (wide)" : "") + " update of layer " + i);
            }
        }
    }

    /** The float32 step (GEMMs in float32, factors accumulated in float64) follows the float64 one, on both update orders. */
    @Test
    void float32StepFollowsTheFloat64Step() {
        for (String spec : new String[] {"mlp:30-20-4:tanh", "mlp:6-9-7-4:tanh"}) {
            int in = spec.equals("mlp:30-20-4:tanh") ? 30 : 6;
            int n = in == 30 ? 3 : 12;
            List<double[]> moved = new ArrayList<>();
            for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
                Sequential m = Models.fromSpec(spec, new Rng(70), DType.FLOAT64);
                if (dtype == DType.FLOAT32) {
                    Sequential m32 = Models.fromSpec(spec, new Rng(70), DType.FLOAT32);
                    for (int i = 0; i < m.parameters().size(); i++) {
                        double[] w = m.parameters().get(i).toDoubleArray();
                        for (int j = 0; j < w.length; j++) {
                            m32.parameters().get(i).setFlat(j, w[j]);
                        }
                    }
                    m = m32;
                }
                CurvatureProblem prob = problem(m, n, in, dtype);
                KFAC kfac = new KFAC(prob, Map.of("lr", 0.2, "damping", 0.03, "kl_clip", 0.0));
                double[] before = prob.parameters().get(0).toDoubleArray();
                kfac.step(null);
                double[] after = prob.parameters().get(0).toDoubleArray();
                for (int j = 0; j < after.length; j++) {
                    after[j] -= before[j];
                }
                moved.add(after);
            }
            double scale = 0;
            double err = 0;
            for (int j = 0; j < moved.get(0).length; j++) {
                scale = Math.max(scale, Math.abs(moved.get(0)[j]));
                err = Math.max(err, Math.abs(moved.get(0)[j] - moved.get(1)[j]));
            }
            assertTrue(scale > 0 && err < 1e-3 * scale, spec + ": " + err + " at scale " + scale);
        }
    }

    /** With factor_update_period=3 the factors move on steps 0, 3, 6, ... and stay put in between, while the weights move every step. */
    @Test
    void factorsRefreshOnTheirPeriod() {
        Sequential m = Models.fromSpec("mlp:6-9-7-4:tanh", new Rng(70), DType.FLOAT64);
        CurvatureProblem prob = problem(m);
        KFAC kfac = new KFAC(prob, Map.of("factor_update_period", 3, "inv_update_period", 1));
        double[][] previous = null;
        for (int step = 0; step < 7; step++) {
            double[] w = prob.parameters().get(0).toDoubleArray();
            kfac.step(null);
            assertTrue(!java.util.Arrays.equals(w, prob.parameters().get(0).toDoubleArray()), "step " + step);
            double[][] g = kfac.factorG(0);
            if (previous != null) {
                boolean same = java.util.Arrays.deepEquals(previous, g);
                assertTrue(same == (step % 3 != 0), "step " + step + ": factor G " + (same ? "unchanged" : "changed"));
            }
            previous = g;
        }
    }

    /**
     * A float32 step on a layer wide enough that the inner product with the gradient and the update
     * of the weights are split across threads gives the same weights on one thread and on two, to
     * float32 rounding (the GEMMs take different kernels serially and split), with every weight
     * moved; the kl_clip scale (from that inner product) binds, so a partial sum would show.
     */
    @Test
    void wideStepIsTheSameOnOneThreadAndOnTwo() {
        List<float[]> results = new ArrayList<>();
        float[] initial = null;
        int before = dev.kobai.tensor.kernel.Parallel.threads();
        try {
            for (int threads : new int[] {1, 2}) {
                dev.kobai.tensor.kernel.Parallel.setThreads(threads);
                Sequential m = Models.fromSpec("mlp:400-400-4", new Rng(72), DType.FLOAT32);
                CurvatureProblem prob = problem(m, 16, 400, DType.FLOAT32);
                initial = prob.parameters().get(0).floatData().clone();
                KFAC kfac = new KFAC(prob, Map.of("lr", 0.5, "kl_clip", 1e-4));
                for (int step = 0; step < 3; step++) {
                    kfac.step(null);
                }
                float[] w = prob.parameters().get(0).floatData().clone();
                float[] b = prob.parameters().get(1).floatData().clone();
                float[] both = java.util.Arrays.copyOf(w, w.length + b.length);
                System.arraycopy(b, 0, both, w.length, b.length);
                results.add(both);
            }
        } finally {
            dev.kobai.tensor.kernel.Parallel.setThreads(before);
        }
        float[] one = results.get(0);
        float[] two = results.get(1);
        float scale = 0;
        for (float v : one) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int j = 0; j < one.length; j++) {
            assertTrue(Math.abs(one[j] - two[j]) <= 1e-5f * scale,
                    "element " + j + ": " + one[j] + " on one thread, " + two[j] + " on two");
        }
        for (int j = 0; j < initial.length; j++) {
            assertTrue(two[j] != initial[j], "weight " + j + " did not move");
        }
    }
}
