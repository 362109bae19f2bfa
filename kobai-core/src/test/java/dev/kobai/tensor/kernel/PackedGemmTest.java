package dev.kobai.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Products with a pre-packed right operand ({@link Gemm#packB}) against the same products
 * unpacked: bit for bit where the unpacked call packs op(B) itself (always in the scalar kernel;
 * in the vector kernel when op(B) = B^T or the product is split across threads), and within float
 * rounding of a double reference everywhere, with nothing written outside C.
 */
class PackedGemmTest {
    private static final Gemm SCALAR = TestKernels.SCALAR;
    private static final Gemm VECTOR = TestKernels.VECTOR;
    private static final int THREADS = Parallel.threads();
    /** m, n, k: edges of the register tile and of the k blocks, and K-FAC's two update products. */
    private static final int[][] SHAPES = {
        {1, 1, 1}, {7, 33, 5}, {6, 32, 256}, {13, 65, 257}, {40, 101, 300}, {150, 40, 12},
        {128, 256, 256}, {128, 785, 784}, {300, 70, 600},
    };

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(THREADS);
    }

    private static float[] fill(SplittableRandom rnd, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) rnd.nextDouble(-1, 1);
        }
        return x;
    }

    private static void check(Gemm g, int m, int n, int k, boolean ta, boolean tb, boolean acc, int threads) {
        Parallel.setThreads(threads);
        SplittableRandom rnd = new SplittableRandom(31L * m + 7L * n + k + (ta ? 1 : 0) + (tb ? 2 : 0));
        int lda = (ta ? m : k) + 3;
        int ldb = (tb ? k : n) + 2;
        int ldc = n + 1;
        int aOff = 5;
        int bOff = 3;
        int cOff = 2;
        float[] a = fill(rnd, aOff + (ta ? k : m) * lda);
        float[] b = fill(rnd, bOff + (tb ? n : k) * ldb);
        float[] c0 = fill(rnd, cOff + m * ldc + 4);
        float[] packed = c0.clone();
        float[] plain = c0.clone();
        PackedB pb = g.packB(tb, k, n, b, bOff, ldb, null);
        assertEquals(k, pb.k());
        assertEquals(n, pb.n());
        float kept = b[bOff];
        b[bOff] = 100; // the packed operand is a copy
        g.sgemm(ta, m, a, aOff, lda, pb, packed, cOff, ldc, acc);
        b[bOff] = kept;
        g.sgemm(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, plain, cOff, ldc, acc);
        String what = g.name() + " m=" + m + " n=" + n + " k=" + k + " ta=" + ta + " tb=" + tb + " acc=" + acc
                + " threads=" + threads;
        // the system BLAS has kernels of its own for each transpose, so its packed copy agrees to rounding
        boolean sameBits = g == SCALAR || g == VECTOR && (tb || ((long) m * n * k > (1L << 21) && threads > 1));
        for (int idx = 0; idx < packed.length; idx++) {
            int rel = idx - cOff;
            boolean inside = rel >= 0 && rel / ldc < m && rel % ldc < n;
            if (!inside || sameBits) {
                if (Float.floatToRawIntBits(packed[idx]) != Float.floatToRawIntBits(inside ? plain[idx] : c0[idx])) {
                    fail(what + (inside ? ": differs from the unpacked product at " : ": wrote outside C at ") + idx);
                }
                continue;
            }
            int i = rel / ldc;
            int j = rel % ldc;
            double s = acc ? c0[idx] : 0;
            double bound = Math.abs(s);
            for (int p = 0; p < k; p++) {
                double x = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                double y = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                s += x * y;
                bound += Math.abs(x * y);
            }
            if (!(Math.abs(packed[idx] - s) <= (k + 4) * 0x1p-24 * bound + 1e-30)) {
                fail(what + ": C[" + i + "][" + j + "] = " + packed[idx] + ", expected " + s);
            }
        }
    }

    @Test
    void packedProductsMatchUnpackedOnes() {
        for (Gemm g : TestKernels.all()) {
            for (int[] s : SHAPES) {
                for (int t = 0; t < 8; t++) {
                    boolean ta = (t & 1) != 0;
                    boolean tb = (t & 2) != 0;
                    boolean acc = (t & 4) != 0;
                    check(g, s[0], s[1], s[2], ta, tb, acc, 2);
                    if (t == 0) {
                        check(g, s[0], s[1], s[2], ta, tb, acc, 1);
                    }
                }
            }
        }
    }

    @Test
    void anEmptyInnerDimensionZeroesOrKeepsC() {
        for (Gemm g : TestKernels.all()) {
            PackedB pb = g.packB(false, 0, 3, new float[0], 0, 3, null);
            float[] c = {1, 2, 3, 4, 5, 6};
            g.sgemm(false, 2, new float[0], 0, 1, pb, c, 0, 3, true);
            assertEquals(21f, c[0] + c[1] + c[2] + c[3] + c[4] + c[5], g.name());
            g.sgemm(false, 2, new float[0], 0, 1, pb, c, 0, 3, false);
            assertEquals(0f, Math.abs(c[0]) + Math.abs(c[5]), g.name());
        }
    }

    @Test
    void repackingTheSameShapeReusesTheOperand() {
        for (Gemm g : TestKernels.all()) {
            SplittableRandom rnd = new SplittableRandom(3);
            float[] b = fill(rnd, 40 * 70);
            PackedB first = g.packB(false, 40, 70, b, 0, 70, null);
            assertSame(first, g.packB(false, 40, 70, b, 0, 70, first), g.name());
            assertSame(first, g.packB(true, 20, 30, b, 0, 20, first), g.name() + ": a smaller one fits too");
            assertEquals(20, first.k());
            assertEquals(30, first.n());
            PackedB other = g == SCALAR ? VECTOR.packB(false, 40, 70, b, 0, 70, null) : null;
            if (other != null) {
                assertSame(false, other == g.packB(false, 40, 70, b, 0, 70, other), "another kernel's is not reused");
            }
        }
    }

    @Test
    void badOperandsAreRefusedWithWhatIsWrong() {
        float[] b = new float[12];
        PackedB byVector = VECTOR.packB(false, 3, 4, b, 0, 4, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SCALAR.sgemm(false, 2, new float[6], 0, 3, byVector, new float[8], 0, 4, false));
        assertEquals("B was packed by the " + VECTOR.name() + " kernel, not by this scalar one", e.getMessage());
        IndexOutOfBoundsException oob = assertThrows(IndexOutOfBoundsException.class,
                () -> VECTOR.packB(false, 4, 4, b, 0, 4, null));
        assertEquals("B is 4x4 from offset 0 with leading dimension 4, needing 16 elements, but the array has 12",
                oob.getMessage());
        // The arguments are checked before any packing reads A, so the message says what is wrong.
        IndexOutOfBoundsException shortA = assertThrows(IndexOutOfBoundsException.class,
                () -> VECTOR.sgemm(false, 2, new float[5], 0, 3, byVector, new float[8], 0, 4, false));
        assertTrue(shortA.getMessage().startsWith("A is 2x3"), shortA.getMessage());
        PackedB byScalar = SCALAR.packB(false, 3, 4, b, 0, 4, null);
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> VECTOR.sgemm(false, 2, new float[6], 0, 3, byScalar, new float[8], 0, 4, false));
        assertTrue(other.getMessage().startsWith("B was packed by the " + SCALAR.name() + " kernel"), other.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SCALAR.packB(false, -1, 4, b, 0, 4, null));
    }
}
