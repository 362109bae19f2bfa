package dev.kobai.surface;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.tensor.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import java.util.List;

class ExpressionTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "1 + 2 * 3 | 7",
        "(1 + 2) * 3 | 9",
        "2 ^ 3 ^ 2 | 512",
        "-2 ^ 2 | -4",
        "(-2) ^ 2 | 4",
        "8 / 4 / 2 | 1",
        "1e-3 * 1000 | 1",
        "2.5E+1 | 25",
        "exp(0) + log(e) + sqrt(16) + abs(-3) + cos(0) + sin(0) | 10",
        "pi | 3.141592653589793",
        "x * y - x | 4",
        "x ^ 2 + y ^ 2 | 13",
        "-x + +y | 1",
        "2 ^ x | 4",
        "x ^ y | 8",
        "x/y | 0.6666666666666666",
        "2/y | 0.6666666666666666",
        "3 - x | 1",
    })
    void evaluatesWithTheUsualPrecedence(String text, double expected) {
        Expression e = Expression.parse(text);
        assertEquals(expected, e.evaluate(2, 3), 1e-12, text);
        // The tensor evaluation agrees with the plain one.
        Surface s = e.toSurface(null, null);
        assertEquals(expected, s.value(dev.kobai.tensor.Tensor.of(2, 3)).item(), 1e-12, text);
    }

    @Test
    void gradientAndHessianComeFromAutograd() {
        Surface s = Surfaces.byName("expr:x^2 + 3*x*y + sin(y)");
        double[] g = s.gradient(1, 2);
        assertArrayEquals(new double[] {2 * 1 + 3 * 2, 3 * 1 + Math.cos(2)}, g, 1e-12);
        double[][] h = s.hessian(1, 2);
        assertArrayEquals(new double[] {2, 3}, h[0], 1e-12);
        assertArrayEquals(new double[] {3, -Math.sin(2)}, h[1], 1e-12);
        assertEquals("expr:x^2 + 3*x*y + sin(y)", s.name());
        assertEquals(Expression.DEFAULT_DOMAIN, s.domain());
    }

    @Test
    void matchesTheBuiltInRosenbrockAlongATrace() {
        Surface typed = Surfaces.byName("expr:(1-x)^2 + 100*(y-x^2)^2");
        Surface builtIn = Surfaces.byName("rosenbrock");
        var a = Trace.run(typed, "adam:lr=0.01", builtIn.start(), 50, DType.FLOAT64);
        var b = Trace.run(builtIn, "adam:lr=0.01", builtIn.start(), 50, DType.FLOAT64);
        for (int k = 0; k <= 50; k++) {
            assertEquals(b.get(k).x(), a.get(k).x(), 1e-12);
            assertEquals(b.get(k).y(), a.get(k).y(), 1e-12);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "x + * y | 5 | unexpected '*'",
        "x + | 4 | expression ends too early",
        "(x + y | 1 | '(' is never closed",
        "x + y) | 6 | unmatched ')'",
        "x + z | 5 | unknown name 'z'",
        "sin x | 5 | expected '(' after sin",
        "1.2.3 | 1 | bad number '1.2.3'",
        "x $ y | 3 | unexpected '$'",
        "' ' | 2 | empty expression",
    })
    void pointsAtTheColumnOfAMistake(String text, int column, String message) {
        UsageException e = assertThrows(UsageException.class, () -> Expression.parse(text));
        String[] lines = e.getMessage().split("\n");
        assertEquals(3, lines.length, e.getMessage());
        assertTrue(lines[0].startsWith("bad expression at column " + column + ": " + message), lines[0]);
        assertEquals("  " + text, lines[1]);
        assertEquals("  " + " ".repeat(column - 1) + "^", lines[2]);
    }

    /**
     * Length and nesting cost memory, never stack: each of these overflowed the stack of the
     * recursive parser or of the tree's recursive evaluation ("internal error: StackOverflowError").
     */
    @Test
    void longAndDeeplyNestedFormulasParseAndEvaluate() {
        int n = 30_000;
        record Case(String text, double value, double dfdx) {}
        List<Case> cases = List.of(
                new Case("x" + "+x".repeat(6_000), 6_001 * 2.0, 6_001),
                new Case("x" + "+x".repeat(n), (n + 1) * 2.0, n + 1),
                new Case("(".repeat(n) + "x" + ")".repeat(n), 2, 1),
                new Case("-".repeat(n + 1) + "x", -2, -1),
                new Case("1^".repeat(n) + "x", 1, 0),
                new Case("abs(".repeat(n) + "x" + ")".repeat(n), 2, 1),
                new Case("sin(".repeat(n) + "0)" + ")".repeat(n - 1) + "+y", 3, 0));
        for (Case c : cases) {
            Expression e = Expression.parse(c.text());
            String what = c.text().substring(0, 12) + "... (" + c.text().length() + " characters)";
            assertEquals(c.value(), e.evaluate(2, 3), 1e-9, what);
            Surface s = e.toSurface(null, null);
            assertEquals(c.value(), s.value(dev.kobai.tensor.Tensor.of(2, 3)).item(), 1e-9, what);
            assertEquals(c.dfdx(), s.gradient(2, 3)[0], 1e-9, what);
        }
    }

    @Test
    void aNumberEndingInAnExponentWithoutDigitsPointsAtTheNumber() {
        for (String text : List.of("2e", "x*2e", "2e+", "x + 2E- 1")) {
            UsageException e = assertThrows(UsageException.class, () -> Expression.parse(text));
            int column = text.indexOf('2') + 1;
            String[] lines = e.getMessage().split("\n");
            assertTrue(lines[0].startsWith("bad expression at column " + column + ": bad number '2"), lines[0]);
            assertTrue(lines[0].endsWith("no digits after its exponent's 'e' (for a number times e, write 2*e)"),
                    lines[0]);
            assertEquals("  " + " ".repeat(column - 1) + "^", lines[2]);
        }
        UsageException open = assertThrows(UsageException.class, () -> Expression.parse("sin(x"));
        assertEquals("bad expression at column 4: '(' is never closed\n  sin(x\n     ^", open.getMessage());
        assertEquals(2 * Math.E, Expression.parse("2*e").evaluate(0, 0), 1e-15);
    }

    @Test
    void aMistakeInALongFormulaShowsThePartAroundIt() {
        String text = "x" + "+x".repeat(3_000) + "+*" + "+y".repeat(3_000);
        UsageException e = assertThrows(UsageException.class, () -> Expression.parse(text));
        String[] lines = e.getMessage().split("\n");
        assertEquals("bad expression at column 6003: unexpected '*': expected a number, x, y, a function or '('",
                lines[0]);
        assertEquals("  ..." + text.substring(6_002 - 40, 6_002 + 40) + "...", lines[1]);
        assertEquals('*', lines[1].charAt(lines[2].indexOf('^')));
    }

    @Test
    void controlCharactersAreShownEscapedAndTheCaretStillPointsRight() {
        UsageException e = assertThrows(UsageException.class, () -> Expression.parse("x\t+\u0000 y"));
        String[] lines = e.getMessage().split("\n");
        assertEquals("bad expression at column 4: unexpected '\u0000': expected a number, x, y, a function or '('",
                lines[0]);
        assertEquals("  x\\t+\\u0000 y", lines[1]);
        assertEquals('\\', lines[1].charAt(lines[2].indexOf('^')));
        assertEquals('u', lines[1].charAt(lines[2].indexOf('^') + 1));
    }
}
