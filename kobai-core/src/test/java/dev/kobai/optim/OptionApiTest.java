package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The option declarations themselves, as a user declaring an optimizer of their own meets them:
 * each factory's kind, default and help text, the list-valued kinds' parsing and formatting, the
 * whole-number bounds, added checks and their order, and the table built from them; and the
 * spec record's canonical text.
 */
class OptionApiTest {
    private static final String WHERE = "optimizer x, option o: ";

    @Test
    void eachFactoryDeclaresItsKindDefaultAndHelpText() {
        Option<Double> lr = Option.number("lr", 0.1);
        assertEquals("lr", lr.name());
        assertEquals(Option.Kind.NUMBER, lr.kind());
        assertEquals(0.1, lr.defaultValue());
        assertFalse(lr.required());
        assertEquals("lr=0.1", lr.describe());
        assertEquals("lr=0.1", lr.toString());

        Option<Double> required = Option.number("lr");
        assertTrue(required.required());
        assertNull(required.defaultValue());
        assertEquals("lr (required)", required.describe());

        assertEquals("n=3", Option.integer("n", 3).describe());
        assertEquals(Option.Kind.INTEGER, Option.integer("n", 3).kind());
        assertEquals("n (required)", Option.integer("n").describe());
        assertTrue(Option.integer("n").required());
        assertEquals("nesterov=true", Option.bool("nesterov", true).describe());
        assertEquals(Option.Kind.BOOLEAN, Option.bool("nesterov", true).kind());
        assertEquals("text=abc", Option.string("text", "abc").describe());
        assertEquals(Option.Kind.STRING, Option.string("text", "abc").kind());

        Option<double[]> betas = Option.pair("betas", 0.9, 0.999);
        assertEquals(Option.Kind.PAIR, betas.kind());
        assertEquals("betas=0.9/0.999", betas.describe());
        betas.defaultValue()[0] = 5; // a copy: the declaration keeps its default
        assertArrayEquals(new double[] {0.9, 0.999}, betas.defaultValue());

        Option<String> mode = Option.choice("mode", "min", "min", "max");
        assertEquals(List.of("min", "max"), mode.choices());
        assertEquals("mode=min (min or max)", mode.describe());
        assertEquals(List.of(), Option.string("text", "abc").choices());

        Option<int[]> milestones = Option.integers("milestones");
        assertEquals(Option.Kind.INTEGERS, milestones.kind());
        assertEquals("milestones (required)", milestones.describe());

        Option<double[]> maxLr = Option.numbers("max_lr");
        assertEquals(Option.Kind.NUMBERS, maxLr.kind());
        assertTrue(maxLr.required());
        assertEquals("max_lr (required)", maxLr.describe());
        Option<double[]> some = Option.numbers("levels", 1, 0.5);
        assertFalse(some.required());
        assertEquals("levels=1.0/0.5", some.describe());
        some.defaultValue()[1] = 7;
        assertArrayEquals(new double[] {1, 0.5}, some.defaultValue());

        Option<Integer> total = Option.integer("total_steps").optional("epochs x steps per epoch");
        assertFalse(total.required());
        assertNull(total.defaultValue());
        assertEquals("total_steps=epochs x steps per epoch", total.describe());
        assertEquals(Option.Kind.INTEGER, total.kind());
    }

    @Test
    void listValuedOptionsParseEveryItemAndNameTheBadOne() {
        assertArrayEquals(new int[] {2, 5, 8}, Option.integers("milestones").parse("2/5/8", WHERE));
        assertArrayEquals(new int[] {4}, Option.integers("milestones").parse("4", WHERE));
        assertEquals(WHERE + "'x' is not a whole number",
                assertThrows(UsageException.class, () -> Option.integers("m").parse("2/x/8", WHERE)).getMessage());
        assertEquals(WHERE + "'2.5' is not a whole number",
                assertThrows(UsageException.class, () -> Option.integers("m").parse("1/2.5", WHERE)).getMessage());
        assertArrayEquals(new double[] {0.1, 0.05}, Option.numbers("max_lr").parse("0.1/0.05", WHERE));
        assertArrayEquals(new double[] {3}, Option.numbers("max_lr").parse("3", WHERE));
        assertEquals(WHERE + "'inf' is not a finite number",
                assertThrows(UsageException.class, () -> Option.numbers("m").parse("1/inf", WHERE)).getMessage());
        assertArrayEquals(new double[] {0.8, 0.99}, Option.pair("betas", 0.9, 0.999).parse("0.8/0.99", WHERE));
        assertEquals(WHERE + "'0.9' is not a pair; write it as a/b, e.g. 0.9/0.999",
                assertThrows(UsageException.class, () -> Option.pair("b", 0, 0).parse("0.9", WHERE)).getMessage());
        assertEquals(WHERE + "'avg' is not one of min, max", assertThrows(UsageException.class,
                () -> Option.choice("mode", "min", "min", "max").parse("avg", WHERE)).getMessage());
        assertEquals("max", Option.choice("mode", "min", "min", "max").parse("max", WHERE));
        assertEquals("anything", Option.string("s", "").parse("anything", WHERE));
    }

    @Test
    void wholeNumbersReachIntegerMaxValueAndNoFurther() {
        Option<Integer> n = Option.integer("n", 1);
        assertEquals(Integer.MAX_VALUE, n.parse("2147483647", WHERE));
        assertEquals(-Integer.MAX_VALUE, n.parse("-2147483647", WHERE));
        assertEquals(WHERE + "'2147483648' is not a whole number",
                assertThrows(UsageException.class, () -> n.parse("2147483648", WHERE)).getMessage());
        assertEquals(Integer.MAX_VALUE, n.coerce(2147483647L, WHERE));
        assertEquals(7, n.coerce(7.0, WHERE));
        assertEquals(WHERE + "expected a whole number, got Long '2147483648'",
                assertThrows(UsageException.class, () -> n.coerce(2147483648L, WHERE)).getMessage());
        assertEquals(WHERE + "expected a whole number, got Double '2.5'",
                assertThrows(UsageException.class, () -> n.coerce(2.5, WHERE)).getMessage());
    }

    @Test
    void wholeAtLeastChecksTheBoundAndNamesAFractionWithItsOwnMessage() {
        Option<Integer> history = Option.integer("history_size", 100)
                .wholeAtLeast(1, v -> "history_size must be a whole number >= 1, got " + v);
        assertNull(history.problem(1));
        assertEquals("history_size must be a whole number >= 1, got 0", history.problem(0));
        assertEquals("history_size must be a whole number >= 1, got 2.5",
                assertThrows(UsageException.class, () -> history.coerce(2.5, WHERE)).getMessage());
        // A non-number is still refused by kind, not with the fraction message.
        assertEquals(WHERE + "expected a whole number, got String 'ten'",
                assertThrows(UsageException.class, () -> history.coerce("ten", WHERE)).getMessage());
        assertEquals("lr is not a whole-number option", assertThrows(IllegalStateException.class,
                () -> Option.number("lr", 0.1).wholeAtLeast(0, v -> "never")).getMessage());
    }

    @Test
    void checksRunInTheOrderAddedAndTheFirstFailureIsReported() {
        Option<Double> x = Option.number("x", 1.0)
                .check(Option.nonNegative("x must be >= 0: "))
                .check(v -> v <= 10 ? null : "x must be <= 10: " + v)
                .check(v -> v != 5 ? null : "x must not be 5");
        assertNull(x.problem(0.0));
        assertEquals("x must be >= 0: -1.0", x.problem(-1.0));
        assertEquals("x must be <= 10: 11.0", x.problem(11.0));
        assertEquals("x must not be 5", x.problem(5.0));
        assertNull(Option.number("y", 1.0).problem(-1e9), "no check declared");
        assertNull(Option.nonNegative("m: ").apply(0.0));
        assertEquals("m: -0.5", Option.nonNegative("m: ").apply(-0.5));
    }

    @Test
    void formatWritesValuesAsASpecWould() {
        assertEquals("0.9/0.999", Option.format(new double[] {0.9, 0.999}));
        assertEquals("2/5/8", Option.format(new int[] {2, 5, 8}));
        assertEquals("7", Option.format(new int[] {7}));
        assertEquals("1/3", Option.format(1.0 / 3));
        assertEquals("0.5", Option.format(0.5));
        assertEquals("true", Option.format(true));
        assertEquals("strong_wolfe", Option.format("strong_wolfe"));
        // What format writes, parse reads back.
        assertArrayEquals(new int[] {2, 5, 8}, Option.integers("m").parse(Option.format(new int[] {2, 5, 8}), WHERE));
    }

    @Test
    void aTableChecksInTheOrderItIsGivenAndRefusesOptionsItLacks() {
        Option<Double> a = Option.number("a", 1.0).check(v -> v > 0 ? null : "a must be positive");
        Option<Double> b = Option.number("b", 1.0).check(v -> v > 0 ? null : "b must be positive");
        OptionTable table = OptionTable.of(a, b);
        assertEquals(List.of(a, b), table.options());
        assertEquals("a=1.0, b=1.0", table.describe());
        Map<String, Object> bad = new LinkedHashMap<>(Map.of("a", -1.0, "b", -1.0));
        ParamGroup group = new ParamGroup(List.of(new Parameter(Tensor.of(1.0))), bad);
        assertEquals("a must be positive", assertThrows(UsageException.class, () -> table.check(group)).getMessage());
        assertEquals("b must be positive",
                assertThrows(UsageException.class, () -> table.checkedIn(b).check(group)).getMessage());
        assertEquals(List.of(a, b), table.checkedIn(b).options(), "checkedIn changes the check order only");
        ParamGroup onlyA = new ParamGroup(List.of(new Parameter(Tensor.of(1.0))),
                new LinkedHashMap<>(Map.of("a", -1.0, "b", 1.0)));
        assertEquals("a must be positive", assertThrows(UsageException.class,
                () -> table.checkedIn(b).check(onlyA)).getMessage(), "the options not named first are still checked");
        assertEquals("option c is not in the table", assertThrows(IllegalArgumentException.class,
                () -> table.checkedIn(Option.number("c", 0.0))).getMessage());
        assertEquals("option a declared twice",
                assertThrows(IllegalArgumentException.class, () -> OptionTable.of(a, Option.number("a", 2.0))).getMessage());
    }

    @Test
    void aTableInferredFromDefaultsGivesEachValueItsKind() {
        Map<String, Object> defaults = new LinkedHashMap<>();
        defaults.put("lr", null);
        defaults.put("flag", true);
        defaults.put("n", 3);
        defaults.put("betas", new double[] {0.9, 0.99});
        defaults.put("levels", new double[] {1, 2, 3});
        defaults.put("milestones", new int[] {1});
        defaults.put("name", "x");
        defaults.put("rate", 0.5f);
        OptionTable t = OptionTable.inferred(defaults);
        assertEquals(List.of(Option.Kind.NUMBER, Option.Kind.BOOLEAN, Option.Kind.INTEGER, Option.Kind.PAIR,
                Option.Kind.NUMBERS, Option.Kind.INTEGERS, Option.Kind.STRING, Option.Kind.NUMBER),
                t.options().stream().map(Option::kind).toList());
        assertTrue(t.find("lr").required());
        assertArrayEquals(new double[] {1, 2, 3}, (double[]) t.find("levels").defaultValue());
        assertEquals(0.5, t.find("rate").defaultValue());
    }

    @Test
    void aSpecPrintsInItsCanonicalForm() {
        OptimizerSpec spec = OptimizerSpec.parse(" Adam: lr=0.1 , betas=0.9/0.999,amsgrad=true ");
        assertEquals("adam", spec.name());
        assertEquals(List.of("lr", "betas", "amsgrad"), List.copyOf(spec.values().keySet()));
        assertEquals("adam:lr=0.1,betas=0.9/0.999,amsgrad=true", spec.toString());
        assertEquals(spec, OptimizerSpec.parse(spec.toString()));
        assertEquals("sgd", OptimizerSpec.parse("SGD").toString());
        assertEquals("sgd:lr=1", OptimizerSpec.parse("sgd:lr=1").toString());
        assertThrows(UnsupportedOperationException.class, () -> spec.values().put("eps", "1"));
        assertNotNull(OptimizerSpec.parse("sgd").values());
        assertEquals("optimizer spec ':lr=1' has no name before ':'",
                assertThrows(UsageException.class, () -> OptimizerSpec.parse(":lr=1")).getMessage());
        assertEquals("optimizer spec 'sgd:=1': '=1' is not key=value (separate pairs with commas, tuples with '/')",
                assertThrows(UsageException.class, () -> OptimizerSpec.parse("sgd:=1")).getMessage());
        assertEquals("optimizer spec 'sgd:lr=': 'lr=' is not key=value (separate pairs with commas, tuples with '/')",
                assertThrows(UsageException.class, () -> OptimizerSpec.parse("sgd:lr=")).getMessage());
        assertEquals(Map.of("l", "1"), OptimizerSpec.parse("sgd:l=1").values());
    }
}
