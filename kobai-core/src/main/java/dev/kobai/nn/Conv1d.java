package dev.kobai.nn;

import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Spatial;
import dev.kobai.tensor.Tensor;

/**
 * A 1-D convolution layer, torch.nn.Conv1d: {@link Conv2d} over sequences, input [N, C_in, L],
 * output [N, C_out, L_out] with {@code L_out = floor((L + 2 padding - dilation (kernel - 1) - 1) /
 * stride) + 1}; weight [C_out, C_in / groups, kernel], bias [C_out]. Defaults and initialisation as
 * torch's (uniform in +-1/sqrt(C_in / groups kernel), weight first).
 *
 * {@snippet :
 * Conv1d conv = new Conv1d(4, 8, 3, 1, 1, 1, 1, true, new Rng(1), DType.FLOAT64);
 * Tensor y = conv.forward(x); // [N, 4, L] -> [N, 8, L]
 * }
 */
public final class Conv1d extends Module {
    private final int inChannels;
    private final int outChannels;
    private final int kernel;
    private final int stride;
    private final int padding;
    private final int dilation;
    private final int groups;
    private final Parameter weight;
    private final Parameter bias;

    public Conv1d(int in, int out, int kernel, Rng rng, DType dtype) {
        this(in, out, kernel, 1, 0, 1, 1, true, rng, dtype);
    }

    public Conv1d(int in, int out, int kernel, int stride, int padding, int dilation, int groups, boolean withBias,
                  Rng rng, DType dtype) {
        if (in < 1 || out < 1 || kernel < 1) {
            throw new IllegalArgumentException("Conv1d needs positive sizes, got in=" + in + ", out=" + out
                    + ", kernel=" + kernel);
        }
        if (stride < 1 || dilation < 1 || padding < 0) {
            throw new IllegalArgumentException("Conv1d: stride and dilation must be positive and padding non-negative, got "
                    + stride + ", " + dilation + ", " + padding);
        }
        if (groups < 1 || in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException("Conv1d: in_channels (" + in + ") and out_channels (" + out
                    + ") must be divisible by groups (" + groups + ")");
        }
        this.inChannels = in;
        this.outChannels = out;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.groups = groups;
        double bound = 1.0 / Math.sqrt((double) in / groups * kernel);
        this.weight = registerParameter("weight",
                new Parameter(Tensor.uniform(rng, dtype, -bound, bound, out, in / groups, kernel)));
        this.bias = withBias ? registerParameter("bias", new Parameter(Tensor.uniform(rng, dtype, -bound, bound, out)))
                : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 3 || x.size(1) != inChannels) {
            throw new IllegalArgumentException(this + " got input " + x.describe() + "; expected [batch, " + inChannels
                    + ", length]");
        }
        return Spatial.conv1d(x, weight, bias, stride, padding, padding, dilation, groups);
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    @Override
    public String toString() {
        return "Conv1d(" + inChannels + ", " + outChannels + ", kernel_size=(" + kernel + ",)"
                + (stride != 1 ? ", stride=(" + stride + ",)" : "") + (padding != 0 ? ", padding=(" + padding + ",)" : "")
                + (dilation != 1 ? ", dilation=(" + dilation + ",)" : "") + (groups != 1 ? ", groups=" + groups : "")
                + (bias == null ? ", bias=False" : "") + ")";
    }
}
