package dev.kobai.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reverse-mode engine: orders the recorded graph topologically and sends gradients from the
 * outputs back to the inputs, summing where a tensor feeds several operations.
 *
 * <p>Without createGraph the backward functions run with recording off, so they build nothing and
 * leaf gradients are accumulated in place. With createGraph they run with recording on, and the
 * gradients they produce are themselves differentiable tensors.
 */
public final class Backprop {
    /**
     * While a backward pass asked for the gradients of specific tensors runs, the tensors whose
     * gradients lead to them; null when every gradient is wanted. Backward functions that compute
     * several gradients at a cost (a convolution's two, a product's two) skip the ones that lead
     * nowhere ({@link Tensor#needsGrad}).
     */
    private static final ThreadLocal<Map<Tensor, Boolean>> NEEDED = new ThreadLocal<>();

    private Backprop() {}

    /** Whether the running backward pass needs the gradient of {@code t}: it requires one, and it leads to a wanted tensor. */
    static boolean needed(Tensor t) {
        Map<Tensor, Boolean> needed = NEEDED.get();
        return t.requiresGrad && (needed == null || needed.containsKey(t));
    }

    /**
     * Backpropagates {@code seeds} from {@code outputs}.
     *
     * @param inputs when null, gradients are accumulated into every reachable leaf's
     *               {@link Tensor#grad()}; otherwise the gradients of these tensors are returned
     *               (null for one the outputs do not depend on) and no {@code grad} is touched
     */
    public static Tensor[] run(Tensor[] outputs, Tensor[] seeds, Tensor[] inputs, boolean createGraph) {
        if (outputs.length != seeds.length) {
            throw new IllegalArgumentException(outputs.length + " outputs but " + seeds.length + " seeds");
        }
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        // Storage arrays that something besides the gradient being stored may hold: the seeds, every
        // gradient handed to a backward function (which may pass it through, as add does, or keep a
        // view of it, as reshape does) and every gradient already stored in a leaf. A leaf gradient
        // whose storage is in none of these was made fresh by a backward function for this leaf
        // alone, so it is stored without the copy (a copy of each weight's gradient per step).
        Map<Object, Boolean> shared = new IdentityHashMap<>();
        List<Tensor> roots = new ArrayList<>();
        for (int i = 0; i < outputs.length; i++) {
            Tensor out = outputs[i];
            Tensor seed = seeds[i];
            if (!Arrays.equals(out.shape, seed.shape) || out.dtype != seed.dtype) {
                throw new IllegalArgumentException("seed " + seed.describe() + " does not match output " + out.describe());
            }
            if (!out.requiresGrad) {
                throw new IllegalStateException("output " + i + " (" + out.describe()
                        + ") does not require grad: no parameter it depends on requires grad, or it was computed under noGrad");
            }
            accumulate(grads, out, seed, createGraph);
            shared.put(storage(seed), Boolean.TRUE);
            roots.add(out);
        }
        Map<Tensor, Boolean> wanted = null;
        if (inputs != null) {
            wanted = new IdentityHashMap<>();
            for (Tensor t : inputs) {
                wanted.put(t, Boolean.TRUE);
            }
        }
        List<Tensor> order = topologicalOrder(roots);
        Map<Tensor, Boolean> needed = wanted == null ? null : leadingTo(order, wanted);
        Map<Tensor, Boolean> outer = NEEDED.get();
        NEEDED.set(needed);
        try (GradMode.Scope _ = GradMode.set(createGraph)) {
            for (Tensor t : order) {
                Tensor g = grads.get(t);
                if (g == null || (needed != null && !needed.containsKey(t))) {
                    continue;
                }
                if (t.gradFn == null) {
                    if (wanted == null) {
                        storeLeafGrad(t, g, createGraph, shared);
                    }
                    continue;
                }
                if (wanted == null || !wanted.containsKey(t)) {
                    grads.remove(t);
                }
                Node node = t.gradFn;
                shared.put(storage(g), Boolean.TRUE);
                Tensor[] inGrads = node.backward.apply(g);
                for (int i = 0; i < node.inputs.length; i++) {
                    Tensor in = node.inputs[i];
                    Tensor gi = inGrads[i];
                    if (gi == null || !in.requiresGrad || (needed != null && !needed.containsKey(in))) {
                        continue;
                    }
                    if (!Arrays.equals(gi.shape, in.shape)) {
                        throw new IllegalStateException(node + " produced a gradient of shape "
                                + Arrays.toString(gi.shape) + " for an input of shape " + Arrays.toString(in.shape));
                    }
                    accumulate(grads, in, gi, createGraph);
                }
            }
        } finally {
            NEEDED.set(outer);
        }
        if (inputs == null) {
            return null;
        }
        Tensor[] result = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            result[i] = grads.get(inputs[i]);
        }
        return result;
    }

    private static void accumulate(Map<Tensor, Tensor> grads, Tensor t, Tensor g, boolean createGraph) {
        Tensor old = grads.get(t);
        grads.put(t, old == null ? g : old.add(g));
    }

    private static Object storage(Tensor t) {
        return t.f != null ? t.f : t.d;
    }

    private static void storeLeafGrad(Tensor leaf, Tensor g, boolean createGraph, Map<Object, Boolean> shared) {
        storeLeafGradIn(leaf, g, createGraph, shared);
        // a leaf's gradient outlives the step that made it
        StepMemory.escape(leaf.grad);
    }

    private static void storeLeafGradIn(Tensor leaf, Tensor g, boolean createGraph, Map<Object, Boolean> shared) {
        if (leaf.grad == null) {
            // The engine's gradients may share storage with other tensors (add passes its
            // gradient through unchanged), so a leaf gets its own copy unless the graph is kept
            // or the gradient is known to be fresh.
            if (createGraph) {
                leaf.grad = g;
            } else if (shared.put(storage(g), Boolean.TRUE) == null && !g.requiresGrad && g.gradFn == null) {
                leaf.grad = g;
            } else {
                leaf.grad = g.copy();
            }
        } else if (createGraph || leaf.grad.requiresGrad) {
            leaf.grad = leaf.grad.add(g);
        } else {
            Pointwise.addInPlace(leaf.grad, g);
        }
    }

    /**
     * The tensors of {@code order} (consumers before producers) that are wanted or computed from a
     * wanted tensor: only their gradients lead anywhere when specific inputs are asked for, so the
     * rest of the graph (a first layer's weight gradient, say) is not backpropagated at all.
     */
    private static Map<Tensor, Boolean> leadingTo(List<Tensor> order, Map<Tensor, Boolean> wanted) {
        Map<Tensor, Boolean> needed = new IdentityHashMap<>();
        for (int i = order.size() - 1; i >= 0; i--) {
            Tensor t = order.get(i);
            boolean need = wanted.containsKey(t);
            if (!need && t.gradFn != null) {
                for (Tensor in : t.gradFn.inputs) {
                    if (needed.containsKey(in)) {
                        need = true;
                        break;
                    }
                }
            }
            if (need) {
                needed.put(t, Boolean.TRUE);
            }
        }
        return needed;
    }

    /** Tensors reachable from the roots through recorded operations, each after all its consumers. */
    private static List<Tensor> topologicalOrder(List<Tensor> roots) {
        Map<Tensor, Boolean> visited = new IdentityHashMap<>();
        List<Tensor> postOrder = new ArrayList<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        for (Tensor root : roots) {
            if (visited.containsKey(root)) {
                continue;
            }
            visited.put(root, Boolean.TRUE);
            stack.push(new Object[] {root, 0});
            while (!stack.isEmpty()) {
                Object[] frame = stack.peek();
                Tensor t = (Tensor) frame[0];
                int next = (Integer) frame[1];
                Tensor[] children = t.gradFn == null ? new Tensor[0] : t.gradFn.inputs;
                if (next < children.length) {
                    frame[1] = next + 1;
                    Tensor c = children[next];
                    if (c.requiresGrad && !visited.containsKey(c)) {
                        visited.put(c, Boolean.TRUE);
                        stack.push(new Object[] {c, 0});
                    }
                } else {
                    stack.pop();
                    postOrder.add(t);
                }
            }
        }
        java.util.Collections.reverse(postOrder);
        return postOrder;
    }
}
