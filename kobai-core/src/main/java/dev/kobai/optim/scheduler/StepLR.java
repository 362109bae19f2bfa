package dev.kobai.optim.scheduler;

import dev.kobai.UsageException;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.Option;
import dev.kobai.optim.OptionTable;
import java.util.Map;

/**
 * Multiplies the learning rate by {@code gamma} every {@code step_size} epochs (torch.optim.lr_scheduler.StepLR):
 *
 * <pre>
 *   lr_t = lr_{t-1} * gamma   if t &gt; 0 and t mod step_size == 0,   else lr_{t-1}
 *        = base_lr * gamma^floor(t / step_size)                      (closed form)
 * </pre>
 *
 * <p>Arguments: step_size (required), gamma=0.1. torch does not check step_size; here it must be
 * at least 1 (torch fails with a division by zero at the first step instead).
 *
 * {@snippet :
 * StepLR scheduler = StepLR.builder().stepSize(30).gamma(0.1).build(optimizer);
 * }
 */
public final class StepLR extends LRScheduler {
    /** torch's {@code step_size}: the period of decay, in epochs; default none (required). */
    public static final Option<Integer> STEP_SIZE = Option.integer("step_size");
    /** torch's {@code gamma}: the factor of each decay; default 0.1. */
    public static final Option<Double> GAMMA = Option.number("gamma", 0.1);
    /** The arguments in torch's order: the one table behind {@link #builder()} and the spec. */
    public static final OptionTable OPTIONS = OptionTable.of(STEP_SIZE, GAMMA);

    private final int stepSize;
    private final double gamma;

    public StepLR(Optimizer optimizer, int stepSize) {
        this(optimizer, stepSize, 0.1);
    }

    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        super(optimizer);
        if (stepSize < 1) {
            throw new UsageException("step_size must be a positive integer, but got " + stepSize);
        }
        this.stepSize = stepSize;
        this.gamma = gamma;
        start();
    }

    @Override
    protected double[] computeLr() {
        if (lastEpoch == 0 || lastEpoch % stepSize != 0) {
            return unchanged();
        }
        return scaled(gamma);
    }

    @Override
    protected double[] closedFormLr() {
        double[] out = baseLrs.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] = baseLrs[i] * Math.pow(gamma, Math.floorDiv(lastEpoch, stepSize));
        }
        return out;
    }

    /** A builder with torch's defaults: one typed method per argument of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds from every argument by name (the spec parser's and the builder's common path). */
    static StepLR create(Map<String, Object> a, Optimizer optimizer) {
        return new StepLR(optimizer, STEP_SIZE.from(a), GAMMA.from(a));
    }

    /** Typed arguments of {@link StepLR}, with torch's defaults; checked when built. */
    public static final class Builder extends SchedulerBuilder<Builder, StepLR> {
        private Builder() {
            super("StepLR", OPTIONS, StepLR::create);
        }

        /** Sets torch's {@code step_size}: the period of decay, in epochs; default none (required). */
        public Builder stepSize(int value) {
            return set(STEP_SIZE, value);
        }

        /** Sets torch's {@code gamma}: the factor of each decay; default 0.1. */
        public Builder gamma(double value) {
            return set(GAMMA, value);
        }
    }
}
