package dev.kobai.train;

/** Callbacks from the training loop, for progress bars and metrics files; every method is optional. */
public interface TrainingListener {
    /** Called before the first batch of an epoch (epochs count from 1). */
    default void onEpochStart(int epoch, int totalBatches) {}

    /** Called after each optimizer step with that minibatch's loss (batches count from 1). */
    default void onBatchEnd(int epoch, int batch, double loss) {}

    /** Called after the epoch's evaluation on the test set. */
    default void onEpochEnd(EpochMetrics metrics) {}
}
