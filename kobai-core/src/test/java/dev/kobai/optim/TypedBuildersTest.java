package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.LossKind;
import dev.kobai.nn.Models;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The typed builders against the spec parser and torch: one case per optimizer. Defaults are
 * compared with torch 1.13's (written out here from its documentation, not read from Kobai's
 * tables), every option of the table must have a setter named after it that sets exactly that
 * option (and the same value as the spec's key), and bad values give the spec's messages.
 */
class TypedBuildersTest {
    private static final Tensor X = Tensor.randn(new Rng(11), DType.FLOAT64, 8, 4);
    private static final Tensor TARGET = Tensor.randn(new Rng(12), DType.FLOAT64, 8, 3);

    /**
     * One optimizer: its registry name, a new builder, torch's defaults (null: none, the option is
     * Kobai's own), the settings a spec needs, and whether it is built on a curvature problem.
     */
    record Case(String name, Supplier<OptimizerBuilder<?, ?>> builder, Map<String, Object> torch, String required,
                boolean onProblem) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Map<String, Object> torch(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static final double[] BETAS = {0.9, 0.999};

    static Stream<Case> cases() {
        return Stream.of(
                new Case("sgd", SGD::builder, torch("lr", null, "momentum", 0.0, "dampening", 0.0, "weight_decay", 0.0,
                        "nesterov", false, "maximize", false), "lr=0.1", false),
                new Case("adagrad", Adagrad::builder, torch("lr", 1e-2, "lr_decay", 0.0, "weight_decay", 0.0,
                        "initial_accumulator_value", 0.0, "eps", 1e-10, "maximize", false), null, false),
                new Case("adadelta", Adadelta::builder, torch("lr", 1.0, "rho", 0.9, "eps", 1e-6, "weight_decay", 0.0,
                        "maximize", false), null, false),
                new Case("rmsprop", RMSprop::builder, torch("lr", 1e-2, "alpha", 0.99, "eps", 1e-8, "weight_decay", 0.0,
                        "momentum", 0.0, "centered", false, "maximize", false), null, false),
                new Case("adam", Adam::builder, torch("lr", 1e-3, "betas", BETAS, "eps", 1e-8, "weight_decay", 0.0,
                        "amsgrad", false, "maximize", false), null, false),
                new Case("adamw", AdamW::builder, torch("lr", 1e-3, "betas", BETAS, "eps", 1e-8, "weight_decay", 1e-2,
                        "amsgrad", false, "maximize", false), null, false),
                new Case("adamax", Adamax::builder, torch("lr", 2e-3, "betas", BETAS, "eps", 1e-8, "weight_decay", 0.0,
                        "maximize", false), null, false),
                new Case("nadam", NAdam::builder, torch("lr", 2e-3, "betas", BETAS, "eps", 1e-8, "weight_decay", 0.0,
                        "momentum_decay", 4e-3), null, false),
                new Case("radam", RAdam::builder, torch("lr", 1e-3, "betas", BETAS, "eps", 1e-8, "weight_decay", 0.0),
                        null, false),
                new Case("asgd", ASGD::builder, torch("lr", 1e-2, "lambd", 1e-4, "alpha", 0.75, "t0", 1e6,
                        "weight_decay", 0.0, "maximize", false), null, false),
                new Case("rprop", Rprop::builder, torch("lr", 1e-2, "etas", new double[] {0.5, 1.2}, "step_sizes",
                        new double[] {1e-6, 50}, "maximize", false), null, false),
                new Case("lbfgs", LBFGS::builder, torch("lr", 1.0, "max_iter", 20, "max_eval", 25, "tolerance_grad", 1e-7,
                        "tolerance_change", 1e-9, "history_size", 100, "line_search_fn", "none"), null, false),
                // not torch.optim: their documented defaults
                new Case("newton", Newton::builder, torch("lr", 1.0, "damping", 1e-8, "curvature", "hessian",
                        "indefinite", "none", "line_search", false, "adapt_damping", false, "max_params", 2000), null, true),
                new Case("hessian-free", HessianFree::builder, torch("lr", 1.0, "damping", 1.0, "adapt_damping", true,
                        "cg_max_iters", 250, "cg_epsilon", 5e-4, "warm_start", 0.95, "backtrack", true, "line_search",
                        true), null, true),
                new Case("natural", NaturalGradient::builder, torch("lr", 1.0, "damping", 1e-3, "fisher", "true",
                        "mc_samples", 1, "solver", "auto", "max_dense", 2000, "cg_iters", 100, "cg_tol", 1e-10, "seed",
                        0), null, true),
                new Case("kfac", KFAC::builder, torch("lr", 0.1, "damping", 1e-3, "damping_mode", "factored",
                        "factor_decay", 0.95, "factor_update_period", 10, "inv_update_period", 100, "momentum", 0.0,
                        "kl_clip", 1e-3, "fisher", "mc", "seed", 0), null, true));
    }

    private static Sequential model() {
        return Models.fromSpec("mlp:4-6-3", new Rng(5), DType.FLOAT64);
    }

    private static CurvatureProblem problem(Sequential m) {
        return CurvatureProblem.of(m, LossKind.MSE, X, TARGET);
    }

    /** Builds with the builder over a fresh model, on a curvature problem where the case needs one. */
    private static Optimizer build(Case c, OptimizerBuilder<?, ?> b) {
        Sequential m = model();
        if (!c.onProblem()) {
            return b.build(m.parameters());
        }
        try {
            return (Optimizer) b.getClass().getMethod("build", CurvatureProblem.class).invoke(b, problem(m));
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new AssertionError(e);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** The spec {@code name:settings} over a fresh model, as the command line builds it. */
    private static Optimizer fromSpec(Case c, String settings) {
        String spec = c.name() + (settings == null || settings.isEmpty() ? "" : ":" + settings);
        Sequential m = model();
        return c.onProblem() ? Optimizers.create(spec, problem(m)) : Optimizers.create(spec, m.parameters());
    }

    private static OptimizerBuilder<?, ?> withRequired(Case c) {
        OptimizerBuilder<?, ?> b = c.builder().get();
        if (c.required() != null) {
            set(b, b.optionTable().find("lr"), 0.1);
        }
        return b;
    }

    /** A spec's settings: the case's required ones, then {@code keys} (which may replace them). */
    private static String settings(Case c, Map<String, String> keys) {
        Map<String, String> all = new LinkedHashMap<>();
        if (c.required() != null) {
            String[] kv = c.required().split("=");
            all.put(kv[0], kv[1]);
        }
        all.putAll(keys);
        StringBuilder sb = new StringBuilder();
        all.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ",").append(k).append('=').append(v));
        return sb.toString();
    }

    private static Map<String, Object> options(Optimizer o) {
        assertEquals(1, o.paramGroups().size());
        return o.paramGroups().getFirst().options();
    }

    private static void assertSameOptions(Map<String, Object> expected, Map<String, Object> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet(), what);
        expected.forEach((k, v) -> assertTrue(sameValue(v, actual.get(k)), what + ": " + k + " is "
                + Option.format(actual.get(k)) + ", expected " + Option.format(v)));
    }

    private static boolean sameValue(Object a, Object b) {
        if (a instanceof double[] x && b instanceof double[] y) {
            return Arrays.equals(x, y);
        }
        return java.util.Objects.equals(a, b);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void defaultsAreTorchsAndTheSpecParsersAndTheNamesAreTorchs(Case c) {
        OptionTable table = c.builder().get().optionTable();
        Map<String, Object> defaults = table.defaults();
        Set<String> expectedNames = new TreeSet<>(c.torch().keySet());
        if (defaults.containsKey("weight_decay")) {
            expectedNames.addAll(List.of(Optimizer.DECOUPLED, Optimizer.NO_DECAY));
        }
        assertEquals(expectedNames, new TreeSet<>(defaults.keySet()), "the options are torch's and Kobai's two");
        c.torch().forEach((k, v) -> assertTrue(sameValue(v, defaults.get(k)), c + " " + k + ": "
                + Option.format(defaults.get(k)) + ", torch " + Option.format(v)));
        assertSameOptions(Optimizers.defaults(c.name()), defaults, "registry and builder tables");
        // what each builds when nothing is set: the same group, option by option
        assertSameOptions(options(fromSpec(c, c.required())), options(build(c, withRequired(c))),
                c + ": builder against spec");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachSetterSetsTheOptionItIsNamedAfterAndNothingElse(Case c) {
        OptionTable table = c.builder().get().optionTable();
        Map<String, Object> plain = options(build(c, withRequired(c)));
        for (Option<?> o : table.options()) {
            Object value = nonDefault(c, o);
            OptimizerBuilder<?, ?> b = withRequired(c);
            Set<String> alsoChanged = new TreeSet<>(Set.of(o.name()));
            if (c.name().equals("sgd") && o.name().equals("nesterov")) {
                set(b, table.find("momentum"), 0.5); // nesterov needs momentum
                alsoChanged.add("momentum");
            }
            if (c.name().equals("lbfgs") && o.name().equals("max_iter")) {
                alsoChanged.add("max_eval"); // torch's max_eval follows max_iter
            }
            if (c.name().equals("adamw") && o.name().equals(Optimizer.DECOUPLED)) {
                set(b, o, false);
                assertEquals("AdamW always decouples weight decay; use adam for weight decay added to the gradient",
                        assertThrows(UsageException.class, () -> build(c, b)).getMessage());
                continue;
            }
            set(b, o, value);
            assertTrue(sameValue(value, b.settings().get(o.name())), c + ": setter of " + o.name());
            Map<String, Object> got = options(build(c, b));
            assertTrue(sameValue(value, got.get(o.name())), c + ": " + o.name() + " is " + Option.format(got.get(
                    o.name())) + " after its setter, expected " + Option.format(value));
            plain.forEach((k, v) -> {
                if (!alsoChanged.contains(k)) {
                    assertTrue(sameValue(v, got.get(k)), c + ": setting " + o.name() + " changed " + k);
                }
            });
            // the spec's key of the same name gives the same group
            Map<String, String> keys = new LinkedHashMap<>();
            if (alsoChanged.contains("momentum")) {
                keys.put("momentum", "0.5");
            }
            keys.put(o.name(), Option.format(value));
            String settings = settings(c, keys);
            assertSameOptions(options(fromSpec(c, settings)), got, c + ": spec " + settings);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyPublicSetterOfTheBuilderNamesAnOptionOfTheTable(Case c) {
        OptimizerBuilder<?, ?> b = c.builder().get();
        Set<String> setters = Setters.of(b, OptimizerBuilder.class, Set.of("set", "group"));
        Set<String> options = new TreeSet<>();
        for (Option<?> o : b.optionTable().options()) {
            options.add(Setters.camel(o.name()));
        }
        assertEquals(options, setters, c + ": one setter per option, named after it");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badValuesGiveTheSpecsMessageThroughTheBuilder(Case c) {
        int checked = 0;
        for (Option<?> o : c.builder().get().optionTable().options()) {
            Object bad = invalid(o);
            if (bad == null) {
                continue;
            }
            OptimizerBuilder<?, ?> b = withRequired(c);
            set(b, o, bad);
            String viaBuilder = assertThrows(UsageException.class, () -> build(c, b), c + " " + o.name()).getMessage();
            String settings = settings(c, Map.of(o.name(), Option.format(bad)));
            String viaSpec = assertThrows(UsageException.class, () -> fromSpec(c, settings)).getMessage();
            assertEquals(viaSpec, viaBuilder, c + " " + o.name());
            checked++;
        }
        assertTrue(checked > 0, c + " has checked options");
    }

    @Test
    void badValuesGiveTorchsMessages() {
        List<Parameter> ps = model().parameters();
        assertEquals("Invalid learning rate: -1.0",
                assertThrows(UsageException.class, () -> Adam.builder().lr(-1).build(ps)).getMessage());
        assertEquals("Invalid beta parameter at index 1: 1.0",
                assertThrows(UsageException.class, () -> Adam.builder().betas(0.9, 1).build(ps)).getMessage());
        assertEquals("Invalid epsilon value: -1.0E-8",
                assertThrows(UsageException.class, () -> AdamW.builder().eps(-1e-8).build(ps)).getMessage());
        assertEquals("Invalid rho value: 1.5",
                assertThrows(UsageException.class, () -> Adadelta.builder().rho(1.5).build(ps)).getMessage());
        assertEquals("Invalid eta values: 1.5, 1.2",
                assertThrows(UsageException.class, () -> Rprop.builder().etas(1.5, 1.2).build(ps)).getMessage());
        assertEquals("Nesterov momentum requires a momentum and zero dampening",
                assertThrows(UsageException.class, () -> SGD.builder().lr(0.1).nesterov(true).build(ps)).getMessage());
        assertEquals("parameter group didn't specify a value of required optimization parameter lr",
                assertThrows(UsageException.class, () -> SGD.builder().build(ps)).getMessage());
        assertEquals("Invalid max_iter value: 0 (a whole number >= 1)",
                assertThrows(UsageException.class, () -> LBFGS.builder().maxIter(0).build(ps)).getMessage());
        assertEquals("optimizer got an empty parameter list",
                assertThrows(UsageException.class, () -> Adam.builder().build(List.of())).getMessage());
        // torch checks eps before betas, though betas comes first in its arguments
        assertEquals("Invalid epsilon value: -1.0",
                assertThrows(UsageException.class, () -> Adam.builder().betas(2, 2).eps(-1).build(ps)).getMessage());
        Sequential m = model();
        assertEquals("option damping: -1.0 must be positive",
                assertThrows(UsageException.class, () -> KFAC.builder().damping(-1).build(problem(m))).getMessage());
    }

    @Test
    void groupsTakeTheBuildersSettingsUnderTheirOwnAsTorchsDictsDo() {
        Sequential m = model();
        List<Parameter> ps = m.parameters();
        List<Parameter> weights = List.of(ps.get(0), ps.get(2));
        List<Parameter> biases = List.of(ps.get(1), ps.get(3));
        Adam adam = Adam.builder().lr(1e-2).betas(0.8, 0.99).weightDecay(1e-3)
                .group(biases, g -> g.lr(1e-3).weightDecay(0))
                .build(weights);
        assertEquals(2, adam.paramGroups().size());
        ParamGroup w = adam.paramGroups().get(0);
        ParamGroup b = adam.paramGroups().get(1);
        assertEquals(weights, w.params());
        assertEquals(biases, b.params());
        assertEquals(1e-2, w.get(Adam.LR));
        assertEquals(1e-3, w.get(Adam.WEIGHT_DECAY));
        assertEquals(1e-3, b.get(Adam.LR));
        assertEquals(0.0, b.get(Adam.WEIGHT_DECAY));
        assertArrayEquals(new double[] {0.8, 0.99}, b.get(Adam.BETAS), "betas from the builder");
        assertEquals(1e-8, b.get(Adam.EPS), "eps from the defaults");
        // a group added later is filled from the builder's settings, as torch's from its constructor's
        Sequential other = model();
        adam.addParamGroup(new ParamGroup(other.parameters()));
        assertEquals(1e-2, adam.paramGroups().get(2).get(Adam.LR));
        assertArrayEquals(new double[] {0.8, 0.99}, adam.paramGroups().get(2).get(Adam.BETAS));
        // groups alone, and the errors of groups
        SGD sgd = SGD.builder().lr(0.1).momentum(0.9).group(weights).group(biases, g -> g.lr(0.01)).build();
        assertEquals(List.of(0.1, 0.01), sgd.paramGroups().stream().map(g -> g.get(SGD.LR)).toList());
        assertEquals(List.of(0.9, 0.9), sgd.paramGroups().stream().map(g -> g.get(SGD.MOMENTUM)).toList());
        assertTrue(assertThrows(UsageException.class, () -> Adam.builder().group(weights).build(ps)).getMessage()
                .startsWith("some parameters appear in more than one parameter group"));
        assertThrows(IllegalStateException.class, () -> Adam.builder().group(biases, g -> g.build(weights)));
        assertEquals("LBFGS doesn't support per-parameter options (parameter groups)", assertThrows(
                UsageException.class, () -> LBFGS.builder().group(biases).build(weights)).getMessage());
        assertEquals("kfac works on all parameters at once and takes a single parameter group, got 2", assertThrows(
                UsageException.class, () -> KFAC.builder().group(biases).build(problem(m))).getMessage());
    }

    @Test
    void theTypedKeysAreTheOnesTheBuilderSets() {
        List<Parameter> ps = model().parameters();
        Adam a = Adam.builder().set(Adam.LR, 3e-4).set(Adam.AMSGRAD, true).build(ps);
        assertEquals(3e-4, a.paramGroups().getFirst().get(Adam.LR));
        assertTrue(a.paramGroups().getFirst().get(Adam.AMSGRAD));
        // the shared key works for every optimizer that has the option; a foreign one is refused
        SGD s = SGD.builder().lr(0.1).set(Optimizer.DECOUPLED_WEIGHT_DECAY, true).build(ps);
        assertTrue(s.paramGroups().getFirst().get(Optimizer.DECOUPLED_WEIGHT_DECAY));
        assertThrows(IllegalArgumentException.class, () -> SGD.builder().set(Adam.AMSGRAD, true));
        assertThrows(IllegalArgumentException.class, () -> Rprop.builder().set(Optimizer.DECOUPLED_WEIGHT_DECAY, true));
        // a ParamGroup read and written through the keys
        ParamGroup g = a.paramGroups().getFirst();
        g.set(Adam.BETAS, new double[] {0.5, 0.6});
        assertArrayEquals(new double[] {0.5, 0.6}, g.get(Adam.BETAS));
        assertThrows(UsageException.class, () -> g.set(Adam.BETAS, new double[] {0.5}));
    }

    @Test
    void mapValuesOfTheWrongTypeAreUsageErrorsNamingTheOption() {
        List<Parameter> ps = model().parameters();
        assertEquals("SGD option nesterov: expected a boolean, got String 'true'", assertThrows(UsageException.class,
                () -> new SGD(ps, Map.of("lr", 0.1, "nesterov", "true"))).getMessage());
        assertEquals("Adam option betas: expected a pair of numbers (double[2]), got double[1] [0.9]", assertThrows(
                UsageException.class, () -> new Adam(ps, Map.of("betas", new double[] {0.9}))).getMessage());
        // an Integer where a number is expected is a number, stored as a Double
        SGD sgd = new SGD(ps, Map.of("lr", 1, "weight_decay", 0));
        assertEquals(1.0, sgd.paramGroups().getFirst().options().get("lr"));
        assertEquals(0.0, sgd.paramGroups().getFirst().options().get("weight_decay"));
    }

    @Test
    void stateIsReadTypedWithoutCasts() {
        Sequential m = model();
        List<Parameter> ps = m.parameters();
        Parameter p = ps.getFirst();
        Adam adam = Adam.builder().lr(0.01).amsgrad(true).build(ps);
        assertEquals(0, adam.state(p).step());
        assertNull(adam.state(p).expAvg(), "no state before the first step");
        step(m, adam);
        step(m, adam);
        Adam.State st = adam.state(p);
        assertEquals(2, st.step());
        assertSame(adam.state().get(p).get("exp_avg"), st.expAvg(), "the live buffer");
        assertSame(adam.state().get(p).get("exp_avg_sq"), st.expAvgSq());
        assertNotNull(st.maxExpAvgSq());
        assertNull(Adam.builder().build(ps).state(p).maxExpAvgSq());
        AdamW adamw = AdamW.builder().build(ps);
        step(m, adamw);
        assertEquals(1, adamw.state(p).step());

        SGD sgd = SGD.builder().lr(0.1).momentum(0.9).build(ps);
        assertNull(sgd.state(p).momentumBuffer());
        step(m, sgd);
        assertSame(sgd.state().get(p).get("momentum_buffer"), sgd.state(p).momentumBuffer());

        Adagrad adagrad = Adagrad.builder().initialAccumulatorValue(0.5).build(ps);
        assertEquals(0.5, adagrad.state(p).sum().getFlat(0), "created with the optimizer, as torch's");
        RMSprop rms = RMSprop.builder().centered(true).build(ps);
        step(m, rms);
        assertNotNull(rms.state(p).gradAvg());
        assertNull(rms.state(p).momentumBuffer());
        ASGD asgd = ASGD.builder().build(ps);
        assertTrue(Double.isNaN(asgd.state(p).eta()));
        step(m, asgd);
        assertEquals(0.01 / Math.pow(1 + 1e-4 * 0.01, 0.75), asgd.state(p).eta());
        NAdam nadam = NAdam.builder().build(ps);
        step(m, nadam);
        assertEquals(adamState(nadam, p, "mu_product"), nadam.state(p).muProduct());
        Rprop rprop = Rprop.builder().build(ps);
        step(m, rprop);
        assertNotNull(rprop.state(p).stepSize());
        Adadelta adadelta = Adadelta.builder().build(ps);
        step(m, adadelta);
        assertEquals(1, adadelta.state(p).step());
        Adamax adamax = Adamax.builder().build(ps);
        step(m, adamax);
        assertNotNull(adamax.state(p).expInf());
        RAdam radam = RAdam.builder().build(ps);
        step(m, radam);
        assertNotNull(radam.state(p).expAvgSq());

        Parameter foreign = model().parameters().getFirst();
        assertThrows(IllegalArgumentException.class, () -> adam.state(foreign));
    }

    private static double adamState(Optimizer o, Parameter p, String key) {
        return ((Number) o.state().get(p).get(key)).doubleValue();
    }

    private static void step(Sequential m, Optimizer o) {
        o.zeroGrad();
        dev.kobai.nn.Losses.mse(m.forward(X), TARGET).backward();
        o.step();
    }

    // ------------------------------------------------------------ helpers

    private static void set(OptimizerBuilder<?, ?> b, Option<?> o, Object value) {
        Setters.call(b, o, value);
    }

    /** A valid value other than the default. */
    private static Object nonDefault(Case c, Option<?> o) {
        Map<String, Object> special = Map.of("curvature", "gauss-newton", "indefinite", "shift", "line_search_fn",
                "strong_wolfe", Optimizer.NO_DECAY, "bias", "fisher", c.name().equals("kfac") ? "true" : "mc", "solver",
                "dense", "damping_mode", "eigen");
        if (special.containsKey(o.name())) {
            return special.get(o.name());
        }
        Object d = o.defaultValue();
        return switch (o.kind()) {
            case NUMBER -> d == null || (Double) d == 0 ? 0.25 : (Double) d / 2;
            case INTEGER -> (Integer) d + 1;
            case BOOLEAN -> !(Boolean) d;
            case PAIR -> new double[] {((double[]) d)[0] / 2, ((double[]) d)[1]};
            default -> throw new AssertionError(c + " " + o.name());
        };
    }

    /** A value the option's own checks refuse, or null when it has none that refuse the candidates. */
    @SuppressWarnings("unchecked")
    private static Object invalid(Option<?> o) {
        List<Object> candidates = switch (o.kind()) {
            case NUMBER -> List.of(-1.0, 2.0);
            case INTEGER -> List.of(0, -1);
            case PAIR -> List.of(new double[] {1.5, 1.2}, new double[] {-1.0, -1.0});
            default -> List.of();
        };
        for (Object v : candidates) {
            if (((Option<Object>) o).problem(v) != null) {
                return v;
            }
        }
        return null;
    }

    @Test
    void theHelpListOfOptionsIsTheTablesDescription() {
        // the spec parser's error lists the options from the same table the builder uses
        String message = assertThrows(UsageException.class,
                () -> Optimizers.create("adam:lrate=0.1", model().parameters())).getMessage();
        assertEquals("unknown option 'lrate' for optimizer adam; valid: " + Adam.builder().optionTable().describe(),
                message);
        assertTrue(message.contains("lr=0.001, betas=0.9/0.999, eps=1.0E-8, weight_decay=0.0, amsgrad=false, "
                + "maximize=false, decoupled_weight_decay=false, no_decay="), message);
        List<String> names = new ArrayList<>();
        cases().forEach(c -> names.add(c.name()));
        assertEquals(new TreeSet<>(Optimizers.names()), new TreeSet<>(names), "a case per registered optimizer");
        assertNotEquals(Adam.OPTIONS.defaults(), AdamW.OPTIONS.defaults());
        assertFalse(Adam.OPTIONS.contains(AdamW.WEIGHT_DECAY));
    }
}
