package dev.kobai.optim.scheduler;

import dev.kobai.UsageException;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.Option;
import dev.kobai.optim.OptionTable;
import java.util.Map;

/**
 * Cosine annealing with warm restarts, SGDR (Loshchilov and Hutter 2017;
 * torch.optim.lr_scheduler.CosineAnnealingWarmRestarts):
 *
 * <pre>
 *   lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2
 * </pre>
 *
 * where T_cur counts epochs since the last restart and T_i is the current period: T_0 at first,
 * multiplied by T_mult at each restart. {@link #step()} advances T_cur by one epoch;
 * {@link #step(double)} jumps to a possibly fractional epoch, so that a loop can step after every
 * batch with {@code epoch + batch / batches} (what {@link dev.kobai.train.Trainer} does).
 *
 * <p>Arguments: T_0 (required, positive integer), T_mult=1 (integer &gt;= 1), eta_min=0.
 *
 * {@snippet :
 * CosineAnnealingWarmRestarts scheduler = CosineAnnealingWarmRestarts.builder().t0(10).tMult(2)
 *         .build(optimizer);
 * }
 */
public final class CosineAnnealingWarmRestarts extends LRScheduler {
    /** torch's {@code T_0}: the epochs until the first restart; default none (required). */
    public static final Option<Integer> T_0 = Option.integer("T_0");
    /** torch's {@code T_mult}: the factor by which each period grows; default 1. */
    public static final Option<Integer> T_MULT = Option.integer("T_mult", 1);
    /** torch's {@code eta_min}: the smallest learning rate; default 0. */
    public static final Option<Double> ETA_MIN = Option.number("eta_min", 0.0);
    /** The arguments in torch's order: the one table behind {@link #builder()} and the spec. */
    public static final OptionTable OPTIONS = OptionTable.of(T_0, T_MULT, ETA_MIN);

    private final int t0;
    private final int tMult;
    private final double etaMin;
    private double tI;
    private double tCur;

    public CosineAnnealingWarmRestarts(Optimizer optimizer, int t0) {
        this(optimizer, t0, 1, 0.0);
    }

    public CosineAnnealingWarmRestarts(Optimizer optimizer, int t0, int tMult, double etaMin) {
        super(optimizer);
        if (t0 <= 0) {
            throw new UsageException("Expected positive integer T_0, but got " + t0);
        }
        if (tMult < 1) {
            throw new UsageException("Expected integer T_mult >= 1, but got " + tMult);
        }
        this.t0 = t0;
        this.tI = t0;
        this.tMult = tMult;
        this.etaMin = etaMin;
        this.tCur = -1;
        start();
    }

    @Override
    protected double[] computeLr() {
        double[] out = new double[baseLrs.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = etaMin + (baseLrs[i] - etaMin) * (1 + Math.cos(Math.PI * tCur / tI)) / 2;
        }
        return out;
    }

    /** One epoch on (the first call, on construction, goes to epoch 0). */
    @Override
    public void step() {
        if (lastEpoch < 0) {
            step(0.0);
            return;
        }
        stepCount++;
        lastEpoch = lastEpoch + 1;
        tCur = tCur + 1;
        if (tCur >= tI) {
            tCur = tCur - tI;
            tI = tI * tMult;
        }
        apply(computeLr());
    }

    /** Jumps to {@code epoch} (0 or more, may be fractional), restarting where the periods say. */
    public void step(double epoch) {
        if (epoch < 0) {
            throw new UsageException("Expected non-negative epoch, but got " + epoch);
        }
        stepCount++;
        if (epoch >= t0) {
            if (tMult == 1) {
                tCur = epoch % t0;
            } else {
                int n = (int) (Math.log(epoch / t0 * (tMult - 1) + 1) / Math.log(tMult));
                tCur = epoch - t0 * (Math.pow(tMult, n) - 1) / (tMult - 1);
                tI = t0 * Math.pow(tMult, n);
            }
        } else {
            tI = t0;
            tCur = epoch;
        }
        lastEpoch = (int) Math.floor(epoch);
        apply(computeLr());
    }

    @Override
    protected void stepTo(int epoch) {
        step((double) epoch);
    }

    /** Steps after every batch to the fractional epoch reached: (epoch - 1) + batch / batchesPerEpoch. */
    @Override
    public void afterBatch(int epoch, int batch, int batchesPerEpoch) {
        step((epoch - 1) + (double) batch / batchesPerEpoch);
    }

    @Override
    public void afterEpoch(int epoch, double testLoss) {}

    @Override
    public String cadence() {
        return "per batch, at fractional epochs";
    }

    /** Epochs since the last restart. */
    public double tCur() {
        return tCur;
    }

    /** The current period. */
    public double tI() {
        return tI;
    }

    @Override
    protected void saveExtra(Map<String, Object> out) {
        out.put("T_cur", tCur);
        out.put("T_i", tI);
    }

    @Override
    protected void loadExtra(Map<String, Object> state) {
        tCur = ((Number) state.get("T_cur")).doubleValue();
        tI = ((Number) state.get("T_i")).doubleValue();
    }

    /** A builder with torch's defaults: one typed method per argument of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds from every argument by name (the spec parser's and the builder's common path). */
    static CosineAnnealingWarmRestarts create(Map<String, Object> a, Optimizer optimizer) {
        return new CosineAnnealingWarmRestarts(optimizer, T_0.from(a), T_MULT.from(a), ETA_MIN.from(a));
    }

    /** Typed arguments of {@link CosineAnnealingWarmRestarts}, with torch's defaults; checked when built. */
    public static final class Builder extends SchedulerBuilder<Builder, CosineAnnealingWarmRestarts> {
        private Builder() {
            super("CosineAnnealingWarmRestarts", OPTIONS, CosineAnnealingWarmRestarts::create);
        }

        /** Sets torch's {@code T_0}: the epochs until the first restart; default none (required). */
        public Builder t0(int value) {
            return set(T_0, value);
        }

        /** Sets torch's {@code T_mult}: the factor by which each period grows; default 1. */
        public Builder tMult(int value) {
            return set(T_MULT, value);
        }

        /** Sets torch's {@code eta_min}: the smallest learning rate; default 0. */
        public Builder etaMin(double value) {
            return set(ETA_MIN, value);
        }
    }
}
