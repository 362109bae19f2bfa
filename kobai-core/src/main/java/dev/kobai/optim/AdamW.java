package dev.kobai.optim;

import dev.kobai.UsageException;
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
 */
public final class AdamW extends Adam {
    public AdamW(List<Parameter> params) {
        this(params, Map.of());
    }

    public AdamW(List<Parameter> params, Map<String, Object> options) {
        this(single(params, options).toArray(new ParamGroup[0]));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static AdamW withGroups(List<ParamGroup> groups) {
        return new AdamW(groups.toArray(new ParamGroup[0]));
    }

    private AdamW(ParamGroup[] groups) {
        super(groups, defaultOptions());
    }

    /** Adam's defaults with weight_decay=1e-2 and the decay decoupled. */
    public static Map<String, Object> defaultOptions() {
        Map<String, Object> d = Adam.defaultOptions();
        d.put("weight_decay", 1e-2);
        d.put(DECOUPLED, true);
        return d;
    }

    @Override
    protected void validate(ParamGroup g) {
        super.validate(g);
        if (!g.getBoolean(DECOUPLED)) {
            throw new UsageException("AdamW always decouples weight decay; use adam for weight decay added to the gradient");
        }
    }
}
