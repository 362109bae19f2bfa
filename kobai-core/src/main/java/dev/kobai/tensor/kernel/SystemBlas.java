package dev.kobai.tensor.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The system's BLAS library, reached through the Foreign Function and Memory API: any library that
 * exports {@code cblas_sgemm} and {@code cblas_dgemm} (OpenBLAS, BLIS, the reference BLAS with its
 * CBLAS). The calls are critical downcalls with heap access, so the library reads and writes the
 * Java arrays in place, with nothing copied.
 *
 * <p>OpenBLAS chooses its kernels from the CPU's family and model when it is loaded, and a release
 * older than the CPU takes it for a generic one: OpenBLAS 0.3.21 (Debian 12's) runs its SSE3
 * Prescott kernels on an Intel Xeon of family 6, model 207, at a fifth of its AVX-512 speed. So
 * before loading, when {@code OPENBLAS_CORETYPE} is not set, this sets it (in the process's own
 * environment, through the C library's {@code setenv}) to what the CPU's extensions allow:
 * Cooperlake with AVX-512 BF16, SkylakeX with AVX-512, Haswell with AVX2. A value the user set is
 * left alone. Other libraries ignore the variable.
 *
 * <p>OpenBLAS is told to use one thread ({@code openblas_set_num_threads(1)}): {@link BlasGemm}
 * splits large products across Kobai's own threads, as the Java kernel does, so that the work of a
 * product, and therefore its bits, depend only on Kobai's thread count.
 */
final class SystemBlas {
    /** Library names tried in order when none is given: OpenBLAS, BLIS, then the generic BLAS. */
    static final List<String> CANDIDATES = List.of("libopenblas.so.0", "libopenblas.so", "libblis.so.4",
            "libcblas.so.3", "libblas.so.3", "libopenblas.dylib", "libblas.dylib");
    private static final int ROW_MAJOR = 101;
    private static final int NO_TRANS = 111;
    private static final int TRANS = 112;

    final String library;
    final String detail;
    private final MethodHandle sgemm;
    private final MethodHandle dgemm;

    private SystemBlas(String library, String detail, MethodHandle sgemm, MethodHandle dgemm) {
        this.library = library;
        this.detail = detail;
        this.sgemm = sgemm;
        this.dgemm = dgemm;
    }

    /**
     * Loads {@code requested} (a file name the dynamic linker finds, or a path), or when it is null
     * the first of {@link #CANDIDATES} that loads and exports both products.
     *
     * @throws IllegalStateException saying what was tried and why it failed
     */
    static SystemBlas load(String requested) {
        String coretype = chooseCoretype();
        List<String> names = requested == null || requested.isBlank() ? CANDIDATES : List.of(requested.strip());
        List<String> failures = new ArrayList<>();
        Linker linker = Linker.nativeLinker();
        for (String name : names) {
            SymbolLookup lib;
            try {
                lib = name.contains("/") ? SymbolLookup.libraryLookup(Path.of(name), Arena.global())
                        : SymbolLookup.libraryLookup(name, Arena.global());
            } catch (IllegalArgumentException e) {
                failures.add(name + ": not found");
                continue;
            }
            Optional<MemorySegment> s = lib.find("cblas_sgemm");
            Optional<MemorySegment> d = lib.find("cblas_dgemm");
            if (s.isEmpty() || d.isEmpty()) {
                failures.add(name + ": no cblas_sgemm/cblas_dgemm");
                continue;
            }
            MethodHandle sgemm = linker.downcallHandle(s.get(), FunctionDescriptor.ofVoid(JAVA_INT, JAVA_INT, JAVA_INT,
                    JAVA_INT, JAVA_INT, JAVA_INT, JAVA_FLOAT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_FLOAT, ADDRESS,
                    JAVA_INT), Linker.Option.critical(true));
            MethodHandle dgemm = linker.downcallHandle(d.get(), FunctionDescriptor.ofVoid(JAVA_INT, JAVA_INT, JAVA_INT,
                    JAVA_INT, JAVA_INT, JAVA_INT, JAVA_DOUBLE, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_DOUBLE, ADDRESS,
                    JAVA_INT), Linker.Option.critical(true));
            return new SystemBlas(name, openBlasSetup(linker, lib, coretype), sgemm, dgemm);
        }
        throw new IllegalStateException("no BLAS library with cblas_sgemm and cblas_dgemm (" + String.join("; ", failures)
                + "); name one with -Dkobai.blas.library=FILE");
    }

    /** C (=|+=) op(A) op(B) in float32, row-major, as {@link Gemm#sgemm} with checked arguments. */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff,
               int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        try {
            sgemm.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, 1f,
                    MemorySegment.ofArray(a).asSlice(4L * aOff), lda, MemorySegment.ofArray(b).asSlice(4L * bOff), ldb,
                    accumulate ? 1f : 0f, MemorySegment.ofArray(c).asSlice(4L * cOff), ldc);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** As {@link #sgemm} in float64. */
    void dgemm(boolean transA, boolean transB, int m, int n, int k, double[] a, int aOff, int lda, double[] b, int bOff,
               int ldb, double[] c, int cOff, int ldc, boolean accumulate) {
        try {
            dgemm.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, 1d,
                    MemorySegment.ofArray(a).asSlice(8L * aOff), lda, MemorySegment.ofArray(b).asSlice(8L * bOff), ldb,
                    accumulate ? 1d : 0d, MemorySegment.ofArray(c).asSlice(8L * cOff), ldc);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("BLAS call failed: " + t, t);
    }

    /**
     * The OpenBLAS kernel for this CPU when OPENBLAS_CORETYPE is unset, set in the environment before
     * the library loads; null when nothing was set (already set, not Linux on x86-64, no AVX2, or
     * the C library's {@code setenv} missing or failing).
     */
    private static String chooseCoretype() {
        String core = coretypeToSet(System.getenv("OPENBLAS_CORETYPE"), System.getProperty("os.name", ""),
                System.getProperty("os.arch", ""), CpuInfo.flags(CpuInfo.read()));
        if (core == null) {
            return null;
        }
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> setenv = linker.defaultLookup().find("setenv");
        if (setenv.isEmpty()) {
            return null;
        }
        MethodHandle h = linker.downcallHandle(setenv.get(), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) h.invokeExact(arena.allocateFrom("OPENBLAS_CORETYPE"), arena.allocateFrom(core), 0);
            return rc == 0 ? core : null;
        } catch (Throwable t) {
            return null;
        }
    }

    /**
     * The rule of {@link #chooseCoretype}, apart from the process's state so that it can be tested:
     * the kernel to set when the variable is unset ({@code current} null) on Linux on x86-64, by
     * {@link #coretypeFor}; else null.
     */
    static String coretypeToSet(String current, String osName, String osArch, Set<String> flags) {
        if (current != null) {
            return null;
        }
        if (!osName.toLowerCase(Locale.ROOT).contains("linux") || !(osArch.equals("amd64") || osArch.equals("x86_64"))) {
            return null;
        }
        return coretypeFor(flags);
    }

    /** Cooperlake with AVX-512 BF16, SkylakeX with AVX-512, Haswell with AVX2, else null (OpenBLAS's own choice). */
    static String coretypeFor(Set<String> flags) {
        if (flags.contains("avx512f")) {
            return flags.contains("avx512_bf16") ? "Cooperlake" : "SkylakeX";
        }
        return flags.contains("avx2") ? "Haswell" : null;
    }

    /**
     * For OpenBLAS: one thread, and a description of its build and kernel; for other libraries just
     * their name.
     */
    private static String openBlasSetup(Linker linker, SymbolLookup lib, String coretype) {
        Optional<MemorySegment> threads = lib.find("openblas_set_num_threads");
        Optional<MemorySegment> corename = lib.find("openblas_get_corename");
        if (threads.isEmpty() || corename.isEmpty()) {
            return "";
        }
        try {
            MethodHandle set = linker.downcallHandle(threads.get(), FunctionDescriptor.ofVoid(JAVA_INT));
            set.invokeExact(1);
            MethodHandle core = linker.downcallHandle(corename.get(), FunctionDescriptor.of(ADDRESS));
            String name = ((MemorySegment) core.invokeExact()).reinterpret(256).getString(0);
            return "OpenBLAS, " + name + " kernels" + (coretype != null ? " (OPENBLAS_CORETYPE=" + coretype
                    + " set by Kobai from the CPU's extensions)" : "") + ", one thread per call";
        } catch (Throwable t) {
            return "OpenBLAS";
        }
    }
}
