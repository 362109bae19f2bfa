package dev.kobai.train;

/**
 * What one epoch reached: mean training loss over its minibatches, loss and accuracy on the test
 * set, the wall-clock seconds the epoch took (training and evaluation), and the learning rate of
 * the first parameter group when the epoch began (the one its first batch used; NaN when unknown),
 * and the steps the epoch skipped because their loss or gradient was not finite (only with
 * skip-nonfinite on; their losses are left out of the mean).
 */
public record EpochMetrics(int epoch, double trainLoss, double testLoss, double testAccuracy, double seconds,
                           double lr, long skippedSteps) {
    /** Metrics of an epoch that skipped no step. */
    public EpochMetrics(int epoch, double trainLoss, double testLoss, double testAccuracy, double seconds,
                        double lr) {
        this(epoch, trainLoss, testLoss, testAccuracy, seconds, lr, 0);
    }

    /** Metrics without a learning rate (NaN). */
    public EpochMetrics(int epoch, double trainLoss, double testLoss, double testAccuracy, double seconds) {
        this(epoch, trainLoss, testLoss, testAccuracy, seconds, Double.NaN);
    }
}
