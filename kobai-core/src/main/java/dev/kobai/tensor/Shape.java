package dev.kobai.tensor;

import java.util.Arrays;

/** Helpers for shapes: element counts, broadcasting, axis normalisation. Shapes are row-major. */
public final class Shape {
    private Shape() {}

    /** Number of elements; 1 for the empty shape of a scalar. */
    public static int numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^31-1 elements");
            }
        }
        return (int) n;
    }

    /** Maps a possibly negative axis (counting from the end, as in PyTorch) into [0, rank). */
    public static int axis(int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException("axis " + axis + " out of range for a tensor of rank " + rank);
        }
        return a;
    }

    /** Product of dimensions in [from, to). */
    public static int prod(int[] shape, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) {
            p *= shape[i];
        }
        return p;
    }

    /** NumPy broadcasting: align on the right; each pair of dimensions equal or one of them 1. */
    public static int[] broadcast(int[] a, int[] b, String op) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + Arrays.toString(a) + " and "
                        + Arrays.toString(b) + " cannot be broadcast together (dimension " + i + ": " + da
                        + " vs " + db + ")");
            }
            out[i] = Math.max(da, db);
        }
        return out;
    }

    /** Whether {@code small}, aligned on the right, equals the trailing dimensions of {@code big}. */
    static boolean isSuffix(int[] small, int[] big) {
        if (small.length > big.length) {
            return false;
        }
        int off = big.length - small.length;
        for (int i = 0; i < small.length; i++) {
            if (small[i] != big[off + i]) {
                return false;
            }
        }
        return true;
    }

    /** Row-major strides. */
    static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }
}
