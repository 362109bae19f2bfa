package dev.kobai.tensor;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The finiteness check the trainer runs on every gradient every step, on the values at the edges of
 * float32 and float64: through Tensor (the Vector API loop where it is available) and the plain-Java
 * loop it falls back to.
 */
class AllFiniteTest {
    private static final float[] FINITE = {0f, -0f, 1f, -1f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE,
        Float.MIN_NORMAL, -Float.MIN_VALUE, 3.4e38f, 1e-45f};

    private static boolean scalar(Tensor t) {
        return t.dtype() == DType.FLOAT32 ? Reduce.allFinite(t.floatData(), 0, t.numel())
                : Reduce.allFinite(t.doubleData(), 0, t.numel());
    }

    @Test
    void finiteValuesPassAndEveryNonFiniteOneIsCaughtAnywhere() {
        for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (int n : new int[] {1, 3, 17, 31, 32, 33, 1000, 70001}) {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = FINITE[i % FINITE.length];
                }
                Tensor ok = Tensor.fromArray(v, n).to(dtype);
                assertTrue(ok.allFinite(), dtype + " n=" + n);
                assertTrue(scalar(ok), dtype + " n=" + n + ", plain Java");
                for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                    Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xffc00000)}) {
                    for (int at : new int[] {0, n / 2, n - 1}) {
                        float[] w = v.clone();
                        w[at] = bad;
                        Tensor t = Tensor.fromArray(w, n).to(dtype);
                        assertFalse(t.allFinite(), dtype + " n=" + n + " " + bad + " at " + at);
                        assertFalse(scalar(t), dtype + " n=" + n + " " + bad + " at " + at + ", plain Java");
                    }
                }
            }
        }
    }
}
