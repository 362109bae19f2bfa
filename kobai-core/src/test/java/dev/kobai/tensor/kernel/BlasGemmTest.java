package dev.kobai.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
}
