package dev.kobai.curvature;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The GEMM-based Cholesky inverse and the Householder-QL eigensolver against the double[][] reference code. */
class FlatMatricesTest {
    /** R R^T / n + ridge I with R n x rank: positive semi-definite, singular when rank < n and ridge = 0. */
    private static double[] gramian(int n, int rank, double ridge, long seed) {
        double[] r = Tensor.randn(new Rng(seed), DType.FLOAT64, n, rank).toDoubleArray();
        double[] a = FlatMatrices.multiply(false, true, n, n, rank, r, r);
        for (int i = 0; i < n * n; i++) {
            a[i] /= n;
        }
        for (int i = 0; i < n; i++) {
            a[i * n + i] += ridge;
        }
        FlatMatrices.symmetrize(a, n);
        return a;
    }

    @Test
    void spdInverseMatchesTheUnblockedOneAcrossBlockBoundaries() {
        for (int n : new int[] {1, 5, 63, 64, 65, 127, 128, 129, 150, 200, 257}) {
            double[] a = gramian(n, n + 3, 1e-3, n);
            double[] fast = FlatMatrices.spdInverse(a, n, 0.05);
            double[][] slow = DenseMatrices.spdInverse(FlatMatrices.unflatten(a, n, n), 0.05);
            double scale = 0;
            double err = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    scale = Math.max(scale, Math.abs(slow[i][j]));
                    err = Math.max(err, Math.abs(fast[i * n + j] - slow[i][j]));
                    assertEquals(fast[i * n + j], fast[j * n + i], "exactly symmetric, n=" + n);
                }
            }
            assertTrue(err < 1e-10 * scale, "n=" + n + ": " + err + " vs " + scale);
        }
        // not positive definite
        assertNull(FlatMatrices.spdInverse(new double[] {1, 2, 2, 1}, 2, 0));
    }

    @Test
    void spdInverseIntoReusedBuffersIgnoresWhatTheyHeld() {
        int n = 150;
        double[] a = gramian(n, n + 3, 1e-3, 7);
        double[] fresh = FlatMatrices.spdInverse(a, n, 0.05);
        double[] out = new double[n * n];
        double[] work = new double[n * n];
        java.util.Arrays.fill(out, Double.NaN);
        java.util.Arrays.fill(work, 1e30);
        assertTrue(FlatMatrices.spdInverse(a, n, 0.05, out, work));
        assertArrayEquals(fresh, out, "same arithmetic, whatever the buffers held");
        double[] before = a.clone();
        assertTrue(FlatMatrices.spdInverse(a, n, 0.05, out, work), "a second refresh into the same buffers");
        assertArrayEquals(fresh, out);
        assertArrayEquals(before, a, "the input is not modified");
        assertFalse(FlatMatrices.spdInverse(new double[] {1, 2, 2, 1}, 2, 0, new double[4], new double[4]));
    }

    @Test
    void mirrorLowerCopiesTheLowerTriangleAndSymmetrizeAverages() {
        int n = 70; // more than two 32-wide tiles
        double[] a = Tensor.randn(new Rng(3), DType.FLOAT64, n, n).toDoubleArray();
        double[] mirrored = a.clone();
        double[] averaged = a.clone();
        FlatMatrices.mirrorLower(mirrored, n);
        FlatMatrices.symmetrize(averaged, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                assertEquals(a[i * n + j], mirrored[i * n + j]);
                assertEquals(a[i * n + j], mirrored[j * n + i]);
                double mean = 0.5 * (a[i * n + j] + a[j * n + i]);
                assertEquals(i == j ? a[i * n + i] : mean, averaged[i * n + j]);
                assertEquals(averaged[i * n + j], averaged[j * n + i]);
            }
        }
    }

    @Test
    void eigenReconstructsAndMatchesJacobi() {
        for (int n : new int[] {1, 2, 7, 40, 130}) {
            double[] a = gramian(n, Math.max(1, n / 2), 0, 100 + n); // rank deficient: repeated zero eigenvalues
            FlatMatrices.Eigen e = FlatMatrices.symmetricEigen(a, n);
            double[] q = e.vectors();
            double scale = 0;
            for (double x : a) {
                scale = Math.max(scale, Math.abs(x));
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double rec = 0;
                    double orth = 0;
                    for (int k = 0; k < n; k++) {
                        rec += q[i * n + k] * e.values()[k] * q[j * n + k];
                        orth += q[k * n + i] * q[k * n + j];
                    }
                    assertEquals(a[i * n + j], rec, 1e-12 * Math.max(scale, 1), "A at n=" + n);
                    assertEquals(i == j ? 1 : 0, orth, 1e-12, "Q^T Q at n=" + n);
                }
            }
            double[] fast = e.values().clone();
            double[] slow = DenseMatrices.symmetricEigen(FlatMatrices.unflatten(a, n, n)).values().clone();
            java.util.Arrays.sort(fast);
            java.util.Arrays.sort(slow);
            for (int i = 0; i < n; i++) {
                assertEquals(slow[i], fast[i], 1e-12 * Math.max(scale, 1));
            }
        }
    }
}
