package dev.kobai.optim.scheduler;

import dev.kobai.UsageException;
import dev.kobai.optim.Optimizer;

/**
 * Scales the learning rate by a factor that moves linearly from {@code start_factor} to
 * {@code end_factor} over {@code total_iters} epochs, then stays (torch.optim.lr_scheduler.LinearLR):
 *
 * <pre>
 *   closed form: lr_t = base_lr * (start + (end - start) * min(t, total_iters) / total_iters)
 *   as torch computes it: lr_0 = lr * start;  for 0 &lt; t &lt;= total_iters
 *     lr_t = lr_{t-1} * (1 + (end - start) / (total_iters * start + (t - 1) * (end - start)))
 * </pre>
 *
 * <p>Arguments: start_factor=1/3, end_factor=1.0 (both 0 to 1), total_iters=5. torch does not
 * check total_iters; here it must be at least 1.
 */
public final class LinearLR extends LRScheduler {
    private final double startFactor;
    private final double endFactor;
    private final int totalIters;

    public LinearLR(Optimizer optimizer) {
        this(optimizer, 1.0 / 3, 1.0, 5);
    }

    public LinearLR(Optimizer optimizer, double startFactor, double endFactor, int totalIters) {
        super(optimizer);
        if (startFactor > 1.0 || startFactor < 0) {
            throw new UsageException("Starting multiplicative factor expected to be between 0 and 1.");
        }
        if (endFactor > 1.0 || endFactor < 0) {
            throw new UsageException("Ending multiplicative factor expected to be between 0 and 1.");
        }
        if (totalIters < 1) {
            throw new UsageException("total_iters must be a positive integer, but got " + totalIters);
        }
        this.startFactor = startFactor;
        this.endFactor = endFactor;
        this.totalIters = totalIters;
        start();
    }

    @Override
    protected double[] computeLr() {
        if (lastEpoch == 0) {
            return scaled(startFactor);
        }
        if (lastEpoch > totalIters) {
            return unchanged();
        }
        return scaled(1.0 + (endFactor - startFactor)
                / (totalIters * startFactor + (lastEpoch - 1) * (endFactor - startFactor)));
    }

    @Override
    protected double[] closedFormLr() {
        double[] out = new double[baseLrs.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = baseLrs[i] * (startFactor
                    + (endFactor - startFactor) * Math.min(totalIters, lastEpoch) / totalIters);
        }
        return out;
    }
}
