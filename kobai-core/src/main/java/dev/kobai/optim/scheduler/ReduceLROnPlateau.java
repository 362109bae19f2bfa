package dev.kobai.optim.scheduler;

import dev.kobai.UsageException;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.Option;
import dev.kobai.optim.OptionTable;
import dev.kobai.optim.ParamGroup;
import java.util.List;
import java.util.Map;

/**
 * Cuts the learning rate when a metric stops improving (torch.optim.lr_scheduler.ReduceLROnPlateau).
 * Each {@link #step(double)} takes the metric (a {@link dev.kobai.train.Trainer} passes the epoch's
 * test loss):
 *
 * <pre>
 *   better(a) = a &lt; best * (1 - threshold)   mode min, threshold_mode rel
 *               a &lt; best - threshold         mode min, abs
 *               a &gt; best * (1 + threshold)   mode max, rel
 *               a &gt; best + threshold         mode max, abs
 *   better: best = a, bad = 0;   else bad += 1
 *   in cooldown: cooldown_counter -= 1, bad = 0
 *   bad &gt; patience: lr = max(lr * factor, min_lr) per group, applied only if it lowers lr by more
 *                   than eps; then cooldown_counter = cooldown, bad = 0
 * </pre>
 *
 * <p>Arguments: mode='min' ('min' or 'max'), factor=0.1 (&lt; 1), patience=10, threshold=1e-4,
 * threshold_mode='rel' ('rel' or 'abs'), cooldown=0, min_lr=0 (one value or one per group),
 * eps=1e-8. Unlike the other schedulers it takes no step on construction, and {@link #step()}
 * without a metric is an error.
 *
 * {@snippet :
 * ReduceLROnPlateau plateau = ReduceLROnPlateau.builder().factor(0.5).patience(3).build(optimizer);
 * plateau.step(testLoss);
 * }
 */
public final class ReduceLROnPlateau extends LRScheduler {
    /** torch's {@code mode}: whether the metric should fall (min) or rise (max); default 'min'. */
    public static final Option<String> MODE = Option.choice("mode", "min", "min", "max");
    /** torch's {@code factor}: the factor of each reduction; default 0.1. */
    public static final Option<Double> FACTOR = Option.number("factor", 0.1);
    /** torch's {@code patience}: epochs without improvement before a reduction; default 10. */
    public static final Option<Integer> PATIENCE = Option.integer("patience", 10);
    /** torch's {@code threshold}: the least change that counts as improvement; default 1e-4. */
    public static final Option<Double> THRESHOLD = Option.number("threshold", 1e-4);
    /** torch's {@code threshold_mode}: rel or abs: how threshold is applied; default 'rel'. */
    public static final Option<String> THRESHOLD_MODE = Option.choice("threshold_mode", "rel", "rel", "abs");
    /** torch's {@code cooldown}: epochs to wait after a reduction; default 0. */
    public static final Option<Integer> COOLDOWN = Option.integer("cooldown", 0);
    /** torch's {@code min_lr}: the lower bound, one value or one per group; default 0. */
    public static final Option<double[]> MIN_LR = Option.numbers("min_lr", 0.0);
    /** torch's {@code eps}: the least reduction applied; default 1e-8. */
    public static final Option<Double> EPS = Option.number("eps", 1e-8);
    /** The arguments in torch's order: the one table behind {@link #builder()} and the spec. */
    public static final OptionTable OPTIONS = OptionTable.of(MODE, FACTOR, PATIENCE, THRESHOLD, THRESHOLD_MODE,
            COOLDOWN, MIN_LR, EPS);

    private final boolean maxMode;
    private final boolean relative;
    private final double factor;
    private final int patience;
    private final double threshold;
    private final int cooldown;
    private final double[] minLrs;
    private final double eps;
    private double best;
    private int numBadEpochs;
    private int cooldownCounter;

    /** torch's defaults. */
    public ReduceLROnPlateau(Optimizer optimizer) {
        this(optimizer, "min", 0.1, 10, 1e-4, "rel", 0, new double[] {0}, 1e-8);
    }

    public ReduceLROnPlateau(Optimizer optimizer, String mode, double factor, int patience, double threshold,
                             String thresholdMode, int cooldown, double[] minLr, double eps) {
        super(optimizer);
        if (factor >= 1.0) {
            throw new UsageException("Factor should be < 1.0.");
        }
        this.factor = factor;
        int groups = optimizer.paramGroups().size();
        if (minLr.length != 1 && minLr.length != groups) {
            throw new UsageException("expected " + groups + " min_lrs, got " + minLr.length);
        }
        this.minLrs = perGroup(optimizer, "min_lr", minLr);
        this.patience = patience;
        this.cooldown = cooldown;
        this.threshold = threshold;
        this.eps = eps;
        if (!mode.equals("min") && !mode.equals("max")) {
            throw new UsageException("mode " + mode + " is unknown!");
        }
        if (!thresholdMode.equals("rel") && !thresholdMode.equals("abs")) {
            throw new UsageException("threshold mode " + thresholdMode + " is unknown!");
        }
        this.maxMode = mode.equals("max");
        this.relative = thresholdMode.equals("rel");
        this.lastEpoch = 0;
        this.best = worst();
        this.lastLr = currentLrs();
    }

    private double worst() {
        return maxMode ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    /** Needs the metric: use {@link #step(double)}. */
    @Override
    public void step() {
        throw new UsageException("ReduceLROnPlateau steps on a metric: call step(metric)");
    }

    @Override
    protected double[] computeLr() {
        return currentLrs();
    }

    /** Records one epoch's metric and reduces the learning rates if it has not improved for too long. */
    public void step(double metric) {
        stepCount++;
        lastEpoch = lastEpoch + 1;
        if (isBetter(metric, best)) {
            best = metric;
            numBadEpochs = 0;
        } else {
            numBadEpochs++;
        }
        if (cooldownCounter > 0) {
            cooldownCounter--;
            numBadEpochs = 0;
        }
        if (numBadEpochs > patience) {
            reduce();
            cooldownCounter = cooldown;
            numBadEpochs = 0;
        }
        lastLr = currentLrs();
    }

    private void reduce() {
        List<ParamGroup> groups = optimizer.paramGroups();
        for (int i = 0; i < groups.size(); i++) {
            double old = groups.get(i).lr();
            double next = Math.max(old * factor, minLrs[i]);
            if (old - next > eps) {
                groups.get(i).set("lr", next);
            }
        }
    }

    private boolean isBetter(double a, double best) {
        if (!maxMode && relative) {
            return a < best * (1. - threshold);
        } else if (!maxMode) {
            return a < best - threshold;
        } else if (relative) {
            return a > best * (threshold + 1.);
        }
        return a > best + threshold;
    }

    /** Steps with the epoch's test loss. */
    @Override
    public void afterEpoch(int epoch, double testLoss) {
        step(testLoss);
    }

    @Override
    public String cadence() {
        return "per epoch, on the test loss";
    }

    /** The best metric so far. */
    public double best() {
        return best;
    }

    public int numBadEpochs() {
        return numBadEpochs;
    }

    public int cooldownCounter() {
        return cooldownCounter;
    }

    @Override
    protected void saveExtra(Map<String, Object> out) {
        out.put("best", best);
        out.put("num_bad_epochs", numBadEpochs);
        out.put("cooldown_counter", cooldownCounter);
    }

    @Override
    protected void loadExtra(Map<String, Object> state) {
        best = ((Number) state.get("best")).doubleValue();
        numBadEpochs = ((Number) state.get("num_bad_epochs")).intValue();
        cooldownCounter = ((Number) state.get("cooldown_counter")).intValue();
    }

    /** A builder with torch's defaults: one typed method per argument of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds from every argument by name (the spec parser's and the builder's common path). */
    static ReduceLROnPlateau create(Map<String, Object> a, Optimizer optimizer) {
        return new ReduceLROnPlateau(optimizer, MODE.from(a), FACTOR.from(a), PATIENCE.from(a), THRESHOLD.from(a),
                THRESHOLD_MODE.from(a), COOLDOWN.from(a), MIN_LR.from(a), EPS.from(a));
    }

    /** Typed arguments of {@link ReduceLROnPlateau}, with torch's defaults; checked when built. */
    public static final class Builder extends SchedulerBuilder<Builder, ReduceLROnPlateau> {
        private Builder() {
            super("ReduceLROnPlateau", OPTIONS, ReduceLROnPlateau::create);
        }

        /** Sets torch's {@code mode}: whether the metric should fall (min) or rise (max); default 'min'. */
        public Builder mode(String value) {
            return set(MODE, value);
        }

        /** Sets torch's {@code factor}: the factor of each reduction; default 0.1. */
        public Builder factor(double value) {
            return set(FACTOR, value);
        }

        /** Sets torch's {@code patience}: epochs without improvement before a reduction; default 10. */
        public Builder patience(int value) {
            return set(PATIENCE, value);
        }

        /** Sets torch's {@code threshold}: the least change that counts as improvement; default 1e-4. */
        public Builder threshold(double value) {
            return set(THRESHOLD, value);
        }

        /** Sets torch's {@code threshold_mode}: rel or abs: how threshold is applied; default 'rel'. */
        public Builder thresholdMode(String value) {
            return set(THRESHOLD_MODE, value);
        }

        /** Sets torch's {@code cooldown}: epochs to wait after a reduction; default 0. */
        public Builder cooldown(int value) {
            return set(COOLDOWN, value);
        }

        /** Sets torch's {@code min_lr}: the lower bound, one value or one per group; default 0. */
        public Builder minLr(double... value) {
            return set(MIN_LR, value);
        }

        /** Sets torch's {@code eps}: the least reduction applied; default 1e-8. */
        public Builder eps(double value) {
            return set(EPS, value);
        }
    }
}
