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
 */
public final class Newton extends Optimizer implements CurvatureOptimizer {
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
        super(groups, defaultOptions());
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

    public static Map<String, Object> defaultOptions() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("lr", 1.0);
        d.put("damping", 1e-8);
        d.put("curvature", "hessian");
        d.put("indefinite", "none");
        d.put("line_search", false);
        d.put("adapt_damping", false);
        d.put("max_params", 2000);
        return d;
    }

    @Override
    protected void validate(ParamGroup g) {
        SecondOrderSupport.requireNonNegative(g, "lr");
        SecondOrderSupport.requireNonNegative(g, "damping");
        g.set("curvature", SecondOrderSupport.choice(g, "curvature", "hessian", "gauss-newton"));
        g.set("indefinite", SecondOrderSupport.choice(g, "indefinite", "shift", "none", "saddle-free"));
        SecondOrderSupport.requireWhole(g, "max_params", 1);
        int p = 0;
        for (Parameter q : g.params()) {
            p += q.numel();
        }
        if (p > g.getDouble("max_params")) {
            throw new UsageException("newton builds the full " + p + " x " + p + " Hessian and this model has " + p
                    + " parameters, above max_params=" + g.get("max_params")
                    + "; use hessian-free (or natural, kfac) for larger models, or raise max_params");
        }
    }

    /** The damping the next step starts from (changes with adapt_damping). */
    public double currentDamping() {
        ParamGroup g = paramGroups().get(0);
        Object s = state(g.params().get(0)).get("damping");
        return s == null ? g.getDouble("damping") : (Double) s;
    }

    /** Loss, gradient and curvature at the current point. */
    private record Local(double loss, double[] grad, double[][] curvature) {}

    /**
     * With a problem or a LossClosure, the gradient is shown to the closure's afterGradients (which
     * may stop the step, or clip) before the curvature is built.
     */
    private Local local(Closure closure, List<Parameter> ps, boolean gaussNewton) {
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
        Map<String, Object> st = state(ps.get(0));
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
}
