package dev.kobai.tensor.kernel;

import java.util.Arrays;

/**
 * {@link Gemm} in plain Java: the reference implementation and the fallback when the Vector API
 * module is absent.
 *
 * <p>The loop order is i-k-j: for each row i of C and each p, a scalar A[i][p] times the contiguous
 * row p of op(B) is added into the contiguous row i of C. The inner loop then walks two arrays with
 * unit stride, which the JIT can auto-vectorise. A transposed operand would make that inner loop
 * stride by the leading dimension, so op(A) and op(B) are first copied into row-major form in a
 * reusable per-thread buffer (O(mk + kn) copying against O(mnk) arithmetic).
 *
 * <p>The j and k loops are blocked ({@value #NB} columns by {@value #KB} rows of op(B), 256 KB of
 * floats) so that the block of op(B) swept once per row of C stays in a typical 512 KB to 1 MB L2
 * cache while the rows of C in the block are updated. Products with more than 2^18 multiply-adds
 * are split by rows of C across {@link Parallel}; below that, the hand-off costs more than it saves.
 */
public final class ScalarGemm implements Gemm {
    private static final int KB = 128;
    private static final int NB = 512;
    private static final long PARALLEL_WORK = 1L << 18;

    /** Per-thread packing buffers; they grow to the largest size seen and are then reused. */
    private static final class Scratch {
        float[] fa = new float[0];
        float[] fb = new float[0];
        double[] da = new double[0];
        double[] db = new double[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float[] c, int cOff, int ldc, boolean accumulate) {
        GemmArgs.check(transA, transB, m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
                }
            }
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
        if (transB) {
            int size = Math.multiplyExact(k, n);
            if (s.fb.length < size) {
                s.fb = new float[size];
            }
            float[] t = s.fb;
            for (int j = 0; j < n; j++) {
                int src = bOff + j * ldb;
                for (int p = 0; p < k; p++) {
                    t[p * n + j] = b[src + p];
                }
            }
            b = t;
            bOff = 0;
            ldb = n;
        }
        float[] fa = a, fb = b;
        int ao = aOff, la = lda, bo = bOff, lb = ldb;
        long work = (long) m * n * k;
        if (work > PARALLEL_WORK && Parallel.threads() > 1) {
            int grain = (int) Math.max(1, (PARALLEL_WORK / 2) / ((long) n * k));
            Parallel.forRange(m, grain, (from, to) ->
                    sRows(from, to, n, k, fa, ao, la, fb, bo, lb, c, cOff, ldc, accumulate));
        } else {
            sRows(0, m, n, k, fa, ao, la, fb, bo, lb, c, cOff, ldc, accumulate);
        }
    }

    private static void sRows(int i0, int i1, int n, int k, float[] a, int aOff, int lda,
                              float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        for (int jb = 0; jb < n; jb += NB) {
            int jEnd = Math.min(n, jb + NB);
            for (int kb = 0; kb < k; kb += KB) {
                int kEnd = Math.min(k, kb + KB);
                for (int i = i0; i < i1; i++) {
                    int cRow = cOff + i * ldc;
                    if (kb == 0 && !accumulate) {
                        Arrays.fill(c, cRow + jb, cRow + jEnd, 0f);
                    }
                    int aRow = aOff + i * lda;
                    for (int p = kb; p < kEnd; p++) {
                        float av = a[aRow + p];
                        int bRow = bOff + p * ldb;
                        for (int j = jb; j < jEnd; j++) {
                            c[cRow + j] += av * b[bRow + j];
                        }
                    }
                }
            }
        }
    }

    @Override
    public void dgemm(boolean transA, boolean transB, int m, int n, int k,
                      double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                      double[] c, int cOff, int ldc, boolean accumulate) {
        GemmArgs.check(transA, transB, m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0d);
                }
            }
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
        if (transB) {
            int size = Math.multiplyExact(k, n);
            if (s.db.length < size) {
                s.db = new double[size];
            }
            double[] t = s.db;
            for (int j = 0; j < n; j++) {
                int src = bOff + j * ldb;
                for (int p = 0; p < k; p++) {
                    t[p * n + j] = b[src + p];
                }
            }
            b = t;
            bOff = 0;
            ldb = n;
        }
        double[] da = a, db = b;
        int ao = aOff, la = lda, bo = bOff, lb = ldb;
        long work = (long) m * n * k;
        if (work > PARALLEL_WORK && Parallel.threads() > 1) {
            int grain = (int) Math.max(1, (PARALLEL_WORK / 2) / ((long) n * k));
            Parallel.forRange(m, grain, (from, to) ->
                    dRows(from, to, n, k, da, ao, la, db, bo, lb, c, cOff, ldc, accumulate));
        } else {
            dRows(0, m, n, k, da, ao, la, db, bo, lb, c, cOff, ldc, accumulate);
        }
    }

    private static void dRows(int i0, int i1, int n, int k, double[] a, int aOff, int lda,
                              double[] b, int bOff, int ldb, double[] c, int cOff, int ldc, boolean accumulate) {
        for (int jb = 0; jb < n; jb += NB) {
            int jEnd = Math.min(n, jb + NB);
            for (int kb = 0; kb < k; kb += KB) {
                int kEnd = Math.min(k, kb + KB);
                for (int i = i0; i < i1; i++) {
                    int cRow = cOff + i * ldc;
                    if (kb == 0 && !accumulate) {
                        Arrays.fill(c, cRow + jb, cRow + jEnd, 0d);
                    }
                    int aRow = aOff + i * lda;
                    for (int p = kb; p < kEnd; p++) {
                        double av = a[aRow + p];
                        int bRow = bOff + p * ldb;
                        for (int j = jb; j < jEnd; j++) {
                            c[cRow + j] += av * b[bRow + j];
                        }
                    }
                }
            }
        }
    }
}
