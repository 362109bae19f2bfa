package dev.kobai.train;

import dev.kobai.data.Batch;
import dev.kobai.data.DataLoader;
import dev.kobai.data.Dataset;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Module;
import dev.kobai.optim.Clip;
import dev.kobai.optim.CurvatureOptimizer;
import dev.kobai.optim.LossClosure;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.scheduler.LRScheduler;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The classification training loop: for each minibatch, zero the gradients, compute the
 * cross-entropy of the model's logits, backpropagate, step; after each epoch, evaluate on the
 * test set without recording.
 *
 * <p>Optionally, gradients are clipped between backward and the step (first each element to
 * [-clip_value, clip_value], then the joint 2-norm to max_norm, as torch.nn.utils does), and a
 * learning-rate scheduler is stepped. The rule for the scheduler is torch's convention: once per
 * epoch, after the epoch's evaluation, unless the scheduler is per batch by nature. Each scheduler
 * says which through {@link LRScheduler#afterBatch} and {@link LRScheduler#afterEpoch}:
 * <ul>
 *   <li>StepLR, MultiStepLR, ExponentialLR, LinearLR, ConstantLR, PolynomialLR, CosineAnnealingLR,
 *       LambdaLR, SequentialLR, ChainedScheduler: step() after each epoch, so their counts
 *       (step_size, T_max, milestones, total_iters) are epochs;</li>
 *   <li>ReduceLROnPlateau: step(test loss) after each epoch;</li>
 *   <li>OneCycleLR: step() after every batch (total_steps counts batches);</li>
 *   <li>CosineAnnealingWarmRestarts: step(e + b / n) after batch b of n in epoch e (from 0), so
 *       the cosine is followed within the epoch and the restarts fall at whole epochs T_0, ....</li>
 * </ul>
 */
public final class Trainer {
    /** Test-set evaluation runs in batches of this size: no gradients, so larger batches only cost memory. */
    private static final int EVAL_BATCH = 1000;

    private final Module model;
    private final Optimizer optimizer;
    private final LRScheduler scheduler;
    private final Double clipGradNorm;
    private final Double clipGradValue;

    public Trainer(Module model, Optimizer optimizer) {
        this(model, optimizer, null, null, null);
    }

    /**
     * A trainer that also steps {@code scheduler} (may be null) and clips gradients: each element
     * to [-clipGradValue, clipGradValue], then the joint 2-norm to clipGradNorm (either may be null).
     */
    public Trainer(Module model, Optimizer optimizer, LRScheduler scheduler, Double clipGradNorm,
                   Double clipGradValue) {
        if (scheduler != null && scheduler.optimizer() != optimizer) {
            throw new IllegalArgumentException("the scheduler drives another optimizer");
        }
        this.model = model;
        this.optimizer = optimizer;
        this.scheduler = scheduler;
        this.clipGradNorm = clipGradNorm;
        this.clipGradValue = clipGradValue;
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
        double lr = optimizer.paramGroups().getFirst().lr();
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
            k++;
            if (scheduler != null) {
                scheduler.afterBatch(epoch, k, batches.batchCount());
            }
            listener.onBatchEnd(epoch, k, loss);
        }
        Evaluation eval = evaluate(test);
        if (scheduler != null) {
            scheduler.afterEpoch(epoch, eval.loss());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        EpochMetrics m = new EpochMetrics(epoch, lossSum / Math.max(1, seen), eval.loss(), eval.accuracy(), seconds,
                lr);
        listener.onEpochEnd(m);
        return m;
    }

    /**
     * One optimizer step on one minibatch; returns the batch's mean loss before the step. The step
     * goes through a closure, so methods that re-evaluate the loss (L-BFGS) or differentiate it
     * twice (Newton, Hessian-free) train like any other.
     */
    public double step(Batch batch) {
        Tensor x = batch.features();
        int[] y = batch.labels();
        if (optimizer instanceof CurvatureOptimizer curvature && curvature.problem() != null) {
            curvature.problem().setBatch(x, y);
        }
        LossClosure closure = new LossClosure() {
            @Override
            public Tensor loss() {
                return Losses.crossEntropy(model.forward(x), y);
            }

            @Override
            public double evaluate() {
                optimizer.zeroGrad();
                Tensor loss = loss();
                loss.backward();
                clip();
                return loss.item();
            }
        };
        return optimizer.step(closure);
    }

    private void clip() {
        if (clipGradValue != null) {
            Clip.gradValue(model.parameters(), clipGradValue);
        }
        if (clipGradNorm != null) {
            Clip.gradNorm(model.parameters(), clipGradNorm);
        }
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

    /** The scheduler this trainer steps, or null. */
    public LRScheduler scheduler() {
        return scheduler;
    }
}
