package dev.kobai.optim.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.nn.Models;
import dev.kobai.optim.Option;
import dev.kobai.optim.OptionTable;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.SGD;
import dev.kobai.optim.Setters;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
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
 * The schedulers' typed builders against the spec parser and torch 1.13's defaults (written out
 * here): the builder and the spec share one table, every argument has a setter named after it
 * that sets it, and the same values through either path give the same learning rates.
 */
class SchedulerBuildersTest {
    /** A scheduler: its spec name, a builder, torch's defaults (null: required), required values. */
    record Case(String name, Supplier<SchedulerBuilder<?, ?>> builder, Map<String, Object> torch,
                Map<String, Object> required) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("steplr", StepLR::builder, map("step_size", null, "gamma", 0.1), map("step_size", 2)),
                new Case("multisteplr", MultiStepLR::builder, map("milestones", null, "gamma", 0.1),
                        map("milestones", new int[] {2, 4})),
                new Case("exponentiallr", ExponentialLR::builder, map("gamma", null), map("gamma", 0.9)),
                new Case("linearlr", LinearLR::builder, map("start_factor", 1.0 / 3, "end_factor", 1.0, "total_iters", 5),
                        map()),
                new Case("constantlr", ConstantLR::builder, map("factor", 1.0 / 3, "total_iters", 5), map()),
                new Case("polynomiallr", PolynomialLR::builder, map("total_iters", 5, "power", 1.0), map()),
                new Case("cosineannealinglr", CosineAnnealingLR::builder, map("T_max", null, "eta_min", 0.0),
                        map("T_max", 4)),
                new Case("cosineannealingwarmrestarts", CosineAnnealingWarmRestarts::builder, map("T_0", null,
                        "T_mult", 1, "eta_min", 0.0), map("T_0", 3)),
                new Case("reducelronplateau", ReduceLROnPlateau::builder, map("mode", "min", "factor", 0.1, "patience",
                        10, "threshold", 1e-4, "threshold_mode", "rel", "cooldown", 0, "min_lr", new double[] {0.0},
                        "eps", 1e-8), map()));
    }

    private static Optimizer optimizer() {
        return SGD.builder().lr(0.1).momentum(0.9)
                .build(Models.fromSpec("mlp:4-6-3", new Rng(5), DType.FLOAT64).parameters());
    }

    /** The learning rates over 14 steps (a plateau scheduler sees a metric that stops improving). */
    private static List<Double> trajectory(LRScheduler s) {
        List<Double> lrs = new ArrayList<>();
        for (int i = 0; i < 14; i++) {
            if (s instanceof ReduceLROnPlateau p) {
                p.step(i < 2 ? 1.0 - i * 0.1 : 0.9);
            } else {
                s.step();
            }
            lrs.add(s.lastLr()[0]);
        }
        return lrs;
    }

    private static String spec(Case c, Map<String, Object> values) {
        Map<String, Object> all = new LinkedHashMap<>(c.required());
        all.putAll(values);
        StringBuilder sb = new StringBuilder(c.name());
        all.forEach((k, v) -> sb.append(sb.indexOf(":") < 0 ? ":" : ",").append(k).append('=').append(Option.format(v)));
        return sb.toString();
    }

    private static SchedulerBuilder<?, ?> withRequired(Case c) {
        SchedulerBuilder<?, ?> b = c.builder().get();
        c.required().forEach((k, v) -> set(b, b.optionTable().find(k), v));
        return b;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void oneTableWithTorchsNamesAndDefaults(Case c) {
        OptionTable table = c.builder().get().optionTable();
        assertSame(Schedulers.table(c.name()), table, "the spec parser's table is the builder's");
        Map<String, Object> defaults = table.defaults();
        assertEquals(c.torch().keySet(), defaults.keySet());
        c.torch().forEach((k, v) -> assertTrue(v instanceof double[] d ? Arrays.equals(d, (double[]) defaults.get(k))
                : java.util.Objects.equals(v, defaults.get(k)), c + " " + k));
        assertEquals(trajectory(Schedulers.create(spec(c, Map.of()), optimizer(), 0, 0)),
                trajectory(withRequired(c).build(optimizer())), c + ": defaults through either path");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachSetterSetsItsArgumentAsTheSpecsKeyDoes(Case c) {
        SchedulerBuilder<?, ?> probe = c.builder().get();
        Set<String> setters = Setters.of(probe, SchedulerBuilder.class, Set.of("set"));
        Set<String> expected = new TreeSet<>();
        for (Option<?> o : probe.optionTable().options()) {
            expected.add(Setters.camel(o.name()));
        }
        assertEquals(expected, setters, c + ": one setter per argument, named after it");
        List<Double> plain = trajectory(withRequired(c).build(optimizer()));
        for (Option<?> o : probe.optionTable().options()) {
            Object value = nonDefault(o);
            SchedulerBuilder<?, ?> b = withRequired(c);
            set(b, o, value);
            Object stored = b.values().get(o.name());
            assertTrue(value instanceof int[] i ? Arrays.equals(i, (int[]) stored) : value instanceof double[] d
                    ? Arrays.equals(d, (double[]) stored) : value.equals(stored), c + " " + o.name());
            List<Double> typed = trajectory(b.build(optimizer()));
            assertEquals(trajectory(Schedulers.create(spec(c, Map.of(o.name(), value)), optimizer(), 0, 0)), typed,
                    c + ": " + o.name() + " through the builder and the spec");
            if (!Set.of("eps", "threshold", "cooldown", "threshold_mode").contains(o.name())) {
                assertNotEquals(plain, typed, c + ": " + o.name() + " changes the schedule");
            }
        }
    }

    @Test
    void badValuesGiveTheSameMessagesEitherWay() {
        assertEquals("step_size must be a positive integer, but got 0", assertThrows(UsageException.class,
                () -> StepLR.builder().stepSize(0).build(optimizer())).getMessage());
        assertEquals("step_size must be a positive integer, but got 0", assertThrows(UsageException.class,
                () -> Schedulers.create("steplr:step_size=0", optimizer(), 0, 0)).getMessage());
        assertEquals("Factor should be < 1.0.", assertThrows(UsageException.class,
                () -> ReduceLROnPlateau.builder().factor(1.5).build(optimizer())).getMessage());
        assertEquals("mode avg is unknown!", assertThrows(UsageException.class,
                () -> ReduceLROnPlateau.builder().mode("avg").build(optimizer())).getMessage());
        assertEquals("StepLR needs step_size; arguments: step_size (required), gamma=0.1",
                assertThrows(UsageException.class, () -> StepLR.builder().gamma(0.5).build(optimizer())).getMessage());
        assertThrows(IllegalArgumentException.class, () -> StepLR.builder().set(ExponentialLR.GAMMA, 0.5));
        // the spec's messages are unchanged
        assertEquals("StepLR needs step_size (e.g. step:step_size=10); arguments: step_size (required), gamma=0.1",
                assertThrows(UsageException.class, () -> Schedulers.parse("steplr")).getMessage());
    }

    @Test
    void oneCycleBuilderDefaultsAreItsTables() {
        Optimizer o = optimizer();
        OneCycleLR typed = OneCycleLR.builder(o, 0.5).totalSteps(20).build();
        List<Double> a = trajectory(typed);
        List<Double> b = trajectory(Schedulers.create("onecycle:max_lr=0.5,total_steps=20", optimizer(), 0, 0));
        assertEquals(b, a);
        assertEquals(0.3, OneCycleLR.PCT_START.defaultValue());
        assertArrayEquals(new double[] {0.85}, OneCycleLR.BASE_MOMENTUM.defaultValue());
        assertEquals("max_lr (required), total_steps=epochs x steps per epoch, epochs=the run's, steps_per_epoch=the run's,"
                + " pct_start=0.3, anneal_strategy=cos (cos or linear), cycle_momentum=true, base_momentum=0.85, "
                + "max_momentum=0.95, div_factor=25.0, final_div_factor=10000.0, three_phase=false",
                OneCycleLR.OPTIONS.describe());
    }

    // ------------------------------------------------------------ helpers

    private static void set(SchedulerBuilder<?, ?> b, Option<?> o, Object value) {
        Setters.call(b, o, value);
    }

    private static Object nonDefault(Option<?> o) {
        Object d = o.defaultValue();
        return switch (o.kind()) {
            case NUMBER -> d == null ? 0.5 : (Double) d == 0 ? 0.01 : (Double) d / 2;
            case INTEGER -> d == null ? 5 : (Integer) d + 1;
            case INTEGERS -> new int[] {1, 3};
            case NUMBERS -> new double[] {0.05};
            case STRING -> o.choices().stream().filter(x -> !x.equals(d)).findFirst().orElseThrow();
            default -> throw new AssertionError(o.kind());
        };
    }
}
