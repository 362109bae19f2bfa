package dev.kobai.data;

import dev.kobai.tensor.Tensor;

/**
 * One minibatch: the features of {@code size()} samples as a float32 tensor of shape {@code [b, d]},
 * or {@code [b, C, H, W]} for images (a fresh copy owned by the batch, not requiring gradients), and
 * their class labels.
 *
 * @param features shape {@code [b, d]} or {@code [b, C, H, W]}, sample {@code k} at index {@code k}
 * @param labels   {@code b} class indices
 */
public record Batch(Tensor features, int[] labels) {
    public Batch {
        if (features.rank() < 2 || features.size(0) != labels.length) {
            throw new IllegalArgumentException("a batch of " + labels.length + " labels needs features of shape ["
                    + labels.length + ", ...], got " + java.util.Arrays.toString(features.shape()));
        }
    }

    /** The number of samples {@code b}. */
    public int size() {
        return labels.length;
    }
}
