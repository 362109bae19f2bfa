package dev.kobai.optim;

import dev.kobai.nn.Parameter;
import java.util.List;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter, <i>Decoupled Weight Decay Regularization</i>, ICLR 2019): Adam
 * whose weight decay shrinks the parameter instead of being added to the gradient, as
 * torch.optim.AdamW 1.13 computes it. Per parameter, at step t:
 *
 * <pre>
 *   p = p * (1 - lr * weight_decay)                        (decoupled; before the Adam step)
 *   g = maximize ? -grad : grad                            (no wd * p term)
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g^2
 *   vmax = max(vmax, v)                                    if amsgrad
 *   p = p - lr / (1 - beta1^t) * m / (sqrt(amsgrad ? vmax : v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 *
 * <p>It is {@link Adam} with the base class's decoupled_weight_decay forced on, so the decay is
 * multiplied by lr as in torch (not by the schedule multiplier alone, as in the paper), and
 * no_decay spares named parameters. Options: lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
 * weight_decay=1e-2, amsgrad=false, maximize=false. Setting decoupled_weight_decay=false is refused:
 * that is {@link Adam}.
 *
 * <p>Typed construction (the map constructors and {@code Optimizers.create("spec", ...)} take the
 * same options):
 *
 * {@snippet :
 * AdamW adamw = AdamW.builder().lr(1e-3).weightDecay(1e-2).noDecay("bias")
 *         .build(model.parameters());
 * }
 */
public final class AdamW extends AdamCore {
    /** torch's {@code lr}: the learning rate; default 0.001. */
    public static final Option<Double> LR = Adam.LR;
    /** torch's {@code betas}: the decay rates of the averages of the gradient and its square; default (0.9, 0.999). */
    public static final Option<double[]> BETAS = Adam.BETAS;
    /** torch's {@code eps}: term added to the denominator for numerical stability; default 1e-8. */
    public static final Option<Double> EPS = Adam.EPS;
    /** torch's {@code weight_decay}: the decoupled weight decay (p = p (1 - lr weight_decay)); default 0.01. */
    public static final Option<Double> WEIGHT_DECAY = Option.number("weight_decay", 1e-2)
            .check(Option.nonNegative("Invalid weight_decay value: "));
    /** torch's {@code amsgrad}: the AMSGrad variant (divide by the running maximum of v); default false. */
    public static final Option<Boolean> AMSGRAD = Adam.AMSGRAD;
    /** torch's {@code maximize}: maximize the objective (negate the gradient first); default false. */
    public static final Option<Boolean> MAXIMIZE = Adam.MAXIMIZE;
    /**
     * Kobai's {@code decoupled_weight_decay}, true for AdamW and refused otherwise (that is
     * {@link Adam}).
     */
    public static final Option<Boolean> DECOUPLED_WEIGHT_DECAY = Option.bool(DECOUPLED, true)
            .check(v -> v ? null
                    : "AdamW always decouples weight decay; use adam for weight decay added to the gradient");
    /**
     * The options in torch's argument order, with torch's checks in torch's order: the one
     * table behind {@link #builder()}, the spec {@code adamw:...}, {@link #defaultOptions()} and
     * the checks on every group. decoupled_weight_decay and no_decay are added where there is a
     * weight_decay.
     */
    public static final OptionTable OPTIONS = OptionTable.of(LR, BETAS, EPS, WEIGHT_DECAY, AMSGRAD, MAXIMIZE,
            DECOUPLED_WEIGHT_DECAY).checkedIn(LR, EPS, BETAS, WEIGHT_DECAY);

    public AdamW(List<Parameter> params) {
        this(params, Map.of());
    }

    /** Over one group with {@code options} given by torch's names; {@link #builder()} is the typed form. */
    public AdamW(List<Parameter> params, Map<String, Object> options) {
        this(Map.of(), single(params, options));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static AdamW withGroups(List<ParamGroup> groups) {
        return new AdamW(Map.of(), groups);
    }

    /** Over {@code groups}, with {@code settings} overriding the defaults of {@link #OPTIONS}. */
    AdamW(Map<String, Object> settings, List<ParamGroup> groups) {
        super(groups, OPTIONS, settings);
    }

    /** Adam's defaults with weight_decay=1e-2 and the decay decoupled. */
    public static Map<String, Object> defaultOptions() {
        return OPTIONS.defaults();
    }

    /** A builder with torch's defaults: one typed method per option of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Typed settings of {@link AdamW}, with torch's defaults and checks (run when built); see
     * {@link OptimizerBuilder} for groups.
     */
    public static final class Builder extends OptimizerBuilder.WithBetas<Builder, AdamW> {
        private Builder() {
            super("AdamW", OPTIONS, Builder::new, AdamW::new);
        }

        /** Sets torch's {@code lr}: the learning rate; default 0.001. */
        public Builder lr(double value) {
            return set(LR, value);
        }

        /**
         * Sets torch's {@code weight_decay}: the decoupled weight decay (p = p (1 - lr weight_decay));
         * default 0.01.
         */
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
}
