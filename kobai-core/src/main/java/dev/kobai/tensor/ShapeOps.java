package dev.kobai.tensor;

import java.util.Arrays;

/**
 * Operations that move elements without arithmetic. Each backward is another operation of this
 * file (slice and pad, gather and scatter-add, pick and its scatter), so they nest to any order.
 */
final class ShapeOps {
    private ShapeOps() {}

    static Tensor reshape(Tensor x, int[] requested) {
        int[] shape = requested.clone();
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1) {
                if (unknown >= 0) {
                    throw new IllegalArgumentException("reshape: more than one -1 in " + Arrays.toString(requested));
                }
                unknown = i;
            } else if (shape[i] < 0) {
                throw new IllegalArgumentException("reshape: negative dimension in " + Arrays.toString(requested));
            } else {
                known *= shape[i];
            }
        }
        if (unknown >= 0) {
            if (known == 0 || x.size % known != 0) {
                throw new IllegalArgumentException("reshape: cannot infer -1 in " + Arrays.toString(requested)
                        + " for " + x.describe());
            }
            shape[unknown] = (int) (x.size / known);
        }
        if (Shape.numel(shape) != x.size) {
            throw new IllegalArgumentException("reshape: " + x.describe() + " has " + x.size
                    + " elements, shape " + Arrays.toString(requested) + " needs " + Shape.numel(shape));
        }
        Tensor out = new Tensor(shape, x.f, x.d);
        int[] inShape = x.shape;
        return Tensor.record(out, "reshape", g -> new Tensor[] {g.reshape(inShape)}, x);
    }

    static Tensor broadcastTo(Tensor x, int[] target) {
        if (Arrays.equals(x.shape, target)) {
            return x;
        }
        Tensor out = expand(x, target);
        int[] inShape = x.shape;
        return Tensor.record(out, "broadcastTo", g -> new Tensor[] {Reduce.sumTo(g, inShape)}, x);
    }

    /** Copies {@code x} broadcast to {@code target}; records nothing. */
    static Tensor expand(Tensor x, int[] target) {
        int[] check = Shape.broadcast(x.shape, target, "broadcastTo");
        if (!Arrays.equals(check, target)) {
            throw new IllegalArgumentException("broadcastTo: " + x.describe() + " cannot be broadcast to "
                    + Arrays.toString(target));
        }
        int rank = target.length;
        int[] srcStrides = new int[rank];
        int[] xs = Shape.strides(x.shape);
        int off = rank - x.shape.length;
        for (int i = 0; i < x.shape.length; i++) {
            srcStrides[off + i] = x.shape[i] == 1 ? 0 : xs[i];
        }
        Tensor out = stridedCopy(x, target, srcStrides);
        return out;
    }

    static Tensor transpose(Tensor x, int axis0, int axis1) {
        int rank = x.shape.length;
        int a0 = Shape.axis(axis0, rank);
        int a1 = Shape.axis(axis1, rank);
        if (a0 == a1) {
            return x;
        }
        int[] outShape = x.shape.clone();
        outShape[a0] = x.shape[a1];
        outShape[a1] = x.shape[a0];
        int[] inStrides = Shape.strides(x.shape);
        int[] srcStrides = new int[rank];
        for (int i = 0; i < rank; i++) {
            srcStrides[i] = inStrides[i];
        }
        srcStrides[a0] = inStrides[a1];
        srcStrides[a1] = inStrides[a0];
        Tensor out = stridedCopy(x, outShape, srcStrides);
        return Tensor.record(out, "transpose", g -> new Tensor[] {g.transpose(a0, a1)}, x);
    }

    /**
     * A new tensor of {@code outShape} whose element at index i reads {@code x} at sum_a i_a * srcStrides[a]:
     * broadcasting uses stride 0 for stretched axes, transposing swaps two strides. Works a row of
     * the last axis at a time: a copied row (stride 1) is one arraycopy, a broadcast row (stride 0)
     * one fill.
     */
    private static Tensor stridedCopy(Tensor x, int[] outShape, int[] srcStrides) {
        int rank = outShape.length;
        Tensor out = x.newZeros(outShape);
        if (out.size == 0) {
            return out;
        }
        if (rank == 0) {
            out.setFlat(0, x.getFlat(0));
            return out;
        }
        int rowLength = outShape[rank - 1];
        int step = srcStrides[rank - 1];
        int[] idx = new int[rank];
        int src = 0;
        for (int dst = 0; dst < out.size; dst += rowLength) {
            if (x.f != null) {
                copyRow(x.f, src, step, out.f, dst, rowLength);
            } else {
                copyRow(x.d, src, step, out.d, dst, rowLength);
            }
            for (int a = rank - 2; a >= 0; a--) {
                idx[a]++;
                src += srcStrides[a];
                if (idx[a] < outShape[a]) {
                    break;
                }
                src -= srcStrides[a] * idx[a];
                idx[a] = 0;
            }
        }
        return out;
    }

    private static void copyRow(float[] from, int src, int step, float[] to, int dst, int n) {
        if (step == 1) {
            System.arraycopy(from, src, to, dst, n);
        } else if (step == 0) {
            Arrays.fill(to, dst, dst + n, from[src]);
        } else {
            for (int i = 0; i < n; i++) {
                to[dst + i] = from[src + i * step];
            }
        }
    }

    private static void copyRow(double[] from, int src, int step, double[] to, int dst, int n) {
        if (step == 1) {
            System.arraycopy(from, src, to, dst, n);
        } else if (step == 0) {
            Arrays.fill(to, dst, dst + n, from[src]);
        } else {
            for (int i = 0; i < n; i++) {
                to[dst + i] = from[src + i * step];
            }
        }
    }

    static Tensor slice(Tensor x, int axisArg, int start, int end) {
        int axis = Shape.axis(axisArg, x.shape.length);
        int len = x.shape[axis];
        if (start < 0 || end > len || start > end) {
            throw new IllegalArgumentException("slice [" + start + ", " + end + ") out of range for axis " + axis
                    + " of " + x.describe());
        }
        int outer = Shape.prod(x.shape, 0, axis);
        int inner = Shape.prod(x.shape, axis + 1, x.shape.length);
        int[] outShape = x.shape.clone();
        outShape[axis] = end - start;
        Tensor out = x.newZeros(outShape);
        int chunk = (end - start) * inner;
        for (int o = 0; o < outer; o++) {
            copy(x, (o * len + start) * inner, out, o * chunk, chunk);
        }
        return Tensor.record(out, "slice", g -> new Tensor[] {pad(g, axis, start, len)}, x);
    }

    /** The adjoint of slice: places {@code x} at [start, start+n) of a zero tensor of length {@code len} on the axis. */
    static Tensor pad(Tensor x, int axis, int start, int len) {
        int outer = Shape.prod(x.shape, 0, axis);
        int inner = Shape.prod(x.shape, axis + 1, x.shape.length);
        int n = x.shape[axis];
        int[] outShape = x.shape.clone();
        outShape[axis] = len;
        Tensor out = x.newZeros(outShape);
        int chunk = n * inner;
        for (int o = 0; o < outer; o++) {
            copy(x, o * chunk, out, (o * len + start) * inner, chunk);
        }
        return Tensor.record(out, "pad", g -> new Tensor[] {g.slice(axis, start, start + n)}, x);
    }

    static Tensor concat(int axisArg, Tensor... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("concat of no tensors");
        }
        Tensor first = parts[0];
        int axis = Shape.axis(axisArg, first.shape.length);
        int total = 0;
        for (Tensor p : parts) {
            Tensor.checkSameDtype("concat", first, p);
            if (p.shape.length != first.shape.length) {
                throw new IllegalArgumentException("concat: ranks differ, " + first.describe() + " and " + p.describe());
            }
            for (int i = 0; i < p.shape.length; i++) {
                if (i != axis && p.shape[i] != first.shape[i]) {
                    throw new IllegalArgumentException("concat along " + axis + ": " + first.describe() + " and "
                            + p.describe() + " differ in dimension " + i);
                }
            }
            total += p.shape[axis];
        }
        Tensor result = null;
        int start = 0;
        for (Tensor p : parts) {
            Tensor padded = pad(p, axis, start, total);
            result = result == null ? padded : result.add(padded);
            start += p.shape[axis];
        }
        return result;
    }

    static Tensor gatherRows(Tensor x, int[] indices) {
        if (x.shape.length == 0) {
            throw new IllegalArgumentException("gatherRows needs at least one dimension, got " + x.describe());
        }
        int rows = x.shape[0];
        int row = x.size / Math.max(1, rows);
        int[] outShape = x.shape.clone();
        outShape[0] = indices.length;
        Tensor out = x.newZeros(outShape);
        for (int i = 0; i < indices.length; i++) {
            int r = indices[i];
            if (r < 0 || r >= rows) {
                throw new IndexOutOfBoundsException("row index " + r + " out of range for " + x.describe());
            }
            copy(x, r * row, out, i * row, row);
        }
        int[] idx = indices.clone();
        return Tensor.record(out, "gatherRows", g -> new Tensor[] {scatterAddRows(g, idx, rows)}, x);
    }

    /** The adjoint of gatherRows: adds row i of {@code x} into row indices[i] of a zero tensor. */
    static Tensor scatterAddRows(Tensor x, int[] indices, int rows) {
        int row = x.size / Math.max(1, x.shape[0]);
        int[] outShape = x.shape.clone();
        outShape[0] = rows;
        Tensor out = x.newZeros(outShape);
        for (int i = 0; i < indices.length; i++) {
            int dst = indices[i] * row;
            int src = i * row;
            if (x.f != null) {
                for (int j = 0; j < row; j++) {
                    out.f[dst + j] += x.f[src + j];
                }
            } else {
                for (int j = 0; j < row; j++) {
                    out.d[dst + j] += x.d[src + j];
                }
            }
        }
        return Tensor.record(out, "scatterAddRows", g -> new Tensor[] {g.gatherRows(indices)}, x);
    }

    static Tensor pick(Tensor x, int[] columns) {
        if (x.shape.length != 2 || columns.length != x.shape[0]) {
            throw new IllegalArgumentException("pick needs a 2-D tensor with one column index per row: got "
                    + x.describe() + " and " + columns.length + " indices");
        }
        int cols = x.shape[1];
        Tensor out = x.newZeros(columns.length);
        for (int i = 0; i < columns.length; i++) {
            int c = columns[i];
            if (c < 0 || c >= cols) {
                throw new IndexOutOfBoundsException("label " + c + " at row " + i + " out of range for " + cols
                        + " classes");
            }
            out.setFlat(i, x.getFlat(i * cols + c));
        }
        int[] cs = columns.clone();
        return Tensor.record(out, "pick", g -> new Tensor[] {unpick(g, cs, cols)}, x);
    }

    /** The adjoint of pick: a [n, cols] zero tensor with {@code x[i]} at {@code [i, columns[i]]}. */
    static Tensor unpick(Tensor x, int[] columns, int cols) {
        Tensor out = x.newZeros(columns.length, cols);
        for (int i = 0; i < columns.length; i++) {
            out.setFlat(i * cols + columns[i], x.getFlat(i));
        }
        return Tensor.record(out, "unpick", g -> new Tensor[] {g.pick(columns)}, x);
    }

    static Tensor cast(Tensor x, DType target) {
        if (x.dtype == target) {
            return x;
        }
        Tensor out = Tensor.zeros(target, x.shape);
        for (int i = 0; i < x.size; i++) {
            out.setFlat(i, x.getFlat(i));
        }
        DType source = x.dtype;
        return Tensor.record(out, "to", g -> new Tensor[] {g.to(source)}, x);
    }

    private static void copy(Tensor src, int srcOff, Tensor dst, int dstOff, int n) {
        if (src.f != null) {
            System.arraycopy(src.f, srcOff, dst.f, dstOff, n);
        } else {
            System.arraycopy(src.d, srcOff, dst.d, dstOff, n);
        }
    }
}
