package dev.kobai.optim;

import dev.kobai.tensor.Tensor;

/**
 * A closure that returns the loss as a recorded tensor, so second-order optimizers can
 * differentiate it twice (exact Hessian-vector products by double backward). Its
 * {@link #evaluate()} backpropagates into the parameters' grad as an ordinary closure does.
 *
 * <pre>{@code
 * newton.step((LossClosure) () -> Losses.crossEntropy(model.forward(x), y));
 * }</pre>
 */
@FunctionalInterface
public interface LossClosure extends Optimizer.Closure {
    /** Computes the loss at the current parameters, with recording on. */
    Tensor loss();

    @Override
    default double evaluate() {
        Tensor l = loss();
        l.backward();
        return l.item();
    }
}
