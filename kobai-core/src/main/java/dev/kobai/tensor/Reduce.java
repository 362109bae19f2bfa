package dev.kobai.tensor;

import dev.kobai.tensor.kernel.Parallel;
import java.util.Arrays;

/**
 * Reductions along one axis. A tensor is viewed as [outer, length, inner] around the axis, so one
 * loop nest serves every axis; sums accumulate in double even for float32 data.
 */
final class Reduce {
    private Reduce() {}

    /**
     * Whether every element of x is finite (no NaN, no infinity), by {@link VectorLoops} when it is
     * available, on both cores for a large x (a weight gradient is fresh from a GEMM that wrote half
     * of it from each core, so each reads mostly its own half).
     */
    static boolean allFinite(Tensor x) {
        java.util.concurrent.atomic.AtomicBoolean bad = new java.util.concurrent.atomic.AtomicBoolean();
        Parallel.forRange(x.size, Pointwise.GRAIN, (lo, hi) -> {
            boolean ok;
            if (x.f != null) {
                ok = Pointwise.VECTOR ? VectorLoops.allFinite(x.f, lo, hi) : allFinite(x.f, lo, hi);
            } else {
                ok = Pointwise.VECTOR ? VectorLoops.allFinite(x.d, lo, hi) : allFinite(x.d, lo, hi);
            }
            if (!ok) {
                bad.set(true);
            }
        });
        return !bad.get();
    }

    /**
     * The plain-Java check, in one pass the JIT keeps tight: x * 0 is 0 for a finite x and NaN
     * for a NaN or an infinity, and NaN survives any sum. Four sums break the dependency chain.
     */
    static boolean allFinite(float[] a, int from, int to) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = from;
        for (; i + 3 < to; i += 4) {
            s0 += a[i] * 0f;
            s1 += a[i + 1] * 0f;
            s2 += a[i + 2] * 0f;
            s3 += a[i + 3] * 0f;
        }
        for (; i < to; i++) {
            s0 += a[i] * 0f;
        }
        return s0 + s1 + s2 + s3 == 0f;
    }

    static boolean allFinite(double[] a, int from, int to) {
        double s0 = 0;
        double s1 = 0;
        int i = from;
        for (; i + 1 < to; i += 2) {
            s0 += a[i] * 0d;
            s1 += a[i + 1] * 0d;
        }
        for (; i < to; i++) {
            s0 += a[i] * 0d;
        }
        return s0 + s1 == 0d;
    }

    private static int[] reducedShape(int[] shape, int axis, boolean keepDim) {
        if (keepDim) {
            int[] s = shape.clone();
            s[axis] = 1;
            return s;
        }
        int[] s = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i != axis) {
                s[j++] = shape[i];
            }
        }
        return s;
    }

    static Tensor sum(Tensor x, int axisArg, boolean keepDim) {
        int axis = Shape.axis(axisArg, x.shape.length);
        int outer = Shape.prod(x.shape, 0, axis);
        int len = x.shape[axis];
        int inner = Shape.prod(x.shape, axis + 1, x.shape.length);
        Tensor out = x.newZeros(reducedShape(x.shape, axis, keepDim));
        double[] acc = new double[inner];
        for (int o = 0; o < outer; o++) {
            Arrays.fill(acc, 0);
            int base = o * len * inner;
            if (inner == 1) {
                // a whole contiguous run (a full sum, or the last axis): one chain of dependent adds
                // would wait on the adder's latency at every element
                acc[0] = x.f != null ? contiguousSum(x.f, base, len) : contiguousSum(x.d, base, len);
            } else if (x.f != null) {
                float[] v = x.f;
                for (int k = 0; k < len; k++) {
                    int row = base + k * inner;
                    for (int i = 0; i < inner; i++) {
                        acc[i] += v[row + i];
                    }
                }
            } else {
                double[] v = x.d;
                for (int k = 0; k < len; k++) {
                    int row = base + k * inner;
                    for (int i = 0; i < inner; i++) {
                        acc[i] += v[row + i];
                    }
                }
            }
            for (int i = 0; i < inner; i++) {
                out.setFlat(o * inner + i, acc[i]);
            }
        }
        int[] keptShape = reducedShape(x.shape, axis, true);
        int[] inShape = x.shape;
        return Tensor.record(out, "sum", g -> new Tensor[] {g.reshape(keptShape).broadcastTo(inShape)}, x);
    }

    /** The sum of v[from, from + n) in double, in four interleaved partial sums. */
    private static double contiguousSum(float[] v, int from, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        int end = from + n;
        for (; i + 3 < end; i += 4) {
            s0 += v[i];
            s1 += v[i + 1];
            s2 += v[i + 2];
            s3 += v[i + 3];
        }
        for (; i < end; i++) {
            s0 += v[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    private static double contiguousSum(double[] v, int from, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        int end = from + n;
        for (; i + 3 < end; i += 4) {
            s0 += v[i];
            s1 += v[i + 1];
            s2 += v[i + 2];
            s3 += v[i + 3];
        }
        for (; i < end; i++) {
            s0 += v[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** Maximum (or minimum) along an axis; the gradient flows to the first extreme element. */
    static Tensor extreme(Tensor x, int axisArg, boolean keepDim, boolean max) {
        int axis = Shape.axis(axisArg, x.shape.length);
        int outer = Shape.prod(x.shape, 0, axis);
        int len = x.shape[axis];
        int inner = Shape.prod(x.shape, axis + 1, x.shape.length);
        if (len == 0) {
            throw new IllegalArgumentException((max ? "max" : "min") + " over an empty axis of " + x.describe());
        }
        Tensor out = x.newZeros(reducedShape(x.shape, axis, keepDim));
        int[] where = new int[outer * inner];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * len * inner + i;
                int bestK = x.f != null ? extremeIndex(x.f, base, len, inner, max) : extremeIndex(x.d, base, len, inner, max);
                out.setFlat(o * inner + i, x.getFlat(base + bestK * inner));
                where[o * inner + i] = bestK;
            }
        }
        int[] keptShape = reducedShape(x.shape, axis, true);
        int[] inShape = x.shape;
        return Tensor.record(out, max ? "max" : "min", g -> {
            Tensor mask = x.newZeros(inShape);
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < inner; i++) {
                    mask.setFlat(o * len * inner + where[o * inner + i] * inner + i, 1);
                }
            }
            return new Tensor[] {g.reshape(keptShape).broadcastTo(inShape).mul(mask)};
        }, x);
    }

    static int[] argmaxRows(Tensor x) {
        if (x.shape.length != 2) {
            throw new IllegalArgumentException("argmaxRows needs a 2-D tensor, got " + x.describe());
        }
        int rows = x.shape[0];
        int cols = x.shape[1];
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            out[r] = x.f != null ? extremeIndex(x.f, r * cols, cols, 1, true) : extremeIndex(x.d, r * cols, cols, 1, true);
        }
        return out;
    }

    /**
     * The position k in [0, len) of the first largest (or smallest) of v[base + k stride]; a NaN
     * never replaces the current best, as in the comparisons this replaced.
     */
    private static int extremeIndex(float[] v, int base, int len, int stride, boolean max) {
        float best = v[base];
        int bestK = 0;
        for (int k = 1, p = base + stride; k < len; k++, p += stride) {
            float e = v[p];
            if (max ? e > best : e < best) {
                best = e;
                bestK = k;
            }
        }
        return bestK;
    }

    private static int extremeIndex(double[] v, int base, int len, int stride, boolean max) {
        double best = v[base];
        int bestK = 0;
        for (int k = 1, p = base + stride; k < len; k++, p += stride) {
            double e = v[p];
            if (max ? e > best : e < best) {
                best = e;
                bestK = k;
            }
        }
        return bestK;
    }

    /** Sums the dimensions that broadcasting added or stretched, leaving {@code target}'s shape. */
    static Tensor sumTo(Tensor x, int[] target) {
        if (Arrays.equals(x.shape, target)) {
            return x;
        }
        Tensor t = x;
        int extra = t.shape.length - target.length;
        if (extra < 0) {
            throw new IllegalArgumentException("sumTo: cannot reduce " + x.describe() + " to " + Arrays.toString(target));
        }
        for (int i = 0; i < extra; i++) {
            t = sum(t, 0, false);
        }
        for (int i = 0; i < target.length; i++) {
            if (target[i] == 1 && t.shape[i] != 1) {
                t = sum(t, i, true);
            } else if (target[i] != t.shape[i]) {
                throw new IllegalArgumentException("sumTo: cannot reduce " + x.describe() + " to " + Arrays.toString(target));
            }
        }
        return t;
    }
}
