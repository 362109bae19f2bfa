package dev.kobai.train;

import dev.kobai.UsageException;
import dev.kobai.data.Batch;
import dev.kobai.data.DataLoader;
import dev.kobai.data.Dataset;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Module;
import dev.kobai.optim.Clip;
import dev.kobai.optim.CurvatureOptimizer;
import dev.kobai.optim.KFAC;
import dev.kobai.optim.LossClosure;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.ShardedCurvature;
import dev.kobai.optim.scheduler.LRScheduler;
import dev.kobai.tensor.StepMemory;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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

    private final Module model;
    private final Optimizer optimizer;
    private final LRScheduler scheduler;
    private final Double clipGradNorm;
    private final Double clipGradValue;
    /**
     * The storage of one step's activations and gradients, reused by the next step (see
     * {@link StepMemory}): opened around the forward and backward passes of the step's closure, and
     * around each evaluation batch.
     */
    private final StepMemory stepMemory = new StepMemory();
    private final StepMemory evalMemory = new StepMemory();

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

    /**
     * Where a run stands between two batches, which is what a checkpoint needs besides the model,
     * optimizer and scheduler to resume exactly: the epoch (from 1) and the batches of it already
     * done; the loader's generator state at the epoch's start, which replays the epoch's order; the
     * global step count; the epoch's running loss sum and sample count; the learning rate the
     * epoch began with; the steps skipped so far in the epoch and in the run; and the last finite
     * loss (NaN before the first).
     */
    public record Position(int epoch, int batch, long step, long[] epochStartRng, double lossSum, long seen,
                           double epochLr, long epochSkipped, long totalSkipped, double lastFiniteLoss) {
        /** The start of a run. */
        public static Position start() {
            return new Position(1, 0, 0, null, 0, 0, Double.NaN, 0, 0, Double.NaN);
        }
    }

    /** Told after every step and after every epoch, with the position that follows; checkpoints hang here. */
    public interface StepHook {
        /** After a step: {@code next} resumes with the following batch. */
        default void afterStep(Position next, List<EpochMetrics> history) {}

        /** After an epoch's evaluation and scheduler step: {@code next} is the start of the next epoch. */
        default void afterEpoch(Position next, List<EpochMetrics> history) {}
    }

    private boolean skipNonFinite;
    private GradientEngine engine;
    private StepHook hook = new StepHook() {};
    private long stepCount;
    /** See {@link #named()}. */
    private List<Map.Entry<String, dev.kobai.nn.Parameter>> named;
    private List<dev.kobai.nn.Parameter> params;
    private long totalSkipped;
    private double lastFiniteLoss = Double.NaN;
    private long lastFiniteStep;

    /**
     * With {@code skip} on, a step whose loss or gradient is not finite is skipped (no update, and
     * counted in {@link EpochMetrics#skippedSteps()}); off (the default), it stops training with a
     * {@link NumericalFaultException}. Either way an update that makes a weight non-finite stops
     * training, and a run whose steps were all skipped ends in an {@link AllStepsSkippedException}.
     */
    public Trainer skipNonFinite(boolean skip) {
        this.skipNonFinite = skip;
        return this;
    }

    /**
     * Computes each minibatch's gradient with {@code engine} (fixed shards summed in order, on this
     * machine or a cluster) instead of the whole batch at once; null restores the default. Optimizers
     * that step from the gradient alone or through evaluations of its closure (first-order methods,
     * L-BFGS) take it as it is; K-FAC takes its gradient and factor sums from the engine
     * ({@link KFAC.ShardedClosure}); Newton, Hessian-free and natural gradient take their gradient,
     * losses and curvature from it ({@link ShardedCurvature.Closure}).
     */
    public Trainer gradientEngine(GradientEngine engine) {
        this.engine = engine;
        return this;
    }

    /** Sets what is told after each step and epoch (checkpointing). */
    public Trainer stepHook(StepHook hook) {
        this.hook = hook == null ? new StepHook() {} : hook;
        return this;
    }

    /** Trains for {@code epochs} epochs, drawing minibatches from {@code loader}. */
    public List<EpochMetrics> fit(DataLoader loader, Dataset test, int epochs, TrainingListener listener) {
        return fit(loader, test, epochs, listener, Position.start(), List.of());
    }

    /**
     * Trains from {@code from} to the end of epoch {@code epochs}: a fresh run starts at
     * {@link Position#start()}, a resumed one at the position a checkpoint saved, with the epochs
     * it had finished in {@code history}. Returns the whole history.
     *
     * @throws NumericalFaultException         for a non-finite loss or gradient (unless skipped), or
     *                                         weights an update made non-finite (never skipped)
     * @throws AllStepsSkippedException when skip-nonfinite skipped every step this call took
     */
    public List<EpochMetrics> fit(DataLoader loader, Dataset test, int epochs, TrainingListener listener,
                                  Position from, List<EpochMetrics> history) {
        requireSamples("data", loader.dataset(), test);
        if (from.batch() > loader.batchesPerEpoch()) {
            throw new IllegalArgumentException("position batch " + from.batch() + " lies past the end of an epoch of "
                    + loader.batchesPerEpoch() + " batches");
        }
        List<EpochMetrics> all = new ArrayList<>(history);
        stepCount = from.step();
        totalSkipped = from.totalSkipped();
        lastFiniteLoss = from.lastFiniteLoss();
        lastFiniteStep = from.step();
        Position at = from;
        // a long counter, so that epochs = Integer.MAX_VALUE ends rather than wraps around
        for (long epoch = from.epoch(); epoch <= epochs; epoch++) {
            all.add(runEpoch((int) epoch, loader, test, listener, at, all));
            at = null;
        }
        long taken = stepCount - from.step();
        if (taken > 0 && totalSkipped - from.totalSkipped() == taken) {
            throw new AllStepsSkippedException("all " + taken + " steps of the run were skipped (each had a"
                    + " non-finite loss or gradient), so it trained nothing. Lower the learning rate, clip the"
                    + " gradients, or look for NaN or infinite features in the data", stepCount);
        }
        return all;
    }

    /** One epoch of training followed by evaluation on {@code test}. */
    public EpochMetrics runEpoch(int epoch, DataLoader loader, Dataset test, TrainingListener listener) {
        return runEpoch(epoch, loader, test, listener, null, new ArrayList<>());
    }

    private EpochMetrics runEpoch(int epoch, DataLoader loader, Dataset test, TrainingListener listener,
                                  Position from, List<EpochMetrics> history) {
        long start = System.nanoTime();
        model.train(true);
        boolean resuming = from != null && from.epochStartRng() != null;
        if (resuming && loader.shuffled()) {
            loader.setRngState(from.epochStartRng());
        }
        long[] epochRng = loader.rngState();
        DataLoader.Epoch batches = loader.nextEpoch();
        int[] order = engine == null ? null : batches.order();
        int batchSize = loader.batchSize();
        double lr = resuming && from.batch() > 0 ? from.epochLr() : optimizer.paramGroups().getFirst().lr();
        listener.onEpochStart(epoch, batches.batchCount());
        double lossSum = resuming ? from.lossSum() : 0;
        long seen = resuming ? from.seen() : 0;
        long skipped = resuming ? from.epochSkipped() : 0;
        int count = batches.batchCount();
        for (int k = resuming ? from.batch() : 0; k < count; k++) {
            Batch batch = batches.batch(k);
            stepCount++;
            int[] indices = order == null ? null
                    : java.util.Arrays.copyOfRange(order, k * batchSize, k * batchSize + batch.size());
            double loss = checkedStep(batch, indices, epoch, k + 1);
            if (Double.isNaN(loss)) { // skipped: checkedStep returns NaN for nothing else
                skipped++;
            } else {
                lossSum += loss * batch.size();
                seen += batch.size();
            }
            if (scheduler != null) {
                scheduler.afterBatch(epoch, k + 1, count);
            }
            listener.onBatchEnd(epoch, k + 1, loss);
            hook.afterStep(new Position(epoch, k + 1, stepCount, epochRng, lossSum, seen, lr, skipped, totalSkipped,
                    lastFiniteLoss), history);
        }
        Evaluation eval = evaluate(test);
        if (scheduler != null) {
            scheduler.afterEpoch(epoch, eval.loss());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        EpochMetrics m = new EpochMetrics(epoch, seen == 0 ? Double.NaN : lossSum / seen, eval.loss(),
                eval.accuracy(), seconds, lr, skipped);
        listener.onEpochEnd(m);
        List<EpochMetrics> withThis = new ArrayList<>(history);
        withThis.add(m);
        hook.afterEpoch(new Position(epoch + 1, 0, stepCount, loader.rngState(), 0, 0, Double.NaN, 0, totalSkipped,
                lastFiniteLoss), withThis);
        return m;
    }

    /**
     * A step that checks the loss and every gradient before updating: a value that is not finite
     * stops training with a {@link NumericalFaultException}, or with skip-nonfinite on, skips the
     * update and returns NaN. The step goes through a closure, so methods that re-evaluate the loss
     * (L-BFGS) or differentiate it twice (Newton, Hessian-free) train like any other; the checks run
     * inside it, before the optimizer updates anything. The optimizers that compute the loss and the
     * gradients themselves (K-FAC, natural gradient, and Newton and Hessian-free, which differentiate
     * the curvature problem or the closure's loss()) never call {@code evaluate()}; they call the closure's
     * {@link dev.kobai.optim.Optimizer.Closure#afterGradients afterGradients}, which runs the same
     * checks and clipping on the gradients they set.
     */
    private double checkedStep(Batch batch, int[] indices, int epoch, int batchNo) {
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
                double value;
                if (engine != null) {
                    value = engine.compute(indices, batch);
                    requireFiniteLoss(value);
                    checkAndClipGradients(value);
                    return value;
                }
                // nothing made here outlives the scope but the parameters' gradients, which the
                // engine marks as escaping; the loss is read as a number
                try (StepMemory.Scope _ = stepMemory.open()) {
                    Tensor loss = loss();
                    value = loss.item();
                    requireFiniteLoss(value);
                    loss.backward();
                }
                checkAndClipGradients(value);
                return value;
            }

            /** K-FAC, natural gradient, Newton and Hessian-free compute the gradients themselves and call this. */
            @Override
            public boolean afterGradients(double loss) {
                requireFiniteLoss(loss);
                return checkAndClipGradients(loss);
            }
        };
        Optimizer.Closure given = closure;
        if (engine != null && optimizer instanceof KFAC) {
            // K-FAC takes the gradient and its factor sums from the engine's shards
            given = (KFAC.ShardedClosure) request -> {
                optimizer.zeroGrad();
                KFAC.BatchSums sums = engine.compute(indices, batch, request);
                requireFiniteLoss(sums.loss());
                checkAndClipGradients(sums.loss());
                return sums;
            };
        }
        if (engine != null && optimizer instanceof CurvatureOptimizer && !(optimizer instanceof KFAC)) {
            // Newton, Hessian-free and natural gradient take the gradient and the curvature from the shards
            given = new ShardedCurvature.Closure() {
                @Override
                public double gradients() {
                    return closure.evaluate();
                }

                @Override
                public ShardedCurvature.Mean compute(ShardedCurvature.Request request) {
                    return engine.curvature(indices, batch, request);
                }
            };
        }
        double value;
        try {
            value = optimizer.step(given);
            if (!Double.isNaN(value) && !Double.isFinite(value)) {
                throw new NonFinite("the loss is " + value, null);
            }
        } catch (NonFinite f) {
            optimizer.zeroGrad();
            if (skipNonFinite) {
                totalSkipped++;
                return Double.NaN;
            }
            throw new NumericalFaultException("numerical fault at step " + stepCount + " (epoch " + epoch + ", batch "
                    + batchNo + "): " + f.getMessage() + "; the last finite loss was " + lastFinite()
                    + ". Lower the learning rate, clip the gradients, or skip such steps (--skip-nonfinite)",
                    stepCount, f.culprit);
        }
        // The checks above saw a finite loss and finite gradients; the update itself can still make
        // weights non-finite (a division by zero such as Adam's with eps=0, an overflow). That is
        // never skipped: the update is done, and undoing it would need a copy of every weight and of
        // the optimizer's state before each step. So the run stops before anything saves them.
        String broken = firstNonFinite(false);
        if (broken != null) {
            throw new NumericalFaultException("numerical fault at step " + stepCount + " (epoch " + epoch + ", batch "
                    + batchNo + "): the update made parameter '" + broken + "' hold " + nonFiniteKind(false, broken)
                    + " values though the loss (" + value + ") and every gradient were finite, so the optimizer's own"
                    + " arithmetic failed (a division by zero, e.g. eps=0, or an overflow)"
                    + (skipNonFinite ? ", which skipping cannot undo" : "")
                    + (Double.isNaN(lastFiniteLoss) ? "; it was the run's first update" : "; the last good step was "
                    + lastFiniteStep + " (loss " + lastFiniteLoss + ")")
                    + ". Lower the learning rate or change the optimizer's options", stepCount, broken);
        }
        lastFiniteLoss = value;
        lastFiniteStep = stepCount;
        return value;
    }

    private String lastFinite() {
        return Double.isNaN(lastFiniteLoss) ? "none (the first step failed)" : lastFiniteLoss + " at step "
                + lastFiniteStep;
    }

    /** Raised inside the closure when a loss or gradient is not finite, so no update follows. */
    private static final class NonFinite extends RuntimeException {
        final String culprit;

        NonFinite(String message, String culprit) {
            super(message, null, false, false);
            this.culprit = culprit;
        }
    }

    /** Throws {@link NonFinite} when the loss is not finite, naming the first parameter whose value is not, if any. */
    private void requireFiniteLoss(double value) {
        if (!Double.isFinite(value)) {
            String culprit = firstNonFinite(false);
            throw new NonFinite("the loss is " + value + (culprit != null ? " and parameter '" + culprit
                    + "' holds " + nonFiniteKind(false, culprit) + " values" : " though every parameter is "
                    + "finite (the batch holds a non-finite feature, or the logits overflowed)"), culprit);
        }
    }

    /**
     * What follows backward, before any update: throws {@link NonFinite} naming the first parameter
     * whose gradient is not finite, then clips; returns whether clipping changed a gradient.
     */
    private boolean checkAndClipGradients(double loss) {
        String culprit = firstNonFinite(true);
        if (culprit != null) {
            throw new NonFinite("the gradient of parameter '" + culprit + "' holds "
                    + nonFiniteKind(true, culprit) + " values (loss " + loss + ")", culprit);
        }
        return clip();
    }

    /** Clips the gradients as configured; returns whether any changed. */
    private boolean clip() {
        boolean changed = false;
        if (clipGradValue != null) {
            changed = Clip.gradValue(parameters(), clipGradValue);
        }
        if (clipGradNorm != null) {
            double total = Clip.gradNorm(parameters(), clipGradNorm);
            changed |= Clip.normCoefficient(total, clipGradNorm) != 1;
        }
        return changed;
    }

    /** The model's parameters by name, taken once: the structure does not change during training. */
    private List<Map.Entry<String, dev.kobai.nn.Parameter>> named() {
        if (named == null) {
            named = List.copyOf(model.namedParameters().entrySet());
            params = named.stream().map(Map.Entry::getValue).toList();
        }
        return named;
    }

    private List<dev.kobai.nn.Parameter> parameters() {
        named();
        return params;
    }

    /** The name of the first parameter whose gradient (or value) has a NaN or infinity, or null. */
    private String firstNonFinite(boolean gradients) {
        for (Map.Entry<String, dev.kobai.nn.Parameter> e : named()) {
            Tensor t = gradients ? e.getValue().grad() : e.getValue();
            if (t != null && !t.allFinite()) {
                return e.getKey();
            }
        }
        return null;
    }

    private String nonFiniteKind(boolean gradients, String name) {
        dev.kobai.nn.Parameter p = model.namedParameters().get(name);
        return kind(gradients ? p.grad() : p);
    }

    /** "NaN", "infinite" or null for a tensor all finite. */
    private static String kind(Tensor t) {
        boolean inf = false;
        for (int i = 0, n = t.numel(); i < n; i++) {
            double v = t.getFlat(i);
            if (Double.isNaN(v)) {
                return "NaN";
            }
            inf |= Double.isInfinite(v);
        }
        return inf ? "infinite" : null;
    }

    /**
     * One optimizer step on one minibatch, with the same checks, in training mode (as every step of
     * {@link #runEpoch}); returns the batch's mean loss before the step.
     */
    public double step(Batch batch) {
        if (engine != null) {
            throw new IllegalStateException("a trainer with a gradient engine steps on batches of a loader (fit)");
        }
        model.train(true);
        return checkedStep(batch, null, 0, 0);
    }

    /**
     * Refuses a training or test set without samples: an epoch over it would train on nothing, and
     * its loss and accuracy would be reported as if measured.
     *
     * @throws UsageException naming {@code what} (the data spec) and the empty part
     */
    public static void requireSamples(String what, Dataset train, Dataset test) {
        for (Dataset d : new Dataset[] {train, test}) {
            if (d.size() == 0) {
                throw new UsageException(what + ": the " + (d == train ? "training" : "test") + " set " + d.name()
                        + " holds no samples; " + (d == train ? "there is nothing to train on"
                        : "a test loss and accuracy would be measured on nothing"));
            }
        }
    }

    /**
     * Mean cross-entropy and accuracy over a dataset ({@link Evaluation#of}), in evaluation mode and
     * without recording, the model left in training mode; NaN for both over a dataset without
     * samples, which measures nothing.
     */
    public Evaluation evaluate(Dataset data) {
        try {
            return Evaluation.of(model, data, evalMemory);
        } finally {
            model.train(true);
        }
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
