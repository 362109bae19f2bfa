package dev.kobai.optim;

import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Parallel;
import java.util.List;
import java.util.Map;

/**
 * Adagrad (Duchi, Hazan and Singer, <i>Adaptive Subgradient Methods for Online Learning and
 * Stochastic Optimization</i>, JMLR 12, 2011): each coordinate's step is divided by the root of the
 * sum of all its squared gradients so far, as torch.optim.Adagrad computes it:
 *
 * <pre>
 *   t = t + 1
 *   g = maximize ? -grad : grad
 *   g = g + weight_decay * p                           if weight_decay != 0
 *   clr = lr / (1 + (t - 1) * lr_decay)
 *   sum = sum + g * g                                  (sum starts at initial_accumulator_value)
 *   p = p - clr * g / (sqrt(sum) + eps)                (eps outside the root)
 * </pre>
 *
 * <p>Options: lr=0.01, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
 * maximize=false. As in torch, each parameter's state (step and sum) is created when the optimizer
 * is built, so a state dict taken before the first step already holds it. One deliberate
 * difference: torch 1.13 fills every group's sum from the constructor's initial_accumulator_value,
 * ignoring a group's own value; here each group's sum starts at that group's value.
 *
 * <p>Typed construction (the map constructors and {@code Optimizers.create("spec", ...)} take the
 * same options):
 *
 * {@snippet :
 * Adagrad adagrad = Adagrad.builder().lr(0.01).lrDecay(1e-4).initialAccumulatorValue(0.1)
 *         .build(model.parameters());
 * }
 */
public final class Adagrad extends Optimizer {
    /** torch's {@code lr}: the learning rate; default 0.01. */
    public static final Option<Double> LR = Option.number("lr", 1e-2)
            .check(Option.nonNegative("Invalid learning rate: "));
    /** torch's {@code lr_decay}: the learning-rate decay; default 0. */
    public static final Option<Double> LR_DECAY = Option.number("lr_decay", 0.0)
            .check(Option.nonNegative("Invalid lr_decay value: "));
    /** torch's {@code weight_decay}: L2 penalty added to the gradient (g += weight_decay p); default 0. */
    public static final Option<Double> WEIGHT_DECAY = Option.number("weight_decay", 0.0)
            .check(Option.nonNegative("Invalid weight_decay value: "));
    /** torch's {@code initial_accumulator_value}: the starting value of the sum of squares; default 0. */
    public static final Option<Double> INITIAL_ACCUMULATOR_VALUE = Option.number("initial_accumulator_value", 0.0)
            .check(Option.nonNegative("Invalid initial_accumulator_value value: "));
    /** torch's {@code eps}: term added to the denominator for numerical stability; default 1e-10. */
    public static final Option<Double> EPS = Option.number("eps", 1e-10)
            .check(Option.nonNegative("Invalid epsilon value: "));
    /** torch's {@code maximize}: maximize the objective (negate the gradient first); default false. */
    public static final Option<Boolean> MAXIMIZE = Option.bool("maximize", false);
    /**
     * The options in torch's argument order, with torch's checks in torch's order: the one
     * table behind {@link #builder()}, the spec {@code adagrad:...}, {@link #defaultOptions()} and
     * the checks on every group. decoupled_weight_decay and no_decay are added where there is a
     * weight_decay.
     */
    public static final OptionTable OPTIONS = OptionTable.of(LR, LR_DECAY, WEIGHT_DECAY, INITIAL_ACCUMULATOR_VALUE,
            EPS, MAXIMIZE);

    public Adagrad(List<Parameter> params) {
        this(params, Map.of());
    }

    /** Over one group with {@code options} given by torch's names; {@link #builder()} is the typed form. */
    public Adagrad(List<Parameter> params, Map<String, Object> options) {
        this(Map.of(), single(params, options));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static Adagrad withGroups(List<ParamGroup> groups) {
        return new Adagrad(Map.of(), groups);
    }

    /** Over {@code groups}, with {@code settings} overriding the defaults of {@link #OPTIONS}. */
    Adagrad(Map<String, Object> settings, List<ParamGroup> groups) {
        super(groups, OPTIONS, settings);
        for (ParamGroup g : paramGroups()) {
            for (Parameter p : g.params()) {
                initState(g, p, parameterState(p));
            }
        }
    }

    /** The defaults of {@link #OPTIONS} by torch's names (null where required). */
    public static Map<String, Object> defaultOptions() {
        return OPTIONS.defaults();
    }

    private static void initState(ParamGroup g, Parameter p, Map<String, Object> state) {
        if (!state.containsKey("sum")) {
            state.put("step", 0.0);
            state.put("sum", Tensor.full(p.dtype(), g.getDouble("initial_accumulator_value"), p.shape()));
        }
    }

    @Override
    protected void updateParameter(ParamGroup g, Parameter p, Tensor grad, Map<String, Object> state) {
        initState(g, p, state); // a group added after construction gets its state here
        double step = ((Number) state.get("step")).doubleValue() + 1;
        state.put("step", step);
        double lr = g.getDouble("lr");
        double clr = lr / (1 + (step - 1) * g.getDouble("lr_decay"));
        double eps = g.getDouble("eps");
        double wd = l2WeightDecay(g, p);
        boolean maximize = g.getBoolean("maximize");
        Tensor sum = (Tensor) state.get("sum");
        int n = p.numel();
        boolean plain = !maximize && wd == 0;
        if (p.dtype() == DType.FLOAT32) {
            float[] w = p.floatData();
            float[] gr = grad.floatData();
            float[] s = sum.floatData();
            float fwd = (float) wd;
            float fclr = (float) clr;
            float feps = (float) eps;
            Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                if (plain) {
                    for (int i = lo; i < hi; i++) {
                        float d = gr[i];
                        float si = s[i] + d * d;
                        s[i] = si;
                        w[i] -= fclr * (d / ((float) Math.sqrt(si) + feps));
                    }
                    return;
                }
                for (int i = lo; i < hi; i++) {
                    float d = maximize ? -gr[i] : gr[i];
                    if (wd != 0) {
                        d += fwd * w[i];
                    }
                    s[i] += d * d;
                    w[i] -= fclr * (d / ((float) Math.sqrt(s[i]) + feps));
                }
            });
        } else {
            double[] w = p.doubleData();
            double[] gr = grad.doubleData();
            double[] s = sum.doubleData();
            Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                if (plain) {
                    for (int i = lo; i < hi; i++) {
                        double d = gr[i];
                        double si = s[i] + d * d;
                        s[i] = si;
                        w[i] -= clr * (d / (Math.sqrt(si) + eps));
                    }
                    return;
                }
                for (int i = lo; i < hi; i++) {
                    double d = maximize ? -gr[i] : gr[i];
                    if (wd != 0) {
                        d += wd * w[i];
                    }
                    s[i] += d * d;
                    w[i] -= clr * (d / (Math.sqrt(s[i]) + eps));
                }
            });
        }
    }

    /** A builder with torch's defaults: one typed method per option of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Typed settings of {@link Adagrad}, with torch's defaults and checks (run when built); see
     * {@link OptimizerBuilder} for groups.
     */
    public static final class Builder extends OptimizerBuilder.WithDecay<Builder, Adagrad> {
        private Builder() {
            super("Adagrad", OPTIONS, Builder::new, Adagrad::new);
        }

        /** Sets torch's {@code lr}: the learning rate; default 0.01. */
        public Builder lr(double value) {
            return set(LR, value);
        }

        /** Sets torch's {@code lr_decay}: the learning-rate decay; default 0. */
        public Builder lrDecay(double value) {
            return set(LR_DECAY, value);
        }

        /** Sets torch's {@code weight_decay}: L2 penalty added to the gradient (g += weight_decay p); default 0. */
        public Builder weightDecay(double value) {
            return set(WEIGHT_DECAY, value);
        }

        /** Sets torch's {@code initial_accumulator_value}: the starting value of the sum of squares; default 0. */
        public Builder initialAccumulatorValue(double value) {
            return set(INITIAL_ACCUMULATOR_VALUE, value);
        }

        /** Sets torch's {@code eps}: term added to the denominator for numerical stability; default 1e-10. */
        public Builder eps(double value) {
            return set(EPS, value);
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
     * @param sum {@code sum}, the sum of squared gradients
     */
    public record State(int step, Tensor sum) {}

    /** The typed state of {@code p}; IllegalArgumentException when p is not in this optimizer. */
    public State state(Parameter p) {
        Map<String, Object> s = storedState(p);
        return new State(stepCount(s), (Tensor) s.get("sum"));
    }
}
