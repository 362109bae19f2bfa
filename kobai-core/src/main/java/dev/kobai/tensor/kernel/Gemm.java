package dev.kobai.tensor.kernel;

/**
 * General matrix multiply on row-major arrays: {@code C = op(A) op(B)} or, with
 * {@code accumulate}, {@code C += op(A) op(B)}, where op(X) is X or its transpose.
 *
 * <p>op(A) is m-by-k and op(B) is k-by-n. Each matrix is stored row-major from an offset with a
 * leading dimension (the distance between rows as stored): A is m-by-k with lda &ge; k when not
 * transposed and k-by-m with lda &ge; m when transposed; likewise B. C is m-by-n with ldc &ge; n.
 *
 * <p>Implementations: {@link ScalarGemm} in plain Java, and a Vector API kernel chosen at start-up
 * by {@link Kernels} when the jdk.incubator.vector module is present.
 */
public interface Gemm {
    void sgemm(boolean transA, boolean transB, int m, int n, int k,
               float[] a, int aOff, int lda,
               float[] b, int bOff, int ldb,
               float[] c, int cOff, int ldc, boolean accumulate);

    void dgemm(boolean transA, boolean transB, int m, int n, int k,
               double[] a, int aOff, int lda,
               double[] b, int bOff, int ldb,
               double[] c, int cOff, int ldc, boolean accumulate);

    /** A short name for logs and benchmarks, such as "vector(512-bit)" or "scalar". */
    String name();
}
