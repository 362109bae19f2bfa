package dev.kobai.tensor;

/**
 * Whether operations are recorded for differentiation on the current thread. Evaluation and
 * optimizer updates run inside {@link #noGrad()}, so they build no graph:
 *
 * <pre>{@code
 * try (GradMode.Scope ignored = GradMode.noGrad()) {
 *     Tensor logits = model.forward(x);
 * }
 * }</pre>
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {}

    /** A scope that restores the previous mode when closed. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Turns recording off until the returned scope closes. */
    public static Scope noGrad() {
        return set(false);
    }

    /** Sets recording on or off until the returned scope closes. */
    public static Scope set(boolean enabled) {
        boolean[] flag = ENABLED.get();
        boolean previous = flag[0];
        flag[0] = enabled;
        return () -> flag[0] = previous;
    }
}
