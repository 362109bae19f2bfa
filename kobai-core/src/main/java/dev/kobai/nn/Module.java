package dev.kobai.nn;

import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
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

    /**
     * The module's state as torch's {@code state_dict()} gives it: every parameter and buffer under
     * its dotted path, in torch's order (a module's own parameters, then its own buffers, then each
     * child's in registration order, depth first). Parameters appear detached, sharing their
     * storage, so writing into a value changes the module, as in torch; buffers appear as the
     * {@link Buffer}s themselves (an integral one, batch norm's {@code num_batches_tracked}, answers
     * {@link Tensor#holdsInt64()} and is saved as int64). Save it with
     * {@link dev.kobai.io.SafeTensors#saveStateDict} and read it back with
     * {@link dev.kobai.io.SafeTensors#loadStateDict} and {@link #loadStateDict}.
     *
     * {@snippet :
     * Sequential model = new Sequential(new Linear(784, 256, rng), Activation.relu(), new Linear(256, 10, rng));
     * model.stateDict().keySet(); // [0.weight, 0.bias, 2.weight, 2.bias]
     * }
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        stateEntries("", out);
        out.replaceAll((name, t) -> t instanceof Parameter p ? p.detach() : t);
        return Collections.unmodifiableMap(out);
    }

    /** The live parameters and buffers in state-dict order, each path once. */
    private void stateEntries(String prefix, Map<String, Tensor> out) {
        parameters.forEach((name, p) -> out.putIfAbsent(prefix + name, p));
        buffers.forEach((name, b) -> out.putIfAbsent(prefix + name, b));
        children.forEach((name, m) -> m.stateEntries(prefix + name + ".", out));
    }

    /**
     * Copies {@code state} into this module's parameters and buffers by name, as torch's
     * {@code load_state_dict}: a value of the other float dtype is converted (float64 to float32
     * rounds), an integral buffer takes whole numbers. Everything is checked before anything is
     * written, so a load that throws leaves the module as it was.
     *
     * <p>A shape that differs from the module's is always an error. With {@code strict}, so is a
     * parameter or buffer the map lacks (missing) and a key the module does not have
     * (unexpected); without it those are returned and the rest is loaded.
     *
     * @return the missing and unexpected keys (both empty after a strict load)
     * @throws StateDictMismatchException naming every missing and unexpected key and every shape
     *         mismatch at once, when the load is refused
     */
    public IncompatibleKeys loadStateDict(Map<String, ? extends Tensor> state, boolean strict) {
        Map<String, Tensor> targets = new LinkedHashMap<>();
        stateEntries("", targets);
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> sizes = new ArrayList<>();
        targets.forEach((name, t) -> {
            Tensor v = state.get(name);
            if (v == null) {
                missing.add(name);
            } else if (!Arrays.equals(v.shape(), t.shape())) {
                sizes.add("size mismatch for " + name + ": copying a tensor of shape " + Arrays.toString(v.shape())
                        + ", the shape in the model is " + Arrays.toString(t.shape()));
            }
        });
        for (String name : state.keySet()) {
            if (!targets.containsKey(name)) {
                unexpected.add(name);
            }
        }
        if (!sizes.isEmpty() || strict && (!missing.isEmpty() || !unexpected.isEmpty())) {
            throw new StateDictMismatchException(getClass().getSimpleName(), missing, unexpected, sizes);
        }
        targets.forEach((name, t) -> {
            Tensor v = state.get(name);
            if (v != null) {
                Tensor src = v.detach();
                if (t.holdsInt64()) {
                    for (int i = 0; i < t.numel(); i++) {
                        // torch's copy_ into int64 truncates toward zero
                        t.setFlat(i, (double) (long) src.getFlat(i));
                    }
                } else {
                    t.copyFrom(src.dtype() == t.dtype() ? src : src.to(t.dtype()));
                }
            }
        });
        return new IncompatibleKeys(List.copyOf(missing), List.copyOf(unexpected));
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
