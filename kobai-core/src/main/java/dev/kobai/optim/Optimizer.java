package dev.kobai.optim;

import dev.kobai.UsageException;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Parallel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The base of every optimizer, shaped like torch.optim.Optimizer: parameter groups with their own
 * hyperparameters, per-parameter state, {@link #zeroGrad()}, {@link #step(Closure)} (which
 * second-order and line-search methods use to re-evaluate the loss), and a state dict keyed by
 * parameter name.
 *
 * <p>A subclass declares its options once as typed {@link Option} keys in an {@link OptionTable}
 * (torch's names, defaults and per-option checks with torch's messages), the one table behind its
 * typed builder ({@link OptimizerBuilder}), the spec parser ({@link Optimizers}) and the checks on
 * every group; it checks one option against another in {@link #validate} (throwing
 * {@link UsageException}), and updates one parameter at a time in
 * {@link #updateParameter}; methods that need all parameters at once (L-BFGS) override
 * {@link #update()} instead. Updates run with gradient recording off.
 *
 * <p>Two options every optimizer takes, beyond torch's own:
 * <ul>
 *   <li>{@code decoupled_weight_decay} (default false): apply weight decay as
 *       p = p (1 - lr wd) before the update (Loshchilov and Hutter 2019) instead of adding wd p to
 *       the gradient. AdamW is Adam with this on.</li>
 *   <li>{@code no_decay} (default empty): names of parameters that get no weight decay, separated
 *       by '/': a name matches when it equals a parameter's dotted name or one of its components,
 *       so {@code no_decay=bias} spares every bias without hand-made groups.</li>
 * </ul>
 */
public abstract class Optimizer {
    /**
     * Re-evaluates the model: zeroes gradients if it wants, computes the loss, calls backward, returns the loss.
     *
     * <p>Checks and gradient changes (finiteness checks, clipping) belong in {@link #evaluate()},
     * after backward. The optimizers that compute the loss and the gradients themselves instead of
     * calling evaluate() (K-FAC and natural gradient, and Newton and Hessian-free on a
     * CurvatureProblem or with a {@link LossClosure}) call {@link #afterGradients} instead, so the
     * same checks run for them.
     */
    @FunctionalInterface
    public interface Closure {
        double evaluate();

        /**
         * Called by an optimizer that computed the loss and the gradients itself, once a step: after
         * it has set every parameter's grad to the gradient of {@code loss} at the current
         * parameters, and before it changes a parameter or any state of its own. Throwing stops the
         * step with nothing changed but the grads. The closure may change the grads in place (as
         * clipping does) and then returns true, and the optimizer steps along the changed gradient;
         * false means it left them as they were. The default does nothing and returns false.
         */
        default boolean afterGradients(double loss) {
            return false;
        }
    }

    /** Option names the base class adds to every optimizer's defaults. */
    public static final String DECOUPLED = "decoupled_weight_decay";
    public static final String NO_DECAY = "no_decay";

    /**
     * Kobai's decoupled_weight_decay (default false), which every optimizer with a weight_decay
     * takes: p = p (1 - lr wd) before the update instead of g += wd p.
     */
    public static final Option<Boolean> DECOUPLED_WEIGHT_DECAY = Option.bool(DECOUPLED, false);
    /**
     * Kobai's no_decay (default empty), which every optimizer with a weight_decay takes: names of
     * parameters spared weight decay, separated by '/'.
     */
    public static final Option<String> NO_DECAY_NAMES = Option.string(NO_DECAY, "");

    private final OptionTable table;
    private final Map<String, Object> defaults;
    private final List<ParamGroup> groups = new ArrayList<>();
    private final Map<Parameter, Map<String, Object>> state = new IdentityHashMap<>();

    /**
     * An optimizer whose options are given as a map of defaults only; the kind of each option is
     * inferred from its default's Java class (null: a required number).
     */
    protected Optimizer(List<ParamGroup> groups, Map<String, Object> defaults) {
        this(groups, OptionTable.inferred(withCommonOptions(defaults)), Map.of());
    }

    /**
     * An optimizer over {@code groups} whose options are declared by {@code table} (with
     * decoupled_weight_decay and no_decay added when it has a weight_decay); {@code settings}
     * override the table's defaults for this optimizer (torch's constructor arguments), so that
     * groups added later are filled from them.
     */
    // The groups are checked as they are added, as torch's constructor does: validate(group) sees the
    // group alone and must not read a subclass's fields, which are not yet set when it runs here.
    @SuppressWarnings("this-escape")
    protected Optimizer(List<ParamGroup> groups, OptionTable table, Map<String, Object> settings) {
        this.table = withCommonOptions(table);
        Map<String, Object> d = this.table.defaults();
        settings.forEach((k, v) -> {
            if (!d.containsKey(k)) {
                throw new UsageException("unknown option '" + k + "' for " + getClass().getSimpleName() + "; valid: "
                        + this.table.describe());
            }
            d.put(k, v);
        });
        this.defaults = d;
        if (groups.isEmpty()) {
            throw new UsageException("optimizer got an empty parameter list");
        }
        for (ParamGroup g : groups) {
            addParamGroup(g);
        }
    }

    /** Adds the options every optimizer understands to a subclass's defaults. */
    public static Map<String, Object> withCommonOptions(Map<String, Object> defaults) {
        Map<String, Object> all = new LinkedHashMap<>(defaults);
        if (all.containsKey("weight_decay")) {
            all.putIfAbsent(DECOUPLED, false);
            all.putIfAbsent(NO_DECAY, "");
        }
        return all;
    }

    /** Adds decoupled_weight_decay and no_decay to a table that has a weight_decay and lacks them. */
    static OptionTable withCommonOptions(OptionTable table) {
        return table.find("weight_decay") == null ? table : table.with(DECOUPLED_WEIGHT_DECAY, NO_DECAY_NAMES);
    }

    /** One group holding {@code params}, with {@code options} over the defaults. */
    protected static List<ParamGroup> single(List<Parameter> params, Map<String, Object> options) {
        if (params.isEmpty()) {
            throw new UsageException("optimizer got an empty parameter list");
        }
        return List.of(new ParamGroup(params, options));
    }

    /** Adds a group: fills its missing options from the defaults and validates them. */
    public final void addParamGroup(ParamGroup group) {
        if (group.params().isEmpty()) {
            throw new UsageException("optimizer got an empty parameter list");
        }
        Map<Parameter, Boolean> seen = new IdentityHashMap<>();
        for (ParamGroup g : groups) {
            for (Parameter p : g.params()) {
                seen.put(p, Boolean.TRUE);
            }
        }
        for (Parameter p : group.params()) {
            if (seen.put(p, Boolean.TRUE) != null) {
                throw new UsageException("some parameters appear in more than one parameter group"
                        + (p.name() == null ? "" : " (" + p.name() + ")"));
            }
        }
        for (String key : group.options().keySet()) {
            if (!defaults.containsKey(key)) {
                throw new UsageException("unknown option '" + key + "' for " + getClass().getSimpleName() + "; valid: "
                        + table.describe());
            }
        }
        group.fillDefaults(defaults);
        for (Map.Entry<String, Object> e : group.options().entrySet()) {
            if (e.getValue() == null) {
                throw new UsageException("parameter group didn't specify a value of required optimization parameter "
                        + e.getKey());
            }
        }
        table.coerce(group, getClass().getSimpleName());
        table.check(group);
        validate(group);
        groups.add(group);
    }

    /**
     * Checks what the table's per-option checks cannot see (one option against another, or the
     * group's parameters); throws UsageException naming the option and value. Runs after the
     * table's checks; does nothing by default.
     */
    protected void validate(ParamGroup group) {}

    /**
     * Updates one parameter from its gradient (never null here) and its state. The default
     * {@link #update()} calls this for each parameter with a gradient, after any decoupled decay.
     */
    protected void updateParameter(ParamGroup group, Parameter p, Tensor grad, Map<String, Object> state) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " overrides update() instead");
    }

    /** Updates every parameter that has a gradient; recording is off. */
    protected void update() {
        for (ParamGroup g : groups) {
            for (Parameter p : g.params()) {
                Tensor grad = p.grad();
                if (grad == null) {
                    continue;
                }
                if (!fusesDecoupledDecay()) {
                    applyDecoupledDecay(g, p);
                }
                updateParameter(g, p, grad, parameterState(p));
            }
        }
    }

    /**
     * Whether {@link #updateParameter} multiplies the parameter by {@link #decoupledDecayFactor}
     * itself, in the same pass over memory as the update, so that {@link #update()} must not apply
     * the decay first. Multiplying first and then updating, element by element, gives the same
     * numbers as a separate pass.
     */
    protected boolean fusesDecoupledDecay() {
        return false;
    }

    /** 1 - lr wd under decoupled weight decay for p, else exactly 1 (multiplying by it changes nothing). */
    protected final double decoupledDecayFactor(ParamGroup g, Parameter p) {
        if (!g.has(DECOUPLED) || !g.getBoolean(DECOUPLED)) {
            return 1;
        }
        double wd = decayFor(g, p);
        return wd == 0 ? 1 : 1 - g.lr() * wd;
    }

    /** p = p (1 - lr wd) when the group asks for decoupled weight decay and p is not excluded. */
    protected final void applyDecoupledDecay(ParamGroup g, Parameter p) {
        if (!g.has(DECOUPLED) || !g.getBoolean(DECOUPLED)) {
            return;
        }
        double wd = decayFor(g, p);
        if (wd == 0) {
            return;
        }
        double factor = 1 - g.lr() * wd;
        if (p.dtype() == dev.kobai.tensor.DType.FLOAT32) {
            float[] w = p.floatData();
            float f = (float) factor;
            Parallel.forRange(w.length, ElementLoops.GRAIN, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    w[i] *= f;
                }
            });
        } else {
            double[] w = p.doubleData();
            Parallel.forRange(w.length, ElementLoops.GRAIN, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    w[i] *= factor;
                }
            });
        }
    }

    /**
     * The L2 coefficient to add to this parameter's gradient (g += wd p): the group's weight_decay,
     * or 0 when the decay is decoupled or the parameter is excluded by no_decay.
     */
    protected final double l2WeightDecay(ParamGroup g, Parameter p) {
        if (g.has(DECOUPLED) && g.getBoolean(DECOUPLED)) {
            return 0;
        }
        return decayFor(g, p);
    }

    private static double decayFor(ParamGroup g, Parameter p) {
        if (!g.has("weight_decay")) {
            return 0;
        }
        double wd = g.getDouble("weight_decay");
        if (wd != 0 && g.has(NO_DECAY) && excluded(String.valueOf(g.get(NO_DECAY)), p.name())) {
            return 0;
        }
        return wd;
    }

    static boolean excluded(String patterns, String name) {
        if (patterns.isBlank() || name == null) {
            return false;
        }
        List<String> components = List.of(name.split("\\."));
        for (String pattern : patterns.split("/")) {
            String pat = pattern.trim();
            if (!pat.isEmpty() && (pat.equals(name) || components.contains(pat))) {
                return true;
            }
        }
        return false;
    }

    /** Takes one step without re-evaluating; returns NaN. */
    public final double step() {
        return step(null);
    }

    /**
     * Takes one step. With a closure, evaluates it first (with recording on) and returns its loss.
     */
    public double step(Closure closure) {
        double loss = Double.NaN;
        if (closure != null) {
            try (GradMode.Scope _ = GradMode.set(true)) {
                loss = closure.evaluate();
            }
        }
        try (GradMode.Scope _ = GradMode.noGrad()) {
            update();
        }
        return loss;
    }

    /** Clears the gradients of every parameter (sets them to null, as torch's set_to_none). */
    public void zeroGrad() {
        for (ParamGroup g : groups) {
            for (Parameter p : g.params()) {
                p.setGrad(null);
            }
        }
    }

    public List<ParamGroup> paramGroups() {
        return Collections.unmodifiableList(groups);
    }

    /** The table of this optimizer's options (with decoupled_weight_decay and no_decay where they apply). */
    public OptionTable optionTable() {
        return table;
    }

    /**
     * The state of one parameter as stored, read-only, or an empty map when it has none yet;
     * IllegalArgumentException when the parameter is not in this optimizer. Subclasses offer a
     * typed view ({@code Adam.state(p).expAvg()}).
     */
    protected final Map<String, Object> storedState(Parameter p) {
        for (ParamGroup g : groups) {
            for (Parameter q : g.params()) {
                if (q == p) {
                    Map<String, Object> st = state.get(p);
                    return st == null ? Map.of() : Collections.unmodifiableMap(st);
                }
            }
        }
        throw new IllegalArgumentException("parameter " + (p.name() == null ? "" : "'" + p.name() + "' ")
                + "is not in this " + getClass().getSimpleName());
    }

    /** The step count in a parameter's stored state (an int or a double, as torch's), 0 when absent. */
    protected static int stepCount(Map<String, Object> state) {
        return state.get("step") instanceof Number n ? n.intValue() : 0;
    }

    /** A number in a parameter's stored state, NaN when absent. */
    protected static double storedNumber(Map<String, Object> state, String key) {
        return state.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** The default options of this optimizer (its table's defaults with the settings it was built with). */
    public Map<String, Object> defaults() {
        return Collections.unmodifiableMap(defaults);
    }

    /** The state of one parameter, for the optimizer to update (created empty on first use). */
    protected final Map<String, Object> parameterState(Parameter p) {
        return state.computeIfAbsent(p, k -> new LinkedHashMap<>());
    }

    /** The state of every parameter that has any, keyed by parameter. */
    public Map<Parameter, Map<String, Object>> state() {
        return Collections.unmodifiableMap(state);
    }

    // ---------------------------------------------------------------- state dict

    /** The name a parameter is saved under: its dotted name, or its position when it has none. */
    private List<String> parameterKeys() {
        List<String> keys = new ArrayList<>();
        int index = 0;
        for (ParamGroup g : groups) {
            for (Parameter p : g.params()) {
                keys.add(p.name() != null ? p.name() : "#" + index);
                index++;
            }
        }
        return keys;
    }

    /**
     * A deep copy of the optimizer's state and hyperparameters, keyed by parameter name rather than
     * position, so it survives a model whose parameters are listed in another order.
     */
    public StateDict stateDict() {
        List<String> keys = parameterKeys();
        List<StateDict.Group> savedGroups = new ArrayList<>();
        Map<String, Map<String, Object>> savedState = new LinkedHashMap<>();
        int index = 0;
        for (ParamGroup g : groups) {
            List<String> names = new ArrayList<>();
            for (Parameter p : g.params()) {
                String key = keys.get(index++);
                names.add(key);
                Map<String, Object> st = state.get(p);
                if (st != null && !st.isEmpty()) {
                    savedState.put(key, StateDict.deepCopy(st));
                }
            }
            savedGroups.add(new StateDict.Group(names, StateDict.deepCopy(g.options())));
        }
        return new StateDict(getClass().getSimpleName(), savedGroups, savedState);
    }

    /**
     * Restores a state dict saved from an optimizer of the same kind over parameters with the
     * same names and shapes. Groups must match in number and membership; their options are taken
     * from the dict.
     */
    public void loadStateDict(StateDict dict) {
        requireSameGroups(dict);
        Map<String, Parameter> byKey = parametersByKey();
        for (String key : dict.state().keySet()) {
            if (!byKey.containsKey(key)) {
                throw new UsageException("state dict has state for unknown parameter '" + key + "'");
            }
        }
        Map<Parameter, Map<String, Object>> restored = new IdentityHashMap<>();
        for (Map.Entry<String, Map<String, Object>> e : dict.state().entrySet()) {
            Parameter p = byKey.get(e.getKey());
            Map<String, Object> st = StateDict.deepCopy(e.getValue());
            for (Map.Entry<String, Object> item : st.entrySet()) {
                if (item.getValue() instanceof Tensor t && t.numel() == p.numel()
                        && !java.util.Arrays.equals(t.shape(), p.shape())) {
                    throw new UsageException("state '" + item.getKey() + "' of parameter '" + e.getKey() + "' has shape "
                            + java.util.Arrays.toString(t.shape()) + ", parameter has " + java.util.Arrays.toString(p.shape()));
                }
                if (item.getValue() instanceof Tensor t && t.dtype() != p.dtype()) {
                    st.put(item.getKey(), t.to(p.dtype()).detach());
                }
            }
            restored.put(p, st);
        }
        for (int i = 0; i < groups.size(); i++) {
            ParamGroup g = groups.get(i);
            dict.groups().get(i).options().forEach(g::set);
        }
        state.clear();
        state.putAll(restored);
    }

    /**
     * Checks, changing nothing, that a state dict is of this optimizer's kind and has its groups
     * (in number, and each with the same parameter names); {@link #loadStateDict} starts with this,
     * and a subclass that keeps state of its own checks it before its own entries.
     */
    protected final void requireSameGroups(StateDict dict) {
        if (!dict.optimizer().equals(getClass().getSimpleName())) {
            throw new UsageException("state dict is for " + dict.optimizer() + ", not " + getClass().getSimpleName());
        }
        if (dict.groups().size() != groups.size()) {
            throw new UsageException("state dict has " + dict.groups().size() + " parameter groups, optimizer has "
                    + groups.size());
        }
        Map<String, Parameter> byKey = parametersByKey();
        for (int i = 0; i < groups.size(); i++) {
            List<String> mine = new ArrayList<>();
            for (Parameter p : groups.get(i).params()) {
                mine.add(keyOf(byKey, p));
            }
            List<String> theirs = dict.groups().get(i).params();
            if (!new java.util.HashSet<>(mine).equals(new java.util.HashSet<>(theirs))) {
                throw new UsageException("parameter group " + i + " holds " + mine + " but the state dict's holds " + theirs);
            }
        }
    }

    /**
     * Every parameter by the name its state is saved under (its dotted name, or its position as
     * {@code #3} when it has none), in group order.
     */
    protected final Map<String, Parameter> parametersByKey() {
        List<String> keys = parameterKeys();
        Map<String, Parameter> byKey = new LinkedHashMap<>();
        int index = 0;
        for (ParamGroup g : groups) {
            for (Parameter p : g.params()) {
                byKey.put(keys.get(index++), p);
            }
        }
        return byKey;
    }

    private static String keyOf(Map<String, Parameter> byKey, Parameter p) {
        for (Map.Entry<String, Parameter> e : byKey.entrySet()) {
            if (e.getValue() == p) {
                return e.getKey();
            }
        }
        throw new IllegalStateException("parameter not found");
    }

    /** Throws torch's message for a value that must be non-negative. */
    protected static void requireNonNegative(double value, String message) {
        if (!(value >= 0)) {
            throw new UsageException(message + value);
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append(" (");
        for (int i = 0; i < groups.size(); i++) {
            sb.append(i == 0 ? "" : "; ").append("group ").append(i).append(": ");
            StringBuilder opts = new StringBuilder();
            groups.get(i).options().forEach((k, v) -> opts.append(opts.isEmpty() ? "" : ", ").append(k).append('=')
                    .append(v instanceof double[] a ? a[0] + "/" + a[1] : v));
            sb.append(opts);
        }
        return sb.append(')').toString();
    }
}
