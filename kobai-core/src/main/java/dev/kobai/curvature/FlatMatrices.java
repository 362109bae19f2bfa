package dev.kobai.curvature;

import dev.kobai.tensor.kernel.Gemm;
import dev.kobai.tensor.kernel.Kernels;

/**
 * Square and rectangular matrices stored row-major in one flat {@code double[]}, with the work done
 * by the GEMM kernel ({@link Kernels#gemm()}): products, a blocked Cholesky factorisation and an
 * inverse of a symmetric positive definite matrix built from it, and a symmetric
 * eigendecomposition by Householder tridiagonalisation and implicit QL. These carry K-FAC's
 * factors, which reach several hundred rows, where the {@code double[][]} loops of
 * {@link DenseMatrices} are too slow.
 */
public final class FlatMatrices {
    /** Block size of the Cholesky factorisation and triangular inverse. */
    static final int BLOCK = 64;
    /** Rows of the lower triangle per GEMM when L^-T L^-1 is formed. */
    private static final int PRODUCT_BLOCK = 128;

    private FlatMatrices() {}

    private static Gemm gemm() {
        return Kernels.gemm();
    }

    /** C = op(A) op(B) with op(A) m x k and op(B) k x n, all row-major and dense. */
    public static double[] multiply(boolean transA, boolean transB, int m, int n, int k, double[] a, double[] b) {
        double[] c = new double[m * n];
        gemm().dgemm(transA, transB, m, n, k, a, 0, transA ? m : k, b, 0, transB ? k : n, c, 0, n, false);
        return c;
    }

    /** As {@link #multiply} in float32. */
    public static float[] multiply(boolean transA, boolean transB, int m, int n, int k, float[] a, float[] b) {
        float[] c = new float[m * n];
        gemm().sgemm(transA, transB, m, n, k, a, 0, transA ? m : k, b, 0, transB ? k : n, c, 0, n, false);
        return c;
    }

    public static double[] flatten(double[][] a) {
        int cols = a.length == 0 ? 0 : a[0].length;
        double[] f = new double[a.length * cols];
        for (int i = 0; i < a.length; i++) {
            System.arraycopy(a[i], 0, f, i * cols, cols);
        }
        return f;
    }

    public static double[][] unflatten(double[] f, int rows, int cols) {
        double[][] a = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(f, i * cols, a[i], 0, cols);
        }
        return a;
    }

    public static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        toFloat(a, f);
        return f;
    }

    /** Rounds {@code a} to float into {@code out} (at least as long). */
    public static void toFloat(double[] a, float[] out) {
        for (int i = 0; i < a.length; i++) {
            out[i] = (float) a[i];
        }
    }

    /** Replaces the n x n {@code a} by (a + a^T) / 2 in place, tile by tile so that the transposed reads stay in cache. */
    public static void symmetrize(double[] a, int n) {
        pairUp(a, n, true);
    }

    /** Copies the lower triangle of the n x n {@code a} onto the upper one, tile by tile as {@link #symmetrize}. */
    public static void mirrorLower(double[] a, int n) {
        pairUp(a, n, false);
    }

    /** Sets both a[i][j] and a[j][i] (i &lt; j) to their mean, or to a[j][i], in 32 x 32 tiles. */
    private static void pairUp(double[] a, int n, boolean average) {
        final int tile = 32;
        for (int i0 = 0; i0 < n; i0 += tile) {
            int i1 = Math.min(n, i0 + tile);
            for (int j0 = i0; j0 < n; j0 += tile) {
                int j1 = Math.min(n, j0 + tile);
                for (int i = i0; i < i1; i++) {
                    for (int j = Math.max(j0, i + 1); j < j1; j++) {
                        double m = average ? 0.5 * (a[i * n + j] + a[j * n + i]) : a[j * n + i];
                        a[i * n + j] = m;
                        a[j * n + i] = m;
                    }
                }
            }
        }
    }

    public static double trace(double[] a, int n) {
        double t = 0;
        for (int i = 0; i < n; i++) {
            t += a[i * n + i];
        }
        return t;
    }

    /**
     * The lower Cholesky factor of {@code a + shift I} (n x n, row-major; the strict upper triangle
     * of the result is zero), or null when that matrix is not positive definite. Right-looking and
     * blocked: each diagonal block is factored by plain loops, the panel below it is multiplied by
     * the inverse of that block, and the lower triangle of the trailing matrix is updated by GEMMs.
     */
    public static double[] cholesky(double[] a, int n, double shift) {
        double[] l = new double[n * n];
        return cholesky(a, n, shift, l, new double[Math.max(0, n - BLOCK) * BLOCK]) ? l : null;
    }

    /**
     * As {@link #cholesky(double[], int, double)} into {@code l} (n x n, may be {@code a} itself)
     * with {@code panel} scratch of at least (n - BLOCK) BLOCK elements; false when a + shift I is
     * not positive definite (l then holds partial work).
     */
    public static boolean cholesky(double[] a, int n, double shift, double[] l, double[] panel) {
        if (l != a) {
            System.arraycopy(a, 0, l, 0, n * n);
        }
        for (int i = 0; i < n; i++) {
            l[i * n + i] += shift;
        }
        double[] l11Inverse = new double[BLOCK * BLOCK];
        for (int k0 = 0; k0 < n; k0 += BLOCK) {
            int kb = Math.min(BLOCK, n - k0);
            // diagonal block, in place
            for (int j = k0; j < k0 + kb; j++) {
                double d = l[j * n + j];
                for (int p = k0; p < j; p++) {
                    d -= l[j * n + p] * l[j * n + p];
                }
                if (!(d > 0) || Double.isInfinite(d)) {
                    return false;
                }
                double ljj = Math.sqrt(d);
                l[j * n + j] = ljj;
                for (int i = j + 1; i < k0 + kb; i++) {
                    double s = l[i * n + j];
                    for (int p = k0; p < j; p++) {
                        s -= l[i * n + p] * l[j * n + p];
                    }
                    l[i * n + j] = s / ljj;
                }
            }
            int rest = n - k0 - kb;
            if (rest == 0) {
                break;
            }
            // panel: L21 = A21 L11^-T, by one GEMM with the small inverse of the diagonal block
            // (row-by-row substitution here was a third of the factorisation's time at n = 785)
            smallLowerInverse(l, k0 * n + k0, n, kb, l11Inverse);
            int off = (k0 + kb) * n + k0;
            gemm().dgemm(false, true, rest, kb, kb, l, off, n, l11Inverse, 0, kb, panel, 0, kb, false);
            for (int i = 0; i < rest; i++) {
                System.arraycopy(panel, i * kb, l, off + i * n, kb);
            }
            // trailing update: A22 -= L21 L21^T, on and below the diagonal only (the factorisation
            // never reads above it), one block column at a time
            for (int i = 0; i < rest * kb; i++) {
                panel[i] = -panel[i];
            }
            for (int j0 = 0; j0 < rest; j0 += BLOCK) {
                int jb = Math.min(BLOCK, rest - j0);
                int row = k0 + kb + j0;
                gemm().dgemm(false, true, rest - j0, jb, kb, panel, j0 * kb, kb, l, off + j0 * n, n,
                        l, row * n + row, n, true);
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                l[i * n + j] = 0;
            }
        }
        return true;
    }

    /**
     * The inverse of a lower triangular n x n matrix (row-major) by blocked forward substitution on
     * L X = I: block row K of X is D (B_K), with D = L_KK^-1 by substitution and B the right-hand
     * side so far, and the rows below are then updated, B_>K -= L_>K,K X_K, by one GEMM over
     * columns [0, end of K), the only ones X_K has. Each update is a large GEMM of inner size 64, as
     * in the Cholesky factorisation: at n = 785, 2.3 to 2.5 ms against 3.9 for forming each block
     * row from the ones above by GEMMs of 64 rows, most of them too small to split across cores.
     */
    static double[] lowerInverse(double[] l, int n) {
        double[] x = new double[n * n];
        lowerInverse(l, n, x, new double[n * BLOCK]);
        return x;
    }

    /** As {@link #lowerInverse(double[], int)} into {@code x} (n x n, not l) with {@code t} scratch of n BLOCK. */
    private static void lowerInverse(double[] l, int n, double[] x, double[] t) {
        java.util.Arrays.fill(x, 0, n * n, 0);
        for (int i = 0; i < n; i++) {
            x[i * n + i] = 1;
        }
        double[] d = new double[BLOCK * BLOCK];
        for (int k0 = 0; k0 < n; k0 += BLOCK) {
            int kb = Math.min(BLOCK, n - k0);
            int k1 = k0 + kb;
            smallLowerInverse(l, k0 * n + k0, n, kb, d);
            for (int i = 0; i < kb * kb; i++) {
                d[i] = -d[i];
            }
            // t = -X_K = (-D) B_K, then X_K = -t, and B_>K += L_>K,K t
            gemm().dgemm(false, false, kb, k1, kb, d, 0, kb, x, k0 * n, n, t, 0, k1, false);
            for (int i = 0; i < kb; i++) {
                for (int j = 0; j < k1; j++) {
                    x[(k0 + i) * n + j] = -t[i * k1 + j];
                }
            }
            if (k1 < n) {
                gemm().dgemm(false, false, n - k1, k1, kb, l, k1 * n + k0, n, t, 0, k1, x, k1 * n, n, true);
            }
        }
    }

    /** out (kb x kb, dense) = the inverse of the lower triangular kb x kb block of l at off with leading dimension ld. */
    private static void smallLowerInverse(double[] l, int off, int ld, int kb, double[] out) {
        java.util.Arrays.fill(out, 0, kb * kb, 0);
        for (int i = 0; i < kb; i++) {
            double inv = 1 / l[off + i * ld + i];
            out[i * kb + i] = inv;
            // row i of X: X_ij = -(sum_{p=j..i-1} L_ip X_pj) / L_ii for j < i
            for (int p = 0; p < i; p++) {
                double lip = l[off + i * ld + p];
                if (lip != 0) {
                    for (int j = 0; j <= p; j++) {
                        out[i * kb + j] -= lip * out[p * kb + j];
                    }
                }
            }
            for (int j = 0; j < i; j++) {
                out[i * kb + j] *= inv;
            }
        }
    }

    /**
     * The inverse of the symmetric positive definite {@code a + shift I} (n x n, row-major) as
     * L^-T L^-1 from its Cholesky factor L, or null when it is not positive definite. About
     * n^3 multiply-adds, nearly all of them in GEMMs.
     */
    public static double[] spdInverse(double[] a, int n, double shift) {
        double[] inv = new double[n * n];
        return spdInverse(a, n, shift, inv, new double[n * n]) ? inv : null;
    }

    /**
     * As {@link #spdInverse(double[], int, double)} into {@code out} (n x n, not {@code a}), with
     * {@code work} scratch of n^2 elements; false when a + shift I is not positive definite. It
     * allocates only a panel scratch (n x 64 elements, under a tenth of n^2 at n = 785) and
     * block-sized buffers. For callers that refresh an inverse over and
     * over, as K-FAC does, so the large arrays are not garbage each time.
     */
    public static boolean spdInverse(double[] a, int n, double shift, double[] out, double[] work) {
        // out holds L, then work holds L^-1, then out the inverse
        double[] scratch = new double[n * BLOCK];
        if (!cholesky(a, n, shift, out, scratch)) {
            return false;
        }
        lowerInverse(out, n, work, scratch);
        // X^T X for X = L^-1, by block rows of its lower triangle: rows [i0, i1) by columns [0, i1)
        // is X[i0.., i0..i1)^T X[i0.., 0..i1), since column i of X is zero above row i. One GEMM per
        // block row with the whole remaining k, writing each element once: at n = 785, 2.2 to 2.5
        // ms against 3.5 to 4.1 for rank-64 updates of the leading corner, which read and wrote it
        // 13 times. The upper triangle is then mirrored, so the inverse is exactly symmetric.
        for (int i0 = 0; i0 < n; i0 += PRODUCT_BLOCK) {
            int i1 = Math.min(n, i0 + PRODUCT_BLOCK);
            gemm().dgemm(true, false, i1 - i0, i1, n - i0, work, i0 * n + i0, n, work, i0 * n, n, out, i0 * n, n,
                    false);
        }
        mirrorLower(out, n);
        return true;
    }

    /** A symmetric eigendecomposition in flat form: {@code A = Q diag(values) Q^T}, eigenvectors as Q's columns. */
    public record Eigen(double[] values, double[] vectors, int n) {
        public DenseMatrices.Eigen toDense() {
            return new DenseMatrices.Eigen(values.clone(), unflatten(vectors, n, n));
        }
    }

    /**
     * The eigendecomposition of the symmetric n x n {@code a} (row-major; only its lower triangle
     * is read after symmetrising): Householder reduction to tridiagonal form with the orthogonal
     * factor accumulated, then the implicit QL iteration with Wilkinson-style shifts on the
     * tridiagonal matrix, rotating the accumulated factor's columns. O(n^3), a few times faster
     * than cyclic Jacobi for the same accuracy.
     */
    public static Eigen symmetricEigen(double[] a, int n) {
        double[] q = a.clone();
        symmetrize(q, n);
        double[] d = new double[n];
        double[] e = new double[n];
        tridiagonalize(q, n, d, e);
        implicitQl(q, n, d, e);
        return new Eigen(d, q, n);
    }

    /**
     * Householder tridiagonalisation in place: on return {@code q} holds the orthogonal Q with
     * Q^T A Q tridiagonal, {@code d} the diagonal and {@code e[i]} the sub-diagonal entry (i, i-1)
     * (e[0] = 0). Works from the last row up, as the classical algorithm does, on row-major data.
     */
    private static void tridiagonalize(double[] q, int n, double[] d, double[] e) {
        for (int j = 0; j < n; j++) {
            d[j] = q[(n - 1) * n + j];
        }
        for (int i = n - 1; i > 0; i--) {
            // d[0..i-1] holds row i of the current matrix; reflect it onto its last entry
            double scale = 0;
            double h = 0;
            for (int k = 0; k < i; k++) {
                scale += Math.abs(d[k]);
            }
            if (scale == 0) {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++) {
                    d[j] = q[(i - 1) * n + j];
                    q[i * n + j] = 0;
                    q[j * n + i] = 0;
                }
            } else {
                for (int k = 0; k < i; k++) {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                double f = d[i - 1];
                double g = f > 0 ? -Math.sqrt(h) : Math.sqrt(h);
                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (int j = 0; j < i; j++) {
                    e[j] = 0;
                }
                // e = A u / h, with u = d[0..i-1], using the lower triangle
                for (int j = 0; j < i; j++) {
                    f = d[j];
                    q[j * n + i] = f;
                    g = e[j] + q[j * n + j] * f;
                    for (int k = j + 1; k < i; k++) {
                        double qkj = q[k * n + j];
                        g += qkj * d[k];
                        e[k] += qkj * f;
                    }
                    e[j] = g;
                }
                f = 0;
                for (int j = 0; j < i; j++) {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++) {
                    e[j] -= hh * d[j];
                }
                // rank-two update of the lower triangle: A -= u p^T + p u^T
                for (int j = 0; j < i; j++) {
                    f = d[j];
                    g = e[j];
                    for (int k = j; k < i; k++) {
                        q[k * n + j] -= f * e[k] + g * d[k];
                    }
                    d[j] = q[(i - 1) * n + j];
                    q[i * n + j] = 0;
                }
            }
            d[i] = h;
        }
        // accumulate the transformations
        for (int i = 0; i < n - 1; i++) {
            q[(n - 1) * n + i] = q[i * n + i];
            q[i * n + i] = 1;
            double h = d[i + 1];
            if (h != 0) {
                for (int k = 0; k <= i; k++) {
                    d[k] = q[k * n + i + 1] / h;
                }
                for (int j = 0; j <= i; j++) {
                    double g = 0;
                    for (int k = 0; k <= i; k++) {
                        g += q[k * n + i + 1] * q[k * n + j];
                    }
                    for (int k = 0; k <= i; k++) {
                        q[k * n + j] -= g * d[k];
                    }
                }
            }
            for (int k = 0; k <= i; k++) {
                q[k * n + i + 1] = 0;
            }
        }
        for (int j = 0; j < n; j++) {
            d[j] = q[(n - 1) * n + j];
            q[(n - 1) * n + j] = 0;
        }
        q[(n - 1) * n + n - 1] = 1;
        e[0] = 0;
    }

    /** Implicit QL on the tridiagonal (d, e) with e[i] = T(i, i-1), rotating the columns of q. */
    private static void implicitQl(double[] q, int n, double[] d, double[] e) {
        for (int i = 1; i < n; i++) {
            e[i - 1] = e[i];
        }
        if (n > 0) {
            e[n - 1] = 0;
        }
        double f = 0;
        double tst = 0;
        double eps = Math.ulp(1.0);
        double[] ci = new double[n];
        double[] si = new double[n];
        for (int l = 0; l < n; l++) {
            tst = Math.max(tst, Math.abs(d[l]) + Math.abs(e[l]));
            int m = l;
            while (m < n && Math.abs(e[m]) > eps * tst) {
                m++;
            }
            if (m == n) {
                m = n - 1;
            }
            if (m > l) {
                int iter = 0;
                do {
                    if (++iter > 60) {
                        throw new ArithmeticException("symmetric eigensolver did not converge");
                    }
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2 * e[l]);
                    double r = Math.hypot(p, 1);
                    d[l] = e[l] / (p + (p < 0 ? -r : r));
                    d[l + 1] = e[l] * (p + (p < 0 ? -r : r));
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) {
                        d[i] -= h;
                    }
                    f += h;
                    p = d[m];
                    double c = 1;
                    double c2 = 1;
                    double c3 = 1;
                    double el1 = e[l + 1];
                    double s = 0;
                    double s2 = 0;
                    int rotations = 0;
                    for (int i = m - 1; i >= l; i--) {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Math.hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        ci[i] = c;
                        si[i] = s;
                        rotations++;
                    }
                    // apply the sweep's rotations to the columns of q, row by row (cache friendly)
                    for (int row = 0; row < n; row++) {
                        int base = row * n;
                        for (int i = m - 1; i >= l; i--) {
                            double qa = q[base + i + 1];
                            double qb = q[base + i];
                            q[base + i + 1] = si[i] * qb + ci[i] * qa;
                            q[base + i] = ci[i] * qb - si[i] * qa;
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (Math.abs(e[l]) > eps * tst);
            }
            d[l] += f;
            e[l] = 0;
        }
    }
}
