package dev.kobai.nn;

import dev.kobai.tensor.Tensor;

/** Keeps the first (batch) axis and flattens the rest: [b, 28, 28] becomes [b, 784]. */
public final class Flatten extends Module {
    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() < 2) {
            throw new IllegalArgumentException("Flatten needs a batch axis, got " + x.describe());
        }
        return x.rank() == 2 ? x : x.reshape(x.size(0), -1);
    }

    @Override
    public String toString() {
        return "Flatten()";
    }
}
