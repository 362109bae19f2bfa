package dev.kobai.nn;

import dev.kobai.tensor.DType;
import dev.kobai.tensor.Normalization;
import dev.kobai.tensor.Tensor;

/**
 * Group normalisation, torch.nn.GroupNorm (Wu and He 2018): the C channels split into G groups
 * of C / G consecutive channels, and per sample n and group g,
 * <pre>
 *   y[n, c] = (x[n, c] - mean_ng) / sqrt(var_ng + eps) * weight[c] + bias[c]    for c in group g
 * </pre>
 * with the mean and biased variance of the group's channels over every spatial position. The same
 * in training and evaluation. G = 1 normalises each sample over all its channels (as layer norm
 * over [C, H, W] with a per-channel affine); G = C each channel alone (instance norm).
 *
 * <p>Shapes: input [N, C, *], output the same; weight and bias [C].
 *
 * <p>Arguments as torch's, with its defaults: num_groups G and num_channels C, C divisible by G;
 * eps 1e-5; affine true.
 *
 * <p>Initialisation as torch's: weight ones, bias zeros.
 *
 * {@snippet :
 * GroupNorm norm = new GroupNorm(8, 64, DType.FLOAT32);
 * Tensor y = norm.forward(features); // [N, 64, H, W] -> [N, 64, H, W], statistics per sample over groups of 8 channels
 * }
 */
public final class GroupNorm extends Module {
    public static final double DEFAULT_EPS = 1e-5;

    private final int numGroups;
    private final int numChannels;
    private final double eps;
    private final Parameter weight;
    private final Parameter bias;

    /** With torch's defaults. */
    public GroupNorm(int numGroups, int numChannels, DType dtype) {
        this(numGroups, numChannels, DEFAULT_EPS, true, dtype);
    }

    public GroupNorm(int numGroups, int numChannels, double eps, boolean affine, DType dtype) {
        if (numGroups < 1 || numChannels < 1) {
            throw new IllegalArgumentException("GroupNorm: num_groups and num_channels must be positive, got "
                    + numGroups + " and " + numChannels);
        }
        if (numChannels % numGroups != 0) {
            throw new IllegalArgumentException("GroupNorm: num_channels must be divisible by num_groups, got "
                    + numChannels + " channels and " + numGroups + " groups");
        }
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("GroupNorm: eps must be finite and non-negative, got " + eps);
        }
        this.numGroups = numGroups;
        this.numChannels = numChannels;
        this.eps = eps;
        this.weight = affine ? registerParameter("weight", new Parameter(Tensor.ones(dtype, numChannels))) : null;
        this.bias = affine ? registerParameter("bias", new Parameter(Tensor.zeros(dtype, numChannels))) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() < 2 || x.size(1) != numChannels) {
            throw new IllegalArgumentException(this + " got input " + x.describe() + "; expected [batch, "
                    + numChannels + ", *]");
        }
        return Normalization.groupNorm(x, numGroups, weight, bias, eps);
    }

    public int numGroups() {
        return numGroups;
    }

    public int numChannels() {
        return numChannels;
    }

    public double eps() {
        return eps;
    }

    /** [C], or null without affine. */
    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    @Override
    public String toString() {
        return "GroupNorm(" + numGroups + ", " + numChannels + ", eps=" + Repr.number(eps) + ", affine="
                + Repr.bool(weight != null) + ")";
    }
}
