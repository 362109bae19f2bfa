package dev.kobai.nn;

import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;

/**
 * y = x W^T + b, with W of shape [out, in] as in PyTorch.
 *
 * <p>Initialised as torch.nn.Linear: W ~ U(-1/sqrt(in), 1/sqrt(in)), which is kaiming_uniform with
 * a = sqrt(5), and b from the same range; drawn from the given generator.
 */
public final class Linear extends Module {
    private final int inFeatures;
    private final int outFeatures;
    private final Parameter weight;
    private final Parameter bias;

    public Linear(int inFeatures, int outFeatures, Rng rng) {
        this(inFeatures, outFeatures, true, rng, DType.FLOAT32);
    }

    public Linear(int inFeatures, int outFeatures, boolean withBias, Rng rng, DType dtype) {
        if (inFeatures < 1 || outFeatures < 1) {
            throw new IllegalArgumentException("Linear needs positive sizes, got in=" + inFeatures + ", out=" + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        double bound = 1.0 / Math.sqrt(inFeatures);
        this.weight = registerParameter("weight",
                new Parameter(Tensor.uniform(rng, dtype, -bound, bound, outFeatures, inFeatures)));
        this.bias = withBias
                ? registerParameter("bias", new Parameter(Tensor.uniform(rng, dtype, -bound, bound, outFeatures)))
                : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() < 2 || x.size(-1) != inFeatures) {
            throw new IllegalArgumentException("Linear(" + inFeatures + " -> " + outFeatures + ") got input "
                    + x.describe() + "; expected [batch, " + inFeatures + "]");
        }
        Tensor y = x.matmul(weight, false, true);
        return reportForward(x, bias == null ? y : y.add(bias));
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }

    @Override
    public String toString() {
        return "Linear(" + inFeatures + ", " + outFeatures + (bias == null ? ", bias=false" : "") + ")";
    }
}
