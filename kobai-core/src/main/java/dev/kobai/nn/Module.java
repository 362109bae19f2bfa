package dev.kobai.nn;

import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A layer or a model: a function of one tensor with parameters and sub-modules, both registered
 * under names so that {@link #namedParameters()} gives PyTorch's dotted paths in registration order.
 */
public abstract class Module {
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Computes the module's output. */
    public abstract Tensor forward(Tensor input);

    protected final Parameter registerParameter(String name, Parameter p) {
        if (parameters.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("name '" + name + "' is already registered in " + getClass().getSimpleName());
        }
        parameters.put(name, p);
        return p;
    }

    protected final <M extends Module> M registerModule(String name, M m) {
        if (parameters.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("name '" + name + "' is already registered in " + getClass().getSimpleName());
        }
        children.put(name, m);
        return m;
    }

    /** Every parameter with its dotted path, depth first in registration order; also names them. */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out);
        out.forEach((name, p) -> p.setName(name));
        return Collections.unmodifiableMap(out);
    }

    private void collect(String prefix, Map<String, Parameter> out) {
        parameters.forEach((name, p) -> out.putIfAbsent(prefix + name, p));
        children.forEach((name, m) -> m.collect(prefix + name + ".", out));
    }

    /** The parameters in the order of {@link #namedParameters()}. */
    public List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** The direct sub-modules by name. */
    public Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** Total number of learnable numbers. */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) {
            n += p.numel();
        }
        return n;
    }

    /** Training mode (dropout active) or evaluation mode, for this module and all below it. */
    public Module train(boolean on) {
        training = on;
        children.values().forEach(m -> m.train(on));
        return this;
    }

    public Module eval() {
        return train(false);
    }

    public boolean isTraining() {
        return training;
    }

    /** Clears every parameter's gradient. */
    public void zeroGrad() {
        for (Parameter p : parameters()) {
            p.setGrad(null);
        }
    }
}
