package dev.kobai.nn;

import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Spatial;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.Window2d;

/**
 * A 2-D convolution layer, torch.nn.Conv2d: for input [N, C_in, H, W],
 * <pre>
 *   out[n, o] = bias[o] + sum_{c in group(o)} weight[o, c] (*) x[n, c]
 * </pre>
 * where (*) is 2-D cross-correlation with the layer's stride, zero padding and dilation, and the
 * input and output channels are split into {@code groups} groups, each output channel seeing the
 * C_in / groups input channels of its own group.
 *
 * <p>Shapes: input [N, C_in, H, W], output [N, C_out, H_out, W_out] with
 * {@code H_out = floor((H + padTop + padBottom - dilation (kernel - 1) - 1) / stride) + 1}, likewise
 * W_out; weight [C_out, C_in / groups, kh, kw]; bias [C_out].
 *
 * <p>Arguments as torch's, with its defaults: stride 1, padding 0 (an int, a pair, or
 * {@code "same"}, which keeps H and W at stride 1 and puts an odd total's extra row and column at
 * the bottom and right, or {@code "valid"}, no padding), dilation 1, groups 1, bias true.
 *
 * <p>Initialisation as torch's: weight and bias uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)] with
 * fan_in = C_in / groups kh kw (kaiming_uniform with a = sqrt(5)), weight first, from the given
 * generator.
 *
 * {@snippet :
 * Conv2d conv = Conv2d.builder(1, 32, 3).padding(1).build(new Rng(1), DType.FLOAT32);
 * Tensor y = conv.forward(images); // [N, 1, 28, 28] -> [N, 32, 28, 28]
 * }
 */
public final class Conv2d extends Module {
    private final int inChannels;
    private final int outChannels;
    private final int groups;
    private final Window2d window;
    private final String padding;
    private final Parameter weight;
    private final Parameter bias;

    private Conv2d(Builder b, Rng rng, DType dtype) {
        if (b.in < 1 || b.out < 1) {
            throw new IllegalArgumentException("Conv2d needs positive channel counts, got in=" + b.in + ", out=" + b.out);
        }
        if (b.groups < 1) {
            throw new IllegalArgumentException("Conv2d: groups must be a positive integer, got " + b.groups);
        }
        if (b.in % b.groups != 0) {
            throw new IllegalArgumentException("Conv2d: in_channels must be divisible by groups (" + b.in + " and "
                    + b.groups + ")");
        }
        if (b.out % b.groups != 0) {
            throw new IllegalArgumentException("Conv2d: out_channels must be divisible by groups (" + b.out + " and "
                    + b.groups + ")");
        }
        this.inChannels = b.in;
        this.outChannels = b.out;
        this.groups = b.groups;
        this.window = b.window();
        this.padding = b.paddingText();
        int fanIn = b.in / b.groups * b.kernel[0] * b.kernel[1];
        double bound = 1.0 / Math.sqrt(fanIn);
        this.weight = registerParameter("weight", new Parameter(
                Tensor.uniform(rng, dtype, -bound, bound, b.out, b.in / b.groups, b.kernel[0], b.kernel[1])));
        this.bias = b.bias ? registerParameter("bias", new Parameter(Tensor.uniform(rng, dtype, -bound, bound, b.out)))
                : null;
    }

    /** A convolution from {@code in} to {@code out} channels with a square kernel; set the rest, then build. */
    public static Builder builder(int in, int out, int kernel) {
        return new Builder(in, out, kernel, kernel);
    }

    /** A convolution with a kh x kw kernel. */
    public static Builder builder(int in, int out, int kernelH, int kernelW) {
        return new Builder(in, out, kernelH, kernelW);
    }

    /** torch's arguments, one method each; defaults as torch's. */
    public static final class Builder {
        private final int in;
        private final int out;
        private final int[] kernel;
        private int[] stride = {1, 1};
        private int[] pad = {0, 0};
        private String mode;
        private int[] dilation = {1, 1};
        private int groups = 1;
        private boolean bias = true;

        private Builder(int in, int out, int kernelH, int kernelW) {
            this.in = in;
            this.out = out;
            this.kernel = new int[] {kernelH, kernelW};
        }

        public Builder stride(int s) {
            return stride(s, s);
        }

        public Builder stride(int sh, int sw) {
            this.stride = new int[] {sh, sw};
            return this;
        }

        /** Zero padding of {@code p} on all four sides. */
        public Builder padding(int p) {
            return padding(p, p);
        }

        /** Zero padding of {@code ph} above and below, {@code pw} left and right. */
        public Builder padding(int ph, int pw) {
            this.pad = new int[] {ph, pw};
            this.mode = null;
            return this;
        }

        /** {@code "same"} (stride 1 only) or {@code "valid"} (no padding), as torch's string values. */
        public Builder padding(String mode) {
            if (!mode.equals("same") && !mode.equals("valid")) {
                throw new IllegalArgumentException("Invalid padding string '" + mode + "', should be one of {'valid', 'same'}");
            }
            this.mode = mode;
            this.pad = new int[] {0, 0};
            return this;
        }

        public Builder dilation(int d) {
            return dilation(d, d);
        }

        public Builder dilation(int dh, int dw) {
            this.dilation = new int[] {dh, dw};
            return this;
        }

        public Builder groups(int g) {
            this.groups = g;
            return this;
        }

        public Builder bias(boolean withBias) {
            this.bias = withBias;
            return this;
        }

        /** Draws the initial weights from {@code rng}. */
        public Conv2d build(Rng rng, DType dtype) {
            return new Conv2d(this, rng, dtype);
        }

        private Window2d window() {
            if ("same".equals(mode)) {
                if (stride[0] != 1 || stride[1] != 1) {
                    throw new IllegalArgumentException("padding='same' is not supported for strided convolutions");
                }
                int th = dilation[0] * (kernel[0] - 1);
                int tw = dilation[1] * (kernel[1] - 1);
                return new Window2d(kernel[0], kernel[1], 1, 1, th / 2, th - th / 2, tw / 2, tw - tw / 2,
                        dilation[0], dilation[1]);
            }
            return Window2d.of(kernel, stride, pad, dilation);
        }

        private String paddingText() {
            return mode != null ? "'" + mode + "'" : pad[0] == pad[1] ? Integer.toString(pad[0]) : "(" + pad[0] + ", " + pad[1] + ")";
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 4 || x.size(1) != inChannels) {
            throw new IllegalArgumentException(this + " got input " + x.describe() + "; expected [batch, " + inChannels
                    + ", height, width]");
        }
        return reportForward(x, Spatial.conv2d(x, weight, bias, window, groups));
    }

    /** The output shape [C_out, H_out, W_out] for one [C_in, H, W] input; H_out or W_out below 1 when it does not fit. */
    public int[] outputShape(int height, int width) {
        return new int[] {outChannels, window.outputHeight(height), window.outputWidth(width)};
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    public int inChannels() {
        return inChannels;
    }

    public int outChannels() {
        return outChannels;
    }

    public int groups() {
        return groups;
    }

    public Window2d window() {
        return window;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Conv2d(").append(inChannels).append(", ").append(outChannels)
                .append(", kernel_size=").append(pair(window.kernelH(), window.kernelW()));
        if (window.strideH() != 1 || window.strideW() != 1) {
            sb.append(", stride=").append(pair(window.strideH(), window.strideW()));
        }
        if (!padding.equals("0")) {
            sb.append(", padding=").append(padding);
        }
        if (window.dilationH() != 1 || window.dilationW() != 1) {
            sb.append(", dilation=").append(pair(window.dilationH(), window.dilationW()));
        }
        if (groups != 1) {
            sb.append(", groups=").append(groups);
        }
        if (bias == null) {
            sb.append(", bias=False");
        }
        return sb.append(')').toString();
    }

    private static String pair(int a, int b) {
        return "(" + a + ", " + b + ")";
    }
}
