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
 */
public final class NaturalGradient extends Optimizer implements CurvatureOptimizer {
    private final CurvatureProblem problem;
    private final Rng rng;

    public NaturalGradient(CurvatureProblem problem, Map<String, Object> options) {
        super(single(problem.parameters(), options), defaultOptions());
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

    public static Map<String, Object> defaultOptions() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("lr", 1.0);
        d.put("damping", 1e-3);
        d.put("fisher", "true");
        d.put("mc_samples", 1);
        d.put("solver", "auto");
        d.put("max_dense", 2000);
        d.put("cg_iters", 100);
        d.put("cg_tol", 1e-10);
        d.put("seed", 0);
        return d;
    }

    @Override
    protected void validate(ParamGroup g) {
        SecondOrderSupport.requireNonNegative(g, "lr");
        SecondOrderSupport.requireNonNegative(g, "damping");
        FisherType.parse("fisher", String.valueOf(g.get("fisher")));
        SecondOrderSupport.requireWhole(g, "mc_samples", 1);
        g.set("solver", SecondOrderSupport.choice(g, "solver", "auto", "dense", "cg"));
        SecondOrderSupport.requireWhole(g, "max_dense", 1);
        SecondOrderSupport.requireWhole(g, "cg_iters", 1);
        SecondOrderSupport.requireNonNegative(g, "cg_tol");
        SecondOrderSupport.requireWhole(g, "seed", 0);
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
}
