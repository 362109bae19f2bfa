package dev.kobai.optim;

import dev.kobai.curvature.CurvatureProblem;

/**
 * An optimizer that works on a {@link CurvatureProblem} (model outputs, loss kind and a batch)
 * rather than on a loss closure alone: natural gradient and K-FAC always, Newton and Hessian-free
 * when built on one. A training loop sets each minibatch on the problem before the step.
 */
public interface CurvatureOptimizer {
    /** The problem, or null when the optimizer was built on plain parameters and works from closures. */
    CurvatureProblem problem();
}
