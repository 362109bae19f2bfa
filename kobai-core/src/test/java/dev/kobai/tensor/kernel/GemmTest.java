package dev.kobai.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks both Gemm kernels against a naive triple loop in double precision. Matrices are placed at
 * nonzero offsets with leading dimensions larger than their rows, and every array element outside
 * the region of C being written is checked to be untouched afterwards.
 */
class GemmTest {
    private static final Gemm SCALAR = TestKernels.SCALAR;
    private static final Gemm VECTOR = TestKernels.VECTOR;
    private static final int THREADS = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(THREADS);
    }

    /** Square sizes around the register-tile and vector widths, plus uneven shapes. */
    static List<int[]> shapes() {
        List<int[]> s = new ArrayList<>();
        for (int x : new int[] {1, 3, 7, 17, 33, 65, 129}) {
            s.add(new int[] {x, x, x});
        }
        int[][] uneven = {
            {1, 7, 3}, {3, 1, 17}, {7, 33, 1}, {17, 3, 65}, {33, 129, 7}, {65, 17, 33}, {129, 65, 3},
            {6, 32, 5}, {12, 64, 300}, {13, 31, 257}, {5, 100, 2}, {150, 10, 40}, {10, 150, 40}, {2, 2, 600},
            // The vector kernel's packing-free path (op(B) = B, one thread): the layer 2 gradient
            // shapes, a bottom edge of every size 1 to 5 rows, wide and narrow panels with column
            // remainders, k from 1 to KC (and 300 above).
            {128, 256, 10}, {10, 256, 128}, {10, 70, 128}, {7, 64, 3}, {1, 40, 256}, {5, 96, 1},
            {9, 48, 17}, {8, 80, 64}, {11, 33, 30},
        };
        s.addAll(List.of(uneven));
        return s;
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Gemm g : TestKernels.all()) {
            for (int[] mnk : shapes()) {
                for (int t = 0; t < 4; t++) {
                    out.add(Arguments.of(g, mnk[0], mnk[1], mnk[2], (t & 1) != 0, (t & 2) != 0));
                }
            }
        }
        return out.stream();
    }

    /** A matrix in an array: row-major from off with leading dimension ld, with junk around it. */
    record Layout(int rows, int cols, int off, int ld) {
        int size() {
            return off + (rows == 0 ? 0 : (rows - 1) * ld + cols) + 5;
        }

        int at(int r, int col) {
            return off + r * ld + col;
        }

        boolean inside(int index) {
            int rel = index - off;
            return rel >= 0 && rel / ld < rows && rel % ld < cols;
        }
    }

    private static Layout layout(SplittableRandom rnd, int rows, int cols) {
        return new Layout(rows, cols, 1 + rnd.nextInt(7), cols + rnd.nextInt(5));
    }

    private static double[] fill(SplittableRandom rnd, int size) {
        double[] x = new double[size];
        for (int i = 0; i < size; i++) {
            x[i] = rnd.nextDouble(-1, 1);
        }
        return x;
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    private static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    /**
     * Naive reference in double: ref[i*n+j] and, for the tolerance, the sum of absolute values of
     * the terms (including the old C when accumulating) in bound[i*n+j].
     */
    private static void reference(boolean ta, boolean tb, int m, int n, int k,
                                  double[] a, Layout la, double[] b, Layout lb, double[] c0, Layout lc,
                                  boolean acc, double[] ref, double[] bound) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = acc ? c0[lc.at(i, j)] : 0;
                double abs = Math.abs(s);
                for (int p = 0; p < k; p++) {
                    double x = ta ? a[la.at(p, i)] : a[la.at(i, p)];
                    double y = tb ? b[lb.at(j, p)] : b[lb.at(p, j)];
                    s += x * y;
                    abs += Math.abs(x * y);
                }
                ref[i * n + j] = s;
                bound[i * n + j] = abs;
            }
        }
    }

    /**
     * Runs one float and one double product and checks them. Float tolerance: a sum of k products
     * in float can be off by about k * 2^-24 of the sum of the terms' magnitudes; we allow that
     * bound (with a little slack), which a wrong index or a missed term exceeds by far.
     */
    private static void check(Gemm g, int m, int n, int k, boolean ta, boolean tb, boolean acc, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Layout la = ta ? layout(rnd, k, m) : layout(rnd, m, k);
        Layout lb = tb ? layout(rnd, n, k) : layout(rnd, k, n);
        Layout lc = layout(rnd, m, n);
        double[] a = fill(rnd, la.size());
        double[] b = fill(rnd, lb.size());
        double[] c0 = fill(rnd, lc.size());
        if (!acc) {
            // Overwrite mode must not read C: poison it so that reading would show up as NaN.
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    c0[lc.at(i, j)] = Double.NaN;
                }
            }
        }
        double[] ref = new double[m * n];
        double[] bound = new double[m * n];
        float[] af = toFloat(a), bf = toFloat(b), cf = toFloat(c0);
        // The float reference uses the float-rounded inputs, so only the arithmetic differs.
        reference(ta, tb, m, n, k, toDouble(af), la, toDouble(bf), lb, toDouble(cf), lc, acc, ref, bound);
        g.sgemm(ta, tb, m, n, k, af, la.off(), la.ld(), bf, lb.off(), lb.ld(), cf, lc.off(), lc.ld(), acc);
        String what = g.name() + " sgemm ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + " k=" + k + " acc=" + acc;
        float[] cf0 = toFloat(c0);
        for (int idx = 0; idx < cf.length; idx++) {
            if (!lc.inside(idx)) {
                if (Float.floatToRawIntBits(cf[idx]) != Float.floatToRawIntBits(cf0[idx])) {
                    fail(what + ": wrote outside C at index " + idx);
                }
                continue;
            }
            int i = (idx - lc.off()) / lc.ld(), j = (idx - lc.off()) % lc.ld();
            double tol = (k + 4) * 0x1p-24 * bound[i * n + j] + 1e-30;
            double err = Math.abs(cf[idx] - ref[i * n + j]);
            if (!(err <= tol)) {
                fail(what + ": C[" + i + "][" + j + "] = " + cf[idx] + ", expected " + ref[i * n + j]);
            }
        }

        double[] cd = c0.clone();
        reference(ta, tb, m, n, k, a, la, b, lb, c0, lc, acc, ref, bound);
        g.dgemm(ta, tb, m, n, k, a, la.off(), la.ld(), b, lb.off(), lb.ld(), cd, lc.off(), lc.ld(), acc);
        what = what.replace("sgemm", "dgemm");
        for (int idx = 0; idx < cd.length; idx++) {
            if (!lc.inside(idx)) {
                if (Double.doubleToRawLongBits(cd[idx]) != Double.doubleToRawLongBits(c0[idx])) {
                    fail(what + ": wrote outside C at index " + idx);
                }
                continue;
            }
            int i = (idx - lc.off()) / lc.ld(), j = (idx - lc.off()) % lc.ld();
            double err = Math.abs(cd[idx] - ref[i * n + j]);
            if (!(err <= 1e-12 * Math.max(1, bound[i * n + j]))) {
                fail(what + ": C[" + i + "][" + j + "] = " + cd[idx] + ", expected " + ref[i * n + j]);
            }
        }
    }

    @ParameterizedTest(name = "{0} m={1} n={2} k={3} ta={4} tb={5}")
    @MethodSource("cases")
    void matchesNaiveProduct(Gemm g, int m, int n, int k, boolean ta, boolean tb) {
        long seed = 31L * (31L * (31L * m + n) + k) + (ta ? 2 : 0) + (tb ? 1 : 0);
        check(g, m, n, k, ta, tb, false, seed);
        check(g, m, n, k, ta, tb, true, seed + 1);
    }

    @Test
    void largeProductsUseBothThreadsAndStayCorrect() {
        Parallel.setThreads(2);
        // Both shapes exceed the split thresholds (2^20 multiply-adds scalar, 2^21 vector); the vector
        // kernel splits the first by rows (m >= n) and the second by columns,
        // and with k larger than one K block so that later blocks accumulate onto earlier ones.
        for (Gemm g : TestKernels.all()) {
            for (int t = 0; t < 4; t++) {
                check(g, 203, 61, 300, (t & 1) != 0, (t & 2) != 0, t % 2 == 0, 7 + t);
                check(g, 45, 190, 300, (t & 1) != 0, (t & 2) != 0, t % 2 == 1, 11 + t);
            }
        }
    }

    @Test
    void columnBlocksBeyondNcAreCovered() {
        // More columns than one NC block of the vector kernel, with a partial last block.
        check(VECTOR, 7, 2100, 5, false, true, false, 3);
        check(VECTOR, 7, 2100, 5, true, false, true, 4);
    }

    /**
     * The vector kernel's block bounds, on each side: k of one and two KC blocks (256, 512) and one
     * more, where the packed path adds a second or third block onto C and the direct path gives way
     * to the packed one on one thread; row counts of one MC block (144) and one more; column counts
     * of one NC block (2048) and one more; each transpose and mode, on one thread and two.
     */
    @Test
    void blockBoundariesOfTheVectorKernel() {
        int[][] shapes = {
            {7, 20, 256}, {7, 20, 257}, {5, 9, 512}, {5, 9, 513},
            {144, 20, 5}, {145, 20, 5}, {289, 9, 3},
            {3, 2048, 4}, {3, 2049, 4},
            // beyond the small-product bound with k past two KC blocks: packed on one thread too
            {64, 70, 513}, {70, 64, 512},
            // a bottom edge of two rows in the direct path's two-vector kernel, writing into C
            {8, 40, 5}, {14, 40, 5},
        };
        long seed = 100;
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            for (int[] s : shapes) {
                for (int t = 0; t < 4; t++) {
                    check(VECTOR, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, (t & 1) == 0, seed++);
                    check(VECTOR, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, (t & 1) != 0, seed++);
                }
            }
        }
    }

    /**
     * A thread's first products, each the first to use one of its buffers (the direct path's tail
     * panel and tile, the packed op(A) and op(B) with row counts a whole number of tiles, the
     * double ones), so that each buffer has exactly the size its first product asks for.
     */
    @Test
    void aFreshThreadsBuffersFitItsFirstProducts() throws Exception {
        Throwable[] failure = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                check(VECTOR, 8, 40, 5, false, false, false, 1);
                check(VECTOR, 12, 40, 7, false, true, false, 2);
                check(VECTOR, 12, 40, 7, true, true, true, 3);
                check(VECTOR, 18, 10, 300, true, true, false, 4);
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        t.start();
        t.join();
        if (failure[0] != null) {
            throw new AssertionError("on a fresh thread: " + failure[0], failure[0]);
        }
    }

    /** What {@code kobai bench} and the Spark executors' kernel check print. */
    @Test
    void theVectorKernelDescribesItsTiles() {
        String expectedStart = VECTOR.name() + ": " + VectorWidth.describe() + "; float tile 6x";
        String d = VECTOR.describe();
        assertTrue(d.startsWith(expectedStart), d);
        int floatLanes = VectorWidth.FLOAT.length();
        int doubleLanes = VectorWidth.DOUBLE.length();
        assertEquals(expectedStart + (2 * floatLanes) + " packed, 6x"
                + (VectorWidth.REGISTERS >= 32 ? 4 * floatLanes : 2 * floatLanes) + " direct; double tile 6x"
                + (2 * doubleLanes), d);
    }

    @Test
    void vectorAgreesWithScalar() {
        SplittableRandom rnd = new SplittableRandom(42);
        int m = 57, n = 131, k = 270;
        float[] a = toFloat(fill(rnd, m * k)), b = toFloat(fill(rnd, n * k));
        float[] cs = new float[m * n], cv = new float[m * n];
        SCALAR.sgemm(false, true, m, n, k, a, 0, k, b, 0, k, cs, 0, n, false);
        VECTOR.sgemm(false, true, m, n, k, a, 0, k, b, 0, k, cv, 0, n, false);
        for (int i = 0; i < cs.length; i++) {
            assertEquals(cs[i], cv[i], 1e-4f * Math.max(1f, Math.abs(cs[i])), "element " + i);
        }
        double[] ad = fill(rnd, m * k), bd = fill(rnd, n * k);
        double[] ds = new double[m * n], dv = new double[m * n];
        SCALAR.dgemm(true, false, m, n, k, ad, 0, m, bd, 0, n, ds, 0, n, false);
        VECTOR.dgemm(true, false, m, n, k, ad, 0, m, bd, 0, n, dv, 0, n, false);
        for (int i = 0; i < ds.length; i++) {
            assertEquals(ds[i], dv[i], 1e-12 * Math.max(1, Math.abs(ds[i])), "element " + i);
        }
    }

    @Test
    void emptyInnerDimensionClearsOrKeepsC() {
        for (Gemm g : TestKernels.all()) {
            float[] c = {5, 6, 7, 8};
            g.sgemm(false, false, 2, 2, 0, new float[0], 0, 0, new float[0], 0, 2, c, 0, 2, true);
            assertEquals(5f, c[0], g.name());
            g.sgemm(false, false, 2, 2, 0, new float[0], 0, 0, new float[0], 0, 2, c, 0, 2, false);
            assertEquals(0f, c[3], g.name());
        }
    }

    @Test
    void rejectsBadLeadingDimensionAndShortArrays() {
        for (Gemm g : TestKernels.all()) {
            float[] x = new float[12];
            assertThrows(IllegalArgumentException.class,
                    () -> g.sgemm(false, false, 3, 4, 4, x, 0, 3, x, 0, 4, new float[12], 0, 4, false));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> g.sgemm(false, false, 3, 4, 4, x, 1, 4, new float[16], 0, 4, new float[12], 0, 4, false));
            assertThrows(IllegalArgumentException.class,
                    () -> g.dgemm(false, false, -1, 4, 4, new double[0], 0, 4, new double[0], 0, 4, new double[0], 0, 4, false));
        }
    }

    /** k blocks of at most 256, about equal: 784 as 4 x 196, not 3 x 256 + 16. */
    @Test
    void kBlocksAreBalanced() {
        assertEquals(1, VectorGemm.balancedKc(1));
        assertEquals(256, VectorGemm.balancedKc(256));
        assertEquals(129, VectorGemm.balancedKc(257));
        assertEquals(196, VectorGemm.balancedKc(784));
        for (int k = 1; k < 3000; k++) {
            int kc = VectorGemm.balancedKc(k);
            int blocks = (k + kc - 1) / kc;
            assertTrue(kc <= 256 && blocks == (k + 255) / 256 && k - (blocks - 1) * kc >= kc - blocks, "k=" + k);
        }
    }

    @Test
    void kernelsSelection() {
        // Surefire starts the JVM with the incubator module, so the default is the vector kernel.
        assertInstanceOf(VectorGemm.class, Kernels.gemm());
        assertTrue(Kernels.gemm().name().startsWith("vector("), Kernels.gemm().name());
        assertSame(Kernels.scalarGemm(), Kernels.choose("false", true));
        assertSame(Kernels.scalarGemm(), Kernels.choose(" FALSE ", true));
        assertSame(Kernels.scalarGemm(), Kernels.choose(null, false));
        assertInstanceOf(VectorGemm.class, Kernels.choose("true", true));
        assertInstanceOf(VectorGemm.class, Kernels.choose(null, true));
        assertInstanceOf(ScalarGemm.class, Kernels.scalarGemm());
    }
}
