package dev.kobai.nn;

import dev.kobai.tensor.BatchNormPool;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Normalization;
import dev.kobai.tensor.Tensor;
import java.util.function.BiFunction;

/**
 * What {@link BatchNorm1d} and {@link BatchNorm2d} share (torch's _BatchNorm): per channel c,
 * <pre>
 *   y = (x - mean_c) / sqrt(var_c + eps) * weight[c] + bias[c]
 * </pre>
 * with, in training mode, the mean and biased variance of channel c over the batch and every
 * spatial position, and in evaluation mode the running statistics. Each training step updates them
 * (without recording) by
 * <pre>
 *   running_mean = (1 - momentum) running_mean + momentum mean_c
 *   running_var  = (1 - momentum) running_var  + momentum var_c n / (n - 1)    (the unbiased variance of the n values)
 *   num_batches_tracked += 1
 * </pre>
 * or, with {@link Builder#cumulativeAverage()} (torch's momentum=None), with momentum
 * 1 / num_batches_tracked, which makes them the plain average over every batch so far.
 *
 * <p>Arguments as torch's, with its defaults: eps 1e-5, momentum 0.1, affine true (a learnable
 * weight and bias per channel), track_running_stats true (without, there are no buffers and both
 * modes normalise with the batch's statistics).
 *
 * <p>Initialisation as torch's: weight ones, bias zeros, running_mean zeros, running_var ones,
 * num_batches_tracked 0; registered under torch's names, so {@link #namedParameters()} and
 * {@link #namedBuffers()} give torch's state_dict keys.
 */
public abstract sealed class BatchNorm extends Module permits BatchNorm1d, BatchNorm2d {
    public static final double DEFAULT_EPS = 1e-5;
    public static final double DEFAULT_MOMENTUM = 0.1;

    private final int numFeatures;
    private final double eps;
    private final double momentum;
    private final boolean cumulative;
    private final boolean affine;
    private final boolean trackRunningStats;
    private final Parameter weight;
    private final Parameter bias;
    private final Buffer runningMean;
    private final Buffer runningVar;
    private final Buffer numBatchesTracked;

    BatchNorm(Builder<?> b, DType dtype) {
        String layer = b.layer;
        if (b.numFeatures < 1) {
            throw new IllegalArgumentException(layer + ": num_features must be positive, got " + b.numFeatures);
        }
        if (!(b.eps >= 0) || Double.isInfinite(b.eps)) {
            throw new IllegalArgumentException(layer + ": eps must be finite and non-negative, got " + b.eps);
        }
        if (!(b.momentum >= 0 && b.momentum <= 1)) {
            throw new IllegalArgumentException(layer + ": momentum must be in [0, 1], got " + b.momentum);
        }
        this.numFeatures = b.numFeatures;
        this.eps = b.eps;
        this.momentum = b.momentum;
        this.cumulative = b.cumulative;
        this.affine = b.affine;
        this.trackRunningStats = b.trackRunningStats;
        int c = b.numFeatures;
        this.weight = affine ? registerParameter("weight", new Parameter(Tensor.ones(dtype, c))) : null;
        this.bias = affine ? registerParameter("bias", new Parameter(Tensor.zeros(dtype, c))) : null;
        if (trackRunningStats) {
            this.runningMean = registerBuffer("running_mean", new Buffer(Tensor.zeros(dtype, c)));
            this.runningVar = registerBuffer("running_var", new Buffer(Tensor.ones(dtype, c)));
            this.numBatchesTracked = registerBuffer("num_batches_tracked",
                    new Buffer(Tensor.zeros(DType.FLOAT64), true));
        } else {
            this.runningMean = null;
            this.runningVar = null;
            this.numBatchesTracked = null;
        }
    }

    /** torch's keyword arguments, one method each, defaults as torch's. */
    public static final class Builder<T extends BatchNorm> {
        private final String layer;
        private final int numFeatures;
        private final BiFunction<Builder<T>, DType, T> make;
        private double eps = DEFAULT_EPS;
        private double momentum = DEFAULT_MOMENTUM;
        private boolean cumulative;
        private boolean affine = true;
        private boolean trackRunningStats = true;

        Builder(String layer, int numFeatures, BiFunction<Builder<T>, DType, T> make) {
            this.layer = layer;
            this.numFeatures = numFeatures;
            this.make = make;
        }

        /** Added to the variance before its square root; default 1e-5. */
        public Builder<T> eps(double value) {
            this.eps = value;
            return this;
        }

        /** The running statistics' update factor, in [0, 1]; default 0.1. */
        public Builder<T> momentum(double value) {
            this.momentum = value;
            this.cumulative = false;
            return this;
        }

        /** torch's momentum=None: running statistics that average every batch equally (momentum 1 / batches). */
        public Builder<T> cumulativeAverage() {
            this.cumulative = true;
            this.momentum = DEFAULT_MOMENTUM;
            return this;
        }

        /** Whether the layer learns a weight and a bias per channel; default true. */
        public Builder<T> affine(boolean value) {
            this.affine = value;
            return this;
        }

        /** Whether the layer keeps running statistics for evaluation; default true. */
        public Builder<T> trackRunningStats(boolean value) {
            this.trackRunningStats = value;
            return this;
        }

        public T build(DType dtype) {
            return make.apply(this, dtype);
        }
    }

    /** Throws when {@code x} does not have the rank this layer takes; names the layer and the input. */
    abstract void checkRank(Tensor x);

    /** "[batch, 32, height, width]": the input layout for messages. */
    abstract String layout();

    @Override
    public Tensor forward(Tensor x) {
        double factor = beginStep(x);
        return Normalization.batchNorm(x, runningMean, runningVar, weight, bias, isTraining() || !trackRunningStats,
                factor, eps);
    }

    /**
     * {@code pool.forward(forward(x))} in one operation ({@link BatchNormPool}): same values and
     * buffer updates, less memory traffic. {@link Sequential} runs a batch norm, ReLU, max pooling
     * sequence so, the ReLU after the pooling.
     */
    Tensor forwardMaxPool(Tensor x, MaxPool2d pool) {
        double factor = beginStep(x);
        return BatchNormPool.batchNormMaxPool(x, runningMean, runningVar, weight, bias,
                isTraining() || !trackRunningStats, factor, eps, pool.window(), pool.ceilMode());
    }

    /** Checks the input, counts a training batch, and returns the running statistics' update factor. */
    private double beginStep(Tensor x) {
        checkRank(x);
        if (x.size(1) != numFeatures) {
            throw new IllegalArgumentException(this + " got input " + x.describe() + " with " + x.size(1)
                    + " channels; expected " + layout());
        }
        long perChannel = (long) x.numel() / numFeatures;
        if (isTraining() && perChannel == 1) {
            throw new IllegalArgumentException(this + ": Expected more than 1 value per channel when training, got input size "
                    + java.util.Arrays.toString(x.shape()));
        }
        double factor = momentum;
        if (isTraining() && trackRunningStats) {
            numBatchesTracked.setFlat(0, numBatchesTracked.getFlat(0) + 1);
            if (cumulative) {
                factor = 1.0 / numBatchesTracked.getFlat(0);
            }
        }
        return factor;
    }

    /** Running mean 0, running variance 1, no batches tracked, as a fresh layer has; records nothing. */
    public void resetRunningStats() {
        if (trackRunningStats) {
            runningMean.fill(0);
            runningVar.fill(1);
            numBatchesTracked.fill(0);
        }
    }

    public int numFeatures() {
        return numFeatures;
    }

    public double eps() {
        return eps;
    }

    /** The update factor; not used when {@link #cumulativeAverage()} is on. */
    public double momentum() {
        return momentum;
    }

    /** Whether the running statistics are a cumulative average (torch's momentum=None). */
    public boolean cumulativeAverage() {
        return cumulative;
    }

    public boolean affine() {
        return affine;
    }

    public boolean trackRunningStats() {
        return trackRunningStats;
    }

    /** [C], or null without affine. */
    public Parameter weight() {
        return weight;
    }

    /** [C], or null without affine. */
    public Parameter bias() {
        return bias;
    }

    /** [C], or null without running statistics. */
    public Buffer runningMean() {
        return runningMean;
    }

    /** [C], or null without running statistics. */
    public Buffer runningVar() {
        return runningVar;
    }

    /** The training batches seen, or 0 without running statistics. */
    public long numBatchesTracked() {
        return trackRunningStats ? (long) numBatchesTracked.getFlat(0) : 0;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + numFeatures + ", eps=" + Repr.number(eps) + ", momentum="
                + (cumulative ? "None" : Repr.number(momentum)) + ", affine=" + Repr.bool(affine)
                + ", track_running_stats=" + Repr.bool(trackRunningStats) + ")";
    }
}
