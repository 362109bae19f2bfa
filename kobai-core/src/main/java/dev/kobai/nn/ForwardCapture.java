package dev.kobai.nn;

import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps the input and output of chosen layers during the forward passes that run on this thread
 * while it is open, wherever the layers sit in the model: at the top of a {@link Sequential} or
 * inside a residual block that calls {@code conv1.forward(x)} itself. Optimizers that need each
 * layer's input and pre-activation output (K-FAC) open one around a forward pass:
 *
 * {@snippet :
 * try (ForwardCapture capture = ForwardCapture.of(List.of(conv, fc))) {
 *     Tensor logits = model.forward(images);
 *     Tensor convInput = capture.calls(conv).get(0).input();
 * }
 * }
 *
 * <p>A layer reports through {@link Module#reportForward}; {@link Linear} and {@link Conv2d} do.
 * The capture is confined to the thread that opened it (a forward pass of the same model on another
 * thread is not seen) and to the time until {@link #close()}; captures nest, each seeing the calls
 * of its own layers, and must be closed in the reverse order of opening (try-with-resources does).
 * The tensors are kept as computed, with their graphs, so gradients with respect to a captured
 * output can be taken afterwards.
 */
public final class ForwardCapture implements AutoCloseable {
    private static final ThreadLocal<ForwardCapture> INNERMOST = new ThreadLocal<>();

    /** One call of a layer: what went in and what came out. */
    public record Call(Tensor input, Tensor output) {}

    private final Map<Module, List<Call>> calls = new IdentityHashMap<>();
    private final ForwardCapture outer;
    private final Thread owner = Thread.currentThread();
    private boolean open = true;

    private ForwardCapture(Collection<? extends Module> layers) {
        for (Module m : layers) {
            calls.put(m, new ArrayList<>());
        }
        this.outer = INNERMOST.get();
        INNERMOST.set(this);
    }

    /** Starts capturing the calls of {@code layers} on this thread, until the result is closed. */
    public static ForwardCapture of(Collection<? extends Module> layers) {
        return new ForwardCapture(layers);
    }

    /** The calls of {@code layer} so far, in order; empty when it has not run. */
    public List<Call> calls(Module layer) {
        List<Call> c = calls.get(layer);
        if (c == null) {
            throw new IllegalArgumentException(layer + " is not one of the layers this capture watches");
        }
        return List.copyOf(c);
    }

    /** Records one call of {@code layer} in every open capture of this thread that watches it. */
    static void report(Module layer, Tensor input, Tensor output) {
        for (ForwardCapture c = INNERMOST.get(); c != null; c = c.outer) {
            List<Call> list = c.calls.get(layer);
            if (list != null) {
                list.add(new Call(input, output));
            }
        }
    }

    /** Stops capturing; the calls recorded stay readable. */
    @Override
    public void close() {
        if (!open) {
            return;
        }
        if (Thread.currentThread() != owner || INNERMOST.get() != this) {
            throw new IllegalStateException("a ForwardCapture must be closed on the thread that opened it, "
                    + "innermost first");
        }
        open = false;
        if (outer == null) {
            INNERMOST.remove();
        } else {
            INNERMOST.set(outer);
        }
    }
}
