package dev.kobai.optim.scheduler;

import dev.kobai.UsageException;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.Option;
import dev.kobai.optim.OptionTable;
import dev.kobai.optim.ParamGroup;
import java.util.List;

/**
 * The 1cycle policy (Smith and Topin 2018; torch.optim.lr_scheduler.OneCycleLR), stepped after
 * every batch. With initial_lr = max_lr / div_factor and min_lr = initial_lr / final_div_factor:
 *
 * <pre>
 *   two phases (default):  steps 0 .. pct_start*total - 1:          initial_lr -&gt; max_lr
 *                          .. total - 1:                             max_lr -&gt; min_lr
 *   three_phase:           steps 0 .. pct_start*total - 1:          initial_lr -&gt; max_lr
 *                          .. 2*pct_start*total - 2:                 max_lr -&gt; initial_lr
 *                          .. total - 1:                             initial_lr -&gt; min_lr
 *   within a phase from step s0 to s1, pct = (t - s0) / (s1 - s0) and
 *     cos:    lr = end + (start - end) / 2 * (1 + cos(pi * pct))
 *     linear: lr = start + (end - start) * pct
 * </pre>
 *
 * With cycle_momentum (the default), momentum moves the opposite way between max_momentum and
 * base_momentum (staying at max_momentum in the third phase); it is written into the groups'
 * {@code momentum}, or into {@code betas[0]} when the optimizer has betas (Adam and its kin).
 * initial_lr, max_lr, min_lr, max_momentum and base_momentum are kept in each parameter group, so
 * the optimizer's state dict carries them.
 *
 * <p>Arguments: max_lr (required; one value or one per group), total_steps, or epochs and
 * steps_per_epoch (total = epochs * steps_per_epoch), pct_start=0.3, anneal_strategy='cos'
 * ('cos' or 'linear'), cycle_momentum=true, base_momentum=0.85, max_momentum=0.95,
 * div_factor=25, final_div_factor=1e4, three_phase=false. Stepping past total_steps is an error.
 *
 * {@snippet :
 * OneCycleLR scheduler = OneCycleLR.builder(optimizer, 0.1).epochs(10).stepsPerEpoch(batches)
 *         .pctStart(0.25).build();
 * }
 */
public final class OneCycleLR extends LRScheduler {
    /** torch's {@code max_lr}: the peak learning rate, one value or one per group; required. */
    public static final Option<double[]> MAX_LR = Option.numbers("max_lr");
    /** torch's {@code total_steps}: the steps of the cycle; default epochs x steps_per_epoch. */
    public static final Option<Integer> TOTAL_STEPS = Option.integer("total_steps")
            .optional("epochs x steps per epoch");
    /**
     * torch's {@code epochs}: with steps_per_epoch, the cycle's length; default none (the run's on the
     * command line).
     */
    public static final Option<Integer> EPOCHS = Option.integer("epochs").optional("the run's");
    /**
     * torch's {@code steps_per_epoch}: with epochs, the cycle's length; default none (the run's on the
     * command line).
     */
    public static final Option<Integer> STEPS_PER_EPOCH = Option.integer("steps_per_epoch").optional("the run's");
    /** torch's {@code pct_start}: the fraction of the cycle spent raising the rate; default 0.3. */
    public static final Option<Double> PCT_START = Option.number("pct_start", 0.3);
    /** torch's {@code anneal_strategy}: 'cos' or 'linear'; default 'cos'. */
    public static final Option<String> ANNEAL_STRATEGY = Option.choice("anneal_strategy", "cos", "cos", "linear");
    /** torch's {@code cycle_momentum}: move momentum (or betas[0]) against the rate; default true. */
    public static final Option<Boolean> CYCLE_MOMENTUM = Option.bool("cycle_momentum", true);
    /** torch's {@code base_momentum}: the momentum at the peak rate; default 0.85. */
    public static final Option<double[]> BASE_MOMENTUM = Option.numbers("base_momentum", 0.85);
    /** torch's {@code max_momentum}: the momentum at the lowest rate; default 0.95. */
    public static final Option<double[]> MAX_MOMENTUM = Option.numbers("max_momentum", 0.95);
    /** torch's {@code div_factor}: initial_lr = max_lr / div_factor; default 25. */
    public static final Option<Double> DIV_FACTOR = Option.number("div_factor", 25.0);
    /** torch's {@code final_div_factor}: min_lr = initial_lr / final_div_factor; default 1e4. */
    public static final Option<Double> FINAL_DIV_FACTOR = Option.number("final_div_factor", 1e4);
    /** torch's {@code three_phase}: a third phase back to initial_lr before the end; default false. */
    public static final Option<Boolean> THREE_PHASE = Option.bool("three_phase", false);
    /** The arguments in torch's order: the one table behind {@link #builder} and the spec. */
    public static final OptionTable OPTIONS = OptionTable.of(MAX_LR, TOTAL_STEPS, EPOCHS, STEPS_PER_EPOCH, PCT_START,
            ANNEAL_STRATEGY, CYCLE_MOMENTUM, BASE_MOMENTUM, MAX_MOMENTUM, DIV_FACTOR, FINAL_DIV_FACTOR, THREE_PHASE);

    private record Phase(double endStep, String startLr, String endLr, String startMomentum, String endMomentum) {}

    private final int totalSteps;
    private final List<Phase> phases;
    private final boolean linear;
    private final boolean cycleMomentum;
    private final boolean useBeta1;

    /** Settings with torch's defaults; set max_lr and either total_steps or epochs and steps_per_epoch. */
    public static final class Builder {
        private final Optimizer optimizer;
        private final double[] maxLr;
        private Integer totalSteps;
        private Integer epochs;
        private Integer stepsPerEpoch;
        private double pctStart = PCT_START.defaultValue();
        private String annealStrategy = ANNEAL_STRATEGY.defaultValue();
        private boolean cycleMomentum = CYCLE_MOMENTUM.defaultValue();
        private double[] baseMomentum = BASE_MOMENTUM.defaultValue();
        private double[] maxMomentum = MAX_MOMENTUM.defaultValue();
        private double divFactor = DIV_FACTOR.defaultValue();
        private double finalDivFactor = FINAL_DIV_FACTOR.defaultValue();
        private boolean threePhase = THREE_PHASE.defaultValue();

        private Builder(Optimizer optimizer, double[] maxLr) {
            this.optimizer = optimizer;
            this.maxLr = maxLr.clone();
        }

        /** Sets torch's {@code total_steps}: the steps of the cycle (or give epochs and steps_per_epoch). */
        public Builder totalSteps(Integer v) { totalSteps = v; return this; }
        /** Sets torch's {@code epochs}: with steps_per_epoch, the cycle's length. */
        public Builder epochs(Integer v) { epochs = v; return this; }
        /** Sets torch's {@code steps_per_epoch}: with epochs, the cycle's length. */
        public Builder stepsPerEpoch(Integer v) { stepsPerEpoch = v; return this; }
        /** Sets torch's {@code pct_start}: the fraction of the cycle spent raising the rate; default 0.3. */
        public Builder pctStart(double v) { pctStart = v; return this; }
        /** Sets torch's {@code anneal_strategy}: 'cos' or 'linear'; default 'cos'. */
        public Builder annealStrategy(String v) { annealStrategy = v; return this; }
        /** Sets torch's {@code cycle_momentum}: move momentum (or betas[0]) against the rate; default true. */
        public Builder cycleMomentum(boolean v) { cycleMomentum = v; return this; }
        /** Sets torch's {@code base_momentum}: the momentum at the peak rate, one or one per group; default 0.85. */
        public Builder baseMomentum(double... v) { baseMomentum = v.clone(); return this; }
        /** Sets torch's {@code max_momentum}: the momentum at the lowest rate, one or one per group; default 0.95. */
        public Builder maxMomentum(double... v) { maxMomentum = v.clone(); return this; }
        /** Sets torch's {@code div_factor}: initial_lr = max_lr / div_factor; default 25. */
        public Builder divFactor(double v) { divFactor = v; return this; }
        /** Sets torch's {@code final_div_factor}: min_lr = initial_lr / final_div_factor; default 1e4. */
        public Builder finalDivFactor(double v) { finalDivFactor = v; return this; }
        /** Sets torch's {@code three_phase}: a third phase back to initial_lr before the end; default false. */
        public Builder threePhase(boolean v) { threePhase = v; return this; }

        public OneCycleLR build() {
            return new OneCycleLR(this);
        }
    }

    /** Starts the settings: max_lr is one value for every group or one per group. */
    public static Builder builder(Optimizer optimizer, double... maxLr) {
        return new Builder(optimizer, maxLr);
    }

    /** A two-phase cosine cycle over {@code totalSteps} steps with every other setting at torch's default. */
    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps) {
        this(builder(optimizer, maxLr).totalSteps(totalSteps));
    }

    private OneCycleLR(Builder b) {
        super(b.optimizer);
        if (b.totalSteps == null && b.epochs == null && b.stepsPerEpoch == null) {
            throw new UsageException("You must define either total_steps OR (epochs AND steps_per_epoch)");
        } else if (b.totalSteps != null) {
            if (b.totalSteps <= 0) {
                throw new UsageException("Expected positive integer total_steps, but got " + b.totalSteps);
            }
            totalSteps = b.totalSteps;
        } else {
            if (b.epochs == null || b.epochs <= 0) {
                throw new UsageException("Expected positive integer epochs, but got " + b.epochs);
            }
            if (b.stepsPerEpoch == null || b.stepsPerEpoch <= 0) {
                throw new UsageException("Expected positive integer steps_per_epoch, but got " + b.stepsPerEpoch);
            }
            totalSteps = b.epochs * b.stepsPerEpoch;
        }
        double pct = b.pctStart;
        if (b.threePhase) {
            phases = List.of(
                    new Phase(pct * totalSteps - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                    new Phase(2 * pct * totalSteps - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                    new Phase(totalSteps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"));
        } else {
            phases = List.of(
                    new Phase(pct * totalSteps - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                    new Phase(totalSteps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"));
        }
        if (pct < 0 || pct > 1 || Double.isNaN(pct)) {
            throw new UsageException("Expected float between 0 and 1 pct_start, but got " + pct);
        }
        if (!b.annealStrategy.equals("cos") && !b.annealStrategy.equals("linear")) {
            throw new UsageException("anneal_strategy must by one of 'cos' or 'linear', instead got "
                    + b.annealStrategy);
        }
        linear = b.annealStrategy.equals("linear");
        double[] maxLrs = perGroup(optimizer, "max_lr", b.maxLr);
        List<ParamGroup> groups = optimizer.paramGroups();
        for (int i = 0; i < groups.size(); i++) {
            ParamGroup g = groups.get(i);
            g.set("initial_lr", maxLrs[i] / b.divFactor);
            g.set("max_lr", maxLrs[i]);
            g.set("min_lr", g.getDouble("initial_lr") / b.finalDivFactor);
        }
        cycleMomentum = b.cycleMomentum;
        if (cycleMomentum) {
            if (!optimizer.defaults().containsKey("momentum") && !optimizer.defaults().containsKey("betas")) {
                throw new UsageException("optimizer must support momentum with `cycle_momentum` option enabled");
            }
            useBeta1 = optimizer.defaults().containsKey("betas");
            double[] maxM = perGroup(optimizer, "max_momentum", b.maxMomentum);
            double[] baseM = perGroup(optimizer, "base_momentum", b.baseMomentum);
            for (int i = 0; i < groups.size(); i++) {
                ParamGroup g = groups.get(i);
                setMomentum(g, maxM[i]);
                g.set("max_momentum", maxM[i]);
                g.set("base_momentum", baseM[i]);
            }
        } else {
            useBeta1 = false;
        }
        start();
    }

    private void setMomentum(ParamGroup g, double m) {
        if (useBeta1) {
            double[] betas = g.getPair("betas");
            betas[0] = m;
            g.set("betas", betas);
        } else {
            g.set("momentum", m);
        }
    }

    @Override
    protected double[] computeLr() {
        int stepNum = lastEpoch;
        if (stepNum > totalSteps) {
            throw new UsageException("Tried to step " + (stepNum + 1) + " times. The specified number of total steps is "
                    + totalSteps);
        }
        List<ParamGroup> groups = optimizer.paramGroups();
        double[] lrs = new double[groups.size()];
        for (int gi = 0; gi < groups.size(); gi++) {
            ParamGroup g = groups.get(gi);
            double startStep = 0;
            for (int i = 0; i < phases.size(); i++) {
                Phase phase = phases.get(i);
                double endStep = phase.endStep();
                if (stepNum <= endStep || i == phases.size() - 1) {
                    double pct = (stepNum - startStep) / (endStep - startStep);
                    lrs[gi] = anneal(g.getDouble(phase.startLr()), g.getDouble(phase.endLr()), pct);
                    if (cycleMomentum) {
                        setMomentum(g, anneal(g.getDouble(phase.startMomentum()), g.getDouble(phase.endMomentum()), pct));
                    }
                    break;
                }
                startStep = phase.endStep();
            }
        }
        return lrs;
    }

    private double anneal(double start, double end, double pct) {
        if (linear) {
            return (end - start) * pct + start;
        }
        double cosOut = Math.cos(Math.PI * pct) + 1;
        return end + (start - end) / 2.0 * cosOut;
    }

    /** Steps after every batch: total_steps counts optimizer steps. */
    @Override
    public void afterBatch(int epoch, int batch, int batchesPerEpoch) {
        step();
    }

    @Override
    public void afterEpoch(int epoch, double testLoss) {}

    @Override
    public String cadence() {
        return "per batch";
    }

    public int totalSteps() {
        return totalSteps;
    }
}
