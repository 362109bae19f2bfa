package dev.kobai.optim;

import dev.kobai.UsageException;
import dev.kobai.curvature.Curvature;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.DenseMatrices;
import dev.kobai.curvature.ParamVectors;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Hessian-free optimization (Martens 2010): each step minimises the damped quadratic model
 * q(p) = g^T p + p^T (G + damping I) p / 2 by truncated conjugate gradients on curvature-vector
 * products, never forming the matrix.
 *
 * <ul>
 *   <li>G is the generalised Gauss-Newton matrix (positive semi-definite) from a
 *       {@link CurvatureProblem}; over plain parameters it is the Hessian, computed by double
 *       backward from a {@link LossClosure}, and CG stops at the first direction of non-positive
 *       curvature.</li>
 *   <li>CG starts from warm_start times the previous step's CG solution, and stops by Martens'
 *       relative-progress rule (k = max(10, i/10), epsilon cg_epsilon) or after cg_max_iters.</li>
 *   <li>Backtracking over CG iterates: of the iterates kept at i = ceil(1.3^j), the one with the
 *       lowest loss, searching back from the last while the loss keeps falling.</li>
 *   <li>Levenberg-Marquardt damping: rho = (f(w + p) - f(w)) / (q(p) - q(0)) with the undamped
 *       model; damping x 3/2 when rho &lt; 1/4, x 2/3 when rho &gt; 3/4.</li>
 *   <li>Armijo line search from t = lr: shrink by 0.8 until f(w + t p) &lt;= f(w) + 0.01 t g^T p.</li>
 * </ul>
 * Options (defaults): lr=1.0, damping=1.0, adapt_damping=true, cg_max_iters=250,
 * cg_epsilon=5e-4, warm_start=0.95, backtrack=true, line_search=true. Cost per step: two to three
 * backward passes per CG iteration, plus one forward pass per backtracking or line-search trial.
 *
 * <p>{@link #step(Closure)} computes the gradient itself and calls the closure's
 * {@link Optimizer.Closure#afterGradients} with it before CG and before any state or weight
 * changes, so a caller's checks and clipping apply (CG and the line search use a clipped gradient).
 *
 * <p>With a {@link ShardedCurvature.Closure} (data-parallel training) the gradient, the
 * Gauss-Newton products (the Hessian's over plain parameters) and the losses of backtracking and
 * line search are the shards' sums, added in shard order, instead of the problem's.
 *
 * <p>Typed construction (the map constructors and {@code Optimizers.create("spec", ...)} take the
 * same options):
 *
 * {@snippet :
 * HessianFree hf = HessianFree.builder().damping(0.5).cgMaxIters(50)
 *         .build(CurvatureProblem.of(model, LossKind.CROSS_ENTROPY, inputs, targets));
 * double loss = hf.step(null);
 * }
 */
public final class HessianFree extends Optimizer implements CurvatureOptimizer {
    /** {@code lr}: the step length; default 1.0. */
    public static final Option<Double> LR = Option.number("lr", 1.0)
            .check(SecondOrderSupport.positive("lr"));
    /** {@code damping}: the initial Tikhonov damping; default 1.0. */
    public static final Option<Double> DAMPING = Option.number("damping", 1.0)
            .check(SecondOrderSupport.nonNegative("damping"));
    /** {@code adapt_damping}: Levenberg-Marquardt adaptation of the damping; default true. */
    public static final Option<Boolean> ADAPT_DAMPING = Option.bool("adapt_damping", true);
    /** {@code cg_max_iters}: the most conjugate-gradient iterations a step; default 250. */
    public static final Option<Integer> CG_MAX_ITERS = Option.integer("cg_max_iters", 250)
            .wholeAtLeast(1, SecondOrderSupport.wholeMessage("cg_max_iters", 1));
    /** {@code cg_epsilon}: Martens' relative progress tolerance of CG; default 5e-4. */
    public static final Option<Double> CG_EPSILON = Option.number("cg_epsilon", 5e-4)
            .check(SecondOrderSupport.nonNegative("cg_epsilon"));
    /** {@code warm_start}: the factor on the previous direction CG starts from; default 0.95. */
    public static final Option<Double> WARM_START = Option.number("warm_start", 0.95)
            .check(SecondOrderSupport.inRange("warm_start", 0, 1));
    /** {@code backtrack}: CG backtracking over the iterates; default true. */
    public static final Option<Boolean> BACKTRACK = Option.bool("backtrack", true);
    /** {@code line_search}: Armijo backtracking line search; default true. */
    public static final Option<Boolean> LINE_SEARCH = Option.bool("line_search", true);
    /**
     * The options with their defaults and checks: the one
     * table behind {@link #builder()}, the spec {@code hessianfree:...}, {@link #defaultOptions()} and
     * the checks on every group.
     */
    public static final OptionTable OPTIONS = OptionTable.of(LR, DAMPING, ADAPT_DAMPING, CG_MAX_ITERS, CG_EPSILON,
            WARM_START, BACKTRACK, LINE_SEARCH);

    private final CurvatureProblem problem;

    public HessianFree(CurvatureProblem problem, Map<String, Object> options) {
        this(single(problem.parameters(), options), problem);
    }

    /** Over plain parameters: the Hessian, from a {@link LossClosure} given to {@link #step}. */
    public HessianFree(List<Parameter> params, Map<String, Object> options) {
        this(single(params, options), null);
    }

    private HessianFree(List<ParamGroup> groups, CurvatureProblem problem) {
        super(groups, OPTIONS, Map.of());
        SecondOrderSupport.requireSingleGroup("hessian-free", groups);
        this.problem = problem;
    }

    public static HessianFree withGroups(List<ParamGroup> groups) {
        SecondOrderSupport.requireSingleGroup("hessian-free", groups);
        return new HessianFree(groups, null);
    }

    /** The defaults of {@link #OPTIONS} by torch's names. */
    public static Map<String, Object> defaultOptions() {
        return OPTIONS.defaults();
    }

    /** The damping the next step uses. */
    public double currentDamping() {
        ParamGroup g = paramGroups().get(0);
        Object s = parameterState(g.params().get(0)).get("damping");
        return s == null ? g.getDouble("damping") : (Double) s;
    }

    private double lossAt(Closure closure) {
        if (closure instanceof ShardedCurvature.Closure sharded) {
            return sharded.compute(ShardedCurvature.Request.loss()).loss();
        }
        if (problem != null) {
            return problem.lossValue();
        }
        try (GradMode.Scope _ = GradMode.noGrad()) {
            return ((LossClosure) closure).loss().item();
        }
    }

    @Override
    public CurvatureProblem problem() {
        return problem;
    }

    @Override
    public double step(Closure closure) {
        ShardedCurvature.Closure sharded = closure instanceof ShardedCurvature.Closure c ? c : null;
        LossClosure lc = null;
        if (problem == null && sharded == null) {
            if (!(closure instanceof LossClosure c)) {
                throw new UsageException("hessian-free over plain parameters needs a LossClosure (a closure returning the "
                        + "loss tensor) for Hessian-vector products; or construct new HessianFree(CurvatureProblem, "
                        + "options) to use Gauss-Newton products");
            }
            lc = c;
        }
        ParamGroup g = SecondOrderSupport.onlyGroup(this);
        List<Parameter> ps = g.params();
        Map<String, Object> st = parameterState(ps.get(0));
        double lambda = currentDamping();

        UnaryOperator<double[]> curvature;
        double f0;
        double[] grad;
        if (sharded != null) {
            // the shards' mean gradient (checked and clipped by the closure) and their summed products
            f0 = sharded.gradients();
            grad = ParamVectors.grads(ps);
            ShardedCurvature.Kind kind = problem != null ? ShardedCurvature.Kind.GAUSS_NEWTON
                    : ShardedCurvature.Kind.HESSIAN;
            curvature = v -> sharded.compute(ShardedCurvature.Request.product(kind, v)).values();
        } else {
            Tensor loss;
            if (problem != null) {
                Tensor z = problem.outputs();
                loss = problem.loss(z);
                curvature = v -> problem.gaussNewtonVector(z, v);
            } else {
                try (GradMode.Scope _ = GradMode.set(true)) {
                    loss = lc.loss();
                }
                Tensor l = loss;
                curvature = v -> Curvature.hessianVector(l, ps, v);
            }
            f0 = loss.item();
            grad = SecondOrderSupport.afterGradients(closure, ps, f0, Curvature.gradient(loss, ps));
        }
        double[] negGrad = DenseMatrices.scale(-1, grad);
        double[] prev = (double[]) st.get("cg_solution");
        double[] x0 = prev == null ? null : DenseMatrices.scale(g.getDouble("warm_start"), prev);
        double lam = lambda;
        DenseMatrices.CgResult cg = DenseMatrices.conjugateGradient(v -> {
            double[] av = curvature.apply(v);
            DenseMatrices.axpy(lam, v, av);
            return av;
        }, negGrad, x0, (int) g.getDouble("cg_max_iters"), 1e-12, g.getDouble("cg_epsilon"));
        st.put("cg_solution", cg.solution().clone());
        st.put("cg_iterations", cg.iterations());

        double[] w0 = ParamVectors.values(ps);
        // backtracking over the kept CG iterates
        List<double[]> saved = cg.saved();
        int best = saved.size() - 1;
        Closure evaluator = sharded != null ? sharded : lc;
        double fBest = trial(ps, w0, saved.get(best), 1, evaluator);
        if (g.getBoolean("backtrack")) {
            for (int i = best - 1; i >= 0; i--) {
                double f = trial(ps, w0, saved.get(i), 1, evaluator);
                if (f >= fBest) {
                    break;
                }
                fBest = f;
                best = i;
            }
        }
        double[] p = saved.get(best);
        if (g.getBoolean("adapt_damping")) {
            double predicted = DenseMatrices.dot(grad, p) + 0.5 * DenseMatrices.dot(p, curvature.apply(p));
            double rho = predicted < 0 ? (fBest - f0) / predicted : Double.NEGATIVE_INFINITY;
            if (rho < 0.25) {
                lambda = Math.max(lambda, 1e-8) * 1.5;
            } else if (rho > 0.75) {
                lambda *= 2.0 / 3.0;
            }
            st.put("damping", lambda);
        }
        double t = g.getDouble("lr");
        double slope = DenseMatrices.dot(grad, p);
        if (!(slope < 0)) {
            t = 0; // not a descent direction (possible from a warm start): skip, and start CG afresh next time
            st.remove("cg_solution");
        } else if (g.getBoolean("line_search")) {
            double f = t == 1 ? fBest : trial(ps, w0, p, t, evaluator);
            int tries = 0;
            while (!(f <= f0 + 0.01 * t * slope) && tries++ < 60) {
                t *= 0.8;
                f = trial(ps, w0, p, t, evaluator);
            }
            if (!(f <= f0 + 0.01 * t * slope)) {
                t = 0; // no acceptable step along p: stay, the raised damping shortens the next one
            }
        }
        ParamVectors.set(ps, w0);
        ParamVectors.add(ps, t, p);
        return f0;
    }

    private double trial(List<Parameter> ps, double[] w0, double[] p, double t, Closure lc) {
        ParamVectors.set(ps, w0);
        ParamVectors.add(ps, t, p);
        double f = lossAt(lc);
        ParamVectors.set(ps, w0);
        return Double.isNaN(f) ? Double.POSITIVE_INFINITY : f;
    }

    /** A builder with torch's defaults: one typed method per option of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Typed settings of {@link HessianFree}, with torch's defaults and checks (run when built); see
     * {@link OptimizerBuilder} for groups.
     */
    public static final class Builder extends OptimizerBuilder<Builder, HessianFree> {
        private Builder() {
            super("HessianFree", OPTIONS, Builder::new, (s, groups) -> HessianFree.withGroups(groups));
        }

        /** Sets {@code lr}: the step length; default 1.0. */
        public Builder lr(double value) {
            return set(LR, value);
        }

        /** Sets {@code damping}: the initial Tikhonov damping; default 1.0. */
        public Builder damping(double value) {
            return set(DAMPING, value);
        }

        /** Sets {@code adapt_damping}: Levenberg-Marquardt adaptation of the damping; default true. */
        public Builder adaptDamping(boolean value) {
            return set(ADAPT_DAMPING, value);
        }

        /** Sets {@code cg_max_iters}: the most conjugate-gradient iterations a step; default 250. */
        public Builder cgMaxIters(int value) {
            return set(CG_MAX_ITERS, value);
        }

        /** Sets {@code cg_epsilon}: Martens' relative progress tolerance of CG; default 5e-4. */
        public Builder cgEpsilon(double value) {
            return set(CG_EPSILON, value);
        }

        /** Sets {@code warm_start}: the factor on the previous direction CG starts from; default 0.95. */
        public Builder warmStart(double value) {
            return set(WARM_START, value);
        }

        /** Sets {@code backtrack}: CG backtracking over the iterates; default true. */
        public Builder backtrack(boolean value) {
            return set(BACKTRACK, value);
        }

        /** Sets {@code line_search}: Armijo backtracking line search; default true. */
        public Builder lineSearch(boolean value) {
            return set(LINE_SEARCH, value);
        }

        /**
         * Builds the optimizer on a curvature problem (the model, its loss kind and a batch), with
         * the builder's settings; it takes no further groups.
         */
        public HessianFree build(CurvatureProblem problem) {
            requireSingleGroup("hessian-free");
            return new HessianFree(problem, settings());
        }
    }
}
