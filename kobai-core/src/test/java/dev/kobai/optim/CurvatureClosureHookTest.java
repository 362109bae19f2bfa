package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.autograd.Autograd;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.LossKind;
import dev.kobai.nn.Models;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Optimizer.Closure#afterGradients}: the optimizers that compute the loss and the gradients
 * themselves show them to the closure before they change anything, stop with nothing changed when
 * it throws, and step along the gradients it changed.
 */
public class CurvatureClosureHookTest {
    /** A wide first layer (30 inputs, 20 outputs) against a batch of 3: K-FAC's low-rank update order. */
    static final String WIDE = "mlp:30-20-4:tanh";

    static Sequential model(String spec) {
        return Models.fromSpec(spec, new Rng(70), DType.FLOAT64);
    }

    static CurvatureProblem problem(Sequential m, long seed) {
        int in = m.parameters().get(0).size(1);
        Tensor x = Tensor.uniform(new Rng(seed), DType.FLOAT64, -1, 1, 3, in);
        return CurvatureProblem.of(m, LossKind.CROSS_ENTROPY, x, new int[] {0, 2, 1});
    }

    static List<double[]> values(List<Parameter> ps) {
        List<double[]> out = new ArrayList<>();
        for (Parameter p : ps) {
            out.add(p.toDoubleArray());
        }
        return out;
    }

    static void assertSame(List<double[]> expected, List<double[]> actual, String what) {
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), what + ", parameter " + i);
        }
    }

    /** after - before, flattened over the parameters. */
    static double[] moved(List<double[]> before, List<double[]> after) {
        int n = 0;
        for (double[] b : before) {
            n += b.length;
        }
        double[] d = new double[n];
        int k = 0;
        for (int i = 0; i < before.size(); i++) {
            for (int j = 0; j < before.get(i).length; j++) {
                d[k++] = after.get(i)[j] - before.get(i)[j];
            }
        }
        return d;
    }

    static void assertScaled(double[] base, double scale, double[] actual, double tol, String what) {
        double size = 0;
        double err = 0;
        for (int i = 0; i < base.length; i++) {
            size = Math.max(size, Math.abs(base[i]));
            err = Math.max(err, Math.abs(scale * base[i] - actual[i]));
        }
        assertTrue(size > 0 && err <= tol * size, what + ": error " + err + " at scale " + size);
    }

    /** A then G of each layer (also used by the trainer's CurvatureStepChecksTest). */
    public static List<double[][]> factors(KFAC kfac) {
        List<double[][]> out = new ArrayList<>();
        for (int i = 0; i < kfac.layers().size(); i++) {
            out.add(kfac.factorA(i));
            out.add(kfac.factorG(i));
        }
        return out;
    }

    static void assertSameFactors(List<double[][]> expected, List<double[][]> actual, String what) {
        for (int i = 0; i < expected.size(); i++) {
            assertTrue(java.util.Arrays.deepEquals(expected.get(i), actual.get(i)), what + ": factor " + i + " changed");
        }
    }

    /** A closure whose evaluate() must not be called, and whose hook runs {@code hook}. */
    static Optimizer.Closure hook(Function<Double, Boolean> hook) {
        return new Optimizer.Closure() {
            @Override
            public double evaluate() {
                throw new AssertionError("evaluate() called");
            }

            @Override
            public boolean afterGradients(double loss) {
                return hook.apply(loss);
            }
        };
    }

    static final class Stop extends RuntimeException {}

    /**
     * Newton, Hessian-free and natural gradient on a curvature problem, with options that keep state
     * from step to step (damping, CG solution, sampling generator).
     */
    static final String[] OTHERS = {"newton:curvature=gauss-newton,adapt_damping=true,line_search=true",
        "newton:adapt_damping=true", "hessian-free", "natural:fisher=mc", "natural:fisher=mc,solver=cg"};
    static final String SMALL = "mlp:5-6-3:tanh";

    @Test
    void newtonHessianFreeAndNaturalShowTheClosureTheGradientsBeforeChangingAnything() {
        for (String spec : OTHERS) {
            CurvatureProblem prob = problem(model(SMALL), 1);
            Optimizer opt = Optimizers.create(spec, prob);
            opt.step(null);
            List<double[]> before = values(prob.parameters());
            Tensor loss = prob.loss();
            Tensor[] expected = Autograd.grad(loss, prob.parameters().toArray(new Tensor[0]), false);
            int[] calls = {0};
            double[] seen = {Double.NaN};
            double value = opt.step(hook(l -> {
                calls[0]++;
                seen[0] = l;
                assertSame(before, values(prob.parameters()), spec + ": weights during the hook");
                for (int i = 0; i < expected.length; i++) {
                    assertArrayEquals(expected[i].toDoubleArray(), prob.parameters().get(i).grad().toDoubleArray(),
                            1e-12, spec + ": gradient " + i);
                }
                return false;
            }));
            assertEquals(1, calls[0], spec);
            assertEquals(loss.item(), seen[0], 1e-12, spec);
            assertEquals(seen[0], value, spec);
        }
    }

    /** A throwing hook leaves the weights and the optimizer's state: the next step is the twin's. */
    @Test
    void aThrowingClosureLeavesNewtonHessianFreeAndNaturalAsTheyWere() {
        for (String spec : OTHERS) {
            CurvatureProblem prob = problem(model(SMALL), 1);
            Optimizer opt = Optimizers.create(spec, prob);
            CurvatureProblem twinProb = problem(model(SMALL), 1);
            Optimizer twin = Optimizers.create(spec, twinProb);
            opt.step(null);
            twin.step(null);
            List<double[]> before = values(prob.parameters());
            assertThrows(Stop.class, () -> opt.step(hook(l -> {
                throw new Stop();
            })), spec);
            assertSame(before, values(prob.parameters()), spec + ": weights after the stopped step");
            prob.setBatch(problem(model(SMALL), 2).inputs(), new int[] {2, 1, 0});
            twinProb.setBatch(problem(model(SMALL), 2).inputs(), new int[] {2, 1, 0});
            opt.step(null);
            twin.step(null);
            assertSame(values(twinProb.parameters()), values(prob.parameters()), spec + ": the step after");
        }
    }

    /** Their steps are linear in the gradient with line searches off, so halving the gradients in the hook halves the step. */
    @Test
    void newtonHessianFreeAndNaturalStepAlongTheGradientsTheClosureChanged() {
        for (String spec : new String[] {"newton:curvature=gauss-newton", "newton:indefinite=shift,damping=0.1",
            "hessian-free:backtrack=false,line_search=false,adapt_damping=false", "natural", "natural:solver=cg"}) {
            CurvatureProblem plain = problem(model(SMALL), 1);
            List<double[]> start = values(plain.parameters());
            Optimizers.create(spec, plain).step(null);
            double[] full = moved(start, values(plain.parameters()));
            CurvatureProblem halved = problem(model(SMALL), 1);
            Optimizers.create(spec, halved).step(hook(l -> {
                for (Parameter p : halved.parameters()) {
                    double[] g = p.grad().doubleData();
                    for (int i = 0; i < g.length; i++) {
                        g[i] *= 0.5;
                    }
                }
                return true;
            }));
            assertScaled(full, 0.5, moved(start, values(halved.parameters())), 1e-8, spec);
        }
    }

    /** Newton and Hessian-free over plain parameters differentiate a LossClosure themselves, and call its hook too. */
    @Test
    void newtonAndHessianFreeCallTheHookOfALossClosure() {
        for (String spec : new String[] {"newton", "hessian-free"}) {
            Sequential m = model(SMALL);
            CurvatureProblem prob = problem(m, 1);
            Optimizer opt = Optimizers.create(spec, m.parameters());
            List<double[]> before = values(m.parameters());
            int[] calls = {0};
            LossClosure closure = new LossClosure() {
                @Override
                public Tensor loss() {
                    return prob.loss();
                }

                @Override
                public boolean afterGradients(double loss) {
                    calls[0]++;
                    throw new Stop();
                }
            };
            assertThrows(Stop.class, () -> opt.step(closure), spec);
            assertEquals(1, calls[0], spec);
            assertSame(before, values(m.parameters()), spec + ": weights after the stopped step");
        }
    }

    static final String KFAC_OPTIONS = "factor_update_period=1,inv_update_period=1,momentum=0.5";

    static KFAC kfac(CurvatureProblem prob, String options) {
        return (KFAC) Optimizers.create("kfac:" + options, prob);
    }

    /**
     * A problem for K-FAC on a fresh model: "wide", {@link #WIDE} (the low-rank update order), or
     * "conv", a convolutional model with a per-channel scale that K-FAC steps plainly
     * ({@link SecondOrderStateDictTest#convModel}) on 3 images of 1x6x6.
     */
    static CurvatureProblem kfacProblem(String kind, long seed) {
        if (kind.equals("wide")) {
            return problem(model(WIDE), seed);
        }
        Sequential m = SecondOrderStateDictTest.convModel(70, DType.FLOAT64);
        Tensor x = Tensor.uniform(new Rng(seed), DType.FLOAT64, -1, 1, 3, 1, 6, 6);
        return CurvatureProblem.of(m, LossKind.CROSS_ENTROPY, x, new int[] {0, 2, 1});
    }

    @ParameterizedTest
    @ValueSource(strings = {"wide", "conv"})
    void kfacShowsTheClosureTheGradientsBeforeChangingAnything(String kind) {
        CurvatureProblem prob = kfacProblem(kind, 1);
        KFAC kfac = kfac(prob, KFAC_OPTIONS);
        kfac.step(null);
        List<double[]> before = values(prob.parameters());
        List<double[][]> factors = factors(kfac);
        Tensor loss = prob.loss();
        Tensor[] expected = Autograd.grad(loss, prob.parameters().toArray(new Tensor[0]), false);
        int[] calls = {0};
        double[] seen = {Double.NaN};
        double value = kfac.step(hook(l -> {
            calls[0]++;
            seen[0] = l;
            assertSame(before, values(prob.parameters()), "weights during the hook");
            assertSameFactors(factors, factors(kfac), "during the hook");
            for (int i = 0; i < expected.length; i++) {
                assertArrayEquals(expected[i].toDoubleArray(), prob.parameters().get(i).grad().toDoubleArray(), 1e-12,
                        "gradient " + i);
            }
            return false;
        }));
        assertEquals(1, calls[0]);
        assertEquals(loss.item(), seen[0], 1e-12);
        assertEquals(seen[0], value);
    }

    /** A throwing hook leaves weights, factors, momentum, step count and generator: the next step is the twin's. */
    @ParameterizedTest
    @ValueSource(strings = {"wide", "conv"})
    void aThrowingClosureLeavesKfacAsItWas(String kind) {
        CurvatureProblem prob = kfacProblem(kind, 1);
        KFAC kfac = kfac(prob, KFAC_OPTIONS);
        CurvatureProblem twinProb = kfacProblem(kind, 1);
        KFAC twin = kfac(twinProb, KFAC_OPTIONS);
        kfac.step(null);
        twin.step(null);
        List<double[]> before = values(prob.parameters());
        List<double[][]> factors = factors(kfac);
        assertThrows(Stop.class, () -> kfac.step(hook(l -> {
            throw new Stop();
        })));
        assertSame(before, values(prob.parameters()), "weights after the stopped step");
        assertSameFactors(factors, factors(kfac), "after the stopped step");
        kfac.step(null);
        twin.step(null);
        assertSame(values(twinProb.parameters()), values(prob.parameters()), "the step after");
        assertSameFactors(factors(twin), factors(kfac), "the step after");
    }

    /**
     * K-FAC's update is linear in the gradient (with kl_clip and momentum off), so halving the
     * gradients in the hook halves the step: on the wide layer whose update would otherwise be taken
     * in the low-rank order from the untouched pre-activation gradients, and on convolutions and the
     * plain parameter beside them.
     */
    @ParameterizedTest
    @ValueSource(strings = {"wide", "conv"})
    void kfacStepsAlongTheGradientsTheClosureChanged(String kind) {
        for (String mode : new String[] {"factored", "eigen"}) {
            String options = "kl_clip=0,damping_mode=" + mode;
            CurvatureProblem plain = kfacProblem(kind, 1);
            List<double[]> start = values(plain.parameters());
            kfac(plain, options).step(null);
            double[] full = moved(start, values(plain.parameters()));
            CurvatureProblem halved = kfacProblem(kind, 1);
            kfac(halved, options).step(hook(l -> {
                for (Parameter p : halved.parameters()) {
                    double[] g = p.grad().doubleData();
                    for (int i = 0; i < g.length; i++) {
                        g[i] *= 0.5;
                    }
                }
                return true;
            }));
            assertScaled(full, 0.5, moved(start, values(halved.parameters())), 1e-10, kind + ", " + mode);
        }
    }
}
