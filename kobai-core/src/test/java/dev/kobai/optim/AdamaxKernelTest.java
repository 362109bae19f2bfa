package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kobai.tensor.kernel.Kernels;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Adamax's Vector API loop against its plain-Java loop: the same bits, and NaN wherever the plain
 * loop gives NaN, for gradients and states with signed zeros, infinities, NaNs of both signs and
 * negative values (which only a loaded state can hold), with eps and beta2 at their edges.
 */
class AdamaxKernelTest {
    private static final float NEGATIVE_NAN = Float.intBitsToFloat(0xffc00000);
    private static final float[] SPECIAL = {0f, -0f, Float.NaN, NEGATIVE_NAN, Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-30f, -1e-30f, 3f, -3f, 1e-8f};

    private static float pick(Random r, double normal) {
        return r.nextInt(4) == 0 ? SPECIAL[r.nextInt(SPECIAL.length)] : (float) (r.nextGaussian() * normal);
    }

    @Test
    void vectorLoopMatchesScalarLoop() {
        assumeTrue(Kernels.vectorAvailable(), "no Vector API in this JVM");
        Random r = new Random(8);
        for (float eps : new float[] {1e-8f, 0f}) {
            for (float b2 : new float[] {0.999f, 0f}) {
                int n = 1000 + r.nextInt(37);
                float[] w = new float[n];
                float[] g = new float[n];
                float[] m = new float[n];
                float[] u = new float[n];
                for (int i = 0; i < n; i++) {
                    w[i] = pick(r, 0.1);
                    g[i] = pick(r, 1e-3);
                    m[i] = pick(r, 1e-3);
                    u[i] = r.nextBoolean() ? Math.abs(pick(r, 1e-3)) : pick(r, 1e-3);
                }
                float[] w2 = w.clone();
                float[] m2 = m.clone();
                float[] u2 = u.clone();
                for (int step = 0; step < 3; step++) {
                    Adamax.plainFloat(w, g, m, u, 0.9f, 0.1f, b2, eps, -2e-3f, 3, n - 2);
                    AdamaxVector.plainFloat(w2, g, m2, u2, 0.9f, 0.1f, b2, eps, -2e-3f, 3, n - 2);
                }
                String what = "eps=" + eps + " beta2=" + b2;
                same(w, w2, "w " + what);
                same(m, m2, "m " + what);
                same(u, u2, "u " + what);
            }
        }
    }

    @Test
    void theMaximumKeepsJavasRulesOnTheEdges() {
        assumeTrue(Kernels.vectorAvailable(), "no Vector API in this JVM");
        // each lane's u after one step with beta2 = 1 is max(u, |g| + 0): the cases the int compare must get right
        float[] u = {-0f, 0f, -5f, Float.NEGATIVE_INFINITY, NEGATIVE_NAN, Float.NaN, 2f, Float.POSITIVE_INFINITY,
            1f, 0f, -1f, 7f, NEGATIVE_NAN, 3f, 0f, 0f};
        float[] g = {0f, -0f, 1f, 2f, 1f, 1f, -3f, 1f, Float.NaN, NEGATIVE_NAN, -0f, 7f, Float.NaN, -2f,
            Float.NEGATIVE_INFINITY, Float.MIN_VALUE};
        float[] expected = new float[u.length];
        for (int i = 0; i < u.length; i++) {
            expected[i] = Math.max(u[i], Math.abs(g[i]));
        }
        float[] vector = u.clone();
        AdamaxVector.plainFloat(new float[u.length], g, new float[u.length], vector, 0.9f, 0.1f, 1f, 0f, -1f, 0,
                u.length);
        same(expected, vector, "u");
    }

    private static void same(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(expected[i])) {
                assertTrue(Float.isNaN(actual[i]), what + " element " + i + ": expected NaN, got " + actual[i]);
            } else {
                assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                        what + " element " + i + ": expected " + expected[i] + ", got " + actual[i]);
            }
        }
    }
}
