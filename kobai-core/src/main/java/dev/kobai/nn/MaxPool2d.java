package dev.kobai.nn;

import dev.kobai.tensor.Spatial;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.Window2d;

/**
 * Max pooling, torch.nn.MaxPool2d: the largest value under each window of each channel.
 *
 * <p>Shapes: [N, C, H, W] to [N, C, H_out, W_out] with
 * {@code H_out = floor((H + 2 padding - dilation (kernel - 1) - 1) / stride) + 1}, or with
 * {@code ceil} instead of {@code floor} in ceil mode (dropping a last window that would start in
 * the bottom padding); likewise W_out. Padding counts as minus infinity and may be at most half the
 * kernel. Defaults as torch's: stride = kernel, padding 0, dilation 1, ceil_mode false. The
 * gradient goes to the first maximum of each window in row-major order.
 *
 * {@snippet :
 * MaxPool2d pool = new MaxPool2d(2); // [N, C, 28, 28] -> [N, C, 14, 14]
 * }
 */
public final class MaxPool2d extends Module {
    private final Window2d window;
    private final boolean ceilMode;

    /** A kernel x kernel window with stride kernel. */
    public MaxPool2d(int kernel) {
        this(kernel, kernel, 0, 1, false);
    }

    public MaxPool2d(int kernel, int stride, int padding, int dilation, boolean ceilMode) {
        this.window = Window2d.square(kernel, stride, padding, dilation);
        if (2 * padding > kernel) {
            throw new IllegalArgumentException("MaxPool2d: pad should be at most half of kernel size, but got pad="
                    + padding + " and kernel_size=" + kernel);
        }
        this.ceilMode = ceilMode;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(this + " got input " + x.describe() + "; expected [batch, channels, height, width]");
        }
        return Spatial.maxPool2d(x, window, ceilMode);
    }

    public Window2d window() {
        return window;
    }

    public boolean ceilMode() {
        return ceilMode;
    }

    @Override
    public String toString() {
        return "MaxPool2d(kernel_size=" + window.kernelH() + ", stride=" + window.strideH() + ", padding="
                + window.padTop() + ", dilation=" + window.dilationH() + ", ceil_mode=" + (ceilMode ? "True" : "False") + ")";
    }
}
