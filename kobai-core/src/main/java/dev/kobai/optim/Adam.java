package dev.kobai.optim;

import dev.kobai.nn.Parameter;
import dev.kobai.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Adam (Kingma and Ba, <i>Adam: A Method for Stochastic Optimization</i>, ICLR 2015, Algorithm 1),
 * with the AMSGrad variant (Reddi, Kale and Kumar, <i>On the Convergence of Adam and Beyond</i>,
 * ICLR 2018), exactly as torch.optim.Adam 1.13 computes it. Per parameter, at step t = 1, 2, ...:
 *
 * <pre>
 *   g = maximize ? -grad : grad
 *   g = g + weight_decay * p                               if weight_decay != 0 (L2, coupled)
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g^2
 *   vmax = max(vmax, v)                                    if amsgrad (the uncorrected v)
 *   den = sqrt(amsgrad ? vmax : v) / sqrt(1 - beta2^t) + eps
 *   p = p - lr / (1 - beta1^t) * m / den
 * </pre>
 *
 * <p>eps is added after the bias correction of v, as in the paper's Algorithm 1. Options:
 * lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=false, maximize=false; and the
 * base class's decoupled_weight_decay and no_decay. With decoupled_weight_decay=true this is
 * {@link AdamW}.
 *
 * <p>State per parameter: step (a number), exp_avg, exp_avg_sq and, with amsgrad, max_exp_avg_sq
 * (tensors of the parameter's dtype and shape); {@link #state(Parameter)} reads them typed.
 *
 * <p>Typed construction (the map constructors and {@code Optimizers.create("spec", ...)} take the
 * same options):
 *
 * {@snippet :
 * Adam adam = Adam.builder().lr(1e-3).betas(0.9, 0.999).weightDecay(1e-2).amsgrad(true)
 *         .build(model.parameters());
 * Tensor m = adam.state(p).expAvg();
 * }
 */
public final class Adam extends AdamCore {
    /** torch's {@code lr}: the learning rate; default 0.001. */
    public static final Option<Double> LR = Option.number("lr", 1e-3)
            .check(Option.nonNegative("Invalid learning rate: "));
    /** torch's {@code betas}: the decay rates of the averages of the gradient and its square; default (0.9, 0.999). */
    public static final Option<double[]> BETAS = Option.pair("betas", 0.9, 0.999)
            .check(b -> b[0] >= 0 && b[0] < 1 ? null : "Invalid beta parameter at index 0: " + b[0])
            .check(b -> b[1] >= 0 && b[1] < 1 ? null : "Invalid beta parameter at index 1: " + b[1]);
    /** torch's {@code eps}: term added to the denominator for numerical stability; default 1e-8. */
    public static final Option<Double> EPS = Option.number("eps", 1e-8)
            .check(Option.nonNegative("Invalid epsilon value: "));
    /** torch's {@code weight_decay}: L2 penalty added to the gradient (g += weight_decay p); default 0. */
    public static final Option<Double> WEIGHT_DECAY = Option.number("weight_decay", 0.0)
            .check(Option.nonNegative("Invalid weight_decay value: "));
    /** torch's {@code amsgrad}: the AMSGrad variant (divide by the running maximum of v); default false. */
    public static final Option<Boolean> AMSGRAD = Option.bool("amsgrad", false);
    /** torch's {@code maximize}: maximize the objective (negate the gradient first); default false. */
    public static final Option<Boolean> MAXIMIZE = Option.bool("maximize", false);
    /**
     * The options in torch's argument order, with torch's checks in torch's order: the one
     * table behind {@link #builder()}, the spec {@code adam:...}, {@link #defaultOptions()} and
     * the checks on every group. decoupled_weight_decay and no_decay are added where there is a
     * weight_decay.
     */
    public static final OptionTable OPTIONS = OptionTable.of(LR, BETAS, EPS, WEIGHT_DECAY, AMSGRAD,
            MAXIMIZE).checkedIn(LR, EPS, BETAS, WEIGHT_DECAY);

    public Adam(List<Parameter> params) {
        this(params, Map.of());
    }

    /** Over one group with {@code options} given by torch's names; {@link #builder()} is the typed form. */
    public Adam(List<Parameter> params, Map<String, Object> options) {
        this(Map.of(), single(params, options));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static Adam withGroups(List<ParamGroup> groups) {
        return new Adam(Map.of(), groups);
    }

    /** Over {@code groups}, with {@code settings} overriding the defaults of {@link #OPTIONS}. */
    Adam(Map<String, Object> settings, List<ParamGroup> groups) {
        super(groups, OPTIONS, settings);
    }

    /** The defaults of {@link #OPTIONS} by torch's names. */
    public static Map<String, Object> defaultOptions() {
        return OPTIONS.defaults();
    }

    /** The step count saved in a parameter's state, incremented and stored back. */
    static int nextStep(Map<String, Object> state) {
        Object s = state.get("step");
        int t = s == null ? 1 : ((Number) s).intValue() + 1;
        state.put("step", t);
        return t;
    }

    /** The state tensor {@code key}, created as zeros of p's dtype and shape when missing. */
    static Tensor buffer(Map<String, Object> state, String key, Parameter p) {
        Tensor t = (Tensor) state.get(key);
        if (t == null) {
            t = Tensor.zeros(p.dtype(), p.shape());
            state.put(key, t);
        }
        return t;
    }

    /** A builder with torch's defaults: one typed method per option of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Typed settings of {@link Adam}, with torch's defaults and checks (run when built); see
     * {@link OptimizerBuilder} for groups.
     */
    public static final class Builder extends OptimizerBuilder.WithBetas<Builder, Adam> {
        private Builder() {
            super("Adam", OPTIONS, Builder::new, Adam::new);
        }

        /** Sets torch's {@code lr}: the learning rate; default 0.001. */
        public Builder lr(double value) {
            return set(LR, value);
        }

        /** Sets torch's {@code weight_decay}: L2 penalty added to the gradient (g += weight_decay p); default 0. */
        public Builder weightDecay(double value) {
            return set(WEIGHT_DECAY, value);
        }

        /** Sets torch's {@code amsgrad}: the AMSGrad variant (divide by the running maximum of v); default false. */
        public Builder amsgrad(boolean value) {
            return set(AMSGRAD, value);
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
     * @param expAvg {@code exp_avg}, the average of g
     * @param expAvgSq {@code exp_avg_sq}, the average of g^2
     * @param maxExpAvgSq {@code max_exp_avg_sq}, the running maximum of exp_avg_sq; null without amsgrad
     */
    public record State(int step, Tensor expAvg, Tensor expAvgSq, Tensor maxExpAvgSq) {}

}
