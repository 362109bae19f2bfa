package dev.kobai.data;

/**
 * One minibatch: {@code size()} samples' features, row-major with shape {@code [b, d]}, and their
 * labels. The arrays are fresh copies owned by the batch.
 *
 * @param features {@code b * d} values, sample {@code k} in {@code [k*d, (k+1)*d)}
 * @param shape    {@code {b, d}}
 * @param labels   {@code b} class indices
 */
public record Batch(float[] features, int[] shape, int[] labels) {
    /** The number of samples {@code b}. */
    public int size() {
        return labels.length;
    }
}
