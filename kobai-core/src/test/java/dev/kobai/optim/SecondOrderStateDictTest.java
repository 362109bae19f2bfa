package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.LossKind;
import dev.kobai.nn.Activation;
import dev.kobai.nn.Conv2d;
import dev.kobai.nn.Flatten;
import dev.kobai.nn.Linear;
import dev.kobai.nn.MaxPool2d;
import dev.kobai.nn.Models;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The second-order optimizers' state dicts: a new optimizer that loads one taken mid-run steps bit
 * for bit as the one that saved it, and K-FAC's and natural gradient's state is checked on load.
 */
class SecondOrderStateDictTest {
    private static final String MODEL = "mlp:6-8-5-4:tanh";

    /** Minibatches of 3 (K-FAC's low-rank update) and 20 (the direct product), alternating. */
    private static List<Object[]> batches(DType dtype) {
        Rng rng = new Rng(7);
        List<Object[]> out = new ArrayList<>();
        for (int b = 0; b < 12; b++) {
            int n = b % 2 == 0 ? 3 : 20;
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = rng.nextInt(4);
            }
            out.add(new Object[] {Tensor.randn(rng, dtype, n, 6), labels});
        }
        return out;
    }

    /**
     * conv2d(1,3,3,padding=1), a per-channel scale (a parameter K-FAC steps along its plain
     * gradient, with momentum), relu, maxpool2d(2), flatten, linear(27,4), on images [n, 1, 6, 6].
     */
    static Sequential convModel(long seed, DType dtype) {
        Rng rng = new Rng(seed);
        return new Sequential(Conv2d.builder(1, 3, 3).padding(1).build(rng, dtype),
                new KFACConvReferenceTest.ChannelScale(3, dtype), Activation.relu(), new MaxPool2d(2),
                new Flatten(), new Linear(27, 4, true, rng, dtype));
    }

    /** As {@link #batches} with images [n, 1, 6, 6] for {@link #convModel}. */
    private static List<Object[]> convBatches(DType dtype) {
        List<Object[]> out = new ArrayList<>();
        for (Object[] b : batches(dtype)) {
            int n = ((int[]) b[1]).length;
            out.add(new Object[] {Tensor.randn(new Rng(n + out.size()), dtype, n, 1, 6, 6), b[1]});
        }
        return out;
    }

    /** A model and optimizer on the first batch; {@code seed} picks the initial weights. */
    private record Run(Sequential model, CurvatureProblem problem, Optimizer opt) {
        static Run of(String spec, DType dtype, long seed, List<Object[]> batches) {
            return of(spec, Models.fromSpec(MODEL, new Rng(seed), dtype), batches);
        }

        static Run of(String spec, Sequential m, List<Object[]> batches) {
            m.namedParameters();
            CurvatureProblem p = CurvatureProblem.of(m, LossKind.CROSS_ENTROPY, (Tensor) batches.get(0)[0],
                    (int[]) batches.get(0)[1]);
            return new Run(m, p, Optimizers.create(spec, p));
        }

        void steps(List<Object[]> batches, int from, int to) {
            for (int s = from; s < to; s++) {
                problem.setBatch((Tensor) batches.get(s)[0], (int[]) batches.get(s)[1]);
                opt.step(null);
            }
        }

        void copyWeightsFrom(Run other) {
            List<Parameter> mine = model.parameters();
            List<Parameter> theirs = other.model.parameters();
            for (int i = 0; i < mine.size(); i++) {
                mine.get(i).copyFrom(theirs.get(i));
            }
        }
    }

    /**
     * Steps {@code spec} 5 times, saves its state dict, loads it into a new optimizer (other seed,
     * other initial weights, then the saved weights), and steps both 7 more times: weights and
     * state dicts equal bit for bit, and equal to a run that never saved.
     */
    private static void resumesBitIdentical(String spec, DType dtype) {
        resumesBitIdentical(spec, batches(dtype), seed -> Models.fromSpec(MODEL, new Rng(seed), dtype));
    }

    private static void resumesBitIdentical(String spec, List<Object[]> batches,
                                            java.util.function.LongFunction<Sequential> model) {
        Run original = Run.of(spec, model.apply(1), batches);
        Run untouched = Run.of(spec, model.apply(1), batches);
        original.steps(batches, 0, 5);
        untouched.steps(batches, 0, 5);
        StateDict saved = original.opt.stateDict();

        // another seed (the loaded generator replaces it) and other initial weights, then the saved ones
        boolean seeded = spec.startsWith("kfac") || spec.startsWith("natural");
        Run resumed = Run.of(seeded ? spec + (spec.contains(":") ? "," : ":") + "seed=99" : spec, model.apply(2), batches);
        resumed.copyWeightsFrom(original);
        resumed.opt.loadStateDict(saved);
        assertSameState(saved, resumed.opt.stateDict(), spec + " right after loading");

        original.steps(batches, 5, 12);
        resumed.steps(batches, 5, 12);
        untouched.steps(batches, 5, 12);
        for (Parameter p : original.model.parameters()) {
            for (double w : p.toDoubleArray()) {
                assertTrue(Double.isFinite(w), spec + " diverged: the comparison would be of NaNs");
            }
        }
        for (Run other : List.of(resumed, untouched)) {
            List<Parameter> a = original.model.parameters();
            List<Parameter> b = other.model.parameters();
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(bits(a.get(i)), bits(b.get(i)), spec + ": " + a.get(i).name());
            }
            assertSameState(original.opt.stateDict(), other.opt.stateDict(), spec);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "kfac:damping_mode=factored,fisher=mc,momentum=0.5,factor_update_period=2,inv_update_period=3",
        "kfac:damping_mode=factored,fisher=true,momentum=0.5,factor_update_period=2,inv_update_period=3",
        "kfac:damping_mode=factored,fisher=empirical,momentum=0.5,factor_update_period=2,inv_update_period=3",
        "kfac:damping_mode=eigen,fisher=mc,momentum=0.5,factor_update_period=2,inv_update_period=3",
        "kfac:damping_mode=eigen,fisher=true,momentum=0.5,factor_update_period=2,inv_update_period=3",
        "kfac:damping_mode=eigen,fisher=empirical,momentum=0.5,factor_update_period=2,inv_update_period=3",
        "kfac:momentum=0.9,kl_clip=0,factor_update_period=3,inv_update_period=4",
        "kfac",
        "natural:fisher=mc,mc_samples=2,lr=0.2,damping=0.1",
        "natural:fisher=mc,solver=cg,cg_iters=5,lr=0.2,damping=0.1",
        "natural:fisher=empirical,lr=0.2,damping=0.1",
        "newton:adapt_damping=true,line_search=true,indefinite=shift",
        "newton:curvature=gauss-newton,adapt_damping=true",
        "hessian-free:cg_max_iters=10",
        "hessian-free:adapt_damping=false,backtrack=false,line_search=false,warm_start=0.5,cg_max_iters=10"
    })
    void loadedStateDictContinuesBitIdentical(String spec) {
        resumesBitIdentical(spec, DType.FLOAT32);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "kfac:damping_mode=factored,momentum=0.5,factor_update_period=2,inv_update_period=3",
        "kfac:damping_mode=eigen,momentum=0.5,factor_update_period=2,inv_update_period=3"
    })
    void loadedStateDictContinuesBitIdenticalInFloat64(String spec) {
        resumesBitIdentical(spec, DType.FLOAT64);
    }

    /**
     * K-FAC on a convolutional model with a parameter it steps plainly: the conv layer's factors and
     * inverses and every momentum buffer go through the state dict, and the resumed run is the same
     * bit for bit.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "kfac:damping_mode=factored,fisher=mc,momentum=0.5,factor_update_period=2,inv_update_period=3",
        "kfac:damping_mode=eigen,fisher=true,momentum=0.5,factor_update_period=2,inv_update_period=3",
        "kfac:damping_mode=factored,fisher=empirical,damping=0.1,momentum=0.9,kl_clip=0,factor_update_period=3,inv_update_period=4"
    })
    void convolutionalKfacContinuesBitIdentical(String spec) {
        for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            resumesBitIdentical(spec, convBatches(dtype), seed -> convModel(seed, dtype));
        }
    }

    @Test
    void kfacStateDictHoldsTheConvolutionsFactorsAndThePlainParametersMomentum() {
        List<Object[]> batches = convBatches(DType.FLOAT32);
        Run run = Run.of("kfac:momentum=0.5,inv_update_period=3", convModel(1, DType.FLOAT32), batches);
        run.steps(batches, 0, 4);
        Map<String, Map<String, Object>> state = run.opt.stateDict().state();
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "5.weight", "5.bias"), List.copyOf(state.keySet()));
        Map<String, Object> conv = state.get("0.weight");
        assertEquals(List.of("step", "generator", "factor_A", "factor_G", "A_inv", "G_inv", "momentum_buffer"),
                List.copyOf(conv.keySet()));
        assertArrayEquals(new int[] {10, 10}, ((Tensor) conv.get("factor_A")).shape()); // C kh kw + 1
        assertArrayEquals(new int[] {3, 3}, ((Tensor) conv.get("factor_G")).shape());
        assertArrayEquals(new int[] {3, 1, 3, 3}, ((Tensor) conv.get("momentum_buffer")).shape());
        assertEquals(List.of("momentum_buffer"), List.copyOf(state.get("1.weight").keySet()));
        assertArrayEquals(new int[] {3}, ((Tensor) state.get("1.weight").get("momentum_buffer")).shape());
        double[] m = ((Tensor) state.get("1.weight").get("momentum_buffer")).toDoubleArray();
        assertTrue(Arrays.stream(m).anyMatch(v -> v != 0), "the plain parameter's momentum is kept");
    }

    @Test
    void kfacStateDictHoldsFactorsInversesStepGeneratorAndMomentum() {
        List<Object[]> batches = batches(DType.FLOAT32);
        Run run = Run.of("kfac:momentum=0.5,inv_update_period=3", DType.FLOAT32, 1, batches);
        run.steps(batches, 0, 4);
        StateDict sd = run.opt.stateDict();
        Map<String, Object> first = sd.state().get("0.weight");
        assertEquals(4, first.get("step"));
        assertEquals(6, ((long[]) first.get("generator")).length);
        assertArrayEquals(new int[] {7, 7}, ((Tensor) first.get("factor_A")).shape());
        assertArrayEquals(new int[] {8, 8}, ((Tensor) first.get("factor_G")).shape());
        assertArrayEquals(new int[] {7, 7}, ((Tensor) first.get("A_inv")).shape());
        assertArrayEquals(new int[] {8, 8}, ((Tensor) first.get("G_inv")).shape());
        assertArrayEquals(new int[] {8, 6}, ((Tensor) first.get("momentum_buffer")).shape());
        assertEquals(DType.FLOAT64, ((Tensor) first.get("factor_A")).dtype());
        assertEquals(List.of("momentum_buffer"), List.copyOf(sd.state().get("0.bias").keySet()));
        assertEquals(List.of("factor_A", "factor_G", "A_inv", "G_inv", "momentum_buffer"),
                List.copyOf(sd.state().get("2.weight").keySet()));
        double[] a = ((Tensor) first.get("factor_A")).toDoubleArray();
        for (int i = 0; i < 7; i++) {
            for (int j = 0; j < 7; j++) {
                assertEquals(a[i * 7 + j], a[j * 7 + i], "factor_A is saved symmetric");
            }
        }

        Run eigen = Run.of("kfac:damping_mode=eigen", DType.FLOAT32, 1, batches);
        eigen.steps(batches, 0, 1);
        assertEquals(List.of("factor_A", "factor_G", "A_eigenvalues", "A_eigenvectors", "G_eigenvalues",
                "G_eigenvectors", "eigen_damping"), List.copyOf(eigen.opt.stateDict().state().get("2.weight").keySet()));
    }

    /** Loads a changed copy of a mid-run K-FAC state dict into a fresh K-FAC; returns the message. */
    private static String refusal(UnaryOperator<Map<String, Map<String, Object>>> change) {
        List<Object[]> batches = batches(DType.FLOAT32);
        Run run = Run.of("kfac:momentum=0.5", DType.FLOAT32, 1, batches);
        run.steps(batches, 0, 2);
        StateDict sd = run.opt.stateDict();
        Map<String, Map<String, Object>> state = new LinkedHashMap<>();
        sd.state().forEach((k, v) -> state.put(k, new LinkedHashMap<>(v)));
        Run fresh = Run.of("kfac:momentum=0.5", DType.FLOAT32, 1, batches);
        StateDict before = fresh.opt.stateDict();
        String message = assertThrows(UsageException.class,
                () -> fresh.opt.loadStateDict(new StateDict(sd.optimizer(), sd.groups(), change.apply(state))))
                .getMessage();
        assertSameState(before, fresh.opt.stateDict(), "a refused dict changes nothing");
        return message;
    }

    @Test
    void kfacRefusesStateThatDoesNotFit() {
        assertEquals("state 'factor_A' of parameter '2.weight' has shape [8, 8], expected [9, 9]", refusal(s -> {
            s.get("2.weight").put("factor_A", Tensor.zeros(DType.FLOAT64, 8, 8));
            return s;
        }));
        assertEquals("state 'A_inv' of parameter '0.weight' is float32, expected float64 (as saved)", refusal(s -> {
            s.get("0.weight").put("A_inv", ((Tensor) s.get("0.weight").get("A_inv")).to(DType.FLOAT32));
            return s;
        }));
        assertEquals("state 'momentum_buffer' of parameter '0.bias' has shape [7], expected [8]", refusal(s -> {
            s.get("0.bias").put("momentum_buffer", Tensor.zeros(DType.FLOAT64, 7));
            return s;
        }));
        assertEquals("state 'generator' of parameter '0.weight' is missing, expected a generator state of 6 longs",
                refusal(s -> {
                    s.get("0.weight").remove("generator");
                    return s;
                }));
        assertEquals("state 'step' of parameter '0.weight' is the String 2, expected the number of steps taken",
                refusal(s -> {
                    s.get("0.weight").put("step", "2");
                    return s;
                }));
        assertTrue(refusal(s -> {
            s.get("2.weight").remove("G_inv");
            return s;
        }).equals("state 'G_inv' of parameter '2.weight' is missing"));
        assertTrue(refusal(s -> {
            s.get("2.weight").remove("A_inv");
            s.get("2.weight").remove("G_inv");
            return s;
        }).startsWith("parameter '2.weight' has no inverses"));
        assertTrue(refusal(s -> {
            s.get("2.weight").put("A_eigenvalues", Tensor.zeros(DType.FLOAT64, 9));
            return s;
        }).startsWith("parameter '2.weight' holds both factored"));
        assertEquals("kfac keeps no state 'exp_avg' for parameter '0.bias'; valid: momentum_buffer", refusal(s -> {
            s.get("0.bias").put("exp_avg", Tensor.zeros(DType.FLOAT64, 8));
            return s;
        }));
        assertEquals("state dict has state for unknown parameter '9.weight'", refusal(s -> {
            s.put("9.weight", Map.of("momentum_buffer", Tensor.zeros(DType.FLOAT64, 1)));
            return s;
        }));
    }

    @Test
    void kfacRefusesAnotherOptimizersStateDict() {
        List<Object[]> batches = batches(DType.FLOAT32);
        Run kfac = Run.of("kfac", DType.FLOAT32, 1, batches);
        StateDict adam = Optimizers.create("adam", kfac.model.parameters()).stateDict();
        assertEquals("state dict is for Adam, not KFAC",
                assertThrows(UsageException.class, () -> kfac.opt.loadStateDict(adam)).getMessage());
    }

    @Test
    void naturalGradientRefusesStateThatDoesNotFit() {
        List<Object[]> batches = batches(DType.FLOAT32);
        Run run = Run.of("natural:fisher=mc", DType.FLOAT32, 1, batches);
        StateDict sd = run.opt.stateDict();
        assertEquals(6, ((long[]) sd.state().get("0.weight").get("generator")).length);
        StateDict shortGenerator = new StateDict(sd.optimizer(), sd.groups(),
                Map.of("0.weight", Map.of("generator", new long[5])));
        assertEquals("state 'generator' of parameter '0.weight' is long[5], expected a generator state of 6 longs",
                assertThrows(UsageException.class, () -> run.opt.loadStateDict(shortGenerator)).getMessage());
        StateDict extra = new StateDict(sd.optimizer(), sd.groups(), Map.of("0.weight",
                Map.of("generator", new long[6], "momentum_buffer", Tensor.zeros(DType.FLOAT64, 8, 6))));
        assertTrue(assertThrows(UsageException.class, () -> run.opt.loadStateDict(extra)).getMessage()
                .startsWith("natural gradient keeps no state 'momentum_buffer' for parameter '0.weight'"));
    }

    private static long[] bits(Tensor t) {
        double[] d = t.toDoubleArray();
        long[] out = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = Double.doubleToRawLongBits(d[i]);
        }
        return out;
    }

    /** Same options, same state keys and, bit for bit, the same values. */
    static void assertSameState(StateDict expected, StateDict actual, String what) {
        assertEquals(expected.optimizer(), actual.optimizer(), what);
        assertEquals(expected.groups(), actual.groups(), what);
        assertEquals(expected.state().keySet(), actual.state().keySet(), what);
        expected.state().forEach((param, st) -> {
            Map<String, Object> other = actual.state().get(param);
            assertEquals(st.keySet(), other.keySet(), what + ": " + param);
            st.forEach((key, v) -> {
                Object w = other.get(key);
                String where = what + ": " + param + "." + key;
                switch (v) {
                    case Tensor t -> {
                        assertArrayEquals(t.shape(), ((Tensor) w).shape(), where);
                        assertEquals(t.dtype(), ((Tensor) w).dtype(), where);
                        assertArrayEquals(bits(t), bits((Tensor) w), where);
                    }
                    case double[] a -> assertTrue(Arrays.equals(a, (double[]) w), where);
                    case long[] a -> assertArrayEquals(a, (long[]) w, where);
                    default -> assertEquals(v, w, where);
                }
            });
        });
    }
}
