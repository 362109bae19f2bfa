package dev.kobai.optim.scheduler;

import dev.kobai.UsageException;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.Option;
import dev.kobai.optim.OptionTable;
import java.util.Map;

/**
 * Anneals the learning rate along a cosine from its base value to {@code eta_min} over
 * {@code T_max} epochs (torch.optim.lr_scheduler.CosineAnnealingLR; Loshchilov and Hutter 2017
 * without restarts). The closed form is
 *
 * <pre>
 *   lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2
 * </pre>
 *
 * but PyTorch 1.13's step computes it recursively from the group's current lr, and so does this
 * class, to give the same numbers (and to compose with other schedulers the same way):
 *
 * <pre>
 *   t == 0:                          lr_0 = lr
 *   (t - 1 - T_max) mod 2 T_max == 0: lr_t = lr_{t-1} + (base_lr - eta_min) * (1 - cos(pi / T_max)) / 2
 *   otherwise:                       lr_t = (1 + cos(pi t / T_max)) / (1 + cos(pi (t - 1) / T_max))
 *                                           * (lr_{t-1} - eta_min) + eta_min
 * </pre>
 *
 * After {@code T_max} the rate climbs back up the cosine (period 2 T_max) rather than staying at
 * eta_min. Arguments: T_max (required, at least 1 here; torch divides by zero), eta_min=0.
 *
 * {@snippet :
 * CosineAnnealingLR scheduler = CosineAnnealingLR.builder().tMax(10).etaMin(1e-5).build(optimizer);
 * }
 */
public final class CosineAnnealingLR extends LRScheduler {
    /** torch's {@code T_max}: the epochs of half a cosine period; default none (required). */
    public static final Option<Integer> T_MAX = Option.integer("T_max");
    /** torch's {@code eta_min}: the smallest learning rate; default 0. */
    public static final Option<Double> ETA_MIN = Option.number("eta_min", 0.0);
    /** The arguments in torch's order: the one table behind {@link #builder()} and the spec. */
    public static final OptionTable OPTIONS = OptionTable.of(T_MAX, ETA_MIN);

    private final int tMax;
    private final double etaMin;

    public CosineAnnealingLR(Optimizer optimizer, int tMax) {
        this(optimizer, tMax, 0.0);
    }

    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        super(optimizer);
        if (tMax < 1) {
            throw new UsageException("T_max must be a positive integer, but got " + tMax);
        }
        this.tMax = tMax;
        this.etaMin = etaMin;
        start();
    }

    @Override
    protected double[] computeLr() {
        double[] lrs = currentLrs();
        if (lastEpoch == 0) {
            return lrs;
        }
        if (stepCount == 1 && lastEpoch > 0) {
            return closedFormLr();
        }
        if ((lastEpoch - 1 - tMax) % (2 * tMax) == 0) {
            for (int i = 0; i < lrs.length; i++) {
                lrs[i] = lrs[i] + (baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax)) / 2;
            }
            return lrs;
        }
        for (int i = 0; i < lrs.length; i++) {
            lrs[i] = (1 + Math.cos(Math.PI * lastEpoch / tMax)) / (1 + Math.cos(Math.PI * (lastEpoch - 1) / tMax))
                    * (lrs[i] - etaMin) + etaMin;
        }
        return lrs;
    }

    @Override
    protected double[] closedFormLr() {
        double[] out = new double[baseLrs.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = etaMin + (baseLrs[i] - etaMin) * (1 + Math.cos(Math.PI * lastEpoch / tMax)) / 2;
        }
        return out;
    }

    /** A builder with torch's defaults: one typed method per argument of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds from every argument by name (the spec parser's and the builder's common path). */
    static CosineAnnealingLR create(Map<String, Object> a, Optimizer optimizer) {
        return new CosineAnnealingLR(optimizer, T_MAX.from(a), ETA_MIN.from(a));
    }

    /** Typed arguments of {@link CosineAnnealingLR}, with torch's defaults; checked when built. */
    public static final class Builder extends SchedulerBuilder<Builder, CosineAnnealingLR> {
        private Builder() {
            super("CosineAnnealingLR", OPTIONS, CosineAnnealingLR::create);
        }

        /** Sets torch's {@code T_max}: the epochs of half a cosine period; default none (required). */
        public Builder tMax(int value) {
            return set(T_MAX, value);
        }

        /** Sets torch's {@code eta_min}: the smallest learning rate; default 0. */
        public Builder etaMin(double value) {
            return set(ETA_MIN, value);
        }
    }
}
