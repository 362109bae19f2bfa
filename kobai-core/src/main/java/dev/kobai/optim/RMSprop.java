package dev.kobai.optim;

import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Parallel;
import java.util.LinkedHashMap;
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
 */
public final class RMSprop extends Optimizer {
    public RMSprop(List<Parameter> params) {
        this(params, Map.of());
    }

    public RMSprop(List<Parameter> params, Map<String, Object> options) {
        this(single(params, options).toArray(new ParamGroup[0]));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static RMSprop withGroups(List<ParamGroup> groups) {
        return new RMSprop(groups.toArray(new ParamGroup[0]));
    }

    private RMSprop(ParamGroup[] groups) {
        super(List.of(groups), defaultOptions());
    }

    public static Map<String, Object> defaultOptions() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("lr", 1e-2);
        d.put("alpha", 0.99);
        d.put("eps", 1e-8);
        d.put("weight_decay", 0.0);
        d.put("momentum", 0.0);
        d.put("centered", false);
        d.put("maximize", false);
        return d;
    }

    @Override
    protected void validate(ParamGroup g) {
        requireNonNegative(g.getDouble("lr"), "Invalid learning rate: ");
        requireNonNegative(g.getDouble("eps"), "Invalid epsilon value: ");
        requireNonNegative(g.getDouble("momentum"), "Invalid momentum value: ");
        requireNonNegative(g.getDouble("weight_decay"), "Invalid weight_decay value: ");
        requireNonNegative(g.getDouble("alpha"), "Invalid alpha value: ");
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
}
