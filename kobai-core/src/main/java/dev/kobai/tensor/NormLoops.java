package dev.kobai.tensor;

/**
 * The loops of {@link Normalization} on primitive arrays, each float32 loop beside its float64
 * twin (the twins differ only in the array type, so that C2 compiles a monomorphic loop for each).
 * Every sum accumulates in double, and each element is normalised in double before it is rounded
 * to float32, so that a mean far from zero costs no digits.
 *
 * <p>Three layouts, named after where the statistic's elements lie (see {@link Normalization}):
 * <ul>
 *   <li>runs: one statistic and one affine pair per contiguous run (batch norm over [N, C, L],
 *       [N, C, H, W]; group norm over a spatial input);</li>
 *   <li>rows: one statistic per contiguous row, an affine pair per element of the row (layer norm;
 *       group norm over [N, C]);</li>
 *   <li>columns: one statistic and one affine pair per element of every row (batch norm over [N, C]).</li>
 * </ul>
 * A statistic's moments are taken about a shift (its first element) in one pass:
 * mean = shift + s / n and var = (q - s^2 / n) / n with s = sum (x - shift), q = sum (x - shift)^2,
 * which keeps the cancellation of the textbook one-pass formula away when the mean is large
 * against the spread.
 */
final class NormLoops {
    private NormLoops() {}

    // ---------------------------------------------------------------- moments

    /** Adds sum (v - shift) to acc[0] and sum (v - shift)^2 to acc[1] over v[from, from + n). */
    static void moments(float[] v, int from, int n, double shift, double[] acc) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        double q0 = 0;
        double q1 = 0;
        double q2 = 0;
        double q3 = 0;
        int i = from;
        int end = from + n;
        for (; i + 3 < end; i += 4) {
            double a = v[i] - shift;
            double b = v[i + 1] - shift;
            double c = v[i + 2] - shift;
            double d = v[i + 3] - shift;
            s0 += a;
            q0 += a * a;
            s1 += b;
            q1 += b * b;
            s2 += c;
            q2 += c * c;
            s3 += d;
            q3 += d * d;
        }
        for (; i < end; i++) {
            double a = v[i] - shift;
            s0 += a;
            q0 += a * a;
        }
        acc[0] += (s0 + s1) + (s2 + s3);
        acc[1] += (q0 + q1) + (q2 + q3);
    }

    static void moments(double[] v, int from, int n, double shift, double[] acc) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        double q0 = 0;
        double q1 = 0;
        double q2 = 0;
        double q3 = 0;
        int i = from;
        int end = from + n;
        for (; i + 3 < end; i += 4) {
            double a = v[i] - shift;
            double b = v[i + 1] - shift;
            double c = v[i + 2] - shift;
            double d = v[i + 3] - shift;
            s0 += a;
            q0 += a * a;
            s1 += b;
            q1 += b * b;
            s2 += c;
            q2 += c * c;
            s3 += d;
            q3 += d * d;
        }
        for (; i < end; i++) {
            double a = v[i] - shift;
            s0 += a;
            q0 += a * a;
        }
        acc[0] += (s0 + s1) + (s2 + s3);
        acc[1] += (q0 + q1) + (q2 + q3);
    }

    /** For j in [0, n): s[col + j] += v[from + j] - shift[col + j] and q[col + j] += its square. */
    static void columnMoments(float[] v, int from, int n, double[] shift, double[] s, double[] q, int col) {
        for (int j = 0; j < n; j++) {
            double a = v[from + j] - shift[col + j];
            s[col + j] += a;
            q[col + j] += a * a;
        }
    }

    static void columnMoments(double[] v, int from, int n, double[] shift, double[] s, double[] q, int col) {
        for (int j = 0; j < n; j++) {
            double a = v[from + j] - shift[col + j];
            s[col + j] += a;
            q[col + j] += a * a;
        }
    }

    // ---------------------------------------------------------------- normalising

    /** y = (x - mean) scale + shift over [from, from + n). */
    static void normalizeRun(float[] x, float[] y, int from, int n, double mean, double scale, double shift) {
        for (int i = from, end = from + n; i < end; i++) {
            y[i] = (float) ((x[i] - mean) * scale + shift);
        }
    }

    /** As above, from x[from...] into y[0, n): a plane normalised into a scratch (see {@link BatchNormPool}). */
    static void normalizeRun(float[] x, int from, float[] y, int n, double mean, double scale, double shift) {
        for (int i = 0; i < n; i++) {
            y[i] = (float) ((x[from + i] - mean) * scale + shift);
        }
    }

    static void normalizeRun(double[] x, double[] y, int from, int n, double mean, double scale, double shift) {
        for (int i = from, end = from + n; i < end; i++) {
            y[i] = (x[i] - mean) * scale + shift;
        }
    }

    /** y = (x - mean) rstd w[at + j] + b[at + j] for the row's element j at from + j. */
    static void normalizeRow(float[] x, float[] y, int from, int n, double mean, double rstd, double[] w, double[] b,
                             int at) {
        for (int j = 0; j < n; j++) {
            y[from + j] = (float) ((x[from + j] - mean) * rstd * w[at + j] + b[at + j]);
        }
    }

    static void normalizeRow(double[] x, double[] y, int from, int n, double mean, double rstd, double[] w, double[] b,
                             int at) {
        for (int j = 0; j < n; j++) {
            y[from + j] = (x[from + j] - mean) * rstd * w[at + j] + b[at + j];
        }
    }

    /** y = (x - mean[col + j]) scale[col + j] + shift[col + j] for element j at from + j. */
    static void normalizeColumns(float[] x, float[] y, int from, int n, double[] mean, double[] scale, double[] shift,
                                 int col) {
        for (int j = 0; j < n; j++) {
            y[from + j] = (float) ((x[from + j] - mean[col + j]) * scale[col + j] + shift[col + j]);
        }
    }

    static void normalizeColumns(double[] x, double[] y, int from, int n, double[] mean, double[] scale,
                                 double[] shift, int col) {
        for (int j = 0; j < n; j++) {
            y[from + j] = (x[from + j] - mean[col + j]) * scale[col + j] + shift[col + j];
        }
    }

    // ---------------------------------------------------------------- gradient sums

    /** Adds sum g to acc[0] and sum g (x - mean) to acc[1] over [from, from + n). */
    static void gradSums(float[] g, float[] x, int from, int n, double mean, double[] acc) {
        double s0 = 0;
        double s1 = 0;
        double t0 = 0;
        double t1 = 0;
        int i = from;
        int end = from + n;
        for (; i + 1 < end; i += 2) {
            double ga = g[i];
            double gb = g[i + 1];
            s0 += ga;
            t0 += ga * (x[i] - mean);
            s1 += gb;
            t1 += gb * (x[i + 1] - mean);
        }
        if (i < end) {
            s0 += g[i];
            t0 += g[i] * (x[i] - mean);
        }
        acc[0] += s0 + s1;
        acc[1] += t0 + t1;
    }

    static void gradSums(double[] g, double[] x, int from, int n, double mean, double[] acc) {
        double s0 = 0;
        double s1 = 0;
        double t0 = 0;
        double t1 = 0;
        int i = from;
        int end = from + n;
        for (; i + 1 < end; i += 2) {
            double ga = g[i];
            double gb = g[i + 1];
            s0 += ga;
            t0 += ga * (x[i] - mean);
            s1 += gb;
            t1 += gb * (x[i + 1] - mean);
        }
        if (i < end) {
            s0 += g[i];
            t0 += g[i] * (x[i] - mean);
        }
        acc[0] += s0 + s1;
        acc[1] += t0 + t1;
    }

    /**
     * Over one row: adds g to sg[at + j] and g xhat to sgx[at + j] (the bias and weight gradients),
     * and sum w g and sum w g (x - mean) to acc[0] and acc[1], with xhat = (x - mean) rstd.
     */
    static void rowGradSums(float[] g, float[] x, int from, int n, double mean, double rstd, double[] w, int at,
                            double[] sg, double[] sgx, double[] acc) {
        double s = 0;
        double t = 0;
        for (int j = 0; j < n; j++) {
            double gj = g[from + j];
            double xc = x[from + j] - mean;
            sg[at + j] += gj;
            sgx[at + j] += gj * xc * rstd;
            double wg = w[at + j] * gj;
            s += wg;
            t += wg * xc;
        }
        acc[0] += s;
        acc[1] += t;
    }

    static void rowGradSums(double[] g, double[] x, int from, int n, double mean, double rstd, double[] w, int at,
                            double[] sg, double[] sgx, double[] acc) {
        double s = 0;
        double t = 0;
        for (int j = 0; j < n; j++) {
            double gj = g[from + j];
            double xc = x[from + j] - mean;
            sg[at + j] += gj;
            sgx[at + j] += gj * xc * rstd;
            double wg = w[at + j] * gj;
            s += wg;
            t += wg * xc;
        }
        acc[0] += s;
        acc[1] += t;
    }

    /** For element j at from + j: sg[col + j] += g and sgx[col + j] += g (x - mean[col + j]). */
    static void columnGradSums(float[] g, float[] x, int from, int n, double[] mean, double[] sg, double[] sgx,
                               int col) {
        for (int j = 0; j < n; j++) {
            double gj = g[from + j];
            sg[col + j] += gj;
            sgx[col + j] += gj * (x[from + j] - mean[col + j]);
        }
    }

    static void columnGradSums(double[] g, double[] x, int from, int n, double[] mean, double[] sg, double[] sgx,
                               int col) {
        for (int j = 0; j < n; j++) {
            double gj = g[from + j];
            sg[col + j] += gj;
            sgx[col + j] += gj * (x[from + j] - mean[col + j]);
        }
    }

    // ---------------------------------------------------------------- input gradient

    /** dx = alpha g + beta (x - mean) + gamma over [from, from + n). */
    static void gradInput(float[] g, float[] x, float[] dx, int from, int n, double alpha, double beta, double mean,
                          double gamma) {
        for (int i = from, end = from + n; i < end; i++) {
            dx[i] = (float) (alpha * g[i] + beta * (x[i] - mean) + gamma);
        }
    }

    /**
     * dx[from + i] = alpha gy[i] + beta (x[from + i] - mean) + gamma: {@link #gradInput} with the
     * gradient in a scratch of its own, from index 0 (see {@link BatchNormPool}).
     */
    static void gradInputFromScratch(float[] gy, float[] x, float[] dx, int from, int n, double alpha, double beta,
                                     double mean, double gamma) {
        for (int i = 0; i < n; i++) {
            dx[from + i] = (float) (alpha * gy[i] + beta * (x[from + i] - mean) + gamma);
        }
    }

    static void gradInput(double[] g, double[] x, double[] dx, int from, int n, double alpha, double beta, double mean,
                          double gamma) {
        for (int i = from, end = from + n; i < end; i++) {
            dx[i] = alpha * g[i] + beta * (x[i] - mean) + gamma;
        }
    }

    /** dx = rstd w[at + j] g + beta (x - mean) + gamma for the row's element j at from + j. */
    static void rowGradInput(float[] g, float[] x, float[] dx, int from, int n, double mean, double rstd, double[] w,
                             int at, double beta, double gamma) {
        for (int j = 0; j < n; j++) {
            dx[from + j] = (float) (rstd * w[at + j] * g[from + j] + beta * (x[from + j] - mean) + gamma);
        }
    }

    static void rowGradInput(double[] g, double[] x, double[] dx, int from, int n, double mean, double rstd,
                             double[] w, int at, double beta, double gamma) {
        for (int j = 0; j < n; j++) {
            dx[from + j] = rstd * w[at + j] * g[from + j] + beta * (x[from + j] - mean) + gamma;
        }
    }

    /** dx = alpha[c] g + beta[c] (x - mean[c]) + gamma[c] with c = col + j, for element j at from + j. */
    static void columnGradInput(float[] g, float[] x, float[] dx, int from, int n, double[] alpha, double[] beta,
                                double[] mean, double[] gamma, int col) {
        for (int j = 0; j < n; j++) {
            int c = col + j;
            dx[from + j] = (float) (alpha[c] * g[from + j] + beta[c] * (x[from + j] - mean[c]) + gamma[c]);
        }
    }

    static void columnGradInput(double[] g, double[] x, double[] dx, int from, int n, double[] alpha, double[] beta,
                                double[] mean, double[] gamma, int col) {
        for (int j = 0; j < n; j++) {
            int c = col + j;
            dx[from + j] = alpha[c] * g[from + j] + beta[c] * (x[from + j] - mean[c]) + gamma[c];
        }
    }
}
