package dev.kobai.optim.scheduler;

import dev.kobai.optim.Optimizer;

/**
 * Multiplies the learning rate by {@code gamma} every epoch (torch.optim.lr_scheduler.ExponentialLR):
 *
 * <pre>
 *   lr_t = lr_{t-1} * gamma  (t &gt; 0)  =  base_lr * gamma^t    (closed form)
 * </pre>
 *
 * <p>Arguments: gamma (required).
 */
public final class ExponentialLR extends LRScheduler {
    private final double gamma;

    public ExponentialLR(Optimizer optimizer, double gamma) {
        super(optimizer);
        this.gamma = gamma;
        start();
    }

    @Override
    protected double[] computeLr() {
        return lastEpoch == 0 ? unchanged() : scaled(gamma);
    }

    @Override
    protected double[] closedFormLr() {
        double[] out = new double[baseLrs.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = baseLrs[i] * Math.pow(gamma, lastEpoch);
        }
        return out;
    }
}
