package dev.kobai.optim;

import dev.kobai.UsageException;
import dev.kobai.curvature.Curvature;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.DenseMatrices;
import dev.kobai.curvature.FisherType;
import dev.kobai.curvature.ParamVectors;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Natural gradient descent (Amari 1998): w = w - lr (F + damping I)^-1 g, with F the Fisher
 * information of the model's predictive distribution.
 *
 * <p>It needs a model with a predictive distribution: construct it with a {@link CurvatureProblem}
 * (parameters, outputs z, loss kind, targets). A bare loss surface has no Fisher, so the registry
 * entry {@code natural} refuses plain parameters.
 *
 * <p>Options (defaults): lr=1.0; damping=1e-3 (needed: the softmax Fisher is singular);
 * fisher=true (exact expectation over the model's predictive distribution, which for the losses of
 * {@link dev.kobai.curvature.LossKind} is the Gauss-Newton matrix; mc: Monte-Carlo with
 * mc_samples draws of targets from the model; empirical: the data's labels, which Kunstner et al.
 * 2019 show is not a curvature estimate); mc_samples=1; solver=auto (dense Cholesky when
 * P &lt;= max_dense, else conjugate gradients on Fisher-vector products); max_dense=2000;
 * cg_iters=100; cg_tol=1e-10; seed=0 (for Monte-Carlo sampling). Its state dict holds the
 * generator's state ({@code generator} under the first parameter), so a run resumed from it draws
 * the same targets.
 *
 * <p>Cost per step: dense, N K backward passes for the Jacobian and O(P^2 N K + P^3); CG, about
 * three backward passes per iteration. {@link #step(Closure)} ignores the closure's value (the
 * problem computes the loss) and returns the loss before the step; it calls the closure's
 * {@link Optimizer.Closure#afterGradients} with the gradient before the Fisher is built or the
 * weights move, so a caller's checks and clipping apply (the step follows a clipped gradient).
 *
 * <p>With a {@link ShardedCurvature.Closure} (data-parallel training) the gradient and the Fisher
 * (dense, or its products for CG) are the shards' sums, added in shard order, instead of the
 * problem's; a Monte-Carlo Fisher then draws one seed a step from the generator, and shard s
 * samples its targets from seed + s.
 *
 * <p>Typed construction (the map constructors and {@code Optimizers.create("spec", ...)} take the
 * same options):
 *
 * {@snippet :
 * NaturalGradient ng = NaturalGradient.builder().lr(0.5).damping(1e-2).solver("cg")
 *         .build(CurvatureProblem.of(model, LossKind.CROSS_ENTROPY, inputs, targets));
 * double loss = ng.step(null);
 * }
 */
public final class NaturalGradient extends Optimizer implements CurvatureOptimizer {
    /** {@code lr}: the step length; default 1.0. */
    public static final Option<Double> LR = Option.number("lr", 1.0)
            .check(SecondOrderSupport.nonNegative("lr"));
    /** {@code damping}: added to the Fisher's diagonal; default 1e-3. */
    public static final Option<Double> DAMPING = Option.number("damping", 1e-3)
            .check(SecondOrderSupport.nonNegative("damping"));
    /** {@code fisher}: true, mc or empirical: how the Fisher is estimated; default "true". */
    public static final Option<String> FISHER = Option.string("fisher", "true");
    /** {@code mc_samples}: sampled targets per example for fisher=mc; default 1. */
    public static final Option<Integer> MC_SAMPLES = Option.integer("mc_samples", 1)
            .wholeAtLeast(1, SecondOrderSupport.wholeMessage("mc_samples", 1));
    /** {@code solver}: auto, dense or cg; default "auto". */
    public static final Option<String> SOLVER = Option.string("solver", "auto");
    /** {@code max_dense}: the most parameters solver=auto solves densely; default 2000. */
    public static final Option<Integer> MAX_DENSE = Option.integer("max_dense", 2000)
            .wholeAtLeast(1, SecondOrderSupport.wholeMessage("max_dense", 1));
    /** {@code cg_iters}: the most CG iterations; default 100. */
    public static final Option<Integer> CG_ITERS = Option.integer("cg_iters", 100)
            .wholeAtLeast(1, SecondOrderSupport.wholeMessage("cg_iters", 1));
    /** {@code cg_tol}: CG's relative residual tolerance; default 1e-10. */
    public static final Option<Double> CG_TOL = Option.number("cg_tol", 1e-10)
            .check(SecondOrderSupport.nonNegative("cg_tol"));
    /** {@code seed}: the generator of the sampled targets; default 0. */
    public static final Option<Integer> SEED = Option.integer("seed", 0)
            .wholeAtLeast(0, SecondOrderSupport.wholeMessage("seed", 0));
    /**
     * The options with their defaults and checks: the one
     * table behind {@link #builder()}, the spec {@code naturalgradient:...}, {@link #defaultOptions()} and
     * the checks on every group.
     */
    public static final OptionTable OPTIONS = OptionTable.of(LR, DAMPING, FISHER, MC_SAMPLES, SOLVER, MAX_DENSE,
            CG_ITERS, CG_TOL, SEED);

    private final CurvatureProblem problem;
    private final Rng rng;

    public NaturalGradient(CurvatureProblem problem, Map<String, Object> options) {
        super(single(problem.parameters(), options), OPTIONS, Map.of());
        SecondOrderSupport.requireSingleGroup("natural", paramGroups());
        this.problem = problem;
        this.rng = new Rng((long) paramGroups().get(0).getDouble("seed"));
    }

    /** For the registry: plain parameters have no predictive distribution, so this refuses. */
    public static NaturalGradient withGroups(List<ParamGroup> groups) {
        throw new UsageException("natural gradient needs a model with a predictive distribution (its Fisher "
                + "information is an expectation over the model's outputs), not a bare loss surface; from Java, "
                + "construct new NaturalGradient(CurvatureProblem.of(model, lossKind, inputs, targets), options); "
                + "on a surface use newton or hessian-free");
    }

    /** The defaults of {@link #OPTIONS} by torch's names. */
    public static Map<String, Object> defaultOptions() {
        return OPTIONS.defaults();
    }

    @Override
    protected void validate(ParamGroup g) {
        FisherType.parse("fisher", String.valueOf(g.get("fisher")));
        g.set("solver", SecondOrderSupport.choice(g, "solver", "auto", "dense", "cg"));
    }

    /**
     * The hyperparameters and the Monte-Carlo generator's state ({@code generator}, six longs,
     * under the first parameter): all a new NaturalGradient needs to continue exactly as this one.
     */
    @Override
    public StateDict stateDict() {
        StateDict base = super.stateDict();
        String first = parametersByKey().keySet().iterator().next();
        Map<String, Map<String, Object>> state = new LinkedHashMap<>(base.state());
        Map<String, Object> st = new LinkedHashMap<>(state.getOrDefault(first, Map.of()));
        st.put(SecondOrderSupport.GENERATOR, rng.state());
        state.put(first, st);
        return new StateDict(base.optimizer(), base.groups(), state);
    }

    /** Restores a state dict from {@link #stateDict()}, checked before anything changes. */
    @Override
    public void loadStateDict(StateDict dict) {
        requireSameGroups(dict);
        String first = parametersByKey().keySet().iterator().next();
        for (Map.Entry<String, Map<String, Object>> e : dict.state().entrySet()) {
            for (String item : e.getValue().keySet()) {
                if (!(e.getKey().equals(first) && item.equals(SecondOrderSupport.GENERATOR))) {
                    throw new UsageException("natural gradient keeps no state '" + item + "' for parameter '"
                            + e.getKey() + "'; it keeps '" + SecondOrderSupport.GENERATOR + "' for '" + first + "'");
                }
            }
        }
        long[] generator = SecondOrderSupport.savedGenerator(dict.state().getOrDefault(first, Map.of()), first);
        super.loadStateDict(new StateDict(dict.optimizer(), dict.groups(), Map.of()));
        rng.setState(generator);
    }

    /** The problem this optimizer works on (set a new batch on it between steps). */
    @Override
    public CurvatureProblem problem() {
        return problem;
    }

    @Override
    public double step(Closure closure) {
        ParamGroup g = SecondOrderSupport.onlyGroup(this);
        List<Parameter> ps = g.params();
        double lr = g.getDouble("lr");
        double damping = g.getDouble("damping");
        FisherType type = FisherType.parse("fisher", String.valueOf(g.get("fisher")));
        int samples = (int) g.getDouble("mc_samples");
        String solver = (String) g.get("solver");
        boolean dense = solver.equals("dense")
                || (solver.equals("auto") && problem.parameterCount() <= g.getDouble("max_dense"));

        if (closure instanceof ShardedCurvature.Closure sharded) {
            // the shards' mean gradient (checked and clipped by the closure) and their summed Fisher;
            // shard s samples its targets from the step's seed + s
            double value = sharded.gradients();
            double[] grad = ParamVectors.grads(ps);
            long seed = type == FisherType.MONTE_CARLO ? rng.nextLong() : 0;
            double[] d;
            if (dense) {
                double[][] f = sharded.compute(ShardedCurvature.Request.fisherMatrix(type, seed, samples))
                        .matrix(grad.length);
                d = Newton.solve(f, grad, damping, "shift");
            } else {
                d = DenseMatrices.conjugateGradient(v -> {
                    double[] fv = sharded.compute(ShardedCurvature.Request.fisherProduct(type, seed, v)).values();
                    DenseMatrices.axpy(damping, v, fv);
                    return fv;
                }, grad, null, (int) g.getDouble("cg_iters"), g.getDouble("cg_tol"), 0).solution();
            }
            ParamVectors.add(ps, -lr, d);
            return value;
        }
        Tensor z = problem.outputs();
        Tensor loss = problem.loss(z);
        double value = loss.item();
        double[] grad = SecondOrderSupport.afterGradients(closure, ps, value, Curvature.gradient(loss, ps));
        double[] d;
        if (dense) {
            double[][] f = problem.fisher(type, rng, samples);
            d = Newton.solve(f, grad, damping, "shift");
        } else {
            Object sampled = type == FisherType.MONTE_CARLO ? problem.sampleTargets(z, rng) : null;
            d = DenseMatrices.conjugateGradient(v -> {
                double[] fv = problem.fisherVector(z, type, sampled, v);
                DenseMatrices.axpy(damping, v, fv);
                return fv;
            }, grad, null, (int) g.getDouble("cg_iters"), g.getDouble("cg_tol"), 0).solution();
        }
        ParamVectors.add(ps, -lr, d);
        return value;
    }

    /** A builder with torch's defaults: one typed method per option of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Typed settings of {@link NaturalGradient}, with torch's defaults and checks (run when built); see
     * {@link OptimizerBuilder} for groups.
     */
    public static final class Builder extends OptimizerBuilder<Builder, NaturalGradient> {
        private Builder() {
            super("NaturalGradient", OPTIONS, Builder::new, (s, groups) -> NaturalGradient.withGroups(groups));
        }

        /** Sets {@code lr}: the step length; default 1.0. */
        public Builder lr(double value) {
            return set(LR, value);
        }

        /** Sets {@code damping}: added to the Fisher's diagonal; default 1e-3. */
        public Builder damping(double value) {
            return set(DAMPING, value);
        }

        /** Sets {@code fisher}: true, mc or empirical: how the Fisher is estimated; default "true". */
        public Builder fisher(String value) {
            return set(FISHER, value);
        }

        /** Sets {@code mc_samples}: sampled targets per example for fisher=mc; default 1. */
        public Builder mcSamples(int value) {
            return set(MC_SAMPLES, value);
        }

        /** Sets {@code solver}: auto, dense or cg; default "auto". */
        public Builder solver(String value) {
            return set(SOLVER, value);
        }

        /** Sets {@code max_dense}: the most parameters solver=auto solves densely; default 2000. */
        public Builder maxDense(int value) {
            return set(MAX_DENSE, value);
        }

        /** Sets {@code cg_iters}: the most CG iterations; default 100. */
        public Builder cgIters(int value) {
            return set(CG_ITERS, value);
        }

        /** Sets {@code cg_tol}: CG's relative residual tolerance; default 1e-10. */
        public Builder cgTol(double value) {
            return set(CG_TOL, value);
        }

        /** Sets {@code seed}: the generator of the sampled targets; default 0. */
        public Builder seed(int value) {
            return set(SEED, value);
        }

        /**
         * Builds the optimizer on a curvature problem (the model, its loss kind and a batch), with
         * the builder's settings; it takes no further groups.
         */
        public NaturalGradient build(CurvatureProblem problem) {
            requireSingleGroup("natural");
            return new NaturalGradient(problem, settings());
        }
    }
}
