package dev.kobai.tensor.kernel;

/** Placeholder until the vectorised kernels land: a naive product. */
public final class Kernels {
    private Kernels() {}

    public static Gemm gemm() {
        return ScalarGemm.INSTANCE;
    }
}
