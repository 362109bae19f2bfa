package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kobai.tensor.kernel.Kernels;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Rprop's Vector API loop against its plain-Java loop, bit for bit, signs of zero and NaN included. */
class RpropKernelTest {
    private static final float[] SPECIAL = {0f, -0f, Float.NaN, 1e-30f, -1e-30f, Float.MIN_VALUE, 3f, -3f};

    @Test
    void vectorLoopMatchesScalarLoopInFloat32() {
        assumeTrue(Kernels.vectorAvailable(), "no Vector API in this JVM");
        Random r = new Random(3);
        for (boolean maximize : new boolean[] {false, true}) {
            int n = 1000 + r.nextInt(37);
            float[] w = new float[n], g = new float[n], prev = new float[n], size = new float[n];
            for (int i = 0; i < n; i++) {
                w[i] = r.nextInt(10) == 0 ? SPECIAL[r.nextInt(SPECIAL.length)] : (float) r.nextGaussian();
                g[i] = r.nextInt(5) == 0 ? SPECIAL[r.nextInt(SPECIAL.length)] : (float) r.nextGaussian();
                prev[i] = r.nextInt(5) == 0 ? SPECIAL[r.nextInt(SPECIAL.length)] : (float) r.nextGaussian();
                size[i] = r.nextInt(7) == 0 ? 100f : r.nextFloat() * 0.1f;
            }
            float[] w2 = w.clone(), prev2 = prev.clone(), size2 = size.clone();
            for (int step = 0; step < 3; step++) {
                Rprop.scalar(w, g, prev, size, maximize, 1.2f, 0.5f, 1e-6f, 50f, 3, n - 2);
                RpropVector.update(w2, g, prev2, size2, maximize, 1.2f, 0.5f, 1e-6f, 50f, 3, n - 2);
            }
            assertArrayEquals(bits(w), bits(w2));
            assertArrayEquals(bits(prev), bits(prev2));
            assertArrayEquals(bits(size), bits(size2));
        }
    }

    @Test
    void vectorLoopMatchesScalarLoopInFloat64() {
        assumeTrue(Kernels.vectorAvailable(), "no Vector API in this JVM");
        Random r = new Random(4);
        int n = 777;
        double[] w = new double[n], g = new double[n], prev = new double[n], size = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = r.nextInt(10) == 0 ? SPECIAL[r.nextInt(SPECIAL.length)] : r.nextGaussian();
            g[i] = r.nextInt(5) == 0 ? SPECIAL[r.nextInt(SPECIAL.length)] : r.nextGaussian();
            prev[i] = r.nextInt(5) == 0 ? SPECIAL[r.nextInt(SPECIAL.length)] : r.nextGaussian();
            size[i] = r.nextInt(7) == 0 ? 100 : r.nextDouble() * 0.1;
        }
        double[] w2 = w.clone(), prev2 = prev.clone(), size2 = size.clone();
        for (int step = 0; step < 3; step++) {
            Rprop.scalar(w, g, prev, size, false, 1.2, 0.5, 1e-6, 50, 0, n);
            RpropVector.update(w2, g, prev2, size2, false, 1.2, 0.5, 1e-6, 50, 0, n);
        }
        assertArrayEquals(bits(w), bits(w2));
        assertArrayEquals(bits(prev), bits(prev2));
        assertArrayEquals(bits(size), bits(size2));
    }

    private static int[] bits(float[] x) {
        int[] b = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            b[i] = Float.floatToRawIntBits(x[i]);
        }
        return b;
    }

    private static long[] bits(double[] x) {
        long[] b = new long[x.length];
        for (int i = 0; i < x.length; i++) {
            b[i] = Double.doubleToRawLongBits(x[i]);
        }
        return b;
    }
}
