package dev.kobai.optim;

import dev.kobai.curvature.FlatMatrices;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Spatial;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.Window2d;
import dev.kobai.tensor.kernel.Kernels;
import dev.kobai.tensor.kernel.Parallel;

/**
 * K-FAC's factor estimates, by GEMM in the model's precision and accumulated in float64: the input
 * factor A from a layer's input rows (a Linear layer's inputs, a convolution's patches), and the
 * sums of b b^T over backpropagated gradients b (one per example, or per example and position) from
 * which G is taken. Only lower triangles are computed; {@link FlatMatrices#mirrorLower} completes
 * them where they are read.
 */
final class KFACFactors {
    /** Rows of x^T x per GEMM when a factor A is updated: the GEMMs cover the lower triangle only, in row blocks. */
    private static final int LOWER_BLOCK = 128;
    /**
     * Elements of patch rows unfolded at a time for a convolution's A, whatever the batch: 2 MB in
     * float32, 16 images of the 288-wide patches of a 32-channel 3x3 convolution on 14x14 maps.
     */
    private static final int PATCH_CHUNK = 1 << 19;

    private KFACFactors() {}

    /**
     * A = [x 1]^T [x 1] / N for a layer input x of shape [N, in], flat (in + 1) square (in square
     * without a bias): x^T x by one GEMM in x's precision, the bias row and column from x's column
     * sums.
     */
    static double[] inputFactor(Tensor x, boolean bias) {
        int cols = x.size(1) + (bias ? 1 : 0);
        double[] out = new double[cols * cols];
        blendInputFactor(x, bias, out, 0, new KFAC.LayerWork());
        return out;
    }

    /**
     * {@code target = keep target + (1 - keep) A} with A as in {@link #inputFactor}, in one pass
     * over the GEMM's result (in {@code w}'s buffer), without building A.
     */
    static void blendInputFactor(Tensor x, boolean bias, double[] target, double keep, KFAC.LayerWork w) {
        inputFactor(x, bias, target, keep, false, w);
    }

    /**
     * The sum [x 1]^T [x 1] (not divided by N) into {@code target}, which must hold zeros: the lower
     * triangle and the bias row and column, by the same GEMM as {@link #blendInputFactor}.
     */
    static void sumInputFactor(Tensor x, boolean bias, double[] target, KFAC.LayerWork w) {
        inputFactor(x, bias, target, 0, true, w);
    }

    private static void inputFactor(Tensor x, boolean bias, double[] target, double keep, boolean sum,
                                    KFAC.LayerWork w) {
        int n = x.size(0);
        int in = x.size(1);
        int cols = in + (bias ? 1 : 0);
        double[] sums = new double[in];
        float[] cf = null;
        double[] cd = null;
        if (x.dtype() == DType.FLOAT32) {
            float[] xf = x.floatData();
            cf = w.product32(in * in);
            for (int i0 = 0; i0 < in; i0 += LOWER_BLOCK) {
                int i1 = Math.min(in, i0 + LOWER_BLOCK);
                Kernels.gemm().sgemm(true, false, i1 - i0, i1, n, xf, i0, in, xf, 0, in, cf, i0 * in, in, false);
            }
            for (int r = 0; r < n; r++) {
                for (int q = 0; q < in; q++) {
                    sums[q] += xf[r * in + q];
                }
            }
        } else {
            double[] xd = x.doubleData();
            cd = w.product64(in * in);
            for (int i0 = 0; i0 < in; i0 += LOWER_BLOCK) {
                int i1 = Math.min(in, i0 + LOWER_BLOCK);
                Kernels.gemm().dgemm(true, false, i1 - i0, i1, n, xd, i0, in, xd, 0, in, cd, i0 * in, in, false);
            }
            for (int r = 0; r < n; r++) {
                for (int q = 0; q < in; q++) {
                    sums[q] += xd[r * in + q];
                }
            }
        }
        // the lower triangle only, row by row on both cores; the upper one is mirrored from it when
        // the inverses are refreshed or the factor is read
        double fresh = sum ? 1 : (1 - keep) / n;
        float[] cf32 = cf;
        double[] cd64 = cd;
        Parallel.forRange(in, Math.max(1, ElementLoops.GRAIN / Math.max(1, in)), (from, to) -> {
            for (int i = from; i < to; i++) {
                int t = i * cols;
                int c = i * in;
                if (cf32 != null) {
                    for (int j = 0; j <= i; j++) {
                        target[t + j] = keep * target[t + j] + fresh * cf32[c + j];
                    }
                } else {
                    for (int j = 0; j <= i; j++) {
                        target[t + j] = keep * target[t + j] + fresh * cd64[c + j];
                    }
                }
            }
        });
        if (bias) {
            for (int q = 0; q < in; q++) {
                double v = sum ? sums[q] : keep * target[q * cols + in] + (1 - keep) * sums[q] / n;
                target[q * cols + in] = v;
                target[in * cols + q] = v;
            }
            target[in * cols + in] = sum ? n : keep * target[in * cols + in] + (1 - keep);
        }
    }

    /**
     * {@code target = keep target + (1 - keep) A} for a convolution's input x [N, C, H, W] and
     * window, with A the second moment of its patches over examples and positions,
     * <pre>
     *   A = 1/(N |T|) sum_n sum_t p_nt p_nt^T,    p_nt = [patch of image n at position t; 1]
     * </pre>
     * (|T| = OH OW positions, patches of C kh kw elements in {@link Spatial#unfold}'s order, the 1
     * only with a bias): a Linear layer's A over the N |T| patch rows. The rows are unfolded a chunk
     * of images at a time into {@code w}'s buffer ({@link Spatial#patchRows}) beside a column of
     * ones, so one GEMM per chunk also gives the bias row; each chunk's product is added in float64.
     */
    static void blendPatchFactor(Tensor x, Window2d window, boolean bias, double[] target, double keep,
                                 KFAC.LayerWork w) {
        patchFactor(x, window, bias, target, keep, false, w);
    }

    /**
     * The sum over examples and positions of p_nt p_nt^T (not divided by N |T|) into {@code target},
     * which must hold zeros: the lower triangle, as {@link #blendPatchFactor} computes it.
     */
    static void sumPatchFactor(Tensor x, Window2d window, boolean bias, double[] target, KFAC.LayerWork w) {
        patchFactor(x, window, bias, target, 0, true, w);
    }

    private static void patchFactor(Tensor x, Window2d window, boolean bias, double[] target, double keep,
                                    boolean raw, KFAC.LayerWork w) {
        int n = x.size(0);
        int width = x.size(1) * window.kernelH() * window.kernelW();
        int cols = width + (bias ? 1 : 0);
        int positions = window.outputHeight(x.size(2)) * window.outputWidth(x.size(3));
        int perImage = positions * cols;
        int chunk = Math.max(1, Math.min(n, PATCH_CHUNK / perImage));
        int chunks = (n + chunk - 1) / chunk;
        boolean single = x.dtype() == DType.FLOAT32;
        float[] pf = single ? w.patches32(chunk * perImage) : null;
        double[] pd = single ? null : w.patches64(chunk * perImage);
        float[] cf = single ? w.product32(cols * cols) : null;
        double[] cd = single ? null : w.product64(cols * cols);
        double[] sum = chunks > 1 ? w.sum64(cols * cols) : null;
        for (int c = 0; c < chunks; c++) {
            int first = c * chunk;
            int count = Math.min(chunk, n - first);
            int m = count * positions;
            if (single) {
                Spatial.patchRows(x, window, first, count, pf, cols);
                if (bias) {
                    for (int r = 0; r < m; r++) {
                        pf[r * cols + width] = 1f;
                    }
                }
                lowerProduct(pf, null, m, cols, cf, null);
            } else {
                Spatial.patchRows(x, window, first, count, pd, cols);
                if (bias) {
                    for (int r = 0; r < m; r++) {
                        pd[r * cols + width] = 1d;
                    }
                }
                lowerProduct(null, pd, m, cols, null, cd);
            }
            if (sum != null) {
                addLower(cf, cd, sum, cols, c == 0);
            }
        }
        double fresh = raw ? 1 : (1 - keep) / ((double) n * positions);
        float[] src32 = sum == null ? cf : null;
        double[] src64 = sum == null ? cd : sum;
        Parallel.forRange(cols, Math.max(1, ElementLoops.GRAIN / cols), (from, to) -> {
            for (int i = from; i < to; i++) {
                int t = i * cols;
                if (src32 != null) {
                    for (int j = 0; j <= i; j++) {
                        target[t + j] = keep * target[t + j] + fresh * src32[t + j];
                    }
                } else {
                    for (int j = 0; j <= i; j++) {
                        target[t + j] = keep * target[t + j] + fresh * src64[t + j];
                    }
                }
            }
        });
    }

    /** The lower triangle (and some of the upper) of P^T P for P of m rows of {@code width}, into c, by GEMMs of row blocks. */
    private static void lowerProduct(float[] pf, double[] pd, int m, int width, float[] cf, double[] cd) {
        for (int i0 = 0; i0 < width; i0 += LOWER_BLOCK) {
            int i1 = Math.min(width, i0 + LOWER_BLOCK);
            if (pf != null) {
                Kernels.gemm().sgemm(true, false, i1 - i0, i1, m, pf, i0, width, pf, 0, width, cf, i0 * width, width, false);
            } else {
                Kernels.gemm().dgemm(true, false, i1 - i0, i1, m, pd, i0, width, pd, 0, width, cd, i0 * width, width, false);
            }
        }
    }

    /** {@code sum = c} ({@code first}) or {@code sum += c} over the lower triangle, row by row on both cores. */
    private static void addLower(float[] cf, double[] cd, double[] sum, int n, boolean first) {
        Parallel.forRange(n, Math.max(1, ElementLoops.GRAIN / n), (from, to) -> {
            for (int i = from; i < to; i++) {
                int row = i * n;
                for (int j = 0; j <= i; j++) {
                    double v = cf != null ? cf[row + j] : cd[row + j];
                    sum[row + j] = first ? v : sum[row + j] + v;
                }
            }
        });
    }

    /**
     * Sums of b b^T over backpropagated gradients b in R^out, for one layer: over the rows of a
     * Linear layer's [N, out] gradients, or over the images and positions of a convolution's
     * [N, out, OH, OW] ones, by GEMM in their precision. Kept from one factor update to the next so
     * the sums are not garbage each time.
     */
    static final class Gram {
        private final int out;
        private double[] d;
        private float[] f;
        /** For convolutions: each thread's float64 sum and the product of one image. */
        private double[][] partial = new double[0][];
        private float[][] image32 = new float[0][];
        private double[][] image64 = new double[0][];

        Gram(int out) {
            this.out = out;
        }

        void clear() {
            if (d != null) {
                java.util.Arrays.fill(d, 0);
            }
            if (f != null) {
                java.util.Arrays.fill(f, 0);
            }
        }

        void add(Tensor b) {
            if (b.rank() == 4) {
                addPositions(b);
                return;
            }
            int n = b.size(0);
            if (b.dtype() == DType.FLOAT32) {
                float[] bf = b.floatData();
                if (f == null) {
                    f = new float[out * out];
                }
                Kernels.gemm().sgemm(true, false, out, out, n, bf, 0, out, bf, 0, out, f, 0, out, true);
            } else {
                double[] bd = b.doubleData();
                if (d == null) {
                    d = new double[out * out];
                }
                Kernels.gemm().dgemm(true, false, out, out, n, bd, 0, out, bd, 0, out, d, 0, out, true);
            }
        }

        /**
         * Adds sum over images s of B_s B_s^T, with B_s the [out, OH OW] gradients of image s: the
         * sum over positions of their outer products. One GEMM per image in b's precision, added in
         * float64; images split across threads, each thread's sum added in order, so the result
         * depends on the number of threads only.
         */
        private void addPositions(Tensor b) {
            int n = b.size(0);
            int positions = b.numel() / (n * out);
            int size = out * out;
            int grain = (int) Math.max(1, Math.min(n, (1L << 16) / Math.max(1L, (long) size * positions)));
            int tasks = Math.max(1, Math.min(Parallel.threads(), n / grain));
            boolean single = b.dtype() == DType.FLOAT32;
            if (partial.length < tasks || partial[0].length < size) {
                partial = new double[tasks][size];
                image32 = new float[tasks][];
                image64 = new double[tasks][];
            }
            float[] bf = single ? b.floatData() : null;
            double[] bd = single ? null : b.doubleData();
            Parallel.forRange(tasks, 1, (t0, t1) -> {
                for (int t = t0; t < t1; t++) {
                    int from = (int) ((long) n * t / tasks);
                    int to = (int) ((long) n * (t + 1) / tasks);
                    double[] acc = partial[t];
                    java.util.Arrays.fill(acc, 0);
                    if (single && (image32[t] == null || image32[t].length < size)) {
                        image32[t] = new float[size];
                    } else if (!single && (image64[t] == null || image64[t].length < size)) {
                        image64[t] = new double[size];
                    }
                    for (int s = from; s < to; s++) {
                        int at = s * out * positions;
                        if (single) {
                            float[] p = image32[t];
                            Kernels.gemm().sgemm(false, true, out, out, positions, bf, at, positions, bf, at, positions,
                                    p, 0, out, false);
                            for (int i = 0; i < out; i++) {
                                for (int j = 0; j <= i; j++) {
                                    acc[i * out + j] += p[i * out + j];
                                }
                            }
                        } else {
                            double[] p = image64[t];
                            Kernels.gemm().dgemm(false, true, out, out, positions, bd, at, positions, bd, at, positions,
                                    p, 0, out, false);
                            for (int i = 0; i < out; i++) {
                                for (int j = 0; j <= i; j++) {
                                    acc[i * out + j] += p[i * out + j];
                                }
                            }
                        }
                    }
                }
            });
            if (d == null) {
                d = new double[size];
            }
            for (int t = 0; t < tasks; t++) {
                double[] acc = partial[t];
                for (int i = 0; i < out; i++) {
                    for (int j = 0; j <= i; j++) {
                        d[i * out + j] += acc[i * out + j];
                    }
                }
            }
        }

        /**
         * {@code target = keep target + (1 - keep) S} with S the scaled sum, or S itself when
         * {@code target} is null (the first estimate); returns the target. Only the lower triangle
         * is read (b^T b by one GEMM is symmetric up to rounding), row by row, and mirrored.
         */
        double[] blendInto(double[] target, double scale, double keep) {
            boolean first = target == null;
            double[] t = first ? new double[out * out] : target;
            for (int i = 0; i < out; i++) {
                int row = i * out;
                for (int j = 0; j <= i; j++) {
                    double sum = (d == null ? 0 : d[row + j]) + (f == null ? 0 : f[row + j]);
                    double m = scale * sum;
                    t[row + j] = first ? m : keep * t[row + j] + (1 - keep) * m;
                }
            }
            FlatMatrices.mirrorLower(t, out);
            return t;
        }
    }

}
