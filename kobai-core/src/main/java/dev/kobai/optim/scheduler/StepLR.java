package dev.kobai.optim.scheduler;

import dev.kobai.UsageException;
import dev.kobai.optim.Optimizer;

/**
 * Multiplies the learning rate by {@code gamma} every {@code step_size} epochs (torch.optim.lr_scheduler.StepLR):
 *
 * <pre>
 *   lr_t = lr_{t-1} * gamma   if t &gt; 0 and t mod step_size == 0,   else lr_{t-1}
 *        = base_lr * gamma^floor(t / step_size)                      (closed form)
 * </pre>
 *
 * <p>Arguments: step_size (required), gamma=0.1. torch does not check step_size; here it must be
 * at least 1 (torch fails with a division by zero at the first step instead).
 */
public final class StepLR extends LRScheduler {
    private final int stepSize;
    private final double gamma;

    public StepLR(Optimizer optimizer, int stepSize) {
        this(optimizer, stepSize, 0.1);
    }

    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        super(optimizer);
        if (stepSize < 1) {
            throw new UsageException("step_size must be a positive integer, but got " + stepSize);
        }
        this.stepSize = stepSize;
        this.gamma = gamma;
        start();
    }

    @Override
    protected double[] computeLr() {
        if (lastEpoch == 0 || lastEpoch % stepSize != 0) {
            return unchanged();
        }
        return scaled(gamma);
    }

    @Override
    protected double[] closedFormLr() {
        double[] out = baseLrs.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] = baseLrs[i] * Math.pow(gamma, Math.floorDiv(lastEpoch, stepSize));
        }
        return out;
    }
}
