package dev.kobai.optim.scheduler;

import dev.kobai.UsageException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Steps several schedulers of one optimizer together, each acting on the rate the previous one
 * left (torch.optim.lr_scheduler.ChainedScheduler): for example ConstantLR for a warm-up times
 * ExponentialLR, so lr_t = base_lr * constant_factor(t) * gamma^t. Library only.
 */
public final class ChainedScheduler extends LRScheduler {
    private final List<LRScheduler> schedulers;

    public ChainedScheduler(List<? extends LRScheduler> schedulers) {
        super(schedulers.isEmpty() ? null : schedulers.getFirst().optimizer());
        for (int i = 1; i < schedulers.size(); i++) {
            if (schedulers.get(i).optimizer() != optimizer) {
                throw new UsageException("ChainedScheduler expects all schedulers to belong to the same optimizer, but "
                        + "got schedulers at index 0 and " + i + " to be different");
            }
            if (schedulers.get(i) instanceof ReduceLROnPlateau || schedulers.getFirst() instanceof ReduceLROnPlateau) {
                throw new UsageException("ChainedScheduler cannot run ReduceLROnPlateau, which steps on a metric");
            }
        }
        this.schedulers = new ArrayList<>(schedulers);
        this.lastLr = currentLrs();
    }

    @Override
    public void step() {
        stepCount++;
        for (LRScheduler s : schedulers) {
            s.step();
        }
        lastLr = currentLrs();
    }

    @Override
    protected double[] computeLr() {
        throw new UnsupportedOperationException("ChainedScheduler delegates to its schedulers");
    }

    @Override
    protected void saveExtra(Map<String, Object> out) {
        saveChildren(schedulers, out);
    }

    @Override
    protected void loadExtra(Map<String, Object> state) {
        loadChildren(schedulers, state, "ChainedScheduler");
    }
}
