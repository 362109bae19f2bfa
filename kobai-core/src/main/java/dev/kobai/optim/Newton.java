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

/**
 * Damped Newton's method on the full P x P curvature matrix, for small models:
 * <pre>
 *   solve (C + damping I) d = g,   w = w - lr t d
 * </pre>
 * with C the exact Hessian or the generalised Gauss-Newton matrix and t from an optional Armijo
 * line search. Cost per step: P + 1 backward passes to build C, O(P^3) to solve.
 *
 * <p>Options (defaults): lr=1.0; damping=1e-8 (asdl's default); curvature=hessian
 * (or gauss-newton, which needs a {@link CurvatureProblem}); indefinite=none: plain Newton, solving
 * with H as it stands by symmetric eigendecomposition (a pseudo-inverse on the null space), which is
 * what the lecture's Newton does and is attracted to saddle points (shift: Cholesky, and on failure
 * the damping is multiplied by 10 and the solve retried, so every step descends; saddle-free: use
 * |H| = Q |Lambda| Q^T, Dauphin et al. 2014); line_search=false (Armijo backtracking from t = 1, c = 1e-4, halving);
 * adapt_damping=false (Levenberg-Marquardt: rho = actual / predicted reduction, damping x 3/2 when
 * rho &lt; 1/4, x 2/3 when rho &gt; 3/4); max_params=2000 (above it Newton refuses and points to
 * hessian-free).
 *
 * <p>What it needs: {@link #step(Closure)} must get a closure. A {@link LossClosure} (returning the
 * loss tensor) gives the exact Hessian by double backward; a plain closure, which only leaves
 * gradients behind, gives a Hessian from central differences of gradients (2P evaluations,
 * accurate to about 1e-8 relative in float64), enough for 2-D surfaces. Built with a
 * {@link CurvatureProblem} it uses the problem and ignores the closure's loss. With a problem or a
 * LossClosure it computes the gradient itself and calls the closure's
 * {@link Optimizer.Closure#afterGradients} with it before building the curvature or moving, so a
 * caller's checks and clipping apply (the step follows a clipped gradient).
 *
 * <p>With a {@link ShardedCurvature.Closure} (data-parallel training) the gradient, the losses and
 * the dense Hessian or Gauss-Newton matrix are the shards' sums, added in shard order, instead of
 * the problem's.
 *
 * <p>Typed construction (the map constructors and {@code Optimizers.create("spec", ...)} take the
 * same options):
 *
 * {@snippet :
 * Newton newton = Newton.builder().damping(1e-4).indefinite("saddle-free").lineSearch(true)
 *         .build(CurvatureProblem.of(model, LossKind.CROSS_ENTROPY, inputs, targets));
 * double loss = newton.step(null);
 * }
 */
public final class Newton extends Optimizer implements CurvatureOptimizer {
    /** {@code lr}: the step length; default 1.0. */
    public static final Option<Double> LR = Option.number("lr", 1.0)
            .check(SecondOrderSupport.nonNegative("lr"));
    /** {@code damping}: added to the curvature's diagonal; default 1e-8. */
    public static final Option<Double> DAMPING = Option.number("damping", 1e-8)
            .check(SecondOrderSupport.nonNegative("damping"));
    /** {@code curvature}: hessian, or gauss-newton (needs a CurvatureProblem); default "hessian". */
    public static final Option<String> CURVATURE = Option.string("curvature", "hessian");
    /** {@code indefinite}: none, shift or saddle-free: what to do with negative curvature; default "none". */
    public static final Option<String> INDEFINITE = Option.string("indefinite", "none");
    /** {@code line_search}: Armijo backtracking from t = 1; default false. */
    public static final Option<Boolean> LINE_SEARCH = Option.bool("line_search", false);
    /** {@code adapt_damping}: Levenberg-Marquardt adaptation of the damping; default false. */
    public static final Option<Boolean> ADAPT_DAMPING = Option.bool("adapt_damping", false);
    /** {@code max_params}: the largest model Newton accepts; default 2000. */
    public static final Option<Integer> MAX_PARAMS = Option.integer("max_params", 2000)
            .wholeAtLeast(1, SecondOrderSupport.wholeMessage("max_params", 1));
    /**
     * The options with their defaults and checks: the one
     * table behind {@link #builder()}, the spec {@code newton:...}, {@link #defaultOptions()} and
     * the checks on every group.
     */
    public static final OptionTable OPTIONS = OptionTable.of(LR, DAMPING, CURVATURE, INDEFINITE, LINE_SEARCH,
            ADAPT_DAMPING, MAX_PARAMS);

    private final CurvatureProblem problem;

    /** Newton over plain parameters; step with a closure. */
    public Newton(List<Parameter> params, Map<String, Object> options) {
        this(single(params, options), null);
    }

    /** Newton on a curvature problem (needed for curvature=gauss-newton). */
    public Newton(CurvatureProblem problem, Map<String, Object> options) {
        this(single(problem.parameters(), options), problem);
    }

    private Newton(List<ParamGroup> groups, CurvatureProblem problem) {
        super(groups, OPTIONS, Map.of());
        SecondOrderSupport.requireSingleGroup("newton", groups);
        this.problem = problem;
        if (problem == null && paramGroups().get(0).get("curvature").equals("gauss-newton")) {
            throw new UsageException("newton: curvature=gauss-newton needs the model outputs and loss kind; construct "
                    + "new Newton(CurvatureProblem, options) in Java, or use curvature=hessian");
        }
    }

    /** For the registry: plain parameters. */
    public static Newton withGroups(List<ParamGroup> groups) {
        SecondOrderSupport.requireSingleGroup("newton", groups);
        return new Newton(groups, null);
    }

    /** The defaults of {@link #OPTIONS} by torch's names. */
    public static Map<String, Object> defaultOptions() {
        return OPTIONS.defaults();
    }

    @Override
    protected void validate(ParamGroup g) {
        g.set("curvature", SecondOrderSupport.choice(g, "curvature", "hessian", "gauss-newton"));
        g.set("indefinite", SecondOrderSupport.choice(g, "indefinite", "shift", "none", "saddle-free"));
        int p = 0;
        for (Parameter q : g.params()) {
            p += q.numel();
        }
        if (p > g.get(MAX_PARAMS)) {
            throw new UsageException("newton builds the full " + p + " x " + p + " Hessian and this model has " + p
                    + " parameters, above max_params=" + g.get("max_params")
                    + "; use hessian-free (or natural, kfac) for larger models, or raise max_params");
        }
    }

    /** The damping the next step starts from (changes with adapt_damping). */
    public double currentDamping() {
        ParamGroup g = paramGroups().get(0);
        Object s = parameterState(g.params().get(0)).get("damping");
        return s == null ? g.getDouble("damping") : (Double) s;
    }

    /** Loss, gradient and curvature at the current point. */
    private record Local(double loss, double[] grad, double[][] curvature) {}

    /**
     * With a problem or a LossClosure, the gradient is shown to the closure's afterGradients (which
     * may stop the step, or clip) before the curvature is built.
     */
    private Local local(Closure closure, List<Parameter> ps, boolean gaussNewton) {
        if (closure instanceof ShardedCurvature.Closure sharded) {
            // the shards' mean gradient (checked and clipped by the closure) and their summed matrices
            double value = sharded.gradients();
            double[] g = ParamVectors.grads(ps);
            ShardedCurvature.Mean c = sharded.compute(ShardedCurvature.Request.matrix(gaussNewton
                    ? ShardedCurvature.Kind.GAUSS_NEWTON : ShardedCurvature.Kind.HESSIAN));
            return new Local(value, g, c.matrix(g.length));
        }
        if (problem != null) {
            Tensor l = problem.loss();
            double value = l.item();
            double[] g = SecondOrderSupport.afterGradients(closure, ps, value, Curvature.gradient(l, ps));
            double[][] c = gaussNewton ? problem.gaussNewton() : Curvature.hessian(l, ps);
            return new Local(value, g, c);
        }
        if (closure instanceof LossClosure lc) {
            try (GradMode.Scope _ = GradMode.set(true)) {
                Tensor l = lc.loss();
                double value = l.item();
                double[] g = SecondOrderSupport.afterGradients(closure, ps, value, Curvature.gradient(l, ps));
                return new Local(value, g, Curvature.hessian(l, ps));
            }
        }
        double loss = SecondOrderSupport.evaluate(closure, ps);
        double[] g = ParamVectors.grads(ps);
        double[] w0 = ParamVectors.values(ps);
        int n = w0.length;
        double[][] h = new double[n][];
        double[] col = new double[n];
        for (int i = 0; i < n; i++) {
            double step = 6e-6 * Math.max(1, Math.abs(w0[i]));
            double[] w = w0.clone();
            w[i] = w0[i] + step;
            ParamVectors.set(ps, w);
            double[] gp = SecondOrderSupport.closureGradient(closure, ps);
            w[i] = w0[i] - step;
            ParamVectors.set(ps, w);
            double[] gm = SecondOrderSupport.closureGradient(closure, ps);
            for (int j = 0; j < n; j++) {
                col[j] = (gp[j] - gm[j]) / (2 * step);
            }
            h[i] = col.clone();
        }
        ParamVectors.set(ps, w0);
        SecondOrderSupport.storeGradient(ps, g);
        return new Local(loss, g, DenseMatrices.symmetrize(h));
    }

    private double lossAt(Closure closure, List<Parameter> ps) {
        if (closure instanceof ShardedCurvature.Closure sharded) {
            return sharded.compute(ShardedCurvature.Request.loss()).loss();
        }
        if (problem != null) {
            return problem.lossValue();
        }
        if (closure instanceof LossClosure lc) {
            try (GradMode.Scope _ = GradMode.noGrad()) {
                return lc.loss().item();
            }
        }
        return SecondOrderSupport.evaluate(closure, ps);
    }

    @Override
    public CurvatureProblem problem() {
        return problem;
    }

    @Override
    public double step(Closure closure) {
        if (closure == null && problem == null) {
            throw new UsageException("newton needs a closure that re-evaluates the loss: step(closure)");
        }
        ParamGroup g = SecondOrderSupport.onlyGroup(this);
        List<Parameter> ps = g.params();
        double lr = g.getDouble("lr");
        String mode = (String) g.get("indefinite");
        boolean gaussNewton = g.get("curvature").equals("gauss-newton");
        Map<String, Object> st = parameterState(ps.get(0));
        double damping = currentDamping();

        Local at = local(closure, ps, gaussNewton);
        double[] grad = at.grad();
        double[][] c = at.curvature();
        double[] d = solve(c, grad, damping, mode);

        double[] s = DenseMatrices.scale(-lr, d);
        double slope = DenseMatrices.dot(grad, s);
        double[] w0 = ParamVectors.values(ps);
        double t = 1;
        double fNew = Double.NaN;
        if (g.getBoolean("line_search") && slope < 0) {
            for (int i = 0; i < 60; i++) {
                ParamVectors.set(ps, w0);
                ParamVectors.add(ps, t, s);
                fNew = lossAt(closure, ps);
                if (fNew <= at.loss() + 1e-4 * t * slope) {
                    break;
                }
                t *= 0.5;
            }
        }
        ParamVectors.set(ps, w0);
        ParamVectors.add(ps, t, s);
        if (g.getBoolean("adapt_damping")) {
            if (Double.isNaN(fNew)) {
                fNew = lossAt(closure, ps);
            }
            double[] ts = DenseMatrices.scale(t, s);
            double predicted = DenseMatrices.dot(grad, ts) + 0.5 * DenseMatrices.dot(ts, DenseMatrices.multiply(c, ts));
            double rho = predicted < 0 ? (fNew - at.loss()) / predicted : Double.NEGATIVE_INFINITY;
            if (rho < 0.25) {
                damping = Math.max(damping, 1e-12) * 1.5;
            } else if (rho > 0.75) {
                damping *= 2.0 / 3.0;
            }
            st.put("damping", damping);
        }
        return at.loss();
    }

    /** The Newton direction d with (C + damping) d = g, per the indefinite mode. */
    static double[] solve(double[][] c, double[] grad, double damping, String mode) {
        if (mode.equals("shift")) {
            double lambda = damping;
            double scale = 0;
            for (int i = 0; i < c.length; i++) {
                scale = Math.max(scale, Math.abs(c[i][i]));
            }
            for (int tries = 0; tries < 80; tries++) {
                double[][] l = DenseMatrices.cholesky(c, lambda);
                if (l != null) {
                    return DenseMatrices.choleskySolve(l, grad);
                }
                lambda = lambda > 0 ? lambda * 10 : 1e-10 * Math.max(scale, 1);
            }
            throw new IllegalStateException("newton: no damping made the curvature positive definite");
        }
        DenseMatrices.Eigen e = DenseMatrices.symmetricEigen(c);
        double top = 0;
        for (double v : e.values()) {
            top = Math.max(top, Math.abs(v));
        }
        double floor = 1e-14 * Math.max(top, 1e-300);
        boolean absolute = mode.equals("saddle-free");
        return DenseMatrices.spectralApply(e, lam -> {
            double m = (absolute ? Math.abs(lam) : lam) + damping;
            return Math.abs(m) <= floor ? 0 : 1 / m; // a pseudo-inverse on the null space
        }, grad);
    }

    /** A builder with torch's defaults: one typed method per option of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Typed settings of {@link Newton}, with torch's defaults and checks (run when built); see
     * {@link OptimizerBuilder} for groups.
     */
    public static final class Builder extends OptimizerBuilder<Builder, Newton> {
        private Builder() {
            super("Newton", OPTIONS, Builder::new, (s, groups) -> Newton.withGroups(groups));
        }

        /** Sets {@code lr}: the step length; default 1.0. */
        public Builder lr(double value) {
            return set(LR, value);
        }

        /** Sets {@code damping}: added to the curvature's diagonal; default 1e-8. */
        public Builder damping(double value) {
            return set(DAMPING, value);
        }

        /** Sets {@code curvature}: hessian, or gauss-newton (needs a CurvatureProblem); default "hessian". */
        public Builder curvature(String value) {
            return set(CURVATURE, value);
        }

        /** Sets {@code indefinite}: none, shift or saddle-free: what to do with negative curvature; default "none". */
        public Builder indefinite(String value) {
            return set(INDEFINITE, value);
        }

        /** Sets {@code line_search}: Armijo backtracking from t = 1; default false. */
        public Builder lineSearch(boolean value) {
            return set(LINE_SEARCH, value);
        }

        /** Sets {@code adapt_damping}: Levenberg-Marquardt adaptation of the damping; default false. */
        public Builder adaptDamping(boolean value) {
            return set(ADAPT_DAMPING, value);
        }

        /** Sets {@code max_params}: the largest model Newton accepts; default 2000. */
        public Builder maxParams(int value) {
            return set(MAX_PARAMS, value);
        }

        /**
         * Builds the optimizer on a curvature problem (the model, its loss kind and a batch), with
         * the builder's settings; it takes no further groups.
         */
        public Newton build(CurvatureProblem problem) {
            requireSingleGroup("newton");
            return new Newton(problem, settings());
        }
    }
}
