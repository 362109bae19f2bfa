package dev.kobai.nn;

import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A layer or a model: a function of one tensor with parameters, buffers and sub-modules, all
 * registered under names so that {@link #namedParameters()} and {@link #namedBuffers()} give
 * PyTorch's dotted paths in registration order.
 *
 * <p>Parameters are what optimizers change; buffers are state a module keeps for itself (batch
 * norm's running statistics), which optimizers never see but checkpoints and exported weights
 * carry. A module is in training mode until {@link #eval()}; layers such as dropout and batch
 * norm behave differently in the two modes.
 */
public abstract class Module {
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Buffer> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Computes the module's output. */
    public abstract Tensor forward(Tensor input);

    protected final Parameter registerParameter(String name, Parameter p) {
        requireFreeName(name);
        parameters.put(name, p);
        return p;
    }

    protected final Buffer registerBuffer(String name, Buffer b) {
        requireFreeName(name);
        buffers.put(name, b);
        return b;
    }

    protected final <M extends Module> M registerModule(String name, M m) {
        requireFreeName(name);
        children.put(name, m);
        return m;
    }

    private void requireFreeName(String name) {
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("name '" + name + "' is already registered in " + getClass().getSimpleName());
        }
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

    /** Every buffer with its dotted path, depth first in registration order (torch's state_dict keys). */
    public Map<String, Buffer> namedBuffers() {
        Map<String, Buffer> out = new LinkedHashMap<>();
        collectBuffers("", out);
        return Collections.unmodifiableMap(out);
    }

    private void collectBuffers(String prefix, Map<String, Buffer> out) {
        buffers.forEach((name, b) -> out.putIfAbsent(prefix + name, b));
        children.forEach((name, m) -> m.collectBuffers(prefix + name + ".", out));
    }

    /** The parameters in the order of {@link #namedParameters()}. */
    public List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /**
     * This module and every module below it with its dotted path ("" for this one), depth first in
     * registration order, each module once (torch's named_modules).
     */
    public Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", Collections.newSetFromMap(new IdentityHashMap<>()), out);
        return Collections.unmodifiableMap(out);
    }

    private void collectModules(String path, Set<Module> seen, Map<String, Module> out) {
        if (!seen.add(this)) {
            return;
        }
        out.put(path, this);
        children.forEach((name, m) -> m.collectModules(path.isEmpty() ? name : path + "." + name, seen, out));
    }

    /**
     * For layers whose input and output an optimizer may need (K-FAC's Linear and Conv2d): hands
     * both to the {@link ForwardCapture}s open on this thread that watch this module, and returns
     * {@code output}. Costs a thread-local read when none is open.
     */
    protected final Tensor reportForward(Tensor input, Tensor output) {
        ForwardCapture.report(this, input, output);
        return output;
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

    /**
     * Training mode (dropout drops, batch norm uses and updates batch statistics) or evaluation
     * mode, for this module and all below it.
     */
    public Module train(boolean on) {
        training = on;
        children.values().forEach(m -> m.train(on));
        return this;
    }

    /** Training mode, as torch's {@code model.train()}. */
    public Module train() {
        return train(true);
    }

    /** Evaluation mode, as torch's {@code model.eval()}: {@code train(false)}. */
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
