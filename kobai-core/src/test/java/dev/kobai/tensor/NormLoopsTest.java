package dev.kobai.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kobai.tensor.kernel.Kernels;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Vector API sums of normalisation against their scalar references in {@link NormLoops}, in
 * both dtypes, over lengths around the vector width and unaligned offsets. The lanes add in another
 * order, so they agree to rounding (relative 1e-13 of the sum of magnitudes), not bit for bit.
 */
class NormLoopsTest {
    private static final int[] LENGTHS = {1, 7, 15, 16, 17, 31, 33, 100, 784, 1003};

    @Test
    void vectorMomentsMatchScalarMoments() {
        assumeTrue(Kernels.vectorAvailable(), "no Vector API in this JVM");
        Random r = new Random(3);
        for (int n : LENGTHS) {
            float[] f = new float[n + 5];
            double[] d = new double[n + 5];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) (r.nextGaussian() * 3 + 20);
                d[i] = r.nextGaussian() * 3 + 20;
            }
            double[] scalar = new double[2];
            double[] vector = {1, 2}; // both add to what is there
            NormLoops.moments(f, 3, n, 19.5, scalar);
            VectorLoops.moments(f, 3, n, 19.5, vector);
            assertClose(scalar[0] + 1, vector[0], n, "float32 sum, n=" + n);
            assertClose(scalar[1] + 2, vector[1], n, "float32 squares, n=" + n);
            scalar = new double[2];
            vector = new double[2];
            NormLoops.moments(d, 2, n, 19.5, scalar);
            VectorLoops.moments(d, 2, n, 19.5, vector);
            assertClose(scalar[0], vector[0], n, "float64 sum, n=" + n);
            assertClose(scalar[1], vector[1], n, "float64 squares, n=" + n);
        }
    }

    @Test
    void vectorChannelSumsMatchTheScalarSum() {
        assumeTrue(Kernels.vectorAvailable(), "no Vector API in this JVM");
        Random r = new Random(5);
        for (int n : LENGTHS) {
            float[] f = new float[n + 3];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) (r.nextGaussian() * 3 + 20);
            }
            double scalar = 0;
            for (int i = 3; i < 3 + n; i++) {
                scalar += f[i];
            }
            assertClose(scalar, VectorLoops.sum(f, 3, n), n, "float32 sum, n=" + n);
        }
    }

    @Test
    void vectorGradientSumsMatchScalarGradientSums() {
        assumeTrue(Kernels.vectorAvailable(), "no Vector API in this JVM");
        Random r = new Random(4);
        for (int n : LENGTHS) {
            float[] gf = new float[n + 4];
            float[] xf = new float[n + 4];
            double[] gd = new double[n + 4];
            double[] xd = new double[n + 4];
            for (int i = 0; i < gf.length; i++) {
                gf[i] = (float) r.nextGaussian();
                xf[i] = (float) (r.nextGaussian() - 4);
                gd[i] = r.nextGaussian();
                xd[i] = r.nextGaussian() - 4;
            }
            double[] scalar = new double[2];
            double[] vector = new double[2];
            NormLoops.gradSums(gf, xf, 1, n, -3.8, scalar);
            VectorLoops.gradSums(gf, xf, 1, n, -3.8, vector);
            assertClose(scalar[0], vector[0], n, "float32 sum g, n=" + n);
            assertClose(scalar[1], vector[1], n, "float32 sum g (x - mean), n=" + n);
            scalar = new double[2];
            vector = new double[2];
            NormLoops.gradSums(gd, xd, 3, n, -3.8, scalar);
            VectorLoops.gradSums(gd, xd, 3, n, -3.8, vector);
            assertClose(scalar[0], vector[0], n, "float64 sum g, n=" + n);
            assertClose(scalar[1], vector[1], n, "float64 sum g (x - mean), n=" + n);
        }
    }

    /** Rounding of n additions of terms about 10^2 in size: well under 1e-13 n 100. */
    private static void assertClose(double expected, double actual, int n, String what) {
        assertEquals(expected, actual, 1e-13 * n * 100, what);
    }

    /**
     * The element-wise loops of {@link BatchNormPool} give the scalar loops' bits: the same double
     * operations in the same order, lane by lane, including the tail past the last whole vector
     * and an input read from an offset while the scratch starts at 0.
     */
    @Test
    void vectorNormaliseAndGradientInputAreTheScalarBits() {
        assumeTrue(Kernels.vectorAvailable(), "no Vector API in this JVM");
        Random r = new Random(6);
        for (int n : LENGTHS) {
            float[] x = new float[n + 9];
            float[] gy = new float[n];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextGaussian() * 2 + 0.3);
            }
            for (int i = 0; i < n; i++) {
                gy[i] = i % 3 == 0 ? (float) r.nextGaussian() : 0f;
            }
            float[] scalar = new float[n];
            float[] vector = new float[n];
            NormLoops.normalizeRun(x, 7, scalar, n, 0.31, 1.7, -0.2);
            VectorLoops.normalizeRun(x, 7, vector, n, 0.31, 1.7, -0.2);
            assertBits(scalar, vector, "normalised, n=" + n);
            float[] dxScalar = new float[n + 9];
            float[] dxVector = new float[n + 9];
            NormLoops.gradInputFromScratch(gy, x, dxScalar, 5, n, 1.3, -0.07, 0.31, 0.002);
            VectorLoops.gradInputFromScratch(gy, x, dxVector, 5, n, 1.3, -0.07, 0.31, 0.002);
            assertBits(dxScalar, dxVector, "input gradient, n=" + n);
            assertEquals(0f, dxVector[4], "nothing written before the run");
            assertEquals(0f, dxVector[5 + n], "nothing written after the run");
        }
    }

    private static void assertBits(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), what + " at " + i);
        }
    }
}
