package dev.kobai.optim;

import dev.kobai.nn.Parameter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parameters that share hyperparameters, as torch.optim's param_groups: a list of parameters and a
 * map of options ("lr", "momentum", "betas", ...). Options a group leaves out are filled from the
 * optimizer's defaults when the group is added; schedulers change them between steps.
 *
 * <p>The map is the storage; an optimizer's typed {@link Option} constants read and write it
 * ({@code group.get(Adam.LR)}), and its builder makes groups with typed setters:
 *
 * {@snippet :
 * Adam adam = Adam.builder().lr(1e-3)
 *         .group(biases, g -> g.lr(1e-2).weightDecay(0))
 *         .build(weights);
 * }
 */
public final class ParamGroup {
    private final List<Parameter> params;
    private final Map<String, Object> options;

    public ParamGroup(List<Parameter> params, Map<String, Object> options) {
        this.params = List.copyOf(params);
        this.options = new LinkedHashMap<>(options);
    }

    public ParamGroup(List<Parameter> params) {
        this(params, Map.of());
    }

    public List<Parameter> params() {
        return params;
    }

    /** The options, read-only. */
    public Map<String, Object> options() {
        return Collections.unmodifiableMap(options);
    }

    public boolean has(String key) {
        return options.containsKey(key);
    }

    public Object get(String key) {
        Object v = options.get(key);
        if (v == null) {
            throw new IllegalStateException("parameter group has no option '" + key + "'");
        }
        return v;
    }

    public double getDouble(String key) {
        return ((Number) get(key)).doubleValue();
    }

    public boolean getBoolean(String key) {
        return (Boolean) get(key);
    }

    /** A pair option such as betas. */
    public double[] getPair(String key) {
        return ((double[]) get(key)).clone();
    }

    /** Sets an option, for schedulers and for users changing a hyperparameter mid-run. */
    public void set(String key, Object value) {
        options.put(key, value instanceof double[] a ? a.clone() : value);
    }

    /** The value of a typed option; IllegalStateException when the group has none. */
    public <T> T get(Option<T> option) {
        return option.cast(get(option.name()));
    }

    /** Sets a typed option, for schedulers and for users changing a hyperparameter mid-run. */
    public <T> void set(Option<T> option, T value) {
        set(option.name(), option.coerce(value, "option " + option.name() + ": "));
    }

    public double lr() {
        return getDouble("lr");
    }

    /** Fills options missing from this group with the defaults. */
    void fillDefaults(Map<String, Object> defaults) {
        defaults.forEach(options::putIfAbsent);
    }
}
