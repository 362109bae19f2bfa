package dev.kobai.tensor.kernel;

/**
 * Argument checks shared by the {@link Gemm} implementations. Checking the extreme index of each
 * matrix up front turns a bad offset or leading dimension into a clear message instead of an
 * {@link ArrayIndexOutOfBoundsException} from deep inside a packed loop (or, worse, a silently
 * wrong result when the bad index happens to land inside the array).
 */
final class GemmArgs {
    private GemmArgs() {}

    static void check(boolean transA, boolean transB, int m, int n, int k,
                      int aLen, int aOff, int lda, int bLen, int bOff, int ldb,
                      int cLen, int cOff, int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("negative size m=" + m + " n=" + n + " k=" + k);
        }
        matrix("A", aLen, aOff, lda, transA ? k : m, transA ? m : k);
        matrix("B", bLen, bOff, ldb, transB ? n : k, transB ? k : n);
        matrix("C", cLen, cOff, ldc, m, n);
    }

    /**
     * Whether the product has nothing to compute: m or n is zero, or k is, in which case C is set to
     * zero unless it is accumulated into.
     */
    static boolean emptyProduct(int m, int n, int k, float[] c, int cOff, int ldc, boolean accumulate) {
        if (m == 0 || n == 0) {
            return true;
        }
        if (k != 0) {
            return false;
        }
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
        }
        return true;
    }

    /** {@link #emptyProduct(int, int, int, float[], int, int, boolean)} for double C. */
    static boolean emptyProduct(int m, int n, int k, double[] c, int cOff, int ldc, boolean accumulate) {
        if (m == 0 || n == 0) {
            return true;
        }
        if (k != 0) {
            return false;
        }
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0d);
            }
        }
        return true;
    }

    /** The checks of {@link #check} for op(B) (k x n) alone, for packing it. */
    static void checkB(boolean transB, int k, int n, int bLen, int bOff, int ldb) {
        if (n < 0 || k < 0) {
            throw new IllegalArgumentException("negative size n=" + n + " k=" + k);
        }
        matrix("B", bLen, bOff, ldb, transB ? n : k, transB ? k : n);
    }

    private static void matrix(String name, int len, int off, int ld, int rows, int cols) {
        if (ld < cols) {
            throw new IllegalArgumentException(
                    "leading dimension of " + name + " is " + ld + ", less than its row length " + cols);
        }
        if (off < 0) {
            throw new IndexOutOfBoundsException("offset of " + name + " is negative: " + off);
        }
        if (rows > 0 && cols > 0) {
            long end = off + (long) (rows - 1) * ld + cols;
            if (end > len) {
                throw new IndexOutOfBoundsException(name + " is " + rows + "x" + cols + " from offset " + off
                        + " with leading dimension " + ld + ", needing " + end + " elements, but the array has " + len);
            }
        }
    }
}
