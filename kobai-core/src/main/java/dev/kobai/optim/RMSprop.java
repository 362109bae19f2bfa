package dev.kobai.optim;

import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Parallel;
import java.util.List;
import java.util.Map;

/**
 * RMSprop (Tieleman and Hinton, Coursera <i>Neural Networks for Machine Learning</i>, lecture 6e,
 * 2012), with the centered variant of Graves (<i>Generating Sequences With Recurrent Neural
 * Networks</i>, arXiv:1308.0850, 2013) and optional momentum, as torch.optim.RMSprop computes it:
 *
 * <pre>
 *   g = maximize ? -grad : grad
 *   g = g + weight_decay * p                           if weight_decay != 0
 *   v = alpha * v + (1 - alpha) * g * g                (square_avg)
 *   centered:  m = alpha * m + (1 - alpha) * g;  a = sqrt(v - m * m) + eps     (grad_avg)
 *   otherwise: a = sqrt(v) + eps                       (eps outside the root)
 *   momentum > 0: b = momentum * b + g / a;  p = p - lr * b                      (momentum_buffer)
 *   otherwise:    p = p - lr * g / a
 * </pre>
 *
 * <p>Options: lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=false,
 * maximize=false. There is no bias correction, so early steps are large (v starts at 0).
 *
 * <p>Typed construction (the map constructors and {@code Optimizers.create("spec", ...)} take the
 * same options):
 *
 * {@snippet :
 * RMSprop rmsprop = RMSprop.builder().lr(1e-3).alpha(0.9).momentum(0.9).centered(true)
 *         .build(model.parameters());
 * }
 */
public final class RMSprop extends Optimizer {
    /** torch's {@code lr}: the learning rate; default 0.01. */
    public static final Option<Double> LR = Option.number("lr", 1e-2)
            .check(Option.nonNegative("Invalid learning rate: "));
    /** torch's {@code alpha}: the decay of the average of g^2; default 0.99. */
    public static final Option<Double> ALPHA = Option.number("alpha", 0.99)
            .check(Option.nonNegative("Invalid alpha value: "));
    /** torch's {@code eps}: term added to the denominator for numerical stability; default 1e-8. */
    public static final Option<Double> EPS = Option.number("eps", 1e-8)
            .check(Option.nonNegative("Invalid epsilon value: "));
    /** torch's {@code weight_decay}: L2 penalty added to the gradient (g += weight_decay p); default 0. */
    public static final Option<Double> WEIGHT_DECAY = Option.number("weight_decay", 0.0)
            .check(Option.nonNegative("Invalid weight_decay value: "));
    /** torch's {@code momentum}: the momentum factor; default 0. */
    public static final Option<Double> MOMENTUM = Option.number("momentum", 0.0)
            .check(Option.nonNegative("Invalid momentum value: "));
    /**
     * torch's {@code centered}: divide by the estimated variance (Graves 2013) instead of the mean
     * square; default false.
     */
    public static final Option<Boolean> CENTERED = Option.bool("centered", false);
    /** torch's {@code maximize}: maximize the objective (negate the gradient first); default false. */
    public static final Option<Boolean> MAXIMIZE = Option.bool("maximize", false);
    /**
     * The options in torch's argument order, with torch's checks in torch's order: the one
     * table behind {@link #builder()}, the spec {@code rmsprop:...}, {@link #defaultOptions()} and
     * the checks on every group. decoupled_weight_decay and no_decay are added where there is a
     * weight_decay.
     */
    public static final OptionTable OPTIONS = OptionTable.of(LR, ALPHA, EPS, WEIGHT_DECAY, MOMENTUM, CENTERED,
            MAXIMIZE).checkedIn(LR, EPS, MOMENTUM, WEIGHT_DECAY, ALPHA);

    public RMSprop(List<Parameter> params) {
        this(params, Map.of());
    }

    /** Over one group with {@code options} given by torch's names; {@link #builder()} is the typed form. */
    public RMSprop(List<Parameter> params, Map<String, Object> options) {
        this(Map.of(), single(params, options));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static RMSprop withGroups(List<ParamGroup> groups) {
        return new RMSprop(Map.of(), groups);
    }

    /** Over {@code groups}, with {@code settings} overriding the defaults of {@link #OPTIONS}. */
    RMSprop(Map<String, Object> settings, List<ParamGroup> groups) {
        super(groups, OPTIONS, settings);
    }

    /** The defaults of {@link #OPTIONS} by torch's names (null where required). */
    public static Map<String, Object> defaultOptions() {
        return OPTIONS.defaults();
    }

    @Override
    protected void updateParameter(ParamGroup g, Parameter p, Tensor grad, Map<String, Object> state) {
        double lr = g.getDouble("lr");
        double alpha = g.getDouble("alpha");
        double eps = g.getDouble("eps");
        double momentum = g.getDouble("momentum");
        boolean centered = g.getBoolean("centered");
        double wd = l2WeightDecay(g, p);
        boolean maximize = g.getBoolean("maximize");
        if (!state.containsKey("square_avg")) {
            state.put("step", 0.0);
            state.put("square_avg", Tensor.zeros(p.dtype(), p.shape()));
        }
        // Buffers are created when first needed, also when momentum or centered is switched on mid-run.
        if (momentum > 0 && !state.containsKey("momentum_buffer")) {
            state.put("momentum_buffer", Tensor.zeros(p.dtype(), p.shape()));
        }
        if (centered && !state.containsKey("grad_avg")) {
            state.put("grad_avg", Tensor.zeros(p.dtype(), p.shape()));
        }
        state.put("step", ((Number) state.get("step")).doubleValue() + 1);
        Tensor squareAvg = (Tensor) state.get("square_avg");
        Tensor gradAvg = centered ? (Tensor) state.get("grad_avg") : null;
        Tensor buffer = momentum > 0 ? (Tensor) state.get("momentum_buffer") : null;
        int n = p.numel();
        boolean plain = !maximize && wd == 0 && gradAvg == null && buffer == null;
        if (p.dtype() == DType.FLOAT32) {
            float[] w = p.floatData();
            float[] gr = grad.floatData();
            float[] v = squareAvg.floatData();
            float[] m = gradAvg == null ? null : gradAvg.floatData();
            float[] b = buffer == null ? null : buffer.floatData();
            float falpha = (float) alpha;
            float fkeep = (float) (1 - alpha);
            float feps = (float) eps;
            float flr = (float) lr;
            float fmom = (float) momentum;
            float fwd = (float) wd;
            Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                if (plain) {
                    for (int i = lo; i < hi; i++) {
                        float d = gr[i];
                        float vi = falpha * v[i] + fkeep * d * d;
                        v[i] = vi;
                        w[i] -= flr * (d / ((float) Math.sqrt(vi) + feps));
                    }
                    return;
                }
                for (int i = lo; i < hi; i++) {
                    float d = maximize ? -gr[i] : gr[i];
                    if (wd != 0) {
                        d += fwd * w[i];
                    }
                    v[i] = falpha * v[i] + fkeep * d * d;
                    float a;
                    if (m != null) {
                        m[i] = falpha * m[i] + fkeep * d;
                        a = (float) Math.sqrt(v[i] - m[i] * m[i]) + feps;
                    } else {
                        a = (float) Math.sqrt(v[i]) + feps;
                    }
                    if (b != null) {
                        b[i] = fmom * b[i] + d / a;
                        w[i] -= flr * b[i];
                    } else {
                        w[i] -= flr * (d / a);
                    }
                }
            });
        } else {
            double[] w = p.doubleData();
            double[] gr = grad.doubleData();
            double[] v = squareAvg.doubleData();
            double[] m = gradAvg == null ? null : gradAvg.doubleData();
            double[] b = buffer == null ? null : buffer.doubleData();
            double keep = 1 - alpha;
            Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                if (plain) {
                    for (int i = lo; i < hi; i++) {
                        double d = gr[i];
                        double vi = alpha * v[i] + keep * d * d;
                        v[i] = vi;
                        w[i] -= lr * (d / (Math.sqrt(vi) + eps));
                    }
                    return;
                }
                for (int i = lo; i < hi; i++) {
                    double d = maximize ? -gr[i] : gr[i];
                    if (wd != 0) {
                        d += wd * w[i];
                    }
                    v[i] = alpha * v[i] + keep * d * d;
                    double a;
                    if (m != null) {
                        m[i] = alpha * m[i] + keep * d;
                        a = Math.sqrt(v[i] - m[i] * m[i]) + eps;
                    } else {
                        a = Math.sqrt(v[i]) + eps;
                    }
                    if (b != null) {
                        b[i] = momentum * b[i] + d / a;
                        w[i] -= lr * b[i];
                    } else {
                        w[i] -= lr * (d / a);
                    }
                }
            });
        }
    }

    /** A builder with torch's defaults: one typed method per option of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Typed settings of {@link RMSprop}, with torch's defaults and checks (run when built); see
     * {@link OptimizerBuilder} for groups.
     */
    public static final class Builder extends OptimizerBuilder.WithDecay<Builder, RMSprop> {
        private Builder() {
            super("RMSprop", OPTIONS, Builder::new, RMSprop::new);
        }

        /** Sets torch's {@code lr}: the learning rate; default 0.01. */
        public Builder lr(double value) {
            return set(LR, value);
        }

        /** Sets torch's {@code alpha}: the decay of the average of g^2; default 0.99. */
        public Builder alpha(double value) {
            return set(ALPHA, value);
        }

        /** Sets torch's {@code eps}: term added to the denominator for numerical stability; default 1e-8. */
        public Builder eps(double value) {
            return set(EPS, value);
        }

        /** Sets torch's {@code weight_decay}: L2 penalty added to the gradient (g += weight_decay p); default 0. */
        public Builder weightDecay(double value) {
            return set(WEIGHT_DECAY, value);
        }

        /** Sets torch's {@code momentum}: the momentum factor; default 0. */
        public Builder momentum(double value) {
            return set(MOMENTUM, value);
        }

        /**
         * Sets torch's {@code centered}: divide by the estimated variance (Graves 2013) instead of the
         * mean square; default false.
         */
        public Builder centered(boolean value) {
            return set(CENTERED, value);
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
     * @param squareAvg {@code square_avg}, the average of g^2
     * @param momentumBuffer {@code momentum_buffer}, null without momentum
     * @param gradAvg {@code grad_avg}, null unless centered
     */
    public record State(int step, Tensor squareAvg, Tensor momentumBuffer, Tensor gradAvg) {}

    /** The typed state of {@code p}; IllegalArgumentException when p is not in this optimizer. */
    public State state(Parameter p) {
        Map<String, Object> s = storedState(p);
        return new State(stepCount(s), (Tensor) s.get("square_avg"), (Tensor) s.get("momentum_buffer"), (Tensor) s.get("grad_avg"));
    }
}
