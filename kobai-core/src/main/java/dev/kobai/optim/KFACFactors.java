package dev.kobai.optim;

import dev.kobai.curvature.FlatMatrices;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Kernels;
import dev.kobai.tensor.kernel.Parallel;

/**
 * K-FAC's factor estimates, by GEMM in the model's precision and accumulated in float64: the input
 * factor A from a layer's input rows, and the sums of b^T b over backpropagated gradients b from
 * which G is taken. Only lower triangles are computed; {@link FlatMatrices#mirrorLower} completes
 * them where they are read.
 */
final class KFACFactors {
    /** Rows of x^T x per GEMM when a factor A is updated: the GEMMs cover the lower triangle only, in row blocks. */
    private static final int LOWER_BLOCK = 128;

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
        double fresh = (1 - keep) / n;
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
                double v = keep * target[q * cols + in] + (1 - keep) * sums[q] / n;
                target[q * cols + in] = v;
                target[in * cols + q] = v;
            }
            target[in * cols + in] = keep * target[in * cols + in] + (1 - keep);
        }
    }

    /**
     * Sums b^T b over backpropagated [N, out] gradients b by GEMM, in their precision, for one
     * layer; kept from one factor update to the next so the sums are not garbage each time.
     */
    static final class Gram {
        private final int out;
        private double[] d;
        private float[] f;

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
