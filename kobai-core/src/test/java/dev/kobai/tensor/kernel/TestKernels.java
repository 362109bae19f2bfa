package dev.kobai.tensor.kernel;

import java.util.ArrayList;
import java.util.List;

/**
 * The product kernels the kernel tests run: the scalar and Vector API ones always, and the system
 * BLAS where a library is installed (CI installs Debian's OpenBLAS, so it is tested there).
 */
final class TestKernels {
    static final Gemm SCALAR = new ScalarGemm();
    static final Gemm VECTOR = new VectorGemm();
    /** The system BLAS kernel, or null where no library loads. */
    static final Gemm BLAS = loadBlas();

    private TestKernels() {}

    static Gemm[] all() {
        List<Gemm> out = new ArrayList<>(List.of(SCALAR, VECTOR));
        if (BLAS != null) {
            out.add(BLAS);
        }
        return out.toArray(Gemm[]::new);
    }

    private static Gemm loadBlas() {
        try {
            return new BlasGemm(SystemBlas.load(null));
        } catch (IllegalStateException e) {
            return null;
        }
    }
}
