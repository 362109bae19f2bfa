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

    /**
     * op(B) (k x n) packed for {@link #sgemm(boolean, int, float[], int, int, PackedB, float[], int,
     * int, boolean)}, into {@code reuse} when it was packed by this kernel and is large enough (so a
     * caller that repacks the same shape allocates nothing), else into a new one. The packed
     * operand is a copy: later changes to {@code b} do not reach it.
     */
    PackedB packB(boolean transB, int k, int n, float[] b, int bOff, int ldb, PackedB reuse);

    /**
     * {@code C (=|+=) op(A) B} for a B packed by this kernel ({@link #packB}): m-by-k op(A) as in
     * {@link #sgemm(boolean, boolean, int, int, int, float[], int, int, float[], int, int, float[],
     * int, int, boolean)}, n = {@code b.n()}, k = {@code b.k()}. Agrees with the unpacked call to
     * rounding, and bit for bit wherever that call packs B itself (in the vector kernel, products
     * split across threads; in the scalar kernel, always).
     */
    void sgemm(boolean transA, int m, float[] a, int aOff, int lda, PackedB b,
               float[] c, int cOff, int ldc, boolean accumulate);

    /** A short name for logs and benchmarks, such as "vector(512-bit)" or "scalar". */
    String name();

    /**
     * What each figure measured with this kernel ran on: the name, and for vector kernels the
     * width, the register count and the register tiles.
     */
    default String describe() {
        return name();
    }
}
