package dev.kobai.optim.scheduler;

import dev.kobai.UsageException;
import dev.kobai.optim.Optimizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import java.util.function.IntToDoubleFunction;

/**
 * Sets each group's learning rate to its base rate times a function of the epoch
 * (torch.optim.lr_scheduler.LambdaLR):
 *
 * <pre>
 *   lr_t = base_lr * lambda(t)
 * </pre>
 *
 * <p>Arguments: one function for every group, or one per group. Library only: the command line
 * has no spec form for it (a function is code, not a value).
 */
public final class LambdaLR extends LRScheduler {
    private final List<IntToDoubleFunction> lambdas;

    /** One function for every group. */
    public LambdaLR(Optimizer optimizer, IntToDoubleFunction lrLambda) {
        this(optimizer, Collections.nCopies(optimizer.paramGroups().size(), lrLambda), true);
    }

    /** One function for every group, taking the epoch as a double. */
    public static LambdaLR of(Optimizer optimizer, DoubleUnaryOperator lrLambda) {
        return new LambdaLR(optimizer, epoch -> lrLambda.applyAsDouble(epoch));
    }

    /** One function per group. */
    public LambdaLR(Optimizer optimizer, List<? extends IntToDoubleFunction> lrLambdas) {
        this(optimizer, lrLambdas, false);
    }

    private LambdaLR(Optimizer optimizer, List<? extends IntToDoubleFunction> lrLambdas, boolean shared) {
        super(optimizer);
        int groups = optimizer.paramGroups().size();
        if (!shared && lrLambdas.size() != groups) {
            throw new UsageException("Expected " + groups + " lr_lambdas, but got " + lrLambdas.size());
        }
        this.lambdas = new ArrayList<>(lrLambdas);
        start();
    }

    @Override
    protected double[] computeLr() {
        double[] out = new double[baseLrs.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = baseLrs[i] * lambdas.get(i).applyAsDouble(lastEpoch);
        }
        return out;
    }
}
