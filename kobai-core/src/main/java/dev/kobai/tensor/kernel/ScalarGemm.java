package dev.kobai.tensor.kernel;

import java.util.Arrays;

/**
 * {@link Gemm} in plain Java: the reference implementation and the fallback when the Vector API
 * module is absent.
 *
 * <p>The loop order is i-k-j: for each row i of C and each p, a scalar A[i][p] times the contiguous
 * row p of op(B) is added into the contiguous row i of C. A transposed operand would make that inner
 * loop stride by the leading dimension, so op(A) is first copied into row-major form, and op(B) is
 * always copied, one Java array per row, into a reusable per-thread buffer (O(mk + kn) copying
 * against O(mnk) arithmetic). The row i of C is accumulated in a per-thread row buffer indexed like
 * the op(B) rows. That is for the JIT: it vectorises {@code c[j] += a * b[j]} but not
 * {@code c[co + j] += a * b[bo + j]}, since c and b might be one array at two offsets (measured on
 * JDK 25: 8 times slower).
 *
 * <p>The j and k loops are blocked ({@value #NB} columns by {@value #KB} rows of op(B), 256 KB of
 * floats) so that the block of op(B) swept once per row of C stays in a typical 512 KB to 1 MB L2
 * cache while the rows of C in the block are updated. Products with more than 2^20 multiply-adds
 * (about 25 microseconds at this kernel's speed) are split by rows of C across {@link Parallel};
 * below that, waking another thread costs more than it saves (at 2^18, the 256x10 layer shapes ran
 * 2 to 3 times slower on two threads than on one).
 */
public final class ScalarGemm implements Gemm {
    private static final int KB = 128;
    private static final int NB = 512;
    private static final long PARALLEL_WORK = 1L << 20;

    /** Per-thread packing buffers; they grow to the largest size seen and are then reused. */
    private static final class Scratch {
        float[] fa = new float[0];
        double[] da = new double[0];
        float[][] fRows = new float[0][];
        double[][] dRows = new double[0][];
        float[] fAcc = new float[0];
        double[] dAcc = new double[0];

        float[][] fRows(int k, int n) {
            if (fRows.length < k || fRows[0].length < n) {
                fRows = new float[Math.max(k, fRows.length)][Math.max(n, fRows.length == 0 ? 0 : fRows[0].length)];
            }
            return fRows;
        }

        double[][] dRows(int k, int n) {
            if (dRows.length < k || dRows[0].length < n) {
                dRows = new double[Math.max(k, dRows.length)][Math.max(n, dRows.length == 0 ? 0 : dRows[0].length)];
            }
            return dRows;
        }

        float[] fAcc(int n) {
            if (fAcc.length < n) {
                fAcc = new float[n];
            }
            return fAcc;
        }

        double[] dAcc(int n) {
            if (dAcc.length < n) {
                dAcc = new double[n];
            }
            return dAcc;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    @Override
    public String name() {
        return "scalar";
    }

    /** Here op(B) copied row-major: this kernel copies op(B) on every call anyway. */
    @Override
    public PackedB packB(boolean transB, int k, int n, float[] b, int bOff, int ldb, PackedB reuse) {
        return PackedB.rowMajor(this, transB, k, n, b, bOff, ldb, reuse);
    }

    @Override
    public void sgemm(boolean transA, int m, float[] a, int aOff, int lda, PackedB b,
                      float[] c, int cOff, int ldc, boolean accumulate) {
        b.requirePackedBy(this);
        sgemm(transA, false, m, b.n, b.k, a, aOff, lda, b.data, 0, Math.max(1, b.n), c, cOff, ldc, accumulate);
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float[] c, int cOff, int ldc, boolean accumulate) {
        GemmArgs.check(transA, transB, m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        if (GemmArgs.emptyProduct(m, n, k, c, cOff, ldc, accumulate)) {
            return;
        }
        Scratch s = SCRATCH.get();
        if (transA) {
            int size = Math.multiplyExact(m, k);
            if (s.fa.length < size) {
                s.fa = new float[size];
            }
            float[] t = s.fa;
            for (int p = 0; p < k; p++) {
                int src = aOff + p * lda;
                for (int i = 0; i < m; i++) {
                    t[i * k + p] = a[src + i];
                }
            }
            a = t;
            aOff = 0;
            lda = k;
        }
        float[][] rows = s.fRows(k, n);
        for (int p = 0; p < k; p++) {
            float[] row = rows[p];
            if (transB) {
                for (int j = 0; j < n; j++) {
                    row[j] = b[bOff + j * ldb + p];
                }
            } else {
                System.arraycopy(b, bOff + p * ldb, row, 0, n);
            }
        }
        float[] fa = a;
        int ao = aOff, la = lda;
        long work = (long) m * n * k;
        if (work > PARALLEL_WORK && Parallel.threads() > 1) {
            int grain = (int) Math.max(1, (PARALLEL_WORK / 2) / ((long) n * k));
            Parallel.forRange(m, grain, (from, to) ->
                    sRows(from, to, n, k, fa, ao, la, rows, c, cOff, ldc, accumulate));
        } else {
            sRows(0, m, n, k, fa, ao, la, rows, c, cOff, ldc, accumulate);
        }
    }

    private static void sRows(int i0, int i1, int n, int k, float[] a, int aOff, int lda,
                              float[][] b, float[] c, int cOff, int ldc, boolean accumulate) {
        float[] acc = SCRATCH.get().fAcc(n);
        for (int jb = 0; jb < n; jb += NB) {
            int jEnd = Math.min(n, jb + NB);
            for (int kb = 0; kb < k; kb += KB) {
                int kEnd = Math.min(k, kb + KB);
                for (int i = i0; i < i1; i++) {
                    int cRow = cOff + i * ldc;
                    if (kb == 0 && !accumulate) {
                        Arrays.fill(acc, jb, jEnd, 0f);
                    } else {
                        System.arraycopy(c, cRow + jb, acc, jb, jEnd - jb);
                    }
                    int aRow = aOff + i * lda;
                    int p = kb;
                    // Four rows of op(B) per sweep: a quarter of the loads and stores of the C row. The
                    // additions keep the order of one p at a time.
                    for (; p + 3 < kEnd; p += 4) {
                        float a0 = a[aRow + p], a1 = a[aRow + p + 1], a2 = a[aRow + p + 2], a3 = a[aRow + p + 3];
                        float[] b0 = b[p], b1 = b[p + 1], b2 = b[p + 2], b3 = b[p + 3];
                        axpy4(acc, a0, b0, a1, b1, a2, b2, a3, b3, jb, jEnd);
                    }
                    for (; p < kEnd; p++) {
                        float av = a[aRow + p];
                        float[] bp = b[p];
                        axpy(acc, av, bp, jb, jEnd);
                    }
                    System.arraycopy(acc, jb, c, cRow + jb, jEnd - jb);
                }
            }
        }
    }

    @Override
    public void dgemm(boolean transA, boolean transB, int m, int n, int k,
                      double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                      double[] c, int cOff, int ldc, boolean accumulate) {
        GemmArgs.check(transA, transB, m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        if (GemmArgs.emptyProduct(m, n, k, c, cOff, ldc, accumulate)) {
            return;
        }
        Scratch s = SCRATCH.get();
        if (transA) {
            int size = Math.multiplyExact(m, k);
            if (s.da.length < size) {
                s.da = new double[size];
            }
            double[] t = s.da;
            for (int p = 0; p < k; p++) {
                int src = aOff + p * lda;
                for (int i = 0; i < m; i++) {
                    t[i * k + p] = a[src + i];
                }
            }
            a = t;
            aOff = 0;
            lda = k;
        }
        double[][] rows = s.dRows(k, n);
        for (int p = 0; p < k; p++) {
            double[] row = rows[p];
            if (transB) {
                for (int j = 0; j < n; j++) {
                    row[j] = b[bOff + j * ldb + p];
                }
            } else {
                System.arraycopy(b, bOff + p * ldb, row, 0, n);
            }
        }
        double[] fa = a;
        int ao = aOff, la = lda;
        long work = (long) m * n * k;
        if (work > PARALLEL_WORK && Parallel.threads() > 1) {
            int grain = (int) Math.max(1, (PARALLEL_WORK / 2) / ((long) n * k));
            Parallel.forRange(m, grain, (from, to) ->
                    dRows(from, to, n, k, fa, ao, la, rows, c, cOff, ldc, accumulate));
        } else {
            dRows(0, m, n, k, fa, ao, la, rows, c, cOff, ldc, accumulate);
        }
    }

    private static void dRows(int i0, int i1, int n, int k, double[] a, int aOff, int lda,
                              double[][] b, double[] c, int cOff, int ldc, boolean accumulate) {
        double[] acc = SCRATCH.get().dAcc(n);
        for (int jb = 0; jb < n; jb += NB) {
            int jEnd = Math.min(n, jb + NB);
            for (int kb = 0; kb < k; kb += KB) {
                int kEnd = Math.min(k, kb + KB);
                for (int i = i0; i < i1; i++) {
                    int cRow = cOff + i * ldc;
                    if (kb == 0 && !accumulate) {
                        Arrays.fill(acc, jb, jEnd, 0d);
                    } else {
                        System.arraycopy(c, cRow + jb, acc, jb, jEnd - jb);
                    }
                    int aRow = aOff + i * lda;
                    int p = kb;
                    // Four rows of op(B) per sweep: a quarter of the loads and stores of the C row. The
                    // additions keep the order of one p at a time.
                    for (; p + 3 < kEnd; p += 4) {
                        double a0 = a[aRow + p], a1 = a[aRow + p + 1], a2 = a[aRow + p + 2], a3 = a[aRow + p + 3];
                        double[] b0 = b[p], b1 = b[p + 1], b2 = b[p + 2], b3 = b[p + 3];
                        axpy4(acc, a0, b0, a1, b1, a2, b2, a3, b3, jb, jEnd);
                    }
                    for (; p < kEnd; p++) {
                        double av = a[aRow + p];
                        double[] bp = b[p];
                        axpy(acc, av, bp, jb, jEnd);
                    }
                    System.arraycopy(acc, jb, c, cRow + jb, jEnd - jb);
                }
            }
        }
    }

    /*
     * The inner loops live in small methods of their own: C2 compiles these as ordinary hot methods
     * and vectorises them, which it did not do for the same loop deep inside the row loops.
     */
    private static void axpy4(float[] acc, float a0, float[] b0, float a1, float[] b1, float a2, float[] b2, float a3, float[] b3,
                              int from, int to) {
        for (int j = from; j < to; j++) {
            acc[j] = acc[j] + a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
        }
    }

    private static void axpy(float[] acc, float av, float[] b, int from, int to) {
        for (int j = from; j < to; j++) {
            acc[j] += av * b[j];
        }
    }

    /*
     * The inner loops live in small methods of their own: C2 compiles these as ordinary hot methods
     * and vectorises them, which it did not do for the same loop deep inside the row loops.
     */
    private static void axpy4(double[] acc, double a0, double[] b0, double a1, double[] b1, double a2, double[] b2, double a3, double[] b3,
                              int from, int to) {
        for (int j = from; j < to; j++) {
            acc[j] = acc[j] + a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
        }
    }

    private static void axpy(double[] acc, double av, double[] b, int from, int to) {
        for (int j = from; j < to; j++) {
            acc[j] += av * b[j];
        }
    }
}
