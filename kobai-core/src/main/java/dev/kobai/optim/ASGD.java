package dev.kobai.optim;

import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Parallel;
import java.util.List;
import java.util.Map;

/**
 * Averaged stochastic gradient descent (Polyak and Juditsky, <i>Acceleration of Stochastic
 * Approximation by Averaging</i>, SIAM J. Control and Optimization 30(4), 1992): SGD with a decaying
 * step size whose iterates are averaged from step t0 on. The parameters follow the SGD path; the
 * average is kept in the state as {@code ax}. As torch.optim.ASGD computes it, with eta starting at
 * lr and mu at 1:
 *
 * <pre>
 *   t = t + 1
 *   g = maximize ? -grad : grad
 *   g = g + weight_decay * p                           if weight_decay != 0
 *   p = p * (1 - lambd * eta)
 *   p = p - eta * g
 *   ax = p  if mu == 1,  else  ax = ax + mu * (p - ax)
 *   eta = lr / (1 + lambd * lr * t)^alpha
 *   mu = 1 / max(1, t - t0)
 * </pre>
 *
 * <p>Options: lr=0.01, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=false. State per
 * parameter: step, eta, mu (numbers) and ax (a tensor like the parameter). torch 1.13 keeps eta and
 * mu as tensors of the default dtype; here they are doubles.
 *
 * <p>Typed construction (the map constructors and {@code Optimizers.create("spec", ...)} take the
 * same options):
 *
 * {@snippet :
 * ASGD asgd = ASGD.builder().lr(0.01).t0(100).build(model.parameters());
 * Tensor average = asgd.state(p).ax();
 * }
 */
public final class ASGD extends Optimizer {
    /** torch's {@code lr}: the learning rate; default 0.01. */
    public static final Option<Double> LR = Option.number("lr", 1e-2)
            .check(Option.nonNegative("Invalid learning rate: "));
    /** torch's {@code lambd}: the decay term; default 1e-4. */
    public static final Option<Double> LAMBD = Option.number("lambd", 1e-4);
    /** torch's {@code alpha}: the power of the eta update; default 0.75. */
    public static final Option<Double> ALPHA = Option.number("alpha", 0.75);
    /** torch's {@code t0}: the step at which averaging starts; default 1e6. */
    public static final Option<Double> T0 = Option.number("t0", 1e6);
    /** torch's {@code weight_decay}: L2 penalty added to the gradient (g += weight_decay p); default 0. */
    public static final Option<Double> WEIGHT_DECAY = Option.number("weight_decay", 0.0)
            .check(Option.nonNegative("Invalid weight_decay value: "));
    /** torch's {@code maximize}: maximize the objective (negate the gradient first); default false. */
    public static final Option<Boolean> MAXIMIZE = Option.bool("maximize", false);
    /**
     * The options in torch's argument order, with torch's checks in torch's order: the one
     * table behind {@link #builder()}, the spec {@code asgd:...}, {@link #defaultOptions()} and
     * the checks on every group. decoupled_weight_decay and no_decay are added where there is a
     * weight_decay.
     */
    public static final OptionTable OPTIONS = OptionTable.of(LR, LAMBD, ALPHA, T0, WEIGHT_DECAY,
            MAXIMIZE).checkedIn(LR, WEIGHT_DECAY);

    public ASGD(List<Parameter> params) {
        this(params, Map.of());
    }

    /** Over one group with {@code options} given by torch's names; {@link #builder()} is the typed form. */
    public ASGD(List<Parameter> params, Map<String, Object> options) {
        this(Map.of(), single(params, options));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static ASGD withGroups(List<ParamGroup> groups) {
        return new ASGD(Map.of(), groups);
    }

    /** Over {@code groups}, with {@code settings} overriding the defaults of {@link #OPTIONS}. */
    ASGD(Map<String, Object> settings, List<ParamGroup> groups) {
        super(groups, OPTIONS, settings);
    }

    /** The defaults of {@link #OPTIONS} by torch's names (null where required). */
    public static Map<String, Object> defaultOptions() {
        return OPTIONS.defaults();
    }

    @Override
    protected void updateParameter(ParamGroup g, Parameter p, Tensor grad, Map<String, Object> state) {
        double lr = g.getDouble("lr");
        double lambd = g.getDouble("lambd");
        double alpha = g.getDouble("alpha");
        double t0 = g.getDouble("t0");
        double wd = l2WeightDecay(g, p);
        boolean maximize = g.getBoolean("maximize");
        if (!state.containsKey("ax")) {
            state.put("step", 0.0);
            state.put("eta", lr);
            state.put("mu", 1.0);
            state.put("ax", Tensor.zeros(p.dtype(), p.shape()));
        }
        double step = ((Number) state.get("step")).doubleValue() + 1;
        double eta = ((Number) state.get("eta")).doubleValue();
        double mu = ((Number) state.get("mu")).doubleValue();
        Tensor ax = (Tensor) state.get("ax");
        double shrink = 1 - lambd * eta;
        int n = p.numel();
        if (p.dtype() == DType.FLOAT32) {
            float[] w = p.floatData();
            float[] gr = grad.floatData();
            float[] a = ax.floatData();
            float fshrink = (float) shrink;
            float feta = (float) eta;
            float fmu = (float) mu;
            float fwd = (float) wd;
            Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    float d = maximize ? -gr[i] : gr[i];
                    if (wd != 0) {
                        d += fwd * w[i];
                    }
                    w[i] = w[i] * fshrink - feta * d;
                    a[i] = mu == 1 ? w[i] : a[i] + fmu * (w[i] - a[i]);
                }
            });
        } else {
            double[] w = p.doubleData();
            double[] gr = grad.doubleData();
            double[] a = ax.doubleData();
            Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    double d = maximize ? -gr[i] : gr[i];
                    if (wd != 0) {
                        d += wd * w[i];
                    }
                    w[i] = w[i] * shrink - eta * d;
                    a[i] = mu == 1 ? w[i] : a[i] + mu * (w[i] - a[i]);
                }
            });
        }
        state.put("step", step);
        state.put("eta", lr / Math.pow(1 + lambd * lr * step, alpha));
        state.put("mu", 1 / Math.max(1, step - t0));
    }

    /** A builder with torch's defaults: one typed method per option of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Typed settings of {@link ASGD}, with torch's defaults and checks (run when built); see
     * {@link OptimizerBuilder} for groups.
     */
    public static final class Builder extends OptimizerBuilder.WithDecay<Builder, ASGD> {
        private Builder() {
            super("ASGD", OPTIONS, Builder::new, ASGD::new);
        }

        /** Sets torch's {@code lr}: the learning rate; default 0.01. */
        public Builder lr(double value) {
            return set(LR, value);
        }

        /** Sets torch's {@code lambd}: the decay term; default 1e-4. */
        public Builder lambd(double value) {
            return set(LAMBD, value);
        }

        /** Sets torch's {@code alpha}: the power of the eta update; default 0.75. */
        public Builder alpha(double value) {
            return set(ALPHA, value);
        }

        /** Sets torch's {@code t0}: the step at which averaging starts; default 1e6. */
        public Builder t0(double value) {
            return set(T0, value);
        }

        /** Sets torch's {@code weight_decay}: L2 penalty added to the gradient (g += weight_decay p); default 0. */
        public Builder weightDecay(double value) {
            return set(WEIGHT_DECAY, value);
        }

        /** Sets torch's {@code maximize}: maximize the objective (negate the gradient first); default false. */
        public Builder maximize(boolean value) {
            return set(MAXIMIZE, value);
        }
    }

    /**
     * The state of one parameter, typed: its tensors are the live buffers (torch's names in the
     * state dict are given below), its numbers as of the call. Before the parameter's first step
     * the tensors are null and the counts 0 (NaN for other numbers).
     *
     * @param step {@code step}
     * @param eta {@code eta}, the current step size
     * @param mu {@code mu}, the averaging weight
     * @param ax {@code ax}, the averaged parameter
     */
    public record State(int step, double eta, double mu, Tensor ax) {}

    /** The typed state of {@code p}; IllegalArgumentException when p is not in this optimizer. */
    public State state(Parameter p) {
        Map<String, Object> s = storedState(p);
        return new State(stepCount(s), storedNumber(s, "eta"), storedNumber(s, "mu"), (Tensor) s.get("ax"));
    }
}
