package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The trainer's per-step finiteness check, on the values at the edges of float32 and float64. */
class AllFiniteTest {
    private static final float[] FINITE = {0f, -0f, 1f, -1f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE,
        Float.MIN_NORMAL, -Float.MIN_VALUE, 3.4e38f, 1e-45f};

    @Test
    void finiteValuesPassAndEveryNonFiniteOneIsCaughtAnywhere() {
        for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (int n : new int[] {1, 3, 17, 1000}) {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = FINITE[i % FINITE.length];
                }
                assertTrue(Trainer.allFinite(Tensor.fromArray(v, n).to(dtype)), dtype + " n=" + n);
                for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                    Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xffc00000)}) {
                    for (int at : new int[] {0, n / 2, n - 1}) {
                        float[] w = v.clone();
                        w[at] = bad;
                        assertFalse(Trainer.allFinite(Tensor.fromArray(w, n).to(dtype)),
                                dtype + " n=" + n + " " + bad + " at " + at);
                    }
                }
            }
        }
    }
}
