package dev.kobai.nn;

import dev.kobai.tensor.Spatial;
import dev.kobai.tensor.Tensor;

/**
 * Adaptive average pooling, torch.nn.AdaptiveAvgPool2d: averages each channel down to a fixed
 * output size whatever the input's, cell (i, j) covering rows [floor(i H / H_out), ceil((i + 1) H /
 * H_out)) and the columns likewise. {@code new AdaptiveAvgPool2d(1)} is global average pooling, as
 * ResNet ends.
 *
 * {@snippet :
 * Tensor pooled = new AdaptiveAvgPool2d(1).forward(features); // [N, C, H, W] -> [N, C, 1, 1]
 * }
 */
public final class AdaptiveAvgPool2d extends Module {
    private final int outH;
    private final int outW;

    public AdaptiveAvgPool2d(int size) {
        this(size, size);
    }

    public AdaptiveAvgPool2d(int outH, int outW) {
        if (outH < 1 || outW < 1) {
            throw new IllegalArgumentException("AdaptiveAvgPool2d: output size must be positive, got " + outH + "x" + outW);
        }
        this.outH = outH;
        this.outW = outW;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(this + " got input " + x.describe() + "; expected [batch, channels, height, width]");
        }
        return Spatial.adaptiveAvgPool2d(x, outH, outW);
    }

    public int outputHeight() {
        return outH;
    }

    public int outputWidth() {
        return outW;
    }

    @Override
    public String toString() {
        return "AdaptiveAvgPool2d(output_size=" + (outH == outW ? Integer.toString(outH) : "(" + outH + ", " + outW + ")") + ")";
    }
}
