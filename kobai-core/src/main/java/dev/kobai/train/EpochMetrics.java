package dev.kobai.train;

/**
 * What one epoch reached: mean training loss over its minibatches, loss and accuracy on the test
 * set, the wall-clock seconds the epoch took (training and evaluation), and the learning rate of
 * the first parameter group when the epoch began (the one its first batch used; NaN when unknown).
 */
public record EpochMetrics(int epoch, double trainLoss, double testLoss, double testAccuracy, double seconds,
                           double lr) {
    /** Metrics without a learning rate (NaN). */
    public EpochMetrics(int epoch, double trainLoss, double testLoss, double testAccuracy, double seconds) {
        this(epoch, trainLoss, testLoss, testAccuracy, seconds, Double.NaN);
    }
}
