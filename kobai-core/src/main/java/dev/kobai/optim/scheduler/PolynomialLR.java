package dev.kobai.optim.scheduler;

import dev.kobai.UsageException;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.Option;
import dev.kobai.optim.OptionTable;
import java.util.Map;

/**
 * Decays the learning rate polynomially to zero over {@code total_iters} epochs, then keeps it
 * (torch.optim.lr_scheduler.PolynomialLR):
 *
 * <pre>
 *   closed form: lr_t = base_lr * (1 - min(t, total_iters) / total_iters)^power
 *   as torch computes it, for 0 &lt; t &lt;= total_iters:
 *     lr_t = lr_{t-1} * ((1 - t / total_iters) / (1 - (t - 1) / total_iters))^power
 * </pre>
 *
 * <p>Arguments: total_iters=5, power=1.0. torch does not check total_iters; here it must be at
 * least 1.
 *
 * {@snippet :
 * PolynomialLR scheduler = PolynomialLR.builder().totalIters(10).power(2).build(optimizer);
 * }
 */
public final class PolynomialLR extends LRScheduler {
    /** torch's {@code total_iters}: the epochs of the decay; default 5. */
    public static final Option<Integer> TOTAL_ITERS = Option.integer("total_iters", 5);
    /** torch's {@code power}: the power of the polynomial; default 1.0. */
    public static final Option<Double> POWER = Option.number("power", 1.0);
    /** The arguments in torch's order: the one table behind {@link #builder()} and the spec. */
    public static final OptionTable OPTIONS = OptionTable.of(TOTAL_ITERS, POWER);

    private final int totalIters;
    private final double power;

    public PolynomialLR(Optimizer optimizer) {
        this(optimizer, 5, 1.0);
    }

    public PolynomialLR(Optimizer optimizer, int totalIters, double power) {
        super(optimizer);
        if (totalIters < 1) {
            throw new UsageException("total_iters must be a positive integer, but got " + totalIters);
        }
        this.totalIters = totalIters;
        this.power = power;
        start();
    }

    @Override
    protected double[] computeLr() {
        if (lastEpoch == 0 || lastEpoch > totalIters) {
            return unchanged();
        }
        double decay = Math.pow((1.0 - (double) lastEpoch / totalIters)
                / (1.0 - (double) (lastEpoch - 1) / totalIters), power);
        return scaled(decay);
    }

    @Override
    protected double[] closedFormLr() {
        double[] out = new double[baseLrs.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = baseLrs[i] * Math.pow(1.0 - (double) Math.min(totalIters, lastEpoch) / totalIters, power);
        }
        return out;
    }

    /** A builder with torch's defaults: one typed method per argument of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds from every argument by name (the spec parser's and the builder's common path). */
    static PolynomialLR create(Map<String, Object> a, Optimizer optimizer) {
        return new PolynomialLR(optimizer, TOTAL_ITERS.from(a), POWER.from(a));
    }

    /** Typed arguments of {@link PolynomialLR}, with torch's defaults; checked when built. */
    public static final class Builder extends SchedulerBuilder<Builder, PolynomialLR> {
        private Builder() {
            super("PolynomialLR", OPTIONS, PolynomialLR::create);
        }

        /** Sets torch's {@code total_iters}: the epochs of the decay; default 5. */
        public Builder totalIters(int value) {
            return set(TOTAL_ITERS, value);
        }

        /** Sets torch's {@code power}: the power of the polynomial; default 1.0. */
        public Builder power(double value) {
            return set(POWER, value);
        }
    }
}
