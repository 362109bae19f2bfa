package dev.kobai.optim.scheduler;

import dev.kobai.optim.Optimizer;
import dev.kobai.optim.Option;
import dev.kobai.optim.OptionTable;
import java.util.Arrays;
import java.util.Map;

/**
 * Multiplies the learning rate by {@code gamma} at each milestone epoch
 * (torch.optim.lr_scheduler.MultiStepLR). A milestone listed k times multiplies by gamma^k:
 *
 * <pre>
 *   lr_t = lr_{t-1} * gamma^count(t in milestones)
 *        = base_lr * gamma^(number of milestones &lt;= t)     (closed form)
 * </pre>
 *
 * <p>Arguments: milestones (required; any order, repeats allowed), gamma=0.1.
 *
 * {@snippet :
 * MultiStepLR scheduler = MultiStepLR.builder().milestones(30, 80).gamma(0.1).build(optimizer);
 * }
 */
public final class MultiStepLR extends LRScheduler {
    /** torch's {@code milestones}: the epochs at which to decay; default none (required). */
    public static final Option<int[]> MILESTONES = Option.integers("milestones");
    /** torch's {@code gamma}: the factor of each decay; default 0.1. */
    public static final Option<Double> GAMMA = Option.number("gamma", 0.1);
    /** The arguments in torch's order: the one table behind {@link #builder()} and the spec. */
    public static final OptionTable OPTIONS = OptionTable.of(MILESTONES, GAMMA);

    private final int[] milestones;
    private final double gamma;

    public MultiStepLR(Optimizer optimizer, int[] milestones) {
        this(optimizer, milestones, 0.1);
    }

    public MultiStepLR(Optimizer optimizer, int[] milestones, double gamma) {
        super(optimizer);
        this.milestones = milestones.clone();
        Arrays.sort(this.milestones);
        this.gamma = gamma;
        start();
    }

    @Override
    protected double[] computeLr() {
        int count = 0;
        for (int m : milestones) {
            if (m == lastEpoch) {
                count++;
            }
        }
        if (count == 0) {
            return unchanged();
        }
        return scaled(Math.pow(gamma, count));
    }

    @Override
    protected double[] closedFormLr() {
        int passed = 0;
        for (int m : milestones) {
            if (m <= lastEpoch) {
                passed++;
            }
        }
        double[] out = new double[baseLrs.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = baseLrs[i] * Math.pow(gamma, passed);
        }
        return out;
    }

    /** A builder with torch's defaults: one typed method per argument of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds from every argument by name (the spec parser's and the builder's common path). */
    static MultiStepLR create(Map<String, Object> a, Optimizer optimizer) {
        return new MultiStepLR(optimizer, MILESTONES.from(a), GAMMA.from(a));
    }

    /** Typed arguments of {@link MultiStepLR}, with torch's defaults; checked when built. */
    public static final class Builder extends SchedulerBuilder<Builder, MultiStepLR> {
        private Builder() {
            super("MultiStepLR", OPTIONS, MultiStepLR::create);
        }

        /** Sets torch's {@code milestones}: the epochs at which to decay; default none (required). */
        public Builder milestones(int... value) {
            return set(MILESTONES, value);
        }

        /** Sets torch's {@code gamma}: the factor of each decay; default 0.1. */
        public Builder gamma(double value) {
            return set(GAMMA, value);
        }
    }
}
