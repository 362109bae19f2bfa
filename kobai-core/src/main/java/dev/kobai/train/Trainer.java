package dev.kobai.train;

import dev.kobai.data.Batch;
import dev.kobai.data.DataLoader;
import dev.kobai.data.Dataset;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Module;
import dev.kobai.optim.Optimizer;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The classification training loop: for each minibatch, zero the gradients, compute the
 * cross-entropy of the model's logits, backpropagate, step; after each epoch, evaluate on the
 * test set without recording.
 */
public final class Trainer {
    /** Test-set evaluation runs in batches of this size: no gradients, so larger batches only cost memory. */
    private static final int EVAL_BATCH = 1000;

    private final Module model;
    private final Optimizer optimizer;

    public Trainer(Module model, Optimizer optimizer) {
        this.model = model;
        this.optimizer = optimizer;
    }

    /** Loss and accuracy on a dataset. */
    public record Evaluation(double loss, double accuracy) {}

    /** Trains for {@code epochs} epochs, drawing minibatches from {@code loader}. */
    public List<EpochMetrics> fit(DataLoader loader, Dataset test, int epochs, TrainingListener listener) {
        List<EpochMetrics> history = new ArrayList<>();
        for (int epoch = 1; epoch <= epochs; epoch++) {
            history.add(runEpoch(epoch, loader, test, listener));
        }
        return history;
    }

    /** One epoch of training followed by evaluation on {@code test}. */
    public EpochMetrics runEpoch(int epoch, DataLoader loader, Dataset test, TrainingListener listener) {
        long start = System.nanoTime();
        model.train(true);
        DataLoader.Epoch batches = loader.nextEpoch();
        listener.onEpochStart(epoch, batches.batchCount());
        double lossSum = 0;
        long seen = 0;
        int k = 0;
        for (Batch batch : batches) {
            double loss = step(batch);
            if (!Double.isFinite(loss)) {
                throw new dev.kobai.KobaiException("training diverged: loss " + loss + " at epoch " + epoch + ", batch "
                        + (k + 1) + "; lower the learning rate");
            }
            lossSum += loss * batch.size();
            seen += batch.size();
            listener.onBatchEnd(epoch, ++k, loss);
        }
        Evaluation eval = evaluate(test);
        double seconds = (System.nanoTime() - start) / 1e9;
        EpochMetrics m = new EpochMetrics(epoch, lossSum / Math.max(1, seen), eval.loss(), eval.accuracy(), seconds);
        listener.onEpochEnd(m);
        return m;
    }

    /** One optimizer step on one minibatch; returns the batch's mean loss before the step. */
    public double step(Batch batch) {
        optimizer.zeroGrad();
        Tensor logits = model.forward(batch.features());
        Tensor loss = Losses.crossEntropy(logits, batch.labels());
        loss.backward();
        optimizer.step();
        return loss.item();
    }

    /** Mean cross-entropy and accuracy over a dataset, in evaluation mode and without recording. */
    public Evaluation evaluate(Dataset data) {
        model.train(false);
        double lossSum = 0;
        long correct = 0;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (Batch batch : DataLoader.unshuffled(data, EVAL_BATCH).nextEpoch()) {
                Tensor logits = model.forward(batch.features());
                lossSum += Losses.crossEntropy(logits, batch.labels()).item() * batch.size();
                int[] predicted = logits.argmaxRows();
                int[] labels = batch.labels();
                for (int i = 0; i < labels.length; i++) {
                    if (predicted[i] == labels[i]) {
                        correct++;
                    }
                }
            }
        } finally {
            model.train(true);
        }
        int n = Math.max(1, data.size());
        return new Evaluation(lossSum / n, (double) correct / n);
    }

    public Module model() {
        return model;
    }

    public Optimizer optimizer() {
        return optimizer;
    }
}
