package dev.kobai.curvature;

import java.util.function.UnaryOperator;

/**
 * Small dense linear algebra on {@code double[][]} for the second-order methods: Cholesky solves,
 * a cyclic Jacobi eigendecomposition of symmetric matrices, Kronecker products and conjugate
 * gradients. Meant for matrices of up to a few thousand rows; nothing here is blocked or parallel.
 */
public final class DenseMatrices {
    private DenseMatrices() {}

    /** A symmetric eigendecomposition: {@code A = vectors diag(values) vectors^T}, eigenvectors as columns. */
    public record Eigen(double[] values, double[][] vectors) {}

    public static double[][] identity(int n) {
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            a[i][i] = 1;
        }
        return a;
    }

    public static double[][] copy(double[][] a) {
        double[][] c = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i].clone();
        }
        return c;
    }

    /** Replaces {@code a} by (a + a^T)/2 in place and returns it. */
    public static double[][] symmetrize(double[][] a) {
        for (int i = 0; i < a.length; i++) {
            for (int j = i + 1; j < a.length; j++) {
                double m = 0.5 * (a[i][j] + a[j][i]);
                a[i][j] = m;
                a[j][i] = m;
            }
        }
        return a;
    }

    public static double[] multiply(double[][] a, double[] x) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            double s = 0;
            double[] row = a[i];
            for (int j = 0; j < x.length; j++) {
                s += row[j] * x[j];
            }
            y[i] = s;
        }
        return y;
    }

    public static double[][] multiply(double[][] a, double[][] b) {
        int n = a.length;
        int m = b[0].length;
        double[][] c = new double[n][m];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < b.length; k++) {
                double aik = a[i][k];
                if (aik == 0) {
                    continue;
                }
                for (int j = 0; j < m; j++) {
                    c[i][j] += aik * b[k][j];
                }
            }
        }
        return c;
    }

    public static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    /** The Kronecker product {@code a (x) b}. */
    public static double[][] kron(double[][] a, double[][] b) {
        int p = b.length;
        int q = b[0].length;
        double[][] k = new double[a.length * p][a[0].length * q];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                for (int r = 0; r < p; r++) {
                    for (int s = 0; s < q; s++) {
                        k[i * p + r][j * q + s] = a[i][j] * b[r][s];
                    }
                }
            }
        }
        return k;
    }

    public static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    public static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    /** y += alpha x, in place. */
    public static void axpy(double alpha, double[] x, double[] y) {
        for (int i = 0; i < y.length; i++) {
            y[i] += alpha * x[i];
        }
    }

    public static double[] scale(double alpha, double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = alpha * x[i];
        }
        return y;
    }

    public static double trace(double[][] a) {
        double t = 0;
        for (int i = 0; i < a.length; i++) {
            t += a[i][i];
        }
        return t;
    }

    /** The lower Cholesky factor of {@code a + shift I}, or null when that is not positive definite. */
    public static double[][] cholesky(double[][] a, double shift) {
        int n = a.length;
        double[][] l = new double[n][n];
        for (int j = 0; j < n; j++) {
            double d = a[j][j] + shift;
            for (int k = 0; k < j; k++) {
                d -= l[j][k] * l[j][k];
            }
            if (!(d > 0) || Double.isInfinite(d)) {
                return null;
            }
            double ljj = Math.sqrt(d);
            l[j][j] = ljj;
            for (int i = j + 1; i < n; i++) {
                double s = a[i][j];
                for (int k = 0; k < j; k++) {
                    s -= l[i][k] * l[j][k];
                }
                l[i][j] = s / ljj;
            }
        }
        return l;
    }

    /** Solves L L^T x = b given the lower factor L. */
    public static double[] choleskySolve(double[][] l, double[] b) {
        int n = l.length;
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            double s = b[i];
            for (int k = 0; k < i; k++) {
                s -= l[i][k] * y[k];
            }
            y[i] = s / l[i][i];
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = y[i];
            for (int k = i + 1; k < n; k++) {
                s -= l[k][i] * x[k];
            }
            x[i] = s / l[i][i];
        }
        return x;
    }

    /** Inverse of a symmetric positive definite {@code a + shift I} via Cholesky; null when not positive definite. */
    public static double[][] spdInverse(double[][] a, double shift) {
        double[][] l = cholesky(a, shift);
        if (l == null) {
            return null;
        }
        int n = a.length;
        double[][] inv = new double[n][];
        for (int j = 0; j < n; j++) {
            double[] e = new double[n];
            e[j] = 1;
            inv[j] = choleskySolve(l, e);
        }
        return symmetrize(transpose(inv));
    }

    /**
     * The eigendecomposition of a symmetric matrix by cyclic Jacobi rotations: accurate to rounding
     * (the eigenvalues to a few ulps of the largest), O(n^3) per sweep, fine for n up to a few hundred.
     */
    public static Eigen symmetricEigen(double[][] matrix) {
        int n = matrix.length;
        double[][] a = symmetrize(copy(matrix));
        double[][] v = identity(n);
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            double total = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double s = a[i][j] * a[i][j];
                    total += s;
                    if (i != j) {
                        off += s;
                    }
                }
            }
            if (off <= 1e-30 * total || off == 0) {
                break;
            }
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    double apq = a[p][q];
                    if (apq == 0) {
                        continue;
                    }
                    double theta = (a[q][q] - a[p][p]) / (2 * apq);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int k = 0; k < n; k++) {
                        double akp = a[k][p];
                        double akq = a[k][q];
                        a[k][p] = c * akp - s * akq;
                        a[k][q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) {
                        double apk = a[p][k];
                        double aqk = a[q][k];
                        a[p][k] = c * apk - s * aqk;
                        a[q][k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = v[k][p];
                        double vkq = v[k][q];
                        v[k][p] = c * vkp - s * vkq;
                        v[k][q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = a[i][i];
        }
        return new Eigen(values, v);
    }

    /** {@code Q diag(f(lambda)) Q^T b}: applies a spectral function of a decomposed symmetric matrix. */
    public static double[] spectralApply(Eigen e, java.util.function.DoubleUnaryOperator f, double[] b) {
        int n = b.length;
        double[] coef = new double[n];
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += e.vectors()[i][j] * b[i];
            }
            coef[j] = f.applyAsDouble(e.values()[j]) * s;
        }
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < n; j++) {
                s += e.vectors()[i][j] * coef[j];
            }
            x[i] = s;
        }
        return x;
    }

    /** Result of {@link #conjugateGradient}: the iterates kept for backtracking, and the last. */
    public record CgResult(double[] solution, int iterations, java.util.List<double[]> saved,
                           java.util.List<Integer> savedAt, boolean negativeCurvature) {}

    /**
     * Conjugate gradients on A x = b from {@code x0}, for a symmetric A given as a product. Stops at
     * {@code maxIterations}, at a relative residual below {@code tolerance}, on non-positive
     * curvature (p^T A p &lt;= 0, returning the iterate before), or by Martens' (2010) rule on the
     * quadratic phi(x) = x^T A x / 2 - b^T x when {@code martensEpsilon > 0}: stop when
     * (phi_i - phi_{i-k}) / phi_i &lt; k eps with k = max(10, i/10). Iterates at i = ceil(1.3^j)
     * and the last are kept for backtracking.
     */
    public static CgResult conjugateGradient(UnaryOperator<double[]> a, double[] b, double[] x0, int maxIterations,
                                             double tolerance, double martensEpsilon) {
        int n = b.length;
        double[] x = x0 == null ? new double[n] : x0.clone();
        double[] ax = x0 == null ? new double[n] : a.apply(x);
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = b[i] - ax[i];
        }
        double[] p = r.clone();
        double rr = dot(r, r);
        double bnorm = Math.max(norm(b), 1e-300);
        java.util.List<Double> phis = new java.util.ArrayList<>();
        phis.add(0.5 * dot(x, ax) - dot(b, x));
        java.util.List<double[]> saved = new java.util.ArrayList<>();
        java.util.List<Integer> savedAt = new java.util.ArrayList<>();
        double nextSave = 1;
        int iter = 0;
        boolean negative = false;
        while (iter < maxIterations && Math.sqrt(rr) > tolerance * bnorm) {
            double[] ap = a.apply(p);
            double pap = dot(p, ap);
            if (!(pap > 0)) {
                negative = true;
                break;
            }
            double alpha = rr / pap;
            axpy(alpha, p, x);
            axpy(-alpha, ap, r);
            double rrNew = dot(r, r);
            double beta = rrNew / rr;
            rr = rrNew;
            for (int i = 0; i < n; i++) {
                p[i] = r[i] + beta * p[i];
            }
            iter++;
            // phi(x) = -(b + r)^T x / 2 since A x = b - r
            double phi = 0;
            for (int i = 0; i < n; i++) {
                phi -= 0.5 * (b[i] + r[i]) * x[i];
            }
            phis.add(phi);
            if (iter >= nextSave) {
                saved.add(x.clone());
                savedAt.add(iter);
                while (nextSave <= iter) {
                    nextSave = Math.ceil(nextSave * 1.3);
                }
            }
            if (martensEpsilon > 0) {
                int k = Math.max(10, iter / 10);
                if (iter > k && phi < 0) {
                    double drop = (phi - phis.get(iter - k)) / phi;
                    if (drop < k * martensEpsilon) {
                        break;
                    }
                }
            }
        }
        if (savedAt.isEmpty() || savedAt.get(savedAt.size() - 1) != iter) {
            saved.add(x.clone());
            savedAt.add(iter);
        }
        return new CgResult(x, iter, saved, savedAt, negative);
    }
}
