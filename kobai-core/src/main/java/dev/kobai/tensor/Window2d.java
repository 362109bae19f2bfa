package dev.kobai.tensor;

/**
 * Where a sliding window over the last two axes of an image sits: its size, its stride, the zero
 * (or, for max pooling, minus infinity) padding on each side, and the dilation between the
 * elements it reads. Convolutions and poolings share it.
 *
 * <p>For an input of height H the window takes
 * {@code floor((H + padTop + padBottom - dilationH (kernelH - 1) - 1) / strideH) + 1} positions
 * ({@link #outputHeight}); likewise across the width. Padding may differ between the two sides,
 * as {@code padding="same"} needs for an even kernel (torch puts the extra row at the bottom).
 */
public record Window2d(int kernelH, int kernelW, int strideH, int strideW,
                       int padTop, int padBottom, int padLeft, int padRight,
                       int dilationH, int dilationW) {
    public Window2d {
        if (kernelH < 1 || kernelW < 1) {
            throw new IllegalArgumentException("kernel size must be positive, got " + kernelH + "x" + kernelW);
        }
        if (strideH < 1 || strideW < 1) {
            throw new IllegalArgumentException("stride must be positive, got " + strideH + "x" + strideW);
        }
        if (dilationH < 1 || dilationW < 1) {
            throw new IllegalArgumentException("dilation must be positive, got " + dilationH + "x" + dilationW);
        }
        if (padTop < 0 || padBottom < 0 || padLeft < 0 || padRight < 0) {
            throw new IllegalArgumentException("padding must be non-negative, got top " + padTop + ", bottom "
                    + padBottom + ", left " + padLeft + ", right " + padRight);
        }
    }

    /** A square window: the same kernel, stride, padding (on all four sides) and dilation across both axes. */
    public static Window2d square(int kernel, int stride, int padding, int dilation) {
        return new Window2d(kernel, kernel, stride, stride, padding, padding, padding, padding, dilation, dilation);
    }

    /** Symmetric padding per axis, as torch's tuple arguments give it. */
    public static Window2d of(int[] kernel, int[] stride, int[] padding, int[] dilation) {
        return new Window2d(kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[0], padding[1], padding[1],
                dilation[0], dilation[1]);
    }

    /** Positions of the window down an input of {@code height} rows; at least 1 or the input is too small. */
    public int outputHeight(int height) {
        return positions(height, kernelH, strideH, padTop + padBottom, dilationH);
    }

    /** Positions of the window across an input of {@code width} columns. */
    public int outputWidth(int width) {
        return positions(width, kernelW, strideW, padLeft + padRight, dilationW);
    }

    /**
     * Positions with torch's ceil_mode for pooling: the last window may hang over the end, but
     * must start inside the input or its leading padding.
     */
    public int outputHeight(int height, boolean ceilMode) {
        return ceilMode ? ceilPositions(height, kernelH, strideH, padTop, padBottom, dilationH) : outputHeight(height);
    }

    public int outputWidth(int width, boolean ceilMode) {
        return ceilMode ? ceilPositions(width, kernelW, strideW, padLeft, padRight, dilationW) : outputWidth(width);
    }

    /** The span one window covers in the input: dilation (kernel - 1) + 1. */
    public int spanH() {
        return dilationH * (kernelH - 1) + 1;
    }

    public int spanW() {
        return dilationW * (kernelW - 1) + 1;
    }

    private static int positions(int size, int kernel, int stride, int pad, int dilation) {
        int room = size + pad - dilation * (kernel - 1) - 1;
        return room < 0 ? 0 : room / stride + 1;
    }

    private static int ceilPositions(int size, int kernel, int stride, int padBefore, int padAfter, int dilation) {
        int room = size + padBefore + padAfter - dilation * (kernel - 1) - 1;
        if (room < 0) {
            return 0;
        }
        int out = (room + stride - 1) / stride + 1;
        if ((long) (out - 1) * stride >= size + padBefore) {
            out--;
        }
        return out;
    }

    /** "3x3, stride 1, padding 1" for messages; only what differs from the defaults beyond the kernel. */
    public String describe() {
        StringBuilder sb = new StringBuilder().append(kernelH).append('x').append(kernelW);
        if (strideH != 1 || strideW != 1) {
            sb.append(", stride ").append(pair(strideH, strideW));
        }
        if (padTop != 0 || padBottom != 0 || padLeft != 0 || padRight != 0) {
            sb.append(", padding ");
            if (padTop == padBottom && padLeft == padRight) {
                sb.append(pair(padTop, padLeft));
            } else {
                sb.append(padTop).append('/').append(padBottom).append('/').append(padLeft).append('/').append(padRight);
            }
        }
        if (dilationH != 1 || dilationW != 1) {
            sb.append(", dilation ").append(pair(dilationH, dilationW));
        }
        return sb.toString();
    }

    private static String pair(int a, int b) {
        return a == b ? Integer.toString(a) : a + "x" + b;
    }
}
