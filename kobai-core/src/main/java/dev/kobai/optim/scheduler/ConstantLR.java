package dev.kobai.optim.scheduler;

import dev.kobai.UsageException;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.Option;
import dev.kobai.optim.OptionTable;
import java.util.Map;

/**
 * Multiplies the learning rate by a constant {@code factor} for the first {@code total_iters}
 * epochs, then restores it (torch.optim.lr_scheduler.ConstantLR):
 *
 * <pre>
 *   lr_0 = lr * factor;   lr_t = lr_{t-1} / factor  at t == total_iters;   otherwise unchanged
 *   closed form: base_lr * (factor if t &lt; total_iters else 1)
 * </pre>
 *
 * <p>Arguments: factor=1/3 (0 to 1), total_iters=5.
 *
 * {@snippet :
 * ConstantLR scheduler = ConstantLR.builder().factor(0.5).totalIters(4).build(optimizer);
 * }
 */
public final class ConstantLR extends LRScheduler {
    /** torch's {@code factor}: the factor until total_iters; default 1/3. */
    public static final Option<Double> FACTOR = Option.number("factor", 1.0 / 3);
    /** torch's {@code total_iters}: the epochs the factor applies; default 5. */
    public static final Option<Integer> TOTAL_ITERS = Option.integer("total_iters", 5);
    /** The arguments in torch's order: the one table behind {@link #builder()} and the spec. */
    public static final OptionTable OPTIONS = OptionTable.of(FACTOR, TOTAL_ITERS);

    private final double factor;
    private final int totalIters;

    public ConstantLR(Optimizer optimizer) {
        this(optimizer, 1.0 / 3, 5);
    }

    public ConstantLR(Optimizer optimizer, double factor, int totalIters) {
        super(optimizer);
        if (factor > 1.0 || factor < 0) {
            throw new UsageException("Constant multiplicative factor expected to be between 0 and 1.");
        }
        this.factor = factor;
        this.totalIters = totalIters;
        start();
    }

    @Override
    protected double[] computeLr() {
        if (lastEpoch == 0) {
            return scaled(factor);
        }
        if (lastEpoch != totalIters) {
            return unchanged();
        }
        return scaled(1.0 / factor);
    }

    @Override
    protected double[] closedFormLr() {
        double[] out = new double[baseLrs.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = baseLrs[i] * (factor + (lastEpoch >= totalIters ? 1 : 0) * (1 - factor));
        }
        return out;
    }

    /** A builder with torch's defaults: one typed method per argument of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds from every argument by name (the spec parser's and the builder's common path). */
    static ConstantLR create(Map<String, Object> a, Optimizer optimizer) {
        return new ConstantLR(optimizer, FACTOR.from(a), TOTAL_ITERS.from(a));
    }

    /** Typed arguments of {@link ConstantLR}, with torch's defaults; checked when built. */
    public static final class Builder extends SchedulerBuilder<Builder, ConstantLR> {
        private Builder() {
            super("ConstantLR", OPTIONS, ConstantLR::create);
        }

        /** Sets torch's {@code factor}: the factor until total_iters; default 1/3. */
        public Builder factor(double value) {
            return set(FACTOR, value);
        }

        /** Sets torch's {@code total_iters}: the epochs the factor applies; default 5. */
        public Builder totalIters(int value) {
            return set(TOTAL_ITERS, value);
        }
    }
}
