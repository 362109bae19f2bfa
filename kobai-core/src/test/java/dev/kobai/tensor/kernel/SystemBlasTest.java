package dev.kobai.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Loading the system BLAS: which library, what it says about itself, the OpenBLAS settings made
 * before and after loading, and the errors of a call. Needs OpenBLAS (CI installs Debian's); the
 * rule for OPENBLAS_CORETYPE is tested without it.
 */
class SystemBlasTest {
    private static final String OPENBLAS = "libopenblas.so.0";

    private static boolean openBlasLoads() {
        try {
            return SystemBlas.load(OPENBLAS) != null;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    /** OPENBLAS_CORETYPE is set only when unset, on Linux on x86-64, and from the widest extension. */
    @Test
    void coretypeIsSetOnlyWhenUnsetOnLinuxOnX86() {
        Set<String> avx512 = Set.of("avx2", "avx512f");
        assertEquals("SkylakeX", SystemBlas.coretypeToSet(null, "Linux", "amd64", avx512));
        assertEquals("SkylakeX", SystemBlas.coretypeToSet(null, "linux", "x86_64", avx512));
        assertEquals("Haswell", SystemBlas.coretypeToSet(null, "Linux", "amd64", Set.of("avx2")));
        assertNull(SystemBlas.coretypeToSet("Prescott", "Linux", "amd64", avx512), "the user's value stays");
        assertNull(SystemBlas.coretypeToSet("", "Linux", "amd64", avx512), "set, if empty");
        assertNull(SystemBlas.coretypeToSet(null, "Mac OS X", "x86_64", avx512));
        assertNull(SystemBlas.coretypeToSet(null, "Linux", "aarch64", avx512));
        assertNull(SystemBlas.coretypeToSet(null, "Linux", "amd64", Set.of("sse4_2")));
    }

    /**
     * The detail names OpenBLAS's kernel and, when Kobai chose it, the variable it set: the kernel
     * OpenBLAS then reports is that one.
     */
    @Test
    void openBlasDescribesItsKernelAndTheCoretypeKobaiSet() {
        assumeTrue(openBlasLoads(), "OpenBLAS not installed");
        SystemBlas blas = SystemBlas.load(OPENBLAS);
        assertEquals(OPENBLAS, blas.library);
        String chosen = SystemBlas.coretypeToSet(System.getenv("OPENBLAS_CORETYPE"), System.getProperty("os.name"),
                System.getProperty("os.arch"), CpuInfo.flags(CpuInfo.read()));
        if (chosen != null) {
            assertEquals("OpenBLAS, " + chosen + " kernels (OPENBLAS_CORETYPE=" + chosen
                    + " set by Kobai from the CPU's extensions), one thread per call", blas.detail);
        } else {
            assertTrue(blas.detail.matches("OpenBLAS, \\S+ kernels, one thread per call"), blas.detail);
        }
        assertEquals("system BLAS " + OPENBLAS + ": " + blas.detail, new BlasGemm(blas).describe());
        assertEquals("blas(" + OPENBLAS + ")", new BlasGemm(blas).name());
    }

    /** Loading sets OpenBLAS to one thread, whatever it ran with before. */
    @Test
    void loadingSetsOpenBlasToOneThread() throws Throwable {
        assumeTrue(openBlasLoads(), "OpenBLAS not installed");
        Linker linker = Linker.nativeLinker();
        SymbolLookup lib = SymbolLookup.libraryLookup(OPENBLAS, Arena.global());
        MethodHandle set = linker.downcallHandle(lib.find("openblas_set_num_threads").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
        MethodHandle get = linker.downcallHandle(lib.find("openblas_get_num_threads").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
        set.invokeExact(2);
        assertEquals(2, (int) get.invokeExact());
        SystemBlas.load(OPENBLAS);
        assertEquals(1, (int) get.invokeExact());
    }

    /** No name (or a blank one) tries the candidates in order; a given name is stripped; a path is a path. */
    @Test
    void theLibraryIsFoundByCandidateNameOrPath() throws Exception {
        assumeTrue(openBlasLoads(), "OpenBLAS not installed");
        assertEquals(SystemBlas.CANDIDATES.getFirst(), SystemBlas.load(null).library);
        assertEquals(SystemBlas.CANDIDATES.getFirst(), SystemBlas.load("  ").library);
        assertEquals(OPENBLAS, SystemBlas.load(" " + OPENBLAS + "\t").library);
        // the file the dynamic linker loaded, by its full path
        String path = Files.readAllLines(Path.of("/proc/self/maps")).stream().map(l -> l.substring(l.lastIndexOf(' ') + 1))
                .filter(f -> f.contains("/libopenblas")).findFirst().orElseThrow();
        SystemBlas byPath = SystemBlas.load(path);
        assertEquals(path, byPath.library);
        assertTrue(byPath.detail.startsWith("OpenBLAS, "), byPath.detail);
    }

    @Test
    void aLibraryWithoutTheProductsOrNoneIsRefusedWithWhatWasTried() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SystemBlas.load("libm.so.6"));
        assertEquals("no BLAS library with cblas_sgemm and cblas_dgemm (libm.so.6: no cblas_sgemm/cblas_dgemm); name"
                + " one with -Dkobai.blas.library=FILE", e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> SystemBlas.load("/nonexistent/libnoblas.so"));
        assertEquals("no BLAS library with cblas_sgemm and cblas_dgemm (/nonexistent/libnoblas.so: not found); name"
                + " one with -Dkobai.blas.library=FILE", e.getMessage());
    }

    /**
     * A call's own exceptions reach the caller as they are (BlasGemm checks the arguments first, so
     * only a direct call can pass an offset past the array).
     */
    @Test
    void aFailingCallThrowsItsOwnException() {
        assumeTrue(openBlasLoads(), "OpenBLAS not installed");
        SystemBlas blas = SystemBlas.load(OPENBLAS);
        float[] f = new float[4];
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> blas.sgemm(false, false, 1, 1, 1, f, 9, 1, f, 0, 1, f, 0, 1, false));
        assertEquals(IndexOutOfBoundsException.class, e.getClass());
        double[] d = new double[4];
        assertThrows(IndexOutOfBoundsException.class,
                () -> blas.dgemm(false, false, 1, 1, 1, d, 0, 1, d, 0, 1, d, 9, 1, false));
        // and a correct direct call computes: [1 2] x [3 4]^T, then accumulated once more
        float[] c = {100};
        blas.sgemm(false, true, 1, 1, 2, new float[] {1, 2}, 0, 2, new float[] {3, 4}, 0, 2, c, 0, 1, false);
        assertEquals(11f, c[0]);
        double[] cd = {1};
        blas.dgemm(true, false, 1, 1, 2, new double[] {1, 2}, 0, 1, new double[] {3, 4}, 0, 1, cd, 0, 1, true);
        assertEquals(12d, cd[0]);
    }
}
