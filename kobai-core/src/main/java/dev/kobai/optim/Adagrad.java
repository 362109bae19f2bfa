package dev.kobai.optim;

import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Parallel;
import java.util.LinkedHashMap;
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
 */
public final class Adagrad extends Optimizer {
    public Adagrad(List<Parameter> params) {
        this(params, Map.of());
    }

    public Adagrad(List<Parameter> params, Map<String, Object> options) {
        this(single(params, options).toArray(new ParamGroup[0]));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static Adagrad withGroups(List<ParamGroup> groups) {
        return new Adagrad(groups.toArray(new ParamGroup[0]));
    }

    private Adagrad(ParamGroup[] groups) {
        super(List.of(groups), defaultOptions());
        for (ParamGroup g : paramGroups()) {
            for (Parameter p : g.params()) {
                initState(g, p, state(p));
            }
        }
    }

    public static Map<String, Object> defaultOptions() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("lr", 1e-2);
        d.put("lr_decay", 0.0);
        d.put("weight_decay", 0.0);
        d.put("initial_accumulator_value", 0.0);
        d.put("eps", 1e-10);
        d.put("maximize", false);
        return d;
    }

    @Override
    protected void validate(ParamGroup g) {
        requireNonNegative(g.getDouble("lr"), "Invalid learning rate: ");
        requireNonNegative(g.getDouble("lr_decay"), "Invalid lr_decay value: ");
        requireNonNegative(g.getDouble("weight_decay"), "Invalid weight_decay value: ");
        requireNonNegative(g.getDouble("initial_accumulator_value"), "Invalid initial_accumulator_value value: ");
        requireNonNegative(g.getDouble("eps"), "Invalid epsilon value: ");
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
}
