package dev.kobai.optim.scheduler;

import dev.kobai.optim.Optimizer;
import java.util.Arrays;

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
 */
public final class MultiStepLR extends LRScheduler {
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
}
