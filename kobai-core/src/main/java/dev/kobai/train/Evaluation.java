package dev.kobai.train;

import dev.kobai.data.Batch;
import dev.kobai.data.DataLoader;
import dev.kobai.data.Dataset;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Module;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.StepMemory;
import dev.kobai.tensor.Tensor;

/**
 * A classifier's mean cross-entropy and accuracy over a data set, as {@code kobai train} reports
 * them after each epoch.
 *
 * {@snippet :
 * Evaluation e = Evaluation.of(model, data.test());
 * System.out.printf("test loss %.4f, accuracy %.2f%%%n", e.loss(), 100 * e.accuracy());
 * }
 *
 * @param loss     mean over the samples of cross-entropy(model(x), label)
 * @param accuracy the fraction of samples whose largest output is at their label
 */
public record Evaluation(double loss, double accuracy) {
    /**
     * Evaluation runs in batches of this many rows: no gradients, so larger batches only cost
     * memory, and large products run at the GEMM's best.
     */
    static final int BATCH = 1000;
    /**
     * Evaluation batches of images: a convolutional network's activations are a few hundred
     * kilobytes per image (400 KB for cnn on 1x28x28), all held until the batch ends, and its
     * products are per image anyway.
     */
    static final int BATCH_IMAGES = 128;

    /**
     * Evaluates {@code model} on every sample of {@code data} in order, in evaluation mode (dropout
     * off, batch norm on its running statistics) and without recording gradients; the model is
     * back in the mode it was in afterwards. The model sees minibatches as {@link DataLoader} gives
     * them: images [b, C, H, W] for a data set of images ([C, H, W] samples, see
     * {@link Dataset#withSampleShape}), rows [b, d] otherwise. NaN for both over a data set without
     * samples, which measures nothing.
     */
    public static Evaluation of(Module model, Dataset data) {
        return of(model, data, new StepMemory());
    }

    /** As {@link #of(Module, Dataset)}, reusing {@code memory}'s arrays from one batch to the next. */
    static Evaluation of(Module model, Dataset data, StepMemory memory) {
        boolean training = model.isTraining();
        model.train(false);
        double lossSum = 0;
        long correct = 0;
        try (GradMode.Scope _ = GradMode.noGrad()) {
            for (Batch batch : DataLoader.unshuffled(data, data.isImage() ? BATCH_IMAGES : BATCH).nextEpoch()) {
                int[] predicted;
                try (StepMemory.Scope _ = memory.open()) {
                    Tensor logits = model.forward(batch.features());
                    lossSum += Losses.crossEntropy(logits, batch.labels()).item() * batch.size();
                    predicted = logits.argmaxRows();
                }
                int[] labels = batch.labels();
                for (int i = 0; i < labels.length; i++) {
                    if (predicted[i] == labels[i]) {
                        correct++;
                    }
                }
            }
        } finally {
            model.train(training);
        }
        int n = data.size();
        return n == 0 ? new Evaluation(Double.NaN, Double.NaN) : new Evaluation(lossSum / n, (double) correct / n);
    }
}
