package dev.kobai.train;

/**
 * What one epoch reached: mean training loss over its minibatches, loss and accuracy on the test
 * set, and the wall-clock seconds the epoch took (training and evaluation).
 */
public record EpochMetrics(int epoch, double trainLoss, double testLoss, double testAccuracy, double seconds) {}
