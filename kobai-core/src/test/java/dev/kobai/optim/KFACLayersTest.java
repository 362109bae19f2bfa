package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.autograd.Autograd;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.LossKind;
import dev.kobai.nn.Activation;
import dev.kobai.nn.Flatten;
import dev.kobai.nn.Linear;
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
 * Which layers K-FAC preconditions and what it does with the rest: Linear layers (and, see
 * KFACConvTest, Conv2d layers) wherever they sit in the model; every other parameter stepped along
 * its plain gradient with K-FAC's lr and momentum, outside kl_clip; one-line refusals.
 */
class KFACLayersTest {
    /** x + l2(tanh(l1(x))): a block that calls its layers itself. */
    static final class ResidualMlp extends Module {
        final Linear l1;
        final Linear l2;

        ResidualMlp(int width, Rng rng) {
            l1 = registerModule("l1", new Linear(width, width, true, rng, DType.FLOAT64));
            l2 = registerModule("l2", new Linear(width, width, false, rng, DType.FLOAT64));
        }

        @Override
        public Tensor forward(Tensor x) {
            return x.add(l2.forward(l1.forward(x).tanh()));
        }

        @Override
        public String toString() {
            return "ResidualMlp";
        }
    }

    /** x * weight over the last axis: parameters K-FAC does not precondition, as batch norm's affine ones. */
    static final class Scale extends Module {
        final Parameter weight;

        Scale(int features, Rng rng) {
            weight = registerParameter("weight", new Parameter(Tensor.uniform(rng, DType.FLOAT64, 0.5, 1.5, features)));
        }

        @Override
        public Tensor forward(Tensor x) {
            return x.mul(weight);
        }

        @Override
        public String toString() {
            return "Scale(" + weight.numel() + ")";
        }
    }

    static CurvatureProblem problem(Module m, int n, int in, long seed) {
        Tensor x = Tensor.randn(new Rng(seed), DType.FLOAT64, n, in);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
        }
        return CurvatureProblem.of(m, LossKind.CROSS_ENTROPY, x, labels);
    }

    @Test
    void findsLinearLayersInsideNestedModulesAndIsExactForOneDataPoint() {
        Rng rng = new Rng(20);
        Sequential m = new Sequential(new Linear(3, 4, true, rng, DType.FLOAT64), Activation.tanh(),
                new ResidualMlp(4, rng), new Linear(4, 3, true, rng, DType.FLOAT64));
        CurvatureProblem one = problem(m, 1, 3, 21);
        KFAC kfac = new KFAC(one, Map.of("fisher", "true"));
        assertEquals(List.of(m.layers().get(0), ((ResidualMlp) m.layers().get(2)).l1, ((ResidualMlp) m.layers().get(2)).l2,
                m.layers().get(3)), kfac.layers());
        assertTrue(kfac.plainParameters().isEmpty());
        // with one data point K-FAC's blocks are the exact Fisher's (reference property 11a), here
        // for layers a Sequential does not call itself
        kfac.updateFactors();
        double[][] exact = one.gaussNewton();
        for (int l = 0; l < kfac.layers().size(); l++) {
            double[][] block = kfac.fisherBlock(l);
            int[] idx = kfac.blockIndices(l);
            double scale = 0;
            double err = 0;
            for (int a = 0; a < idx.length; a++) {
                for (int b = 0; b < idx.length; b++) {
                    scale = Math.max(scale, Math.abs(exact[idx[a]][idx[b]]));
                    err = Math.max(err, Math.abs(block[a][b] - exact[idx[a]][idx[b]]));
                }
            }
            assertTrue(scale > 0 && err < 1e-10 * scale, "layer " + l + ": " + err + " at " + scale);
        }
    }

    static Sequential withScale() {
        Rng rng = new Rng(30);
        return new Sequential(new Linear(4, 5, true, rng, DType.FLOAT64), new Scale(5, rng), Activation.tanh(),
                new Linear(5, 3, true, rng, DType.FLOAT64));
    }

    private static List<double[]> values(List<Parameter> ps) {
        List<double[]> out = new ArrayList<>();
        for (Parameter p : ps) {
            out.add(p.toDoubleArray());
        }
        return out;
    }

    private static double[] gradient(CurvatureProblem prob, Parameter p) {
        return Autograd.grad(prob.loss(), new Tensor[] {p}, false)[0].toDoubleArray();
    }

    /**
     * The Scale layer's weight moves by lr (momentum buffer) exactly, with or without a binding
     * kl_clip; the Linear layers' updates shrink by nu = sqrt(kl_clip / (lr^2 sum g . d)) with the
     * sum over the Linear layers alone.
     */
    @Test
    void otherParametersTakeThePlainGradientOutsideKlClip() {
        double lr = 0.1;
        List<List<double[]>> moved = new ArrayList<>();
        List<double[]> plainGrads = new ArrayList<>();
        double gradDotUpdate = 0;
        for (double klClip : new double[] {0, 1e-6}) {
            Sequential m = withScale();
            CurvatureProblem prob = problem(m, 6, 4, 31);
            KFAC kfac = new KFAC(prob, Map.of("lr", lr, "kl_clip", klClip, "momentum", 0.5, "damping", 0.01));
            Parameter scale = ((Scale) m.layers().get(1)).weight;
            assertEquals(List.of(scale), kfac.plainParameters());
            List<double[]> start = values(prob.parameters());
            double[] g1 = gradient(prob, scale);
            Tensor[] all = Autograd.grad(prob.loss(), prob.parameters().toArray(new Tensor[0]), false);
            kfac.step(null);
            List<double[]> after = values(prob.parameters());
            List<double[]> d = new ArrayList<>();
            for (int i = 0; i < start.size(); i++) {
                double[] di = new double[start.get(i).length];
                for (int j = 0; j < di.length; j++) {
                    di[j] = start.get(i)[j] - after.get(i)[j];
                }
                d.add(di);
            }
            moved.add(d);
            int si = prob.parameters().indexOf(scale);
            for (int j = 0; j < g1.length; j++) {
                assertEquals(lr * g1[j], d.get(si)[j], 1e-15, "kl_clip " + klClip + ": scale step " + j);
            }
            if (klClip == 0) {
                // the inner product kl_clip would use: gradient . update over the Linear layers
                for (int i = 0; i < all.length; i++) {
                    if (i != si) {
                        double[] g = all[i].toDoubleArray();
                        for (int j = 0; j < g.length; j++) {
                            gradDotUpdate += g[j] * d.get(i)[j] / lr;
                        }
                    }
                }
            }
            // the second step: buf = 0.5 g1 + g2 for the plain parameter
            double[] g2 = gradient(prob, scale);
            double[] before = scale.toDoubleArray();
            kfac.step(null);
            for (int j = 0; j < g2.length; j++) {
                assertEquals(lr * (0.5 * g1[j] + g2[j]), before[j] - scale.getFlat(j), 1e-15,
                        "kl_clip " + klClip + ": scale's second step " + j);
            }
            plainGrads.add(g1);
        }
        double nu = Math.sqrt(1e-6 / (lr * lr * gradDotUpdate));
        assertTrue(nu < 0.5, "kl_clip should bind: nu " + nu);
        int si = 2; // [0.weight, 0.bias, 1.weight, 3.weight, 3.bias]
        for (int i = 0; i < moved.get(0).size(); i++) {
            if (i == si) {
                continue;
            }
            double[] full = moved.get(0).get(i);
            double[] clipped = moved.get(1).get(i);
            for (int j = 0; j < full.length; j++) {
                assertEquals(nu * full[j], clipped[j], 1e-10 * Math.abs(full[j]) + 1e-18, "parameter " + i + "[" + j + "]");
            }
        }
    }

    private static String refusal(Runnable r) {
        String message = assertThrows(UsageException.class, r::run).getMessage();
        assertFalse(message.contains("\n"), "one line: " + message);
        return message;
    }

    @Test
    void refusalsNameWhatIsWrongInOneLine() {
        Linear l = new Linear(3, 3, true, new Rng(1), DType.FLOAT64);
        CurvatureProblem fromFunction = CurvatureProblem.of(l.parameters(), l::forward, LossKind.CROSS_ENTROPY,
                Tensor.zeros(DType.FLOAT64, 2, 3), new int[] {0, 1});
        assertTrue(refusal(() -> new KFAC(fromFunction, Map.of()))
                .startsWith("kfac needs a CurvatureProblem made from a model"));

        Sequential scaleOnly = new Sequential(new Scale(3, new Rng(2)));
        assertEquals("kfac found no Linear or Conv2d layer to precondition in Sequential(Scale(3))",
                refusal(() -> new KFAC(problem(scaleOnly, 2, 3, 1), Map.of())));

        Module twice = new Module() {
            final Linear shared = registerModule("shared", new Linear(3, 3, true, new Rng(3), DType.FLOAT64));

            @Override
            public Tensor forward(Tensor x) {
                return shared.forward(shared.forward(x).tanh());
            }
        };
        KFAC k = new KFAC(problem(twice, 2, 3, 1), Map.of());
        assertEquals("kfac: layer 'shared' Linear(3, 3) ran 2 times in one forward pass; K-FAC needs each Linear and "
                + "Conv2d layer to run exactly once", refusal(() -> k.step(null)));

        Sequential sequence = new Sequential(new Linear(4, 3, true, new Rng(4), DType.FLOAT64), new Flatten(),
                new Linear(15, 3, true, new Rng(5), DType.FLOAT64));
        CurvatureProblem rows = CurvatureProblem.of(sequence, LossKind.CROSS_ENTROPY,
                Tensor.randn(new Rng(6), DType.FLOAT64, 2, 5, 4), new int[] {0, 1});
        KFAC k2 = new KFAC(rows, Map.of());
        assertEquals("kfac: layer '0' Linear(4, 3) got input float64[2, 5, 4]; K-FAC needs Linear inputs of shape "
                + "[batch, features]", refusal(() -> k2.step(null)));
    }
}
