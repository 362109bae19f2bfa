package dev.kobai.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Both Blas1 implementations on lengths around the vector widths, at offsets into shared arrays:
 * axpy bit for bit against the scalar reference and against y + float(alpha x), nothing written
 * outside its range; dot against a sum of the same float products in exact order, to double
 * rounding.
 */
class Blas1Test {
    private static final Blas1 SCALAR = new ScalarBlas1();
    private static final Blas1 VECTOR = new VectorBlas1();
    private static final int[] LENGTHS = {0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 785};

    private static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextDouble(-2, 2) * Math.pow(10, r.nextInt(-3, 4)));
        }
        return a;
    }

    @Test
    void theVectorLoopsAreChosenWithTheVectorModule() {
        assertInstanceOf(VectorBlas1.class, Kernels.blas1());
        assertInstanceOf(ScalarBlas1.class, Kernels.scalarBlas1());
    }

    @Test
    void axpyAddsTheRoundedProductInRangeOnly() {
        SplittableRandom r = new SplittableRandom(5);
        for (Blas1 blas : new Blas1[] {SCALAR, VECTOR}) {
            for (int n : LENGTHS) {
                for (float alpha : new float[] {1f, -0.37f, 3.5e-3f}) {
                    // x and y are two rows of one array, as in K-FAC's updates
                    float[] m = random(r, 2 * n + 13);
                    int xo = 5;
                    int yo = n + 11;
                    float[] before = m.clone();
                    blas.axpy(n, alpha, m, xo, m, yo);
                    for (int i = 0; i < m.length; i++) {
                        float expected = i >= yo && i < yo + n ? before[i] + alpha * before[xo + i - yo] : before[i];
                        assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(m[i]),
                                blas.getClass().getSimpleName() + " n=" + n + " alpha=" + alpha + " element " + i);
                    }
                }
            }
        }
    }

    @Test
    void axpyWithANegatedScaleIsExactlyASubtraction() {
        SplittableRandom r = new SplittableRandom(6);
        float[] x = random(r, 100);
        float[] y = random(r, 100);
        float[] expected = y.clone();
        float s = 0.0123f;
        for (int i = 0; i < 100; i++) {
            expected[i] -= s * x[i];
        }
        VECTOR.axpy(100, -s, x, 0, y, 0);
        assertArrayEquals(expected, y);
    }

    @Test
    void specialValuesPassThroughAxpyAsInJava() {
        float[] x = {Float.NaN, Float.POSITIVE_INFINITY, 1f, -0f, Float.MAX_VALUE, 1e-45f, 2f, 3f,
            4f, 5f, 6f, 7f, 8f, 9f, 10f, 11f, 12f, Float.NEGATIVE_INFINITY};
        float[] y = {1f, Float.NEGATIVE_INFINITY, Float.NaN, 0f, Float.MAX_VALUE, 0f, -2f, 0f,
            0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, Float.POSITIVE_INFINITY};
        float[] a = y.clone();
        float[] b = y.clone();
        SCALAR.axpy(x.length, 2f, x, 0, a, 0);
        VECTOR.axpy(x.length, 2f, x, 0, b, 0);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToIntBits(a[i]), Float.floatToIntBits(b[i]), "element " + i);
        }
        assertTrue(Float.isNaN(b[0]) && Float.isNaN(b[1]) && Float.isNaN(b[2]) && Float.isNaN(b[17]));
        assertEquals(Float.POSITIVE_INFINITY, b[4]);
    }

    @Test
    void dotSumsTheFloatProductsInDouble() {
        SplittableRandom r = new SplittableRandom(7);
        for (int n : LENGTHS) {
            float[] x = random(r, n + 9);
            float[] y = random(r, n + 4);
            double exact = 0;
            double magnitude = 0;
            for (int i = 0; i < n; i++) {
                float p = x[9 + i] * y[4 + i]; // rounded to float, as the contract says
                exact += p;
                magnitude += Math.abs(p);
            }
            for (Blas1 blas : new Blas1[] {SCALAR, VECTOR}) {
                double got = blas.dot(n, x, 9, y, 4);
                // double sums in another order: within a few ulps of the magnitude, far below float's
                assertEquals(exact, got, 1e-14 * magnitude + 1e-300, blas.getClass().getSimpleName() + " n=" + n);
            }
            assertEquals(VECTOR.dot(n, x, 9, y, 4), VECTOR.dot(n, x, 9, y, 4), "the same call gives the same bits");
        }
    }

    @Test
    void dotKeepsWhatAFloatSumWouldLose() {
        // 1 + 2^-30 * 16 ones: a float accumulator rounds each tiny product away
        int n = 17;
        float[] x = new float[n];
        float[] y = new float[n];
        java.util.Arrays.fill(x, 1f);
        y[0] = 1f;
        for (int i = 1; i < n; i++) {
            y[i] = (float) Math.scalb(1.0, -30);
        }
        assertEquals(1 + 16 * Math.scalb(1.0, -30), VECTOR.dot(n, x, 0, y, 0), 0);
        assertEquals(1 + 16 * Math.scalb(1.0, -30), SCALAR.dot(n, x, 0, y, 0), 0);
    }

    @Test
    void rangesOutsideTheArraysAreRefusedWithTheRange() {
        float[] a = new float[10];
        float[] b = new float[10];
        for (Blas1 blas : new Blas1[] {SCALAR, VECTOR}) {
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                    () -> blas.axpy(4, 1f, a, 7, b, 0));
            assertEquals("x[7, 11) is outside an array of 10", e.getMessage());
            e = assertThrows(IndexOutOfBoundsException.class, () -> blas.dot(3, a, 0, b, 8));
            assertEquals("y[8, 11) is outside an array of 10", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> blas.dot(-1, a, 0, b, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> blas.axpy(1, 1f, a, -1, b, 0));
        }
    }
}
