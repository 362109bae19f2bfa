package dev.kobai.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The system BLAS kernel's own rules; its products are checked with the other kernels' in
 * GemmTest and PackedGemmTest. Needs a BLAS library with CBLAS (CI installs Debian's OpenBLAS).
 */
class BlasGemmTest {
    private static final int THREADS = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(THREADS);
    }

    /** Split across threads or not, the same operands give the same bits on every call. */
    @Test
    void productsAreDeterministicForAThreadCount() {
        assumeTrue(TestKernels.BLAS != null, "no BLAS library installed");
        SplittableRandom rnd = new SplittableRandom(5);
        int m = 301, n = 257, k = 299;
        float[] a = new float[m * k];
        float[] b = new float[k * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextDouble(-1, 1);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) rnd.nextDouble(-1, 1);
        }
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            float[] first = new float[m * n];
            float[] again = new float[m * n];
            TestKernels.BLAS.sgemm(false, false, m, n, k, a, 0, k, b, 0, n, first, 0, n, false);
            TestKernels.BLAS.sgemm(false, false, m, n, k, a, 0, k, b, 0, n, again, 0, n, false);
            assertArrayEquals(first, again, "threads " + threads);
        }
    }

    @Test
    void describesTheLibraryAndItsKernel() {
        assumeTrue(TestKernels.BLAS != null, "no BLAS library installed");
        assertTrue(TestKernels.BLAS.name().startsWith("blas(lib"), TestKernels.BLAS.name());
        assertTrue(TestKernels.BLAS.describe().startsWith("system BLAS lib"), TestKernels.BLAS.describe());
    }

    /** OPENBLAS_CORETYPE from the CPU's extensions, as tools/openblas_kernel.py chooses it. */
    @Test
    void coretypeFollowsTheWidestExtension() {
        assertEquals("Cooperlake", SystemBlas.coretypeFor(Set.of("avx2", "avx512f", "avx512_bf16")));
        assertEquals("SkylakeX", SystemBlas.coretypeFor(Set.of("avx2", "avx512f")));
        assertEquals("Haswell", SystemBlas.coretypeFor(Set.of("avx", "avx2", "fma")));
        assertNull(SystemBlas.coretypeFor(Set.of("sse4_2", "avx")));
    }

    /** The Java kernel unless the system one is asked for and loads; a bad request says why. */
    @Test
    void selectionRule() {
        Gemm java = TestKernels.VECTOR;
        assertSame(java, Kernels.withBlas(null, null, java));
        assertSame(java, Kernels.withBlas(" Java ", null, java));
        assertSame(java, Kernels.withBlas("fast", null, java));
        assertSame(java, Kernels.withBlas("system", "/nonexistent/libnoblas.so", java));
        if (TestKernels.BLAS != null) {
            Gemm system = Kernels.withBlas("system", null, java);
            assertNotNull(system);
            assertTrue(system instanceof BlasGemm, system.name());
        }
    }

    /** The blocks {@link BlasGemm#split} hands out for an m x n x k product, sorted. */
    private static List<List<Integer>> blocks(int m, int n, int k) {
        List<List<Integer>> out = new ArrayList<>();
        BlasGemm.split(m, n, k, (i0, i1, j0, j1) -> {
            synchronized (out) {
                out.add(List.of(i0, i1, j0, j1));
            }
        });
        out.sort((x, y) -> x.toString().compareTo(y.toString()));
        return out;
    }

    /**
     * Products of more than 2^21 multiply-adds go to two threads, in contiguous blocks of rows, or of
     * columns when C is wider than tall; smaller ones, one thread, or a caller inside a split loop
     * get one call. (The values of split products are checked in GemmTest.)
     */
    @Test
    void largeProductsAreSplitIntoRowOrColumnBlocks() {
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "one core: nothing is split");
        Parallel.setThreads(2);
        assertEquals(List.of(List.of(0, 128, 0, 128)), blocks(128, 128, 128), "exactly 2^21: whole");
        assertEquals(List.of(List.of(0, 64, 0, 128), List.of(64, 128, 0, 128)), blocks(128, 128, 129),
                "square: by rows");
        assertEquals(List.of(List.of(0, 100, 0, 100), List.of(0, 100, 100, 200)), blocks(100, 200, 200),
                "wider than tall: by columns");
        assertEquals(List.of(List.of(0, 100, 0, 200), List.of(100, 200, 0, 200)), blocks(200, 200, 100),
                "by rows");
        assertEquals(List.of(List.of(0, 100, 0, 100), List.of(100, 201, 0, 100)), blocks(201, 100, 200),
                "taller than wide: by rows");
        List<List<Integer>> inside = Parallel.serially(() -> blocks(200, 200, 100));
        assertEquals(List.of(List.of(0, 200, 0, 200)), inside, "inside a serial scope: whole");
        Parallel.setThreads(1);
        assertEquals(List.of(List.of(0, 200, 0, 200)), blocks(200, 200, 100), "one thread: whole");
    }

    /** A B packed by another kernel is refused, not read as this kernel's row-major copy. */
    @Test
    void aBPackedByAnotherKernelIsRefused() {
        assumeTrue(TestKernels.BLAS != null, "no BLAS library installed");
        float[] b = new float[12];
        PackedB packed = TestKernels.VECTOR.packB(false, 3, 4, b, 0, 4, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TestKernels.BLAS.sgemm(false,
                2, new float[6], 0, 3, packed, new float[8], 0, 4, false));
        assertEquals("B was packed by the " + TestKernels.VECTOR.name() + " kernel, not by this "
                + TestKernels.BLAS.name() + " one", e.getMessage());
        // its own packed copy is accepted
        TestKernels.BLAS.sgemm(false, 2, new float[6], 0, 3, TestKernels.BLAS.packB(false, 3, 4, b, 0, 4, null),
                new float[8], 0, 4, false);
    }
}
