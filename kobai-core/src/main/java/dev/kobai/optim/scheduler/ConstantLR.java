package dev.kobai.optim.scheduler;

import dev.kobai.UsageException;
import dev.kobai.optim.Optimizer;

/**
 * Multiplies the learning rate by a constant {@code factor} for the first {@code total_iters}
 * epochs, then restores it (torch.optim.lr_scheduler.ConstantLR):
 *
 * <pre>
 *   lr_0 = lr * factor;   lr_t = lr_{t-1} / factor  at t == total_iters;   otherwise unchanged
 *   closed form: base_lr * (factor if t &lt; total_iters else 1)
 * </pre>
 *
 * <p>Arguments: factor=1/3 (0 to 1), total_iters=5.
 */
public final class ConstantLR extends LRScheduler {
    private final double factor;
    private final int totalIters;

    public ConstantLR(Optimizer optimizer) {
        this(optimizer, 1.0 / 3, 5);
    }

    public ConstantLR(Optimizer optimizer, double factor, int totalIters) {
        super(optimizer);
        if (factor > 1.0 || factor < 0) {
            throw new UsageException("Constant multiplicative factor expected to be between 0 and 1.");
        }
        this.factor = factor;
        this.totalIters = totalIters;
        start();
    }

    @Override
    protected double[] computeLr() {
        if (lastEpoch == 0) {
            return scaled(factor);
        }
        if (lastEpoch != totalIters) {
            return unchanged();
        }
        return scaled(1.0 / factor);
    }

    @Override
    protected double[] closedFormLr() {
        double[] out = new double[baseLrs.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = baseLrs[i] * (factor + (lastEpoch >= totalIters ? 1 : 0) * (1 - factor));
        }
        return out;
    }
}
