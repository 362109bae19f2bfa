package dev.kobai.train;

import dev.kobai.data.Batch;
import dev.kobai.optim.KFAC;
import dev.kobai.optim.ShardedCurvature;

/**
 * Where a trainer's minibatch gradient comes from when it is not the whole batch's mean computed
 * at once on this machine: {@link ShardedGradient} (fixed shards summed in order, here), or a
 * cluster that computes the same shards' sums on its executors.
 */
public interface GradientEngine extends AutoCloseable {
    /**
     * Sets each parameter's gradient to the gradient of the batch's mean cross-entropy at the
     * current weights and returns that mean. Called once per step, or once per closure evaluation
     * for methods that evaluate the loss more than once (L-BFGS).
     *
     * @param indices the batch's sample indices in the training set, in batch order
     * @param batch   the same samples' features and labels, as the loader assembled them
     */
    double compute(int[] indices, Batch batch);

    /**
     * As {@link #compute(int[], Batch)}, and with {@code factors} not null also K-FAC's factor sums
     * of the batch ({@link KFAC#factorSums} of each shard, added in shard index order), for
     * {@link KFAC.ShardedClosure}. The default refuses a request for factors.
     */
    default KFAC.BatchSums compute(int[] indices, Batch batch, KFAC.FactorRequest factors) {
        if (factors != null) {
            throw new UnsupportedOperationException(describe() + " cannot compute K-FAC's factors");
        }
        return new KFAC.BatchSums(compute(indices, batch), null);
    }

    /**
     * The batch's mean loss, curvature product or curvature matrix at the current weights, for
     * Newton, Hessian-free and natural gradient ({@link ShardedCurvature.Closure}): each shard's
     * {@link ShardedCurvature#shardSum}, added in shard index order ({@link ShardedCurvature#combine}).
     * The model's buffers are left as they were. The default refuses.
     */
    default ShardedCurvature.Mean curvature(int[] indices, Batch batch, ShardedCurvature.Request request) {
        throw new UnsupportedOperationException(describe() + " cannot compute curvature products");
    }

    /** What computes the gradients, for messages: "2 shards on this machine". */
    String describe();

    /** A line on what the gradients cost (for the end of a run), or null when there is nothing to say. */
    default String summary() {
        return null;
    }

    /**
     * What the gradients cost, by name (for the metrics file): counts and milliseconds, for example
     * the median time of a gradient and how much of it was computing; empty when nothing is measured.
     */
    default java.util.Map<String, Number> timings() {
        return java.util.Map.of();
    }

    /** Releases what the engine holds (a cluster connection); the default holds nothing. */
    @Override
    default void close() {}

    /** Makes the engine of one run once its model, optimizer and data are set up. */
    @FunctionalInterface
    interface Factory {
        GradientEngine open(TrainSettings settings, Training.Setup setup);
    }
}
