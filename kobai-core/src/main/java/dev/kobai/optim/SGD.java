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
 * Stochastic gradient descent with optional momentum (Polyak 1964) and Nesterov momentum
 * (Sutskever et al. 2013, in PyTorch's form), exactly as torch.optim.SGD computes it:
 *
 * <pre>
 *   g = maximize ? -grad : grad
 *   g = g + weight_decay * p                          if weight_decay != 0
 *   b = g  (first step),  b = momentum * b + (1 - dampening) * g  (later)     if momentum != 0
 *   g = nesterov ? g + momentum * b : b                                      if momentum != 0
 *   p = p - lr * g
 * </pre>
 *
 * <p>Options: lr (required), momentum=0, dampening=0, weight_decay=0, nesterov=false,
 * maximize=false. The lecture's "gradient descent with momentum" v = mu v - lr g; p = p + v is the
 * same trajectory as this form with dampening 0 when lr is constant.
 */
public final class SGD extends Optimizer {
    public SGD(List<Parameter> params, double lr) {
        this(params, Map.of("lr", lr));
    }

    public SGD(List<Parameter> params, Map<String, Object> options) {
        this(single(params, options).toArray(new ParamGroup[0]));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static SGD withGroups(List<ParamGroup> groups) {
        return new SGD(groups.toArray(new ParamGroup[0]));
    }

    private SGD(ParamGroup[] groups) {
        super(List.of(groups), defaultOptions());
    }

    /** The defaults; lr has none (null), so every group must give one. */
    public static Map<String, Object> defaultOptions() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("lr", null);
        d.put("momentum", 0.0);
        d.put("dampening", 0.0);
        d.put("weight_decay", 0.0);
        d.put("nesterov", false);
        d.put("maximize", false);
        return d;
    }

    @Override
    protected void validate(ParamGroup g) {
        requireNonNegative(g.getDouble("lr"), "Invalid learning rate: ");
        requireNonNegative(g.getDouble("momentum"), "Invalid momentum value: ");
        requireNonNegative(g.getDouble("weight_decay"), "Invalid weight_decay value: ");
        if (g.getBoolean("nesterov") && (g.getDouble("momentum") <= 0 || g.getDouble("dampening") != 0)) {
            throw new UsageException("Nesterov momentum requires a momentum and zero dampening");
        }
    }

    @Override
    protected void updateParameter(ParamGroup g, Parameter p, Tensor grad, Map<String, Object> state) {
        double lr = g.getDouble("lr");
        double momentum = g.getDouble("momentum");
        double dampening = g.getDouble("dampening");
        double wd = l2WeightDecay(g, p);
        boolean nesterov = g.getBoolean("nesterov");
        boolean maximize = g.getBoolean("maximize");
        Tensor buf = null;
        boolean first = false;
        if (momentum != 0) {
            buf = (Tensor) state.get("momentum_buffer");
            if (buf == null) {
                buf = Tensor.zeros(p.dtype(), p.shape());
                state.put("momentum_buffer", buf);
                first = true;
            }
        }
        int n = p.numel();
        boolean isFirst = first;
        boolean plain = !maximize && wd == 0 && !nesterov;
        if (p.dtype() == DType.FLOAT32) {
            float[] w = p.floatData();
            float[] gr = grad.floatData();
            float[] b = buf == null ? null : buf.floatData();
            float flr = (float) lr, fmom = (float) momentum, fkeep = (float) (1 - dampening), fwd = (float) wd;
            if (plain && b == null) {
                Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> plainFloat(w, gr, flr, lo, hi));
            } else if (plain && !isFirst) {
                Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> momentumFloat(w, gr, b, flr, fmom, fkeep, lo, hi));
            } else {
                Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                    for (int i = lo; i < hi; i++) {
                        float d = maximize ? -gr[i] : gr[i];
                        if (wd != 0) {
                            d += fwd * w[i];
                        }
                        if (b != null) {
                            b[i] = isFirst ? d : fmom * b[i] + fkeep * d;
                            d = nesterov ? d + fmom * b[i] : b[i];
                        }
                        w[i] -= flr * d;
                    }
                });
            }
        } else {
            double[] w = p.doubleData();
            double[] gr = grad.doubleData();
            double[] b = buf == null ? null : buf.doubleData();
            double keep = 1 - dampening;
            if (plain && b == null) {
                Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> plainDouble(w, gr, lr, lo, hi));
            } else if (plain && !isFirst) {
                Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> momentumDouble(w, gr, b, lr, momentum, keep, lo, hi));
            } else {
                Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                    for (int i = lo; i < hi; i++) {
                        double d = maximize ? -gr[i] : gr[i];
                        if (wd != 0) {
                            d += wd * w[i];
                        }
                        if (b != null) {
                            b[i] = isFirst ? d : momentum * b[i] + keep * d;
                            d = nesterov ? d + momentum * b[i] : b[i];
                        }
                        w[i] -= lr * d;
                    }
                });
            }
        }
    }

    // The default options' loops, each its own method so that the JIT compiles each for its own use.

    private static void plainFloat(float[] w, float[] g, float lr, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            w[i] -= lr * g[i];
        }
    }

    private static void momentumFloat(float[] w, float[] g, float[] b, float lr, float mom, float keep, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            float bi = mom * b[i] + keep * g[i];
            b[i] = bi;
            w[i] -= lr * bi;
        }
    }

    private static void plainDouble(double[] w, double[] g, double lr, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            w[i] -= lr * g[i];
        }
    }

    private static void momentumDouble(double[] w, double[] g, double[] b, double lr, double mom, double keep,
                                       int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            double bi = mom * b[i] + keep * g[i];
            b[i] = bi;
            w[i] -= lr * bi;
        }
    }
}
