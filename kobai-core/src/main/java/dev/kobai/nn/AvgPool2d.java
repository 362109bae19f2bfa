package dev.kobai.nn;

import dev.kobai.tensor.Spatial;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.Window2d;

/**
 * Average pooling, torch.nn.AvgPool2d: the mean under each window of each channel.
 *
 * <p>Shapes as {@link MaxPool2d} without dilation. Defaults as torch's: stride = kernel, padding 0,
 * ceil_mode false, count_include_pad true (the zero padding a window covers counts in the divisor,
 * but not what hangs past it in ceil mode), no divisor_override (0 here).
 *
 * {@snippet :
 * AvgPool2d pool = new AvgPool2d(2); // [N, C, 28, 28] -> [N, C, 14, 14]
 * }
 */
public final class AvgPool2d extends Module {
    private final Window2d window;
    private final boolean ceilMode;
    private final boolean countIncludePad;
    private final int divisorOverride;

    /** A kernel x kernel window with stride kernel. */
    public AvgPool2d(int kernel) {
        this(kernel, kernel, 0, false, true, 0);
    }

    public AvgPool2d(int kernel, int stride, int padding, boolean ceilMode, boolean countIncludePad, int divisorOverride) {
        this.window = Window2d.square(kernel, stride, padding, 1);
        if (2 * padding > kernel) {
            throw new IllegalArgumentException("AvgPool2d: pad should be at most half of kernel size, but got pad="
                    + padding + " and kernel_size=" + kernel);
        }
        if (divisorOverride < 0) {
            throw new IllegalArgumentException("AvgPool2d: divisor must be not zero, got " + divisorOverride);
        }
        this.ceilMode = ceilMode;
        this.countIncludePad = countIncludePad;
        this.divisorOverride = divisorOverride;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(this + " got input " + x.describe() + "; expected [batch, channels, height, width]");
        }
        return Spatial.avgPool2d(x, window, ceilMode, countIncludePad, divisorOverride);
    }

    public Window2d window() {
        return window;
    }

    public boolean ceilMode() {
        return ceilMode;
    }

    @Override
    public String toString() {
        return "AvgPool2d(kernel_size=" + window.kernelH() + ", stride=" + window.strideH() + ", padding=" + window.padTop()
                + (ceilMode ? ", ceil_mode=True" : "") + (countIncludePad ? "" : ", count_include_pad=False")
                + (divisorOverride > 0 ? ", divisor_override=" + divisorOverride : "") + ")";
    }
}
