package dev.kobai.optim.scheduler;

import dev.kobai.UsageException;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.ParamGroup;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The base of the learning-rate schedulers, shaped like torch.optim.lr_scheduler._LRScheduler in
 * PyTorch 1.13: each {@link #step()} advances the epoch counter {@code last_epoch} by one and
 * writes a new {@code lr} into every parameter group of the optimizer.
 *
 * <p>On construction a scheduler stores each group's {@code lr} as {@code initial_lr} (unless the
 * group already has one, as after an earlier scheduler), takes those as its base learning rates,
 * and performs one step that moves {@code last_epoch} from -1 to 0, exactly as torch does. Most
 * schedulers compute the new rate from the group's current one ("chainable" form), so several
 * schedulers may act on one optimizer; {@link ChainedScheduler} steps a list of them together.
 *
 * <p>Unlike torch, there is no {@code last_epoch} constructor argument: resume a run with
 * {@link #stateDict()} and {@link #loadStateDict(Map)} instead, after restoring the optimizer's
 * own state dict (which carries {@code initial_lr} and the other values schedulers keep in the
 * groups).
 *
 * <h2>Where a training loop steps a scheduler</h2>
 * {@link dev.kobai.train.Trainer} calls {@link #afterBatch} after every optimizer step and
 * {@link #afterEpoch} after each epoch's evaluation. By default a scheduler steps once per epoch
 * (torch's convention: {@code T_max}, {@code step_size} and milestones count epochs). OneCycleLR
 * steps per batch (its {@code total_steps} counts batches), CosineAnnealingWarmRestarts steps per
 * batch with a fractional epoch, and ReduceLROnPlateau steps per epoch with the epoch's test loss.
 */
public abstract class LRScheduler {
    protected final Optimizer optimizer;
    /** torch's base_lrs: each group's initial_lr when the scheduler was made. */
    protected double[] baseLrs;
    /** torch's last_epoch: the number of steps taken, counting the one on construction as 0. */
    protected int lastEpoch = -1;
    /** torch's _step_count: calls of step(), including the initial one. */
    protected int stepCount;
    protected double[] lastLr;

    protected LRScheduler(Optimizer optimizer) {
        if (optimizer == null) {
            throw new UsageException("a scheduler needs an optimizer");
        }
        this.optimizer = optimizer;
    }

    /**
     * Records {@code initial_lr} in each group, reads the base rates and takes the initial step;
     * each concrete scheduler calls this at the end of its constructor, once its fields are set.
     */
    protected final void start() {
        List<ParamGroup> groups = optimizer.paramGroups();
        baseLrs = new double[groups.size()];
        for (int i = 0; i < groups.size(); i++) {
            ParamGroup g = groups.get(i);
            if (!g.has("initial_lr")) {
                g.set("initial_lr", g.lr());
            }
            baseLrs[i] = g.getDouble("initial_lr");
        }
        lastEpoch = -1;
        initialStep();
    }

    /** torch's _initial_step: resets the step count and steps once. */
    final void initialStep() {
        stepCount = 0;
        step();
    }

    /** Advances the epoch counter by one and sets each group's lr. */
    public void step() {
        stepCount++;
        lastEpoch++;
        apply(computeLr());
    }

    /**
     * Jumps to {@code epoch} (torch's deprecated {@code step(epoch)}): uses the closed form where
     * the scheduler has one, otherwise the chainable form. SequentialLR uses it to restart a
     * scheduler at 0 when its milestone is reached.
     */
    protected void stepTo(int epoch) {
        stepCount++;
        lastEpoch = epoch;
        double[] closed = closedFormLr();
        apply(closed != null ? closed : computeLr());
    }

    /** The learning rates for the current {@link #lastEpoch}, one per group (torch's get_lr). */
    protected abstract double[] computeLr();

    /** The closed form at {@link #lastEpoch}, or null when the scheduler has none. */
    protected double[] closedFormLr() {
        return null;
    }

    protected final void apply(double[] lrs) {
        List<ParamGroup> groups = optimizer.paramGroups();
        for (int i = 0; i < groups.size(); i++) {
            groups.get(i).set("lr", lrs[i]);
        }
        lastLr = currentLrs();
    }

    /** Each group's current lr. */
    protected final double[] currentLrs() {
        List<ParamGroup> groups = optimizer.paramGroups();
        double[] out = new double[groups.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = groups.get(i).lr();
        }
        return out;
    }

    /** The learning rate of each group as the last step set it (torch's get_last_lr). */
    public double[] lastLr() {
        return lastLr.clone();
    }

    /** torch's last_epoch: 0 after construction, then one more per step. */
    public int lastEpoch() {
        return lastEpoch;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    // ------------------------------------------------------------ training-loop hooks

    /**
     * Called by a training loop after each optimizer step; {@code epoch} counts from 1, {@code batch}
     * is the number of batches done in this epoch (1..{@code batchesPerEpoch}). Does nothing by
     * default: most schedulers step per epoch.
     */
    public void afterBatch(int epoch, int batch, int batchesPerEpoch) {}

    /** Called by a training loop after each epoch's evaluation; steps once by default. */
    public void afterEpoch(int epoch, double testLoss) {
        step();
    }

    /** How a training loop steps this scheduler, for messages and documentation. */
    public String cadence() {
        return "per epoch";
    }

    // ------------------------------------------------------------ state dict

    /**
     * The scheduler's counters and values (not its hyperparameters, which come from its
     * constructor): a map of numbers, double arrays and nested maps, copied.
     */
    public Map<String, Object> stateDict() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("scheduler", getClass().getSimpleName());
        out.put("last_epoch", lastEpoch);
        out.put("_step_count", stepCount);
        out.put("base_lrs", baseLrs == null ? null : baseLrs.clone());
        out.put("_last_lr", lastLr == null ? null : lastLr.clone());
        saveExtra(out);
        return Collections.unmodifiableMap(out);
    }

    /** Restores what {@link #stateDict()} saved from a scheduler of the same kind over as many groups. */
    public void loadStateDict(Map<String, Object> state) {
        Object kind = state.get("scheduler");
        if (!getClass().getSimpleName().equals(kind)) {
            throw new UsageException("state dict is for " + kind + ", not " + getClass().getSimpleName());
        }
        double[] base = doubles(state, "base_lrs");
        if (base != null && base.length != optimizer.paramGroups().size()) {
            throw new UsageException("state dict has " + base.length + " learning rates, optimizer has "
                    + optimizer.paramGroups().size() + " parameter groups");
        }
        lastEpoch = ((Number) state.get("last_epoch")).intValue();
        stepCount = ((Number) state.get("_step_count")).intValue();
        baseLrs = base;
        lastLr = doubles(state, "_last_lr");
        loadExtra(state);
    }

    /** Adds a subclass's own counters to the state dict. */
    protected void saveExtra(Map<String, Object> out) {}

    /** Restores a subclass's own counters. */
    protected void loadExtra(Map<String, Object> state) {}

    /** Saves the state dicts of the schedulers a composite one drives, in order. */
    protected static void saveChildren(List<LRScheduler> children, Map<String, Object> out) {
        List<Map<String, Object>> states = new java.util.ArrayList<>();
        for (LRScheduler s : children) {
            states.add(s.stateDict());
        }
        out.put("_schedulers", List.copyOf(states));
    }

    /** Restores what {@link #saveChildren} saved; the number of schedulers must match. */
    @SuppressWarnings("unchecked")
    protected static void loadChildren(List<LRScheduler> children, Map<String, Object> state, String owner) {
        List<Map<String, Object>> states = (List<Map<String, Object>>) state.get("_schedulers");
        if (states.size() != children.size()) {
            throw new UsageException("state dict has " + states.size() + " schedulers, " + owner + " has "
                    + children.size());
        }
        for (int i = 0; i < states.size(); i++) {
            children.get(i).loadStateDict(states.get(i));
        }
    }

    protected static double[] doubles(Map<String, Object> state, String key) {
        Object v = state.get(key);
        return v == null ? null : ((double[]) v).clone();
    }

    // ------------------------------------------------------------ helpers

    /** A value per group: one value for all groups, or exactly one per group. */
    protected static double[] perGroup(Optimizer optimizer, String name, double[] values) {
        int n = optimizer.paramGroups().size();
        if (values.length == 1) {
            double[] out = new double[n];
            java.util.Arrays.fill(out, values[0]);
            return out;
        }
        if (values.length != n) {
            throw new UsageException("expected " + n + " values for " + name + ", got " + values.length);
        }
        return values.clone();
    }

    /** Multiplies each group's current lr by {@code factor}. */
    protected final double[] scaled(double factor) {
        double[] lrs = currentLrs();
        for (int i = 0; i < lrs.length; i++) {
            lrs[i] *= factor;
        }
        return lrs;
    }

    /** The group's lrs unchanged. */
    protected final double[] unchanged() {
        return currentLrs();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + " (last_epoch=" + lastEpoch + ", lr="
                + (lastLr == null ? "[]" : java.util.Arrays.toString(lastLr)) + ")";
    }
}
