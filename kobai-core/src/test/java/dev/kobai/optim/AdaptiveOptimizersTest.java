package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.kobai.UsageException;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Models;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Adagrad, Adadelta, RMSprop, ASGD and Rprop against PyTorch 1.13 (fixture written by
 * tools/golden_adaptive.py), plus state-dict round trips and float32 runs.
 */
class AdaptiveOptimizersTest {
    private static final JsonObject FIXTURE = Golden.load("/golden/adaptive.json");
    private static final Tensor X = Tensor.randn(new Rng(11), DType.FLOAT64, 8, 4);
    private static final int[] Y = {0, 1, 2, 1, 0, 2, 2, 1};

    /** The fixture restricted to one optimizer's cases. */
    private static JsonObject casesOf(String name) {
        JsonObject only = new JsonObject();
        only.add("mlp", FIXTURE.get("mlp"));
        JsonArray cases = new JsonArray();
        for (JsonElement c : FIXTURE.getAsJsonArray("cases")) {
            if (c.getAsJsonObject().get("optimizer").getAsString().equals(name)) {
                cases.add(c);
            }
        }
        only.add("cases", cases);
        return only;
    }

    // ---------------------------------------------------------------- golden trajectories

    @ParameterizedTest
    @CsvSource({"adagrad, 11", "adadelta, 11", "rmsprop, 12", "asgd, 12", "rprop, 9"})
    void matchesPyTorchOnTheNetwork(String name, int cases) {
        assertEquals(cases, Golden.checkMlpCases(casesOf(name)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"adagrad", "adadelta", "rmsprop", "asgd", "rprop"})
    void matchesPyTorchOnRosenbrockBealeAndSaddle(String name) {
        assertEquals(3, Golden.checkSurfaceCases(casesOf(name), Golden::surface));
    }

    @Test
    void fixtureHoldsEveryCase() {
        assertEquals(55, Golden.checkMlpCases(FIXTURE));
        assertEquals(15, Golden.checkSurfaceCases(FIXTURE, Golden::surface));
    }

    @Test
    void asgdAverageMatchesPyTorch() {
        int checked = 0;
        for (JsonElement c : FIXTURE.getAsJsonArray("cases")) {
            JsonObject kase = c.getAsJsonObject();
            if (!kase.has("ax")) {
                continue;
            }
            List<Parameter> params = Golden.mlpParams(FIXTURE);
            Optimizer opt = Golden.optimizer(kase, params);
            for (int s = 0; s < kase.getAsJsonArray("steps").size(); s++) {
                opt.step(() -> {
                    opt.zeroGrad();
                    Tensor l = Golden.mlpLoss(FIXTURE, params);
                    l.backward();
                    return l.item();
                });
            }
            double[] expected = Golden.doubles(kase.getAsJsonArray("ax"));
            // ax averages the iterates, so its rounding error scales with them, not with the average
            // (which may cancel to nearly 0): compare relative to the largest iterate of that element.
            double[] scale = new double[expected.length];
            for (JsonElement step : kase.getAsJsonArray("steps")) {
                double[] at = Golden.doubles(step.getAsJsonArray());
                for (int i = 0; i < scale.length; i++) {
                    scale[i] = Math.max(scale[i], Math.abs(at[i]));
                }
            }
            int k = 0;
            for (Parameter p : params) {
                Tensor ax = (Tensor) opt.state().get(p).get("ax");
                for (int i = 0; i < ax.numel(); i++, k++) {
                    double e = expected[k];
                    if (!(Math.abs(ax.getFlat(i) - e) <= Golden.RTOL * Math.max(1e-8, Math.max(Math.abs(e), scale[k])))) {
                        fail("ax element " + k + " of " + kase.get("options") + ": expected " + e + ", got "
                                + ax.getFlat(i));
                    }
                }
            }
            assertEquals(expected.length, k);
            checked++;
        }
        assertEquals(12, checked);
    }

    // ---------------------------------------------------------------- arguments

    @Test
    void defaultsAreTorchs() {
        JsonObject all = FIXTURE.getAsJsonObject("defaults");
        assertEquals(Set.of("adagrad", "adadelta", "rmsprop", "asgd", "rprop"), all.keySet());
        for (String name : all.keySet()) {
            Map<String, Object> torch = Golden.options(all.getAsJsonObject(name));
            Map<String, Object> mine = Optimizers.defaults(name);
            Set<String> extra = new HashSet<>(mine.keySet());
            extra.removeAll(torch.keySet());
            extra.removeAll(Set.of(Optimizer.DECOUPLED, Optimizer.NO_DECAY));
            assertEquals(Set.of(), extra, name + " options torch does not have");
            torch.forEach((key, value) -> {
                Object got = mine.get(key);
                if (value instanceof double[] pair) {
                    assertArrayEquals(pair, (double[]) got, 0.0, name + " " + key);
                } else if (value instanceof Number n) {
                    assertEquals(n.doubleValue(), ((Number) got).doubleValue(), 0.0, name + " " + key);
                } else {
                    assertEquals(value, got, name + " " + key);
                }
            });
        }
    }

    private static List<Parameter> someParams() {
        return List.of(new Parameter(Tensor.zeros(DType.FLOAT64, 2)));
    }

    @Test
    void invalidArgumentsGiveTorchsMessages() {
        JsonArray invalid = FIXTURE.getAsJsonArray("invalid");
        assertTrue(invalid.size() >= 20);
        for (JsonElement e : invalid) {
            JsonObject c = e.getAsJsonObject();
            String name = c.get("optimizer").getAsString();
            Map<String, Object> options = Golden.options(c.getAsJsonObject("options"));
            UsageException ex = assertThrows(UsageException.class,
                    () -> Optimizers.createWithGroups(name, List.of(new ParamGroup(someParams(), options))),
                    name + " " + options);
            assertEquals(c.get("message").getAsString(), ex.getMessage());
        }
        // The same messages through a command-line spec and through add_param_group.
        assertEquals("Invalid rho value: 1.5",
                assertThrows(UsageException.class, () -> Optimizers.create("adadelta:rho=1.5", someParams())).getMessage());
        Optimizer rprop = new Rprop(someParams());
        assertEquals("Invalid eta values: 0.5, 0.9", assertThrows(UsageException.class,
                () -> rprop.addParamGroup(new ParamGroup(someParams(), Map.of("etas", new double[] {0.5, 0.9}))))
                .getMessage());
    }

    @Test
    void oddArgumentsTorchAcceptsAreAccepted() {
        for (JsonElement e : FIXTURE.getAsJsonArray("accepted")) {
            JsonObject c = e.getAsJsonObject();
            String name = c.get("optimizer").getAsString();
            Map<String, Object> options = Golden.options(c.getAsJsonObject("options"));
            Optimizer opt = Optimizers.createWithGroups(name, List.of(new ParamGroup(someParams(), options)));
            options.forEach((k, v) -> assertEquals(v instanceof double[] a ? a[0] : v,
                    opt.paramGroups().get(0).get(k) instanceof double[] a ? a[0] : opt.paramGroups().get(0).get(k)));
        }
    }

    @Test
    void adagradCreatesItsStateAtConstructionLikeTorch() {
        List<Parameter> ps = List.of(new Parameter(Tensor.zeros(DType.FLOAT64, 2, 3)),
                new Parameter(Tensor.zeros(DType.FLOAT32, 4)));
        Adagrad opt = new Adagrad(ps, Map.of("initial_accumulator_value", 0.25));
        StateDict dict = opt.stateDict();
        assertEquals(2, dict.state().size());
        for (Parameter p : ps) {
            Tensor sum = (Tensor) opt.state().get(p).get("sum");
            assertEquals(p.dtype(), sum.dtype());
            assertArrayEquals(p.shape(), sum.shape());
            for (int i = 0; i < sum.numel(); i++) {
                assertEquals(0.25, sum.getFlat(i), 0.0);
            }
            assertEquals(0.0, ((Number) opt.state().get(p).get("step")).doubleValue());
        }
        // A parameter without a gradient keeps its state untouched by a step.
        ps.get(0).setGrad(Tensor.ones(DType.FLOAT64, 2, 3));
        opt.step();
        assertEquals(1.0, ((Number) opt.state().get(ps.get(0)).get("step")).doubleValue());
        assertEquals(0.0, ((Number) opt.state().get(ps.get(1)).get("step")).doubleValue());
        assertEquals(1.25, ((Tensor) opt.state().get(ps.get(0)).get("sum")).getFlat(0), 0.0);
    }

    @Test
    void adagradFillsEachGroupsAccumulatorFromThatGroupsValue() {
        // torch 1.13 fills every group from the constructor's initial_accumulator_value and ignores a
        // group's own; Kobai honours the group's value, as it does for every other option.
        Parameter a = new Parameter(Tensor.zeros(DType.FLOAT64, 3));
        Parameter b = new Parameter(Tensor.zeros(DType.FLOAT64, 3));
        Adagrad opt = Adagrad.withGroups(List.of(new ParamGroup(List.of(a), Map.of("initial_accumulator_value", 0.5)),
                new ParamGroup(List.of(b), Map.of())));
        assertEquals(0.5, ((Tensor) opt.state().get(a).get("sum")).getFlat(1), 0.0);
        assertEquals(0.0, ((Tensor) opt.state().get(b).get("sum")).getFlat(1), 0.0);
        Parameter c = new Parameter(Tensor.zeros(DType.FLOAT64, 3));
        opt.addParamGroup(new ParamGroup(List.of(c), Map.of("initial_accumulator_value", 2.0)));
        c.setGrad(Tensor.ones(DType.FLOAT64, 3));
        opt.step(); // a group added later gets its state on its first step
        assertEquals(3.0, ((Tensor) opt.state().get(c).get("sum")).getFlat(0), 0.0);
    }

    // ---------------------------------------------------------------- state dict

    private static Sequential model(DType dtype) {
        return Models.fromSpec("mlp:4-6-3", new Rng(5), dtype);
    }

    private static void train(Sequential m, Optimizer opt, Tensor x, int steps) {
        for (int i = 0; i < steps; i++) {
            opt.step(() -> {
                opt.zeroGrad();
                Tensor l = Losses.crossEntropy(m.forward(x), Y);
                l.backward();
                return l.item();
            });
        }
    }

    private static double[] flat(Sequential m) {
        return m.parameters().stream().flatMapToDouble(p -> java.util.Arrays.stream(p.toDoubleArray())).toArray();
    }

    private static final String[] SPECS = {
        "adagrad:lr=0.1,lr_decay=0.1,initial_accumulator_value=0.1,weight_decay=0.01",
        "adadelta:rho=0.8,weight_decay=0.01",
        "rmsprop:momentum=0.9,centered=true,weight_decay=0.01",
        "asgd:lr=0.1,lambd=0.01,t0=2",
        "rprop:lr=0.05",
    };

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4})
    void stateDictRoundTripContinuesBitForBit(int which) {
        String spec = SPECS[which];
        int k = 4;
        int m = 5;
        Sequential straight = model(DType.FLOAT64);
        Optimizer a = Optimizers.create(spec, straight.parameters());
        train(straight, a, X, k + m);

        Sequential first = model(DType.FLOAT64);
        Optimizer b = Optimizers.create(spec, first.parameters());
        train(first, b, X, k);
        StateDict saved = b.stateDict();
        double[] atSave = flat(first);
        train(first, b, X, 2); // must not leak into the saved copy

        Sequential resumed = model(DType.FLOAT64);
        Sequential unrestored = model(DType.FLOAT64);
        int off = 0;
        for (int i = 0; i < resumed.parameters().size(); i++) {
            Parameter p = resumed.parameters().get(i);
            Parameter q = unrestored.parameters().get(i);
            for (int j = 0; j < p.numel(); j++) {
                p.setFlat(j, atSave[off + j]);
                q.setFlat(j, atSave[off + j]);
            }
            off += p.numel();
        }
        Optimizer c = Optimizers.create(spec, resumed.parameters());
        c.loadStateDict(saved);
        train(resumed, c, X, m);
        assertArrayEquals(flat(straight), flat(resumed), 0.0, spec);
        for (int i = 0; i < resumed.parameters().size(); i++) {
            Map<String, Object> expected = a.state().get(straight.parameters().get(i));
            Map<String, Object> got = c.state().get(resumed.parameters().get(i));
            assertEquals(expected.keySet(), got.keySet());
            expected.forEach((key, v) -> {
                if (v instanceof Tensor t) {
                    assertArrayEquals(t.toDoubleArray(), ((Tensor) got.get(key)).toDoubleArray(), 0.0, spec + " " + key);
                } else {
                    assertEquals(v, got.get(key), spec + " " + key);
                }
            });
        }
        // Without the state the run goes elsewhere, so the comparison above tests the state.
        Optimizer fresh = Optimizers.create(spec, unrestored.parameters());
        train(unrestored, fresh, X, m);
        assertFalse(java.util.Arrays.equals(flat(straight), flat(unrestored)), spec + " state made no difference");
    }

    // ---------------------------------------------------------------- float32

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4})
    void float32TracksFloat64(int which) {
        String spec = SPECS[which];
        Sequential m64 = model(DType.FLOAT64);
        Sequential m32 = model(DType.FLOAT32);
        List<Parameter> p64 = m64.parameters();
        List<Parameter> p32 = m32.parameters();
        for (int i = 0; i < p64.size(); i++) {
            for (int j = 0; j < p64.get(i).numel(); j++) {
                p32.get(i).setFlat(j, p64.get(i).getFlat(j));
            }
        }
        double[] start = flat(m64);
        Optimizer o64 = Optimizers.create(spec, p64);
        Optimizer o32 = Optimizers.create(spec, p32);
        int steps = 15;
        train(m64, o64, X, steps);
        train(m32, o32, X.to(DType.FLOAT32), steps);
        double[] a = flat(m64);
        double[] b = flat(m32);
        double moved = 0;
        for (int i = 0; i < a.length; i++) {
            moved = Math.max(moved, Math.abs(a[i] - start[i]));
            assertEquals(a[i], b[i], 1e-4 * (1 + Math.abs(a[i])), spec + " element " + i);
        }
        assertTrue(moved > 1e-2, spec + " barely moved: " + moved);
        for (Parameter p : p32) {
            for (Object v : o32.state().get(p).values()) {
                if (v instanceof Tensor t) {
                    assertEquals(DType.FLOAT32, t.dtype());
                    assertArrayEquals(p.shape(), t.shape());
                } else {
                    assertInstanceOf(Number.class, v);
                }
            }
        }
        List<String> names = new ArrayList<>(o64.state().values().iterator().next().keySet());
        assertEquals(names, new ArrayList<>(o32.state().values().iterator().next().keySet()));
    }
}
