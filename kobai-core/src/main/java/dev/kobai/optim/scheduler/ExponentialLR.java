package dev.kobai.optim.scheduler;

import dev.kobai.optim.Optimizer;
import dev.kobai.optim.Option;
import dev.kobai.optim.OptionTable;
import java.util.Map;

/**
 * Multiplies the learning rate by {@code gamma} every epoch (torch.optim.lr_scheduler.ExponentialLR):
 *
 * <pre>
 *   lr_t = lr_{t-1} * gamma  (t &gt; 0)  =  base_lr * gamma^t    (closed form)
 * </pre>
 *
 * <p>Arguments: gamma (required).
 *
 * {@snippet :
 * ExponentialLR scheduler = ExponentialLR.builder().gamma(0.95).build(optimizer);
 * }
 */
public final class ExponentialLR extends LRScheduler {
    /** torch's {@code gamma}: the factor per epoch; default none (required). */
    public static final Option<Double> GAMMA = Option.number("gamma");
    /** The arguments in torch's order: the one table behind {@link #builder()} and the spec. */
    public static final OptionTable OPTIONS = OptionTable.of(GAMMA);

    private final double gamma;

    public ExponentialLR(Optimizer optimizer, double gamma) {
        super(optimizer);
        this.gamma = gamma;
        start();
    }

    @Override
    protected double[] computeLr() {
        return lastEpoch == 0 ? unchanged() : scaled(gamma);
    }

    @Override
    protected double[] closedFormLr() {
        double[] out = new double[baseLrs.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = baseLrs[i] * Math.pow(gamma, lastEpoch);
        }
        return out;
    }

    /** A builder with torch's defaults: one typed method per argument of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds from every argument by name (the spec parser's and the builder's common path). */
    static ExponentialLR create(Map<String, Object> a, Optimizer optimizer) {
        return new ExponentialLR(optimizer, GAMMA.from(a));
    }

    /** Typed arguments of {@link ExponentialLR}, with torch's defaults; checked when built. */
    public static final class Builder extends SchedulerBuilder<Builder, ExponentialLR> {
        private Builder() {
            super("ExponentialLR", OPTIONS, ExponentialLR::create);
        }

        /** Sets torch's {@code gamma}: the factor per epoch; default none (required). */
        public Builder gamma(double value) {
            return set(GAMMA, value);
        }
    }
}
