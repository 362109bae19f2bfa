package dev.kobai.tensor;

/**
 * Softmax and log-softmax along an axis, stable for large inputs: the maximum along the axis is
 * subtracted before exponentiating, so exp never overflows and log never sees zero.
 *
 * <p>Backward, with y the output and g its gradient: softmax gives y * (g - sum(g * y)); log-softmax
 * gives g - exp(y) * sum(g), sums taken along the axis. Both are written with Tensor operations
 * on y, so second derivatives follow.
 */
final class Softmax {
    private Softmax() {}

    static Tensor softmax(Tensor x, int axisArg, boolean log) {
        int axis = Shape.axis(axisArg, x.shape.length);
        int outer = Shape.prod(x.shape, 0, axis);
        int len = x.shape[axis];
        int inner = Shape.prod(x.shape, axis + 1, x.shape.length);
        Tensor y = x.newEmpty(x.shape);
        // Primitive loops per dtype; the arithmetic is in double for both, as the element-wise
        // version computed it, and float32 results are rounded once when stored.
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * len * inner + i;
                if (x.f != null) {
                    rowFloat(x.f, y.f, base, len, inner, log);
                } else {
                    rowDouble(x.d, y.d, base, len, inner, log);
                }
            }
        }
        if (!Tensor.recording(x)) {
            return y;
        }
        Tensor out = y;
        return Tensor.record(y, log ? "logSoftmax" : "softmax", g -> {
            if (log) {
                return new Tensor[] {g.sub(out.exp().mul(g.sum(axis, true)))};
            }
            return new Tensor[] {out.mul(g.sub(g.mul(out).sum(axis, true)))};
        }, x);
    }

    private static void rowFloat(float[] x, float[] y, int base, int len, int stride, boolean log) {
        int end = base + len * stride;
        double max = Double.NEGATIVE_INFINITY;
        for (int p = base; p < end; p += stride) {
            max = Math.max(max, x[p]);
        }
        double sum = 0;
        for (int p = base; p < end; p += stride) {
            sum += Math.exp(x[p] - max);
        }
        if (log) {
            double logSum = max + Math.log(sum);
            for (int p = base; p < end; p += stride) {
                y[p] = (float) (x[p] - logSum);
            }
        } else {
            for (int p = base; p < end; p += stride) {
                y[p] = (float) (Math.exp(x[p] - max) / sum);
            }
        }
    }

    private static void rowDouble(double[] x, double[] y, int base, int len, int stride, boolean log) {
        int end = base + len * stride;
        double max = Double.NEGATIVE_INFINITY;
        for (int p = base; p < end; p += stride) {
            max = Math.max(max, x[p]);
        }
        double sum = 0;
        for (int p = base; p < end; p += stride) {
            sum += Math.exp(x[p] - max);
        }
        if (log) {
            double logSum = max + Math.log(sum);
            for (int p = base; p < end; p += stride) {
                y[p] = x[p] - logSum;
            }
        } else {
            for (int p = base; p < end; p += stride) {
                y[p] = Math.exp(x[p] - max) / sum;
            }
        }
    }
}
