package dev.kobai.nn;

import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;

/**
 * Inverted dropout (Srivastava et al. 2014): in training, each element is zeroed with probability
 * p and the survivors scaled by 1/(1-p), so evaluation needs no rescaling. Masks come from the
 * given generator.
 */
public final class Dropout extends Module {
    private final double p;
    private final Rng rng;

    public Dropout(double p, Rng rng) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability has to be in [0, 1), got " + p);
        }
        this.p = p;
        this.rng = rng;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (!isTraining() || p == 0) {
            return x;
        }
        Tensor mask = Tensor.zeros(x.dtype(), x.shape());
        double keep = 1.0 / (1 - p);
        for (int i = 0; i < mask.numel(); i++) {
            mask.setFlat(i, rng.nextDouble() >= p ? keep : 0);
        }
        return x.mul(mask);
    }

    /** The generator the masks come from; checkpoints save its state so that a resumed run draws the same masks. */
    public Rng generator() {
        return rng;
    }

    @Override
    public String toString() {
        return "Dropout(p=" + p + ")";
    }
}
