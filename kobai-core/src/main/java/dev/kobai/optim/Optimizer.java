package dev.kobai.optim;

import dev.kobai.UsageException;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.GradMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The base of every optimizer, shaped like torch.optim.Optimizer: parameter groups with their own
 * hyperparameters, per-parameter state, {@link #zeroGrad()}, and {@link #step(Closure)}, which
 * second-order and line-search methods use to re-evaluate the loss.
 *
 * <p>A subclass declares its defaults, validates a group's options in {@link #validate} (throwing
 * {@link UsageException} with torch's messages), and updates the parameters in {@link #update}.
 * Updates run with gradient recording off.
 */
public abstract class Optimizer {
    /** Re-evaluates the model: zeroes gradients if it wants, computes the loss, calls backward, returns the loss. */
    @FunctionalInterface
    public interface Closure {
        double evaluate();
    }

    private final Map<String, Object> defaults;
    private final List<ParamGroup> groups = new ArrayList<>();
    private final Map<Parameter, Map<String, Object>> state = new IdentityHashMap<>();

    protected Optimizer(List<ParamGroup> groups, Map<String, Object> defaults) {
        this.defaults = new LinkedHashMap<>(defaults);
        if (groups.isEmpty()) {
            throw new UsageException("optimizer got an empty parameter list");
        }
        for (ParamGroup g : groups) {
            addParamGroup(g);
        }
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
        group.fillDefaults(defaults);
        for (Map.Entry<String, Object> e : group.options().entrySet()) {
            if (e.getValue() == null) {
                throw new UsageException("parameter group didn't specify a value of required optimization parameter "
                        + e.getKey());
            }
        }
        validate(group);
        groups.add(group);
    }

    /** Checks a group's options; throws UsageException naming the option and value. */
    protected abstract void validate(ParamGroup group);

    /** Updates the parameters of every group from their gradients; recording is off. */
    protected abstract void update();

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
            try (GradMode.Scope ignored = GradMode.set(true)) {
                loss = closure.evaluate();
            }
        }
        try (GradMode.Scope ignored = GradMode.noGrad()) {
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

    /** The default options of this optimizer. */
    public Map<String, Object> defaults() {
        return Collections.unmodifiableMap(defaults);
    }

    /** The state of one parameter (created empty on first use). */
    protected Map<String, Object> state(Parameter p) {
        return state.computeIfAbsent(p, k -> new LinkedHashMap<>());
    }

    /** The state of every parameter that has any, keyed by parameter. */
    public Map<Parameter, Map<String, Object>> state() {
        return Collections.unmodifiableMap(state);
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
