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
        Tensor y = x.newZeros(x.shape);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * len * inner + i;
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < len; k++) {
                    max = Math.max(max, x.getFlat(base + k * inner));
                }
                double sum = 0;
                for (int k = 0; k < len; k++) {
                    sum += Math.exp(x.getFlat(base + k * inner) - max);
                }
                if (log) {
                    double logSum = max + Math.log(sum);
                    for (int k = 0; k < len; k++) {
                        y.setFlat(base + k * inner, x.getFlat(base + k * inner) - logSum);
                    }
                } else {
                    for (int k = 0; k < len; k++) {
                        y.setFlat(base + k * inner, Math.exp(x.getFlat(base + k * inner) - max) / sum);
                    }
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
}
