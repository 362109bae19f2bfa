package dev.kobai.optim;

import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Parallel;
import java.util.LinkedHashMap;
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
 */
public final class ASGD extends Optimizer {
    public ASGD(List<Parameter> params) {
        this(params, Map.of());
    }

    public ASGD(List<Parameter> params, Map<String, Object> options) {
        this(single(params, options).toArray(new ParamGroup[0]));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static ASGD withGroups(List<ParamGroup> groups) {
        return new ASGD(groups.toArray(new ParamGroup[0]));
    }

    private ASGD(ParamGroup[] groups) {
        super(List.of(groups), defaultOptions());
    }

    public static Map<String, Object> defaultOptions() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("lr", 1e-2);
        d.put("lambd", 1e-4);
        d.put("alpha", 0.75);
        d.put("t0", 1e6);
        d.put("weight_decay", 0.0);
        d.put("maximize", false);
        return d;
    }

    @Override
    protected void validate(ParamGroup g) {
        requireNonNegative(g.getDouble("lr"), "Invalid learning rate: ");
        requireNonNegative(g.getDouble("weight_decay"), "Invalid weight_decay value: ");
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
}
