package dev.kobai.optim;

import dev.kobai.UsageException;
import dev.kobai.curvature.ParamVectors;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Helpers shared by the second-order optimizers. */
final class SecondOrderSupport {
    private SecondOrderSupport() {}

    static ParamGroup onlyGroup(Optimizer opt) {
        if (opt.paramGroups().size() != 1) {
            throw new UsageException(opt.getClass().getSimpleName()
                    + " works on all parameters at once and takes a single parameter group");
        }
        return opt.paramGroups().get(0);
    }

    static void requireSingleGroup(String name, List<ParamGroup> groups) {
        if (groups.size() != 1) {
            throw new UsageException(name + " works on all parameters at once and takes a single parameter group, got "
                    + groups.size());
        }
    }

    static String choice(ParamGroup g, String option, String... valid) {
        String v = String.valueOf(g.get(option)).trim().toLowerCase(Locale.ROOT);
        for (String ok : valid) {
            if (ok.equals(v)) {
                return v;
            }
        }
        throw new UsageException("option " + option + ": '" + g.get(option) + "' is not valid; valid: "
                + String.join(", ", valid));
    }

    /** The check of a number that must be positive and finite, with the second-order methods' message. */
    static java.util.function.Function<Double, String> positive(String option) {
        return v -> v > 0 && !Double.isInfinite(v) ? null : "option " + option + ": " + v + " must be positive";
    }

    /** The check of a number that must be non-negative and finite. */
    static java.util.function.Function<Double, String> nonNegative(String option) {
        return v -> v >= 0 && !Double.isInfinite(v) ? null : "option " + option + ": " + v + " must be non-negative";
    }

    /** The check of a number in [lo, hi]. */
    static java.util.function.Function<Double, String> inRange(String option, double lo, double hi) {
        return v -> v >= lo && v <= hi ? null : "option " + option + ": " + v + " must be in [" + lo + ", " + hi + "]";
    }

    /** The message for a value that is not a whole number at least {@code min}. */
    static java.util.function.Function<Number, String> wholeMessage(String option, int min) {
        return v -> "option " + option + ": " + v + " must be a whole number >= " + min;
    }

    /** Evaluates a plain closure with gradients cleared first (recording on); returns its loss. */
    static double evaluate(Optimizer.Closure closure, List<Parameter> params) {
        for (Parameter p : params) {
            p.setGrad(null);
        }
        try (GradMode.Scope _ = GradMode.set(true)) {
            return closure.evaluate();
        }
    }

    /** The gradient a plain closure leaves in the parameters. */
    static double[] closureGradient(Optimizer.Closure closure, List<Parameter> params) {
        evaluate(closure, params);
        return ParamVectors.grads(params);
    }

    /**
     * For an optimizer that computed the loss and the gradient itself: writes the gradient into the
     * parameters' grad and calls the closure's {@link Optimizer.Closure#afterGradients} (when there
     * is a closure), before the optimizer changes anything. Returns the gradient to step along:
     * {@code grad}, or the grads read back when the closure changed them (clipping).
     */
    static double[] afterGradients(Optimizer.Closure closure, List<Parameter> params, double loss, double[] grad) {
        storeGradient(params, grad);
        if (closure != null && closure.afterGradients(loss)) {
            return ParamVectors.grads(params);
        }
        return grad;
    }

    /** Writes a flat gradient into the parameters' grad, so callers see what the step used. */
    static void storeGradient(List<Parameter> params, double[] g) {
        dev.kobai.tensor.Tensor[] parts = ParamVectors.split(params, g);
        for (int i = 0; i < parts.length; i++) {
            params.get(i).setGrad(parts[i]);
        }
    }

    // ---------------------------------------------------------------- saved state

    /**
     * The state-dict key, under the first parameter, of a Monte-Carlo generator's state
     * ({@link Rng#state()}, six longs).
     */
    static final String GENERATOR = "generator";

    /** The generator state saved in {@code state} (of parameter {@code param}), checked. */
    static long[] savedGenerator(Map<String, Object> state, String param) {
        Object v = state.get(GENERATOR);
        if (!(v instanceof long[] words) || words.length != 6) {
            throw new UsageException("state '" + GENERATOR + "' of parameter '" + param + "' is " + describe(v)
                    + ", expected a generator state of 6 longs");
        }
        return words.clone();
    }

    /**
     * A float64 tensor saved in {@code state} (of parameter {@code param}) under {@code key}, with
     * exactly {@code shape}, as a fresh array; null when there is none.
     */
    static double[] savedArray(Map<String, Object> state, String key, String param, int... shape) {
        Object v = state.get(key);
        if (v == null) {
            return null;
        }
        String what = "state '" + key + "' of parameter '" + param + "'";
        if (!(v instanceof Tensor t)) {
            throw new UsageException(what + " is " + describe(v) + ", expected a float64 tensor of shape "
                    + Arrays.toString(shape));
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new UsageException(what + " has shape " + Arrays.toString(t.shape()) + ", expected "
                    + Arrays.toString(shape));
        }
        if (t.dtype() != DType.FLOAT64) {
            throw new UsageException(what + " is " + t.dtype() + ", expected float64 (as saved)");
        }
        return t.toDoubleArray();
    }

    /** As {@link #savedArray}, but the tensor must be there. */
    static double[] requireSaved(Map<String, Object> state, String key, String param, int... shape) {
        double[] a = savedArray(state, key, param, shape);
        if (a == null) {
            throw new UsageException("state '" + key + "' of parameter '" + param + "' is missing");
        }
        return a;
    }

    /** A saved value for messages: its type and, for a short one, its value. */
    static String describe(Object v) {
        return switch (v) {
            case null -> "missing";
            case Tensor t -> "a tensor " + t.describe();
            case long[] a -> "long[" + a.length + "]";
            case double[] a -> "double[" + a.length + "]";
            case int[] a -> "int[" + a.length + "]";
            default -> "the " + v.getClass().getSimpleName() + " " + v;
        };
    }
}
