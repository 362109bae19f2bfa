package dev.kobai.surface;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.surface.Surface.Point;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.DoubleBinaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SurfacesTest {
    /** The formulas again, typed by hand in plain double arithmetic, independent of the tensor code. */
    private static final Map<String, DoubleBinaryOperator> BY_HAND = Map.of(
            "rosenbrock", (x, y) -> (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x),
            "beale", (x, y) -> sq(1.5 - x + x * y) + sq(2.25 - x + x * y * y) + sq(2.625 - x + x * y * y * y),
            "himmelblau", (x, y) -> sq(x * x + y - 11) + sq(x + y * y - 7),
            "booth", (x, y) -> sq(x + 2 * y - 7) + sq(2 * x + y - 5),
            "saddle", (x, y) -> x * x - y * y,
            "monkey-saddle", (x, y) -> x * x * x - 3 * x * y * y,
            "rastrigin", (x, y) -> 20 + x * x - 10 * Math.cos(2 * Math.PI * x) + y * y - 10 * Math.cos(2 * Math.PI * y),
            "ackley", (x, y) -> -20 * Math.exp(-0.2 * Math.sqrt(0.5 * (x * x + y * y)))
                    - Math.exp(0.5 * (Math.cos(2 * Math.PI * x) + Math.cos(2 * Math.PI * y))) + Math.E + 20,
            "goldstein-price", (x, y) -> (1 + sq(x + y + 1) * (19 - 14 * x + 3 * x * x - 14 * y + 6 * x * y + 3 * y * y))
                    * (30 + sq(2 * x - 3 * y) * (18 - 32 * x + 12 * x * x + 48 * y - 36 * x * y + 27 * y * y)),
            "long-valley", (x, y) -> 0.5 * (x * x + 100 * y * y));

    private static double sq(double v) {
        return v * v;
    }

    static Stream<Surface> surfaces() {
        return Surfaces.all().stream();
    }

    /** Surfaces that are twice differentiable at their minima (Ackley's is a cone tip). */
    static Stream<Surface> smoothAtMinima() {
        return surfaces().filter(s -> !s.minima().isEmpty() && !s.name().equals("ackley"));
    }

    @Test
    void theRegistryHoldsTheTenSurfacesInDocumentedOrder() {
        assertEquals(List.of("rosenbrock", "beale", "himmelblau", "booth", "saddle", "monkey-saddle", "rastrigin",
                "ackley", "goldstein-price", "long-valley"), Surfaces.names());
        assertEquals(BY_HAND.keySet(), Set.copyOf(Surfaces.names()));
    }

    @Test
    void byNameIgnoresCaseAndRejectsUnknownNamesListingTheValidOnes() {
        assertSame(Surfaces.byName("rosenbrock"), Surfaces.byName(" Rosenbrock "));
        UsageException e = assertThrows(UsageException.class, () -> Surfaces.byName("rosenbrok"));
        assertTrue(e.getMessage().startsWith("unknown surface 'rosenbrok'; valid: rosenbrock, beale,"), e.getMessage());
        assertTrue(e.getMessage().contains("long-valley"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("surfaces")
    void valuesMatchTheFormulaComputedByHand(Surface s) {
        DoubleBinaryOperator f = BY_HAND.get(s.name());
        double[][] points = {{0.3, -0.7}, {-1.1, 2.4}, {2.5, 0.5}, {-1.7, -1.3}, {1.25, 1.75}};
        for (double[] p : points) {
            double expected = f.applyAsDouble(p[0], p[1]);
            double got = s.value(p[0], p[1]);
            assertEquals(expected, got, 1e-12 * Math.max(1, Math.abs(expected)), s.name() + " at " + p[0] + ", " + p[1]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("surfaces")
    void theValueIsAScalarOfTheInputsDtype(Surface s) {
        Tensor v = s.value(Tensor.fromArray(new float[] {0.5f, -0.25f}, 2));
        assertEquals(DType.FLOAT32, v.dtype());
        assertEquals(0, v.rank());
        assertEquals(s.value(0.5, -0.25), v.item(), 1e-5 * Math.max(1, Math.abs(v.item())));
        assertThrows(IllegalArgumentException.class, () -> s.value(Tensor.of(1, 2, 3)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("surfaces")
    void minimaAndStartLieInTheDomain(Surface s) {
        for (Point m : s.minima()) {
            assertTrue(s.domain().contains(m), s.name() + " minimum " + m);
        }
        assertTrue(s.domain().contains(s.start()), s.name() + " start " + s.start());
        assertFalse(s.formula().isBlank());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("surfaces")
    void theValueAtEveryMinimumIsTheMinimumValue(Surface s) {
        for (Point m : s.minima()) {
            assertEquals(s.minimumValue(), s.value(m.x(), m.y()), 1e-12, s.name() + " at " + m);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("smoothAtMinima")
    void theGradientVanishesAtEveryMinimum(Surface s) {
        for (Point m : s.minima()) {
            double[] g = s.gradient(m.x(), m.y());
            assertEquals(0, g[0], 1e-9, s.name() + " df/dx at " + m);
            assertEquals(0, g[1], 1e-9, s.name() + " df/dy at " + m);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("smoothAtMinima")
    void theHessianIsSymmetricPositiveSemidefiniteAtEveryMinimum(Surface s) {
        for (Point m : s.minima()) {
            double[][] h = s.hessian(m.x(), m.y());
            String where = s.name() + " at " + m + ": " + h[0][0] + " " + h[0][1] + " / " + h[1][0] + " " + h[1][1];
            assertEquals(h[0][1], h[1][0], 1e-9 * Math.max(1, Math.abs(h[0][1])), where);
            // A symmetric 2x2 matrix is PSD when both diagonal entries and the determinant are >= 0.
            double scale = Math.max(1, Math.abs(h[0][0]) + Math.abs(h[1][1]) + Math.abs(h[0][1]));
            assertTrue(h[0][0] >= 0 && h[1][1] >= 0, where);
            assertTrue(h[0][0] * h[1][1] - h[0][1] * h[1][0] >= -1e-12 * scale * scale, where);
        }
    }

    @Test
    void hessiansFromDoubleBackwardMatchTheOnesWorkedOutByHand() {
        // booth: d2f = [[2+8, 4+4], [4+4, 8+2]] everywhere.
        assertHessian(new double[][] {{10, 8}, {8, 10}}, Surfaces.byName("booth").hessian(-3, 7));
        // rosenbrock at (1, 1): [[2 - 400(y - 3x^2), -400x], [-400x, 200]].
        assertHessian(new double[][] {{802, -400}, {-400, 200}}, Surfaces.byName("rosenbrock").hessian(1, 1));
        assertHessian(new double[][] {{1, 0}, {0, 100}}, Surfaces.byName("long-valley").hessian(-9, -1));
        // rastrigin at 0: 2 + 10 (2 pi)^2 on the diagonal.
        double d = 2 + 40 * Math.PI * Math.PI;
        assertHessian(new double[][] {{d, 0}, {0, d}}, Surfaces.byName("rastrigin").hessian(0, 0));
    }

    private static void assertHessian(double[][] expected, double[][] got) {
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(expected[i], got[i], 1e-9 * Math.max(1, Math.abs(expected[i][i])), "row " + i);
        }
    }

    @Test
    void theSaddleIsAStationaryPointWithAnIndefiniteHessian() {
        Surface s = Surfaces.byName("saddle");
        assertArrayEquals(new double[] {0, 0}, s.gradient(0, 0));
        double[][] h = s.hessian(0, 0);
        assertHessian(new double[][] {{2, 0}, {0, -2}}, h);
        assertTrue(h[0][0] * h[1][1] - h[0][1] * h[1][0] < 0, "indefinite");
        assertTrue(s.value(0, 0.1) < s.value(0, 0), "not a minimum");
        assertEquals(Double.NEGATIVE_INFINITY, s.minimumValue());
        assertTrue(s.minima().isEmpty());
    }

    @Test
    void theMonkeySaddleIsAStationaryPointWithADegenerateHessian() {
        Surface s = Surfaces.byName("monkey-saddle");
        assertArrayEquals(new double[] {0, 0}, s.gradient(0, 0));
        assertHessian(new double[][] {{0, 0}, {0, 0}}, s.hessian(0, 0));
        // Three valleys: downhill along the negative x axis and along the rays at +-60 degrees.
        assertTrue(s.value(-0.1, 0) < 0);
        assertTrue(s.value(0.05, 0.1 * Math.sin(Math.PI / 3)) < 0);
        assertTrue(s.value(0.1, 0) > 0);
        assertEquals(Double.NEGATIVE_INFINITY, s.minimumValue());
        assertTrue(s.minima().isEmpty());
    }

    @Test
    void ackleysMinimumIsAConeTipWithoutAGradient() {
        Surface s = Surfaces.byName("ackley");
        double[] g = s.gradient(0, 0);
        assertTrue(Double.isNaN(g[0]) && Double.isNaN(g[1]), "0/0 at the tip, as in PyTorch");
        // Close to the tip the gradient points straight away from it with slope 20 * 0.2 / sqrt(2).
        double r = 1e-7;
        for (int k = 0; k < 8; k++) {
            double a = k * Math.PI / 4;
            double x = r * Math.cos(a);
            double y = r * Math.sin(a);
            double[] gk = s.gradient(x, y);
            assertTrue(s.value(x, y) > s.minimumValue(), "uphill in direction " + k);
            assertEquals(4 / Math.sqrt(2), (gk[0] * x + gk[1] * y) / r, 1e-4, "radial slope in direction " + k);
        }
    }

    @Test
    void himmelblausLocalMaximumIsStationaryButNotAMinimum() {
        Surface s = Surfaces.byName("himmelblau");
        double[] g = s.gradient(-0.2708445906673476, -0.9230385564799815);
        assertEquals(0, g[0], 1e-9);
        assertEquals(0, g[1], 1e-9);
        double[][] h = s.hessian(-0.2708445906673476, -0.9230385564799815);
        assertTrue(h[0][0] < 0 && h[1][1] < 0 && h[0][0] * h[1][1] - h[0][1] * h[1][0] > 0, "negative definite");
    }
}
