package dev.kobai.optim.scheduler;

import dev.kobai.UsageException;
import dev.kobai.optim.Optimizer;

/**
 * Decays the learning rate polynomially to zero over {@code total_iters} epochs, then keeps it
 * (torch.optim.lr_scheduler.PolynomialLR):
 *
 * <pre>
 *   closed form: lr_t = base_lr * (1 - min(t, total_iters) / total_iters)^power
 *   as torch computes it, for 0 &lt; t &lt;= total_iters:
 *     lr_t = lr_{t-1} * ((1 - t / total_iters) / (1 - (t - 1) / total_iters))^power
 * </pre>
 *
 * <p>Arguments: total_iters=5, power=1.0. torch does not check total_iters; here it must be at
 * least 1.
 */
public final class PolynomialLR extends LRScheduler {
    private final int totalIters;
    private final double power;

    public PolynomialLR(Optimizer optimizer) {
        this(optimizer, 5, 1.0);
    }

    public PolynomialLR(Optimizer optimizer, int totalIters, double power) {
        super(optimizer);
        if (totalIters < 1) {
            throw new UsageException("total_iters must be a positive integer, but got " + totalIters);
        }
        this.totalIters = totalIters;
        this.power = power;
        start();
    }

    @Override
    protected double[] computeLr() {
        if (lastEpoch == 0 || lastEpoch > totalIters) {
            return unchanged();
        }
        double decay = Math.pow((1.0 - (double) lastEpoch / totalIters)
                / (1.0 - (double) (lastEpoch - 1) / totalIters), power);
        return scaled(decay);
    }

    @Override
    protected double[] closedFormLr() {
        double[] out = new double[baseLrs.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = baseLrs[i] * Math.pow(1.0 - (double) Math.min(totalIters, lastEpoch) / totalIters, power);
        }
        return out;
    }
}
