package dev.kobai.tensor.kernel;

/**
 * {@link Gemm} on the system's BLAS ({@link SystemBlas}): chosen with {@code -Dkobai.blas=system},
 * for CPUs where the library's hand-written kernels beat the Java one (on 1024-cubed products, for
 * one; docs/performance.md has the figures).
 *
 * <p>Products above {@link #PARALLEL_WORK} multiply-adds are split across Kobai's threads
 * ({@link Parallel}) into contiguous blocks of rows or columns of C, one library call each, and the
 * library itself runs one thread per call. So, as with the Java kernel, a product's result depends
 * only on its operands, the library, and Kobai's thread count. Inside another split loop (a
 * convolution's samples, say) a product runs whole on the calling thread.
 *
 * <p>{@link #packB} keeps op(B) as a plain row-major copy: the library packs its operands itself.
 * Products with it agree with the unpacked call to rounding (OpenBLAS has a kernel of its own for
 * each transpose).
 */
final class BlasGemm implements Gemm {
    /** The Java kernel's threshold for waking the second thread, kept for the same reason. */
    private static final long PARALLEL_WORK = 1L << 21;

    private final SystemBlas blas;

    BlasGemm(SystemBlas blas) {
        this.blas = blas;
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        GemmArgs.check(transA, transB, m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        if (GemmArgs.emptyProduct(m, n, k, c, cOff, ldc, accumulate)) {
            return;
        }
        split(m, n, k, (i0, i1, j0, j1) -> blas.sgemm(transA, transB, i1 - i0, j1 - j0, k,
                a, aOff + (transA ? i0 : i0 * lda), lda, b, bOff + (transB ? j0 * ldb : j0), ldb,
                c, cOff + i0 * ldc + j0, ldc, accumulate));
    }

    @Override
    public void dgemm(boolean transA, boolean transB, int m, int n, int k, double[] a, int aOff, int lda,
                      double[] b, int bOff, int ldb, double[] c, int cOff, int ldc, boolean accumulate) {
        GemmArgs.check(transA, transB, m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        if (GemmArgs.emptyProduct(m, n, k, c, cOff, ldc, accumulate)) {
            return;
        }
        split(m, n, k, (i0, i1, j0, j1) -> blas.dgemm(transA, transB, i1 - i0, j1 - j0, k,
                a, aOff + (transA ? i0 : i0 * lda), lda, b, bOff + (transB ? j0 * ldb : j0), ldb,
                c, cOff + i0 * ldc + j0, ldc, accumulate));
    }

    @Override
    public PackedB packB(boolean transB, int k, int n, float[] b, int bOff, int ldb, PackedB reuse) {
        return PackedB.rowMajor(this, transB, k, n, b, bOff, ldb, reuse);
    }

    @Override
    public void sgemm(boolean transA, int m, float[] a, int aOff, int lda, PackedB b, float[] c, int cOff, int ldc,
                      boolean accumulate) {
        b.requirePackedBy(this);
        sgemm(transA, false, m, b.n, b.k, a, aOff, lda, b.data, 0, Math.max(1, b.n), c, cOff, ldc, accumulate);
    }

    @Override
    public String name() {
        return "blas(" + blas.library + ")";
    }

    @Override
    public String describe() {
        return "system BLAS " + blas.library + (blas.detail.isEmpty() ? "" : ": " + blas.detail);
    }

    /** Rows [i0, i1) by columns [j0, j1) of C. */
    @FunctionalInterface
    interface Block {
        void run(int i0, int i1, int j0, int j1);
    }

    /**
     * The whole product on the calling thread when it is small or the threads are taken, else one
     * contiguous block per thread: by columns when C is wider than tall, else by rows.
     */
    static void split(int m, int n, int k, Block block) {
        if ((long) m * n * k <= PARALLEL_WORK || Parallel.threads() == 1 || Parallel.busy()) {
            block.run(0, m, 0, n);
        } else if (n > m) {
            Parallel.forRange(n, 1, (from, to) -> block.run(0, m, from, to));
        } else {
            Parallel.forRange(m, 1, (from, to) -> block.run(from, to, 0, n));
        }
    }
}
