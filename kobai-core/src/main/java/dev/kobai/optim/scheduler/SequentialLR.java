package dev.kobai.optim.scheduler;

import dev.kobai.UsageException;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.ParamGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs schedulers one after another (torch.optim.lr_scheduler.SequentialLR): scheduler i drives
 * the learning rate from milestone i-1 to milestone i, and each is restarted at its epoch 0 (by
 * its closed form where it has one) when its milestone is reached. For example a LinearLR warm-up
 * for 5 epochs, then CosineAnnealingLR: {@code new SequentialLR(opt, List.of(warmup, cosine), new int[] {5})}.
 *
 * <p>As in torch, construct the schedulers over the optimizer first; this resets every group's lr
 * to its initial_lr and takes the first scheduler's initial step again. Library only: the command
 * line has no spec form for it.
 */
public final class SequentialLR extends LRScheduler {
    private final List<LRScheduler> schedulers;
    private final int[] milestones;

    public SequentialLR(Optimizer optimizer, List<? extends LRScheduler> schedulers, int[] milestones) {
        super(optimizer);
        for (int i = 0; i < schedulers.size(); i++) {
            if (schedulers.get(i).optimizer() != optimizer) {
                throw new UsageException("Sequential Schedulers expects all schedulers to belong to the same optimizer, "
                        + "but got schedulers at index " + i + " to be different than the optimizer passed in.");
            }
        }
        if (milestones.length != schedulers.size() - 1) {
            throw new UsageException("Sequential Schedulers expects number of schedulers provided to be one more "
                    + "than the number of milestone points, but got number of schedulers " + schedulers.size()
                    + " and the number of milestones to be equal to " + milestones.length);
        }
        for (LRScheduler s : schedulers) {
            if (s instanceof ReduceLROnPlateau) {
                throw new UsageException("SequentialLR cannot run ReduceLROnPlateau, which steps on a metric");
            }
        }
        this.schedulers = new ArrayList<>(schedulers);
        this.milestones = milestones.clone();
        this.lastEpoch = 0;
        for (ParamGroup g : optimizer.paramGroups()) {
            g.set("lr", g.getDouble("initial_lr"));
        }
        for (LRScheduler s : this.schedulers) {
            s.lastEpoch -= 1;
        }
        this.schedulers.getFirst().initialStep();
        this.baseLrs = this.schedulers.getFirst().baseLrs.clone();
        this.lastLr = this.schedulers.getFirst().lastLr();
    }

    @Override
    public void step() {
        stepCount++;
        lastEpoch++;
        int idx = bisectRight(milestones, lastEpoch);
        LRScheduler scheduler = schedulers.get(idx);
        if (idx > 0 && milestones[idx - 1] == lastEpoch) {
            scheduler.stepTo(0);
        } else {
            scheduler.step();
        }
        lastLr = scheduler.lastLr();
    }

    private static int bisectRight(int[] a, int x) {
        int i = 0;
        while (i < a.length && a[i] <= x) {
            i++;
        }
        return i;
    }

    @Override
    protected double[] computeLr() {
        throw new UnsupportedOperationException("SequentialLR delegates to its schedulers");
    }

    @Override
    protected void saveExtra(Map<String, Object> out) {
        saveChildren(schedulers, out);
    }

    @Override
    protected void loadExtra(Map<String, Object> state) {
        loadChildren(schedulers, state, "SequentialLR");
    }
}
