package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.autograd.Autograd;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.FlatMatrices;
import dev.kobai.curvature.LossKind;
import dev.kobai.nn.Activation;
import dev.kobai.nn.Conv2d;
import dev.kobai.nn.Flatten;
import dev.kobai.nn.ForwardCapture;
import dev.kobai.nn.Linear;
import dev.kobai.nn.Models;
import dev.kobai.nn.Module;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Spatial;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Parallel;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * K-FAC for Conv2d layers (KFC): a 1x1 convolution on 1x1 images is the Linear layer it equals;
 * the GEMM path of the factors (patch rows in chunks, per-image Gram sums split across threads)
 * against plain loops; groups refused in one line. The factors' definition and scaling are checked
 * against torch in KFACConvReferenceTest.
 */
class KFACConvTest {
    private static double relativeError(double[] expected, double[] actual) {
        double scale = 0;
        double err = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            err = Math.max(err, Math.abs(expected[i] - actual[i]));
        }
        return err / Math.max(scale, 1e-300);
    }

    /**
     * The same network as Linear layers on rows [N, in] and as 1x1 convolutions on images [N, in,
     * 1, 1]: K-FAC's factors and weights agree after every step, to rounding (the two forward passes
     * round differently), in both damping modes and for every Fisher, including a first layer wide
     * enough for the Linear path's low-rank update (which a convolution never takes).
     */
    @Test
    void aOneByOneConvolutionOnOneByOneImagesIsTheLinearLayer() {
        String[] optionSets = {"fisher=empirical,momentum=0.5,kl_clip=1e-4", "damping_mode=eigen,fisher=true",
            "fisher=mc,factor_decay=0.5,inv_update_period=2,momentum=0.9"};
        int[][] shapes = {{6, 5, 4, 12}, {30, 20, 4, 3}}; // in, hidden, out, batch
        for (int[] sh : shapes) {
            for (String opts : optionSets) {
                Rng rng = new Rng(40);
                Linear l1 = new Linear(sh[0], sh[1], true, rng, DType.FLOAT64);
                Linear l2 = new Linear(sh[1], sh[2], true, rng, DType.FLOAT64);
                Sequential rows = new Sequential(l1, Activation.tanh(), l2);
                Conv2d c1 = Conv2d.builder(sh[0], sh[1], 1).build(rng, DType.FLOAT64);
                Conv2d c2 = Conv2d.builder(sh[1], sh[2], 1).build(rng, DType.FLOAT64);
                Sequential images = new Sequential(c1, Activation.tanh(), c2, new Flatten());
                List<Parameter> lp = rows.parameters();
                List<Parameter> cp = images.parameters();
                for (int i = 0; i < lp.size(); i++) {
                    cp.get(i).copyFrom(lp.get(i).reshape(cp.get(i).shape()));
                }
                Tensor x = Tensor.randn(new Rng(41), DType.FLOAT64, sh[3], sh[0]);
                int[] labels = new int[sh[3]];
                for (int i = 0; i < labels.length; i++) {
                    labels[i] = i % sh[2];
                }
                String spec = "kfac:lr=0.3,damping=0.01,factor_update_period=1," + opts;
                KFAC linear = (KFAC) Optimizers.create(spec, CurvatureProblem.of(rows, LossKind.CROSS_ENTROPY, x, labels));
                KFAC conv = (KFAC) Optimizers.create(spec, CurvatureProblem.of(images, LossKind.CROSS_ENTROPY,
                        x.reshape(sh[3], sh[0], 1, 1), labels));
                String what = "in " + sh[0] + ", batch " + sh[3] + ", " + opts;
                for (int step = 0; step < 4; step++) {
                    assertEquals(linear.step(null), conv.step(null), 1e-13, what + ": loss at step " + step);
                    for (int i = 0; i < 2; i++) {
                        double ea = relativeError(FlatMatrices.flatten(linear.factorA(i)),
                                FlatMatrices.flatten(conv.factorA(i)));
                        double eg = relativeError(FlatMatrices.flatten(linear.factorG(i)),
                                FlatMatrices.flatten(conv.factorG(i)));
                        assertTrue(ea < 1e-12 && eg < 1e-12, what + ", step " + step + ", layer " + i + ": A off by " + ea
                                + ", G by " + eg);
                    }
                    for (int i = 0; i < lp.size(); i++) {
                        double e = relativeError(lp.get(i).toDoubleArray(), cp.get(i).toDoubleArray());
                        assertTrue(e < 1e-11, what + ", step " + step + ", parameter " + i + ": off by " + e);
                    }
                }
            }
        }
    }

    /** Images of 8 channels, 16 x 16: several chunks of patch rows for A and two threads for G. */
    static Sequential wide(DType dtype) {
        Rng rng = new Rng(50);
        return new Sequential(Conv2d.builder(8, 16, 3).padding(1).build(rng, dtype), Activation.tanh(),
                Conv2d.builder(16, 6, 3).stride(2).dilation(2).bias(false).build(rng, dtype), Activation.tanh(),
                new Flatten(), new Linear(6 * 6 * 6, 5, true, rng, dtype));
    }

    /** A = sum over images and positions of [p 1][p 1]^T / (N |T|), from Spatial.unfold, entry by entry. */
    private static double[] loopA(Tensor input, Conv2d c) {
        Tensor u = Spatial.unfold(input.to(DType.FLOAT64), c.window()); // [N, R, L]
        int n = u.size(0);
        int r = u.size(1);
        int l = u.size(2);
        int cols = r + (c.bias() == null ? 0 : 1);
        double[] a = new double[cols * cols];
        double[] p = new double[cols];
        for (int s = 0; s < n; s++) {
            for (int t = 0; t < l; t++) {
                for (int k = 0; k < r; k++) {
                    p[k] = u.get(s, k, t);
                }
                if (cols > r) {
                    p[r] = 1;
                }
                for (int i = 0; i < cols; i++) {
                    for (int j = 0; j < cols; j++) {
                        a[i * cols + j] += p[i] * p[j] / ((double) n * l);
                    }
                }
            }
        }
        return a;
    }

    /** G = N sum over images and positions of g g^T for the gradients g of the mean loss at the output, entry by entry. */
    private static double[] loopG(Tensor g) {
        int n = g.size(0);
        int o = g.size(1);
        int l = g.numel() / (n * o);
        double[] out = new double[o * o];
        double[] v = g.toDoubleArray();
        for (int s = 0; s < n; s++) {
            for (int t = 0; t < l; t++) {
                for (int i = 0; i < o; i++) {
                    for (int j = 0; j < o; j++) {
                        out[i * o + j] += n * v[(s * o + i) * l + t] * v[(s * o + j) * l + t];
                    }
                }
            }
        }
        return out;
    }

    /**
     * With fisher=empirical and factor_decay=0 the factors are the batch's: A from several chunks of
     * patch rows and G from per-image products on two threads equal the plain loops (float64 to
     * 1e-12; float32 to 1e-5, the GEMMs being float32).
     */
    @Test
    void convolutionFactorsEqualThePlainLoops() {
        int before = Parallel.threads();
        try {
            Parallel.setThreads(2);
            for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
                Sequential m = wide(dtype);
                int n = 40;
                Tensor x = Tensor.randn(new Rng(51), DType.FLOAT64, n, 8, 16, 16).to(dtype);
                int[] labels = new int[n];
                for (int i = 0; i < n; i++) {
                    labels[i] = i % 5;
                }
                CurvatureProblem prob = CurvatureProblem.of(m, LossKind.CROSS_ENTROPY, x, labels);
                KFAC kfac = new KFAC(prob, Map.of("fisher", "empirical", "factor_decay", 0.0));
                kfac.updateFactors();
                kfac.updateFactors(); // the second estimate replaces the first: buffers reused, sums cleared
                List<Module> convs = List.of(m.layers().get(0), m.layers().get(2));
                Tensor[] ins = new Tensor[2];
                Tensor[] outs = new Tensor[2];
                Tensor z;
                ForwardCapture capture = ForwardCapture.of(convs);
                try (capture) {
                    z = prob.outputs();
                }
                for (int i = 0; i < 2; i++) {
                    ins[i] = capture.calls(convs.get(i)).getFirst().input();
                    outs[i] = capture.calls(convs.get(i)).getFirst().output();
                }
                Tensor[] g = Autograd.grad(prob.loss(z), outs, false);
                double tol = dtype == DType.FLOAT64 ? 1e-12 : 1e-5;
                for (int i = 0; i < 2; i++) {
                    double ea = relativeError(loopA(ins[i], (Conv2d) convs.get(i)),
                            FlatMatrices.flatten(kfac.factorA(i)));
                    double eg = relativeError(loopG(g[i]), FlatMatrices.flatten(kfac.factorG(i)));
                    assertTrue(ea < tol && eg < tol, dtype + ", layer " + i + ": A off by " + ea + ", G by " + eg);
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void groupedConvolutionsAreRefusedByName() {
        Sequential m = Models.fromSpec("conv2d(4,4,3,padding=1,groups=2),relu,flatten,linear(256,10)",
                new int[] {4, 8, 8}, 10, new Rng(1), DType.FLOAT32);
        CurvatureProblem prob = CurvatureProblem.of(m, LossKind.CROSS_ENTROPY, Tensor.zeros(DType.FLOAT32, 2, 4, 8, 8),
                new int[] {0, 1});
        String message = assertThrows(UsageException.class, () -> new KFAC(prob, Map.of())).getMessage();
        assertEquals("kfac: layer '0' Conv2d(4, 4, kernel_size=(3, 3), padding=1, groups=2) has groups=2; K-FAC "
                + "preconditions convolutions with groups=1 only", message);
        assertFalse(message.contains("\n"));
    }
}
