package dev.kobai.optim;

import dev.kobai.UsageException;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Parallel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adadelta (Zeiler, <i>ADADELTA: An Adaptive Learning Rate Method</i>, arXiv:1212.5701, 2012):
 * the step is the gradient scaled by the ratio of two running root mean squares, of past updates and
 * of past gradients, so it has the units of the parameter. As torch.optim.Adadelta computes it:
 *
 * <pre>
 *   g = maximize ? -grad : grad
 *   g = g + weight_decay * p                           if weight_decay != 0
 *   v = rho * v + (1 - rho) * g * g                    (square_avg)
 *   d = sqrt(u + eps) / sqrt(v + eps) * g              (eps inside both roots)
 *   u = rho * u + (1 - rho) * d * d                    (acc_delta)
 *   p = p - lr * d
 * </pre>
 *
 * <p>Options: lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=false. The paper has no learning
 * rate (lr=1 here) and used rho=0.95.
 */
public final class Adadelta extends Optimizer {
    public Adadelta(List<Parameter> params) {
        this(params, Map.of());
    }

    public Adadelta(List<Parameter> params, Map<String, Object> options) {
        this(single(params, options).toArray(new ParamGroup[0]));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static Adadelta withGroups(List<ParamGroup> groups) {
        return new Adadelta(groups.toArray(new ParamGroup[0]));
    }

    private Adadelta(ParamGroup[] groups) {
        super(List.of(groups), defaultOptions());
    }

    public static Map<String, Object> defaultOptions() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("lr", 1.0);
        d.put("rho", 0.9);
        d.put("eps", 1e-6);
        d.put("weight_decay", 0.0);
        d.put("maximize", false);
        return d;
    }

    @Override
    protected void validate(ParamGroup g) {
        requireNonNegative(g.getDouble("lr"), "Invalid learning rate: ");
        double rho = g.getDouble("rho");
        if (!(rho >= 0 && rho <= 1)) {
            throw new UsageException("Invalid rho value: " + rho);
        }
        requireNonNegative(g.getDouble("eps"), "Invalid epsilon value: ");
        requireNonNegative(g.getDouble("weight_decay"), "Invalid weight_decay value: ");
    }

    @Override
    protected void updateParameter(ParamGroup g, Parameter p, Tensor grad, Map<String, Object> state) {
        if (!state.containsKey("square_avg")) {
            state.put("step", 0.0);
            state.put("square_avg", Tensor.zeros(p.dtype(), p.shape()));
            state.put("acc_delta", Tensor.zeros(p.dtype(), p.shape()));
        }
        state.put("step", ((Number) state.get("step")).doubleValue() + 1);
        double lr = g.getDouble("lr");
        double rho = g.getDouble("rho");
        double eps = g.getDouble("eps");
        double wd = l2WeightDecay(g, p);
        boolean maximize = g.getBoolean("maximize");
        Tensor squareAvg = (Tensor) state.get("square_avg");
        Tensor accDelta = (Tensor) state.get("acc_delta");
        int n = p.numel();
        boolean plain = !maximize && wd == 0;
        if (p.dtype() == DType.FLOAT32) {
            float[] w = p.floatData();
            float[] gr = grad.floatData();
            float[] v = squareAvg.floatData();
            float[] u = accDelta.floatData();
            float frho = (float) rho;
            float fkeep = (float) (1 - rho);
            float feps = (float) eps;
            float flr = (float) lr;
            float fwd = (float) wd;
            Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                if (plain) {
                    for (int i = lo; i < hi; i++) {
                        float d = gr[i];
                        float vi = frho * v[i] + fkeep * d * d;
                        v[i] = vi;
                        float delta = (float) Math.sqrt(u[i] + feps) / (float) Math.sqrt(vi + feps) * d;
                        u[i] = frho * u[i] + fkeep * delta * delta;
                        w[i] -= flr * delta;
                    }
                    return;
                }
                for (int i = lo; i < hi; i++) {
                    float d = maximize ? -gr[i] : gr[i];
                    if (wd != 0) {
                        d += fwd * w[i];
                    }
                    v[i] = frho * v[i] + fkeep * d * d;
                    float delta = (float) Math.sqrt(u[i] + feps) / (float) Math.sqrt(v[i] + feps) * d;
                    u[i] = frho * u[i] + fkeep * delta * delta;
                    w[i] -= flr * delta;
                }
            });
        } else {
            double[] w = p.doubleData();
            double[] gr = grad.doubleData();
            double[] v = squareAvg.doubleData();
            double[] u = accDelta.doubleData();
            double keep = 1 - rho;
            Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                if (plain) {
                    for (int i = lo; i < hi; i++) {
                        double d = gr[i];
                        double vi = rho * v[i] + keep * d * d;
                        v[i] = vi;
                        double delta = Math.sqrt(u[i] + eps) / Math.sqrt(vi + eps) * d;
                        u[i] = rho * u[i] + keep * delta * delta;
                        w[i] -= lr * delta;
                    }
                    return;
                }
                for (int i = lo; i < hi; i++) {
                    double d = maximize ? -gr[i] : gr[i];
                    if (wd != 0) {
                        d += wd * w[i];
                    }
                    v[i] = rho * v[i] + keep * d * d;
                    double delta = Math.sqrt(u[i] + eps) / Math.sqrt(v[i] + eps) * d;
                    u[i] = rho * u[i] + keep * delta * delta;
                    w[i] -= lr * delta;
                }
            });
        }
    }
}
