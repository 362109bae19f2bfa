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
}
