package dev.kobai.optim;

import dev.kobai.UsageException;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Limited-memory BFGS (Nocedal 1980; Liu and Nocedal 1989), exactly as torch.optim.LBFGS computes
 * it. All parameters are treated as one flat vector x with gradient g. A call to
 * {@link #step(Closure)} runs up to max_iter iterations, re-evaluating the closure as it goes:
 *
 * <pre>
 *   y = g - g_prev,  s = t_prev d_prev                  keep (s, y) when y.s &gt; 1e-10,
 *                                                        dropping the oldest beyond history_size;
 *                                                        H0 = y.s / y.y of the newest pair
 *   two-loop recursion, newest pair first:
 *     q = -g
 *     for i = k-1 .. 0:   a_i = rho_i s_i.q;   q = q - a_i y_i        (rho_i = 1 / y_i.s_i)
 *     r = H0 q
 *     for i = 0 .. k-1:   b_i = rho_i y_i.r;   r = r + (a_i - b_i) s_i
 *   d = r  (d = -g on the very first iteration)
 *   t = lr, or min(1, 1 / sum|g|) lr on the very first iteration
 *   t = strong Wolfe line search from t (line_search_fn=strong_wolfe, see {@link StrongWolfe}),
 *       or t as it is (line_search_fn=none)
 *   x = x + t d
 * </pre>
 *
 * <p>A step stops early when max|g| &lt;= tolerance_grad (also before the first iteration), when
 * g.d &gt; -tolerance_change, when the closure has been evaluated max_eval times, when
 * max|t d| &lt;= tolerance_change, or when the loss changed by less than tolerance_change. Without a
 * line search the loss is not re-evaluated after the last iteration. The history persists across
 * steps (in the state of the first parameter, as torch keeps it), so a step of max_iter=1 is one
 * L-BFGS iteration. {@link #step(Closure)} returns the loss of the closure's first evaluation.
 *
 * <p>Options: lr=1, max_iter=20, max_eval=max_iter*5/4 (computed from max_iter when not given),
 * tolerance_grad=1e-7, tolerance_change=1e-9, history_size=100, line_search_fn=none (or
 * strong_wolfe). One parameter group only, and a closure is required:
 *
 * <pre>{@code
 * LBFGS opt = LBFGS.builder().lineSearchFn("strong_wolfe").historySize(10).build(model.parameters());
 * double loss = opt.step(() -> {
 *     opt.zeroGrad();
 *     Tensor l = Losses.crossEntropy(model.forward(x), y);
 *     l.backward();
 *     return l.item();
 * });
 * }</pre>
 *
 * <p>Memory: 2 history_size + 3 vectors the size of all parameters.
 */
public final class LBFGS extends Optimizer {
    /** torch's {@code lr}: the learning rate; default 1. */
    public static final Option<Double> LR = Option.number("lr", 1.0)
            .check(Option.nonNegative("Invalid learning rate: "));
    /** torch's {@code max_iter}: the most iterations per step; default 20. */
    public static final Option<Integer> MAX_ITER = Option.integer("max_iter", 20)
            .wholeAtLeast(1, v -> "Invalid max_iter value: " + v + " (a whole number >= 1)");
    /** torch's {@code max_eval}: the most closure evaluations per step; default max_iter * 5 / 4 (25). */
    public static final Option<Integer> MAX_EVAL = Option.integer("max_eval", 25)
            .wholeAtLeast(1, v -> "Invalid max_eval value: " + v + " (a whole number >= 1)");
    /** torch's {@code tolerance_grad}: stop when max|g| is at most this; default 1e-7. */
    public static final Option<Double> TOLERANCE_GRAD = Option.number("tolerance_grad", 1e-7)
            .check(Option.nonNegative("Invalid tolerance_grad value: "));
    /** torch's {@code tolerance_change}: stop when the step or the loss changes by less; default 1e-9. */
    public static final Option<Double> TOLERANCE_CHANGE = Option.number("tolerance_change", 1e-9)
            .check(Option.nonNegative("Invalid tolerance_change value: "));
    /** torch's {@code history_size}: the number of (s, y) pairs kept; default 100. */
    public static final Option<Integer> HISTORY_SIZE = Option.integer("history_size", 100)
            .wholeAtLeast(1, v -> "Invalid history_size value: " + v + " (a whole number >= 1)");
    /** torch's {@code line_search_fn}: none or strong_wolfe; default "none". */
    public static final Option<String> LINE_SEARCH_FN = Option.string("line_search_fn", "none");
    /**
     * The options in torch's argument order, with torch's checks in torch's order: the one
     * table behind {@link #builder()}, the spec {@code lbfgs:...}, {@link #defaultOptions()} and
     * the checks on every group. decoupled_weight_decay and no_decay are added where there is a
     * weight_decay.
     */
    public static final OptionTable OPTIONS = OptionTable.of(LR, MAX_ITER, MAX_EVAL, TOLERANCE_GRAD, TOLERANCE_CHANGE,
            HISTORY_SIZE, LINE_SEARCH_FN).checkedIn(LR, MAX_ITER, MAX_EVAL, HISTORY_SIZE, TOLERANCE_GRAD,
            TOLERANCE_CHANGE);

    static final String NO_GROUPS = "LBFGS doesn't support per-parameter options (parameter groups)";
    static final String NEEDS_CLOSURE = "LBFGS needs a closure that re-evaluates the loss: step(() -> "
            + "{ opt.zeroGrad(); Tensor loss = ...; loss.backward(); return loss.item(); })";

    private final List<Parameter> params;
    private final DType dtype;
    private final int numel;

    public LBFGS(List<Parameter> params) {
        this(params, Map.of());
    }

    /** Over one group with {@code options} given by torch's names; {@link #builder()} is the typed form. */
    public LBFGS(List<Parameter> params, Map<String, Object> options) {
        this(Map.of(), single(params, options));
    }

    /** For the registry: torch accepts a list of groups and refuses more than one. */
    public static LBFGS withGroups(List<ParamGroup> groups) {
        return new LBFGS(Map.of(), groups);
    }

    private LBFGS(Map<String, Object> settings, List<ParamGroup> groups) {
        super(resolveDefaults(groups), OPTIONS, settings);
        if (paramGroups().size() != 1) {
            throw new UsageException(NO_GROUPS);
        }
        this.params = paramGroups().get(0).params();
        this.dtype = params.get(0).dtype();
        int n = 0;
        for (Parameter p : params) {
            if (p.dtype() != dtype) {
                throw new UsageException("LBFGS needs all parameters in one dtype; got " + dtype + " and " + p.dtype());
            }
            n += p.numel();
        }
        this.numel = n;
    }

    /**
     * The defaults. max_eval is shown as 25, the value for the default max_iter; a group that does
     * not give it gets max_iter*5/4 of its own max_iter, as torch's max_eval=None.
     */
    /** The defaults of {@link #OPTIONS} by torch's names. */
    public static Map<String, Object> defaultOptions() {
        return OPTIONS.defaults();
    }

    /** Torch's None values: max_eval from the group's max_iter, line_search_fn none. */
    private static List<ParamGroup> resolveDefaults(List<ParamGroup> groups) {
        for (ParamGroup g : groups) {
            if (g.options().get("max_eval") == null) {
                Object maxIter = g.options().get("max_iter");
                int iters = maxIter instanceof Number n ? (int) n.doubleValue() : 20;
                g.set("max_eval", Math.floorDiv(iters * 5, 4));
            }
            if (g.has("line_search_fn") && g.options().get("line_search_fn") == null) {
                g.set("line_search_fn", "none");
            }
        }
        return groups;
    }

    @Override
    protected void validate(ParamGroup g) {
        lineSearch(g);
    }

    /** True for strong_wolfe, false for none (or ""); torch's message otherwise. */
    private static boolean lineSearch(ParamGroup g) {
        Object v = g.get("line_search_fn");
        String s = String.valueOf(v).trim().toLowerCase(Locale.ROOT);
        if (s.isEmpty() || s.equals("none")) {
            return false;
        }
        if (s.equals("strong_wolfe")) {
            return true;
        }
        throw new UsageException("only 'strong_wolfe' is supported (line_search_fn='" + v
                + "'; use none for a fixed step)");
    }

    /** L-BFGS re-evaluates the loss many times per step, so it has no closure-free update. */
    @Override
    protected void update() {
        throw new UsageException(NEEDS_CLOSURE);
    }

    /**
     * Runs up to max_iter L-BFGS iterations, evaluating {@code closure} (with recording on) as often
     * as the iterations and line search need, at most max_eval times; returns the first loss.
     */
    @Override
    @SuppressWarnings("unchecked")
    public double step(Closure closure) {
        if (closure == null) {
            throw new UsageException(NEEDS_CLOSURE);
        }
        if (paramGroups().size() != 1) {
            throw new UsageException(NO_GROUPS);
        }
        ParamGroup group = paramGroups().get(0);
        double lr = group.getDouble("lr");
        int maxIter = (int) group.getDouble("max_iter");
        int maxEval = (int) group.getDouble("max_eval");
        double toleranceGrad = group.getDouble("tolerance_grad");
        double toleranceChange = group.getDouble("tolerance_change");
        int historySize = (int) group.getDouble("history_size");
        boolean strongWolfe = lineSearch(group);

        try (GradMode.Scope _ = GradMode.noGrad()) {
            Map<String, Object> state = parameterState(params.get(0));
            state.putIfAbsent("func_evals", 0);
            state.putIfAbsent("n_iter", 0);

            double origLoss = evaluate(closure);
            double loss = origLoss;
            int currentEvals = 1;
            addCount(state, "func_evals", 1);

            Tensor flatGrad = gatherFlatGrad();
            boolean optCond = absMax(flatGrad) <= toleranceGrad;
            if (optCond) {
                return origLoss;
            }

            Tensor d = (Tensor) state.get("d");
            double t = state.get("t") == null ? 0 : ((Number) state.get("t")).doubleValue();
            List<Tensor> oldDirs = (List<Tensor>) state.get("old_dirs");
            List<Tensor> oldStps = (List<Tensor>) state.get("old_stps");
            List<Double> ro = (List<Double>) state.get("ro");
            double hDiag = state.get("H_diag") == null ? 1 : ((Number) state.get("H_diag")).doubleValue();
            Tensor prevFlatGrad = (Tensor) state.get("prev_flat_grad");
            double prevLoss = state.get("prev_loss") == null ? Double.NaN : ((Number) state.get("prev_loss")).doubleValue();

            int nIter = 0;
            while (nIter < maxIter) {
                nIter++;
                int totalIter = addCount(state, "n_iter", 1);

                // Direction.
                if (totalIter == 1) {
                    d = scaled(flatGrad, -1);
                    oldDirs = new ArrayList<>();
                    oldStps = new ArrayList<>();
                    ro = new ArrayList<>();
                    hDiag = 1;
                } else {
                    Tensor y = difference(flatGrad, prevFlatGrad);
                    Tensor s = scaled(d, t);
                    double ys = dot(y, s);
                    if (ys > 1e-10) {
                        if (oldDirs.size() == historySize) {
                            oldDirs.remove(0);
                            oldStps.remove(0);
                            ro.remove(0);
                        }
                        oldDirs.add(y);
                        oldStps.add(s);
                        ro.add(1.0 / ys);
                        hDiag = ys / dot(y, y);
                    }
                    d = twoLoop(flatGrad, oldDirs, oldStps, ro, hDiag);
                }
                prevFlatGrad = flatGrad;
                prevLoss = loss;

                // Step length.
                if (totalIter == 1) {
                    double inverse = 1.0 / absSum(flatGrad);
                    t = (inverse < 1.0 ? inverse : 1.0) * lr;
                } else {
                    t = lr;
                }
                double gtd = dot(flatGrad, d);
                if (gtd > -toleranceChange) {
                    break;
                }

                int lsEvals = 0;
                if (strongWolfe) {
                    Tensor[] x = cloneParams();
                    Tensor direction = d;
                    StrongWolfe.Result r = StrongWolfe.search(step -> {
                        addToParams(step, direction);
                        double f = evaluate(closure);
                        Tensor g = gatherFlatGrad();
                        restoreParams(x);
                        return new StrongWolfe.Point(f, g);
                    }, t, d, loss, flatGrad, gtd, StrongWolfe.C1, StrongWolfe.C2, toleranceChange, StrongWolfe.MAX_LS);
                    loss = r.loss();
                    flatGrad = r.grad();
                    t = r.t();
                    lsEvals = r.evaluations();
                    addToParams(t, d);
                    optCond = absMax(flatGrad) <= toleranceGrad;
                } else {
                    addToParams(t, d);
                    if (nIter != maxIter) {
                        // Not after the last iteration: with minibatches the next step evaluates anyway.
                        loss = evaluate(closure);
                        flatGrad = gatherFlatGrad();
                        optCond = absMax(flatGrad) <= toleranceGrad;
                        lsEvals = 1;
                    }
                }
                currentEvals += lsEvals;
                addCount(state, "func_evals", lsEvals);

                if (nIter == maxIter || currentEvals >= maxEval || optCond) {
                    break;
                }
                if (absMaxScaled(d, t) <= toleranceChange) {
                    break;
                }
                if (Math.abs(loss - prevLoss) < toleranceChange) {
                    break;
                }
            }

            state.put("d", d);
            state.put("t", t);
            state.put("old_dirs", oldDirs);
            state.put("old_stps", oldStps);
            state.put("ro", ro);
            state.put("H_diag", hDiag);
            state.put("prev_flat_grad", prevFlatGrad);
            state.put("prev_loss", prevLoss);
            return origLoss;
        }
    }

    private static double evaluate(Closure closure) {
        try (GradMode.Scope _ = GradMode.set(true)) {
            return closure.evaluate();
        }
    }

    private static int addCount(Map<String, Object> state, String key, int delta) {
        int v = ((Number) state.get(key)).intValue() + delta;
        state.put(key, v);
        return v;
    }

    /** The two-loop recursion: -H g for the inverse Hessian H the stored pairs and H0 = hDiag I define. */
    private static Tensor twoLoop(Tensor flatGrad, List<Tensor> dirs, List<Tensor> stps, List<Double> ro, double hDiag) {
        int k = dirs.size();
        double[] al = new double[k];
        Tensor q = scaled(flatGrad, -1);
        for (int i = k - 1; i >= 0; i--) {
            al[i] = dot(stps.get(i), q) * ro.get(i);
            axpy(q, -al[i], dirs.get(i));
        }
        Tensor r = scaled(q, hDiag);
        for (int i = 0; i < k; i++) {
            double be = dot(dirs.get(i), r) * ro.get(i);
            axpy(r, al[i] - be, stps.get(i));
        }
        return r;
    }

    // ---------------------------------------------------------------- parameters as one flat vector

    /** The gradients of all parameters, concatenated in order (zeros where a gradient is null). */
    private Tensor gatherFlatGrad() {
        Tensor flat = Tensor.zeros(dtype, numel);
        int offset = 0;
        for (Parameter p : params) {
            Tensor g = p.grad();
            int n = p.numel();
            if (g != null) {
                Tensor same = g.dtype() == dtype ? g : g.to(dtype);
                if (dtype == DType.FLOAT32) {
                    System.arraycopy(same.floatData(), 0, flat.floatData(), offset, n);
                } else {
                    System.arraycopy(same.doubleData(), 0, flat.doubleData(), offset, n);
                }
            }
            offset += n;
        }
        return flat;
    }

    /** x = x + t d over the flat parameter vector, fused as torch's p.add_(d, alpha=t). */
    private void addToParams(double t, Tensor d) {
        int offset = 0;
        for (Parameter p : params) {
            int n = p.numel();
            if (dtype == DType.FLOAT32) {
                float[] w = p.floatData();
                float[] dd = d.floatData();
                float tf = (float) t;
                for (int i = 0; i < n; i++) {
                    w[i] = Math.fma(tf, dd[offset + i], w[i]);
                }
            } else {
                double[] w = p.doubleData();
                double[] dd = d.doubleData();
                for (int i = 0; i < n; i++) {
                    w[i] = Math.fma(t, dd[offset + i], w[i]);
                }
            }
            offset += n;
        }
    }

    private Tensor[] cloneParams() {
        Tensor[] out = new Tensor[params.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = params.get(i).copy();
        }
        return out;
    }

    private void restoreParams(Tensor[] saved) {
        for (int i = 0; i < saved.length; i++) {
            params.get(i).copyFrom(saved[i]);
        }
    }

    // ---------------------------------------------------------------- flat vector arithmetic (float32 or float64)

    static double dot(Tensor a, Tensor b) {
        double sum = 0;
        if (a.dtype() == DType.FLOAT32) {
            float[] x = a.floatData();
            float[] y = b.floatData();
            for (int i = 0; i < x.length; i++) {
                sum += (double) x[i] * y[i];
            }
        } else {
            double[] x = a.doubleData();
            double[] y = b.doubleData();
            for (int i = 0; i < x.length; i++) {
                sum += x[i] * y[i];
            }
        }
        return sum;
    }

    static double absMax(Tensor a) {
        double m = 0;
        boolean nan = false;
        int n = a.numel();
        if (a.dtype() == DType.FLOAT32) {
            float[] x = a.floatData();
            for (int i = 0; i < n; i++) {
                float v = Math.abs(x[i]);
                nan |= v != v;
                m = Math.max(m, v);
            }
        } else {
            double[] x = a.doubleData();
            for (int i = 0; i < n; i++) {
                double v = Math.abs(x[i]);
                nan |= v != v;
                m = Math.max(m, v);
            }
        }
        return nan ? Double.NaN : m;
    }

    /** max |t d_i|, computed element by element as torch's d.mul(t).abs().max(). */
    private static double absMaxScaled(Tensor d, double t) {
        return absMax(scaled(d, t));
    }

    private static double absSum(Tensor a) {
        double sum = 0;
        if (a.dtype() == DType.FLOAT32) {
            for (float v : a.floatData()) {
                sum += Math.abs(v);
            }
        } else {
            for (double v : a.doubleData()) {
                sum += Math.abs(v);
            }
        }
        return sum;
    }

    /** A new vector c x. */
    private static Tensor scaled(Tensor x, double c) {
        Tensor out = Tensor.zeros(x.dtype(), x.numel());
        if (x.dtype() == DType.FLOAT32) {
            float[] src = x.floatData();
            float[] dst = out.floatData();
            float cf = (float) c;
            for (int i = 0; i < src.length; i++) {
                dst[i] = src[i] * cf;
            }
        } else {
            double[] src = x.doubleData();
            double[] dst = out.doubleData();
            for (int i = 0; i < src.length; i++) {
                dst[i] = src[i] * c;
            }
        }
        return out;
    }

    /** A new vector a - b. */
    private static Tensor difference(Tensor a, Tensor b) {
        Tensor out = Tensor.zeros(a.dtype(), a.numel());
        if (a.dtype() == DType.FLOAT32) {
            float[] x = a.floatData();
            float[] y = b.floatData();
            float[] dst = out.floatData();
            for (int i = 0; i < x.length; i++) {
                dst[i] = x[i] - y[i];
            }
        } else {
            double[] x = a.doubleData();
            double[] y = b.doubleData();
            double[] dst = out.doubleData();
            for (int i = 0; i < x.length; i++) {
                dst[i] = x[i] - y[i];
            }
        }
        return out;
    }

    /** y = y + c x in place, fused (one rounding), as torch's add_(x, alpha=c) computes it on CPU. */
    private static void axpy(Tensor y, double c, Tensor x) {
        if (y.dtype() == DType.FLOAT32) {
            float[] dst = y.floatData();
            float[] src = x.floatData();
            float cf = (float) c;
            for (int i = 0; i < dst.length; i++) {
                dst[i] = Math.fma(cf, src[i], dst[i]);
            }
        } else {
            double[] dst = y.doubleData();
            double[] src = x.doubleData();
            for (int i = 0; i < dst.length; i++) {
                dst[i] = Math.fma(c, src[i], dst[i]);
            }
        }
    }

    // ---------------------------------------------------------------- state dict

    /**
     * Restores a state dict saved from LBFGS. The history is one flat vector over all parameters in
     * the saving optimizer's order; it is rearranged by parameter name into this optimizer's order,
     * so the dict loads into parameters listed differently, as every optimizer's does.
     */
    @Override
    public void loadStateDict(StateDict dict) {
        // The base checks kind, groups and membership and takes the options; the flat state is ours.
        super.loadStateDict(new StateDict(dict.optimizer(), dict.groups(), Map.of()));
        if (dict.state().isEmpty()) {
            return;
        }
        if (dict.state().size() != 1) {
            throw new UsageException("LBFGS state dict should hold state for one parameter, has " + dict.state().keySet());
        }
        List<String> saved = dict.groups().get(0).params();
        Map<String, Parameter> byName = new HashMap<>();
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            byName.put(p.name() != null ? p.name() : "#" + i, p);
        }
        String owner = dict.state().keySet().iterator().next();
        if (!byName.containsKey(owner)) {
            throw new UsageException("state dict has state for unknown parameter '" + owner + "'");
        }
        // Where each of our parameters sits in the saved flat layout.
        Map<Parameter, Integer> savedOffset = new HashMap<>();
        int offset = 0;
        for (String name : saved) {
            Parameter p = byName.get(name);
            savedOffset.put(p, offset);
            offset += p.numel();
        }
        Map<String, Object> restored = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : StateDict.deepCopy(dict.state().values().iterator().next()).entrySet()) {
            restored.put(e.getKey(), reorder(e.getKey(), e.getValue(), savedOffset));
        }
        Map<String, Object> state = parameterState(params.get(0));
        state.clear();
        state.putAll(restored);
    }

    private Object reorder(String key, Object value, Map<Parameter, Integer> savedOffset) {
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            for (Object o : list) {
                out.add(reorder(key, o, savedOffset));
            }
            return out;
        }
        if (!(value instanceof Tensor t)) {
            return value;
        }
        if (t.numel() != numel) {
            throw new UsageException("state '" + key + "' has " + t.numel() + " elements, the parameters have " + numel
                    + " (shape " + Arrays.toString(t.shape()) + ")");
        }
        Tensor src = t.to(dtype);
        Tensor out = Tensor.zeros(dtype, numel);
        int offset = 0;
        for (Parameter p : params) {
            int from = savedOffset.get(p);
            if (dtype == DType.FLOAT32) {
                System.arraycopy(src.floatData(), from, out.floatData(), offset, p.numel());
            } else {
                System.arraycopy(src.doubleData(), from, out.doubleData(), offset, p.numel());
            }
            offset += p.numel();
        }
        return out;
    }

    /** A builder with torch's defaults: one typed method per option of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Typed settings of {@link LBFGS}, with torch's defaults and checks (run when built); see
     * {@link OptimizerBuilder} for groups.
     */
    public static final class Builder extends OptimizerBuilder<Builder, LBFGS> {
        private Builder() {
            super("LBFGS", OPTIONS, Builder::new, LBFGS::new);
        }

        /** Sets torch's {@code lr}: the learning rate; default 1. */
        public Builder lr(double value) {
            return set(LR, value);
        }

        /** Sets torch's {@code max_iter}: the most iterations per step; default 20. */
        public Builder maxIter(int value) {
            return set(MAX_ITER, value);
        }

        /** Sets torch's {@code max_eval}: the most closure evaluations per step; default max_iter * 5 / 4 (25). */
        public Builder maxEval(int value) {
            return set(MAX_EVAL, value);
        }

        /** Sets torch's {@code tolerance_grad}: stop when max|g| is at most this; default 1e-7. */
        public Builder toleranceGrad(double value) {
            return set(TOLERANCE_GRAD, value);
        }

        /** Sets torch's {@code tolerance_change}: stop when the step or the loss changes by less; default 1e-9. */
        public Builder toleranceChange(double value) {
            return set(TOLERANCE_CHANGE, value);
        }

        /** Sets torch's {@code history_size}: the number of (s, y) pairs kept; default 100. */
        public Builder historySize(int value) {
            return set(HISTORY_SIZE, value);
        }

        /** Sets torch's {@code line_search_fn}: none or strong_wolfe; default "none". */
        public Builder lineSearchFn(String value) {
            return set(LINE_SEARCH_FN, value);
        }
    }
}
