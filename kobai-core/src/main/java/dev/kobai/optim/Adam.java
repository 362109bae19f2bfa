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
 * (tensors of the parameter's dtype and shape).
 */
public class Adam extends Optimizer {
    public Adam(List<Parameter> params) {
        this(params, Map.of());
    }

    public Adam(List<Parameter> params, Map<String, Object> options) {
        this(single(params, options).toArray(new ParamGroup[0]), defaultOptions());
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static Adam withGroups(List<ParamGroup> groups) {
        return new Adam(groups.toArray(new ParamGroup[0]), defaultOptions());
    }

    Adam(ParamGroup[] groups, Map<String, Object> defaults) {
        super(List.of(groups), defaults);
    }

    public static Map<String, Object> defaultOptions() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("lr", 1e-3);
        d.put("betas", new double[] {0.9, 0.999});
        d.put("eps", 1e-8);
        d.put("weight_decay", 0.0);
        d.put("amsgrad", false);
        d.put("maximize", false);
        return d;
    }

    @Override
    protected void validate(ParamGroup g) {
        validateAdamOptions(g);
    }

    /** torch's checks, in torch's order, shared by the Adam family: lr, eps, betas, weight_decay. */
    static void validateAdamOptions(ParamGroup g) {
        requireNonNegative(g.getDouble("lr"), "Invalid learning rate: ");
        requireNonNegative(g.getDouble("eps"), "Invalid epsilon value: ");
        Object raw = g.get("betas");
        if (!(raw instanceof double[] betas) || betas.length != 2) {
            throw new UsageException("betas must be a pair of numbers, e.g. 0.9/0.999");
        }
        for (int i = 0; i < 2; i++) {
            if (!(betas[i] >= 0 && betas[i] < 1)) {
                throw new UsageException("Invalid beta parameter at index " + i + ": " + betas[i]);
            }
        }
        requireNonNegative(g.getDouble("weight_decay"), "Invalid weight_decay value: ");
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

    /** The decoupled decay (AdamW) is multiplied in by the update loop itself: one pass over p. */
    @Override
    protected boolean fusesDecoupledDecay() {
        return true;
    }

    @Override
    protected void updateParameter(ParamGroup g, Parameter p, Tensor grad, Map<String, Object> state) {
        double[] betas = (double[]) g.get("betas");
        double beta1 = betas[0];
        double beta2 = betas[1];
        double lr = g.getDouble("lr");
        double eps = g.getDouble("eps");
        double wd = l2WeightDecay(g, p);
        double decay = decoupledDecayFactor(g, p);
        boolean amsgrad = g.getBoolean("amsgrad");
        boolean maximize = g.getBoolean("maximize");
        Tensor expAvg = buffer(state, "exp_avg", p);
        Tensor expAvgSq = buffer(state, "exp_avg_sq", p);
        Tensor maxSq = amsgrad ? buffer(state, "max_exp_avg_sq", p) : null;
        int t = nextStep(state);
        double stepSize = lr / (1 - Math.pow(beta1, t));
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
        int n = p.numel();
        boolean plain = !maximize && wd == 0 && maxSq == null;
        if (p.dtype() == DType.FLOAT32) {
            float[] w = p.floatData();
            float[] gr = grad.floatData();
            float[] m = expAvg.floatData();
            float[] v = expAvgSq.floatData();
            float[] vmax = maxSq == null ? null : maxSq.floatData();
            float b1 = (float) beta1, c1 = (float) (1 - beta1), b2 = (float) beta2, c2 = (float) (1 - beta2);
            float fwd = (float) wd, feps = (float) eps, fbc2 = (float) bc2Sqrt, fstep = (float) -stepSize;
            float fdecay = (float) decay;
            if (plain) {
                Parallel.forRange(n, ElementLoops.GRAIN,
                        (lo, hi) -> plainFloat(w, gr, m, v, b1, c1, b2, c2, feps, fbc2, fstep, fdecay, lo, hi));
            } else {
                Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> generalFloat(w, gr, m, v, vmax, maximize, fwd,
                        b1, c1, b2, c2, feps, fbc2, fstep, fdecay, lo, hi));
            }
        } else {
            double[] w = p.doubleData();
            double[] gr = grad.doubleData();
            double[] m = expAvg.doubleData();
            double[] v = expAvgSq.doubleData();
            double[] vmax = maxSq == null ? null : maxSq.doubleData();
            if (plain) {
                Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> plainDouble(w, gr, m, v, beta1, 1 - beta1, beta2,
                        1 - beta2, eps, bc2Sqrt, -stepSize, decay, lo, hi));
            } else {
                Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> generalDouble(w, gr, m, v, vmax, maximize, wd,
                        beta1, 1 - beta1, beta2, 1 - beta2, eps, bc2Sqrt, -stepSize, decay, lo, hi));
            }
        }
    }

    // The loops below compute, per element and in this order: p *= decay (exactly 1 unless the
    // decay is decoupled), then the update of the class comment. The plain loops are the general
    // ones with the default options' branches taken.

    private static void plainFloat(float[] w, float[] gr, float[] m, float[] v, float b1, float c1, float b2,
                                   float c2, float eps, float bc2, float step, float decay, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            float d = gr[i];
            float mi = m[i] * b1 + c1 * d;
            float vi = v[i] * b2 + c2 * d * d;
            m[i] = mi;
            v[i] = vi;
            float den = (float) Math.sqrt(vi) / bc2 + eps;
            w[i] = w[i] * decay + step * (mi / den);
        }
    }

    private static void generalFloat(float[] w, float[] gr, float[] m, float[] v, float[] vmax, boolean maximize,
                                     float wd, float b1, float c1, float b2, float c2, float eps, float bc2,
                                     float step, float decay, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            float wi = w[i] * decay;
            float d = maximize ? -gr[i] : gr[i];
            if (wd != 0) {
                d += wd * wi;
            }
            m[i] = m[i] * b1 + c1 * d;
            v[i] = v[i] * b2 + c2 * d * d;
            float s = v[i];
            if (vmax != null) {
                s = vmax[i] = Math.max(vmax[i], s);
            }
            float den = (float) Math.sqrt(s) / bc2 + eps;
            w[i] = wi + step * (m[i] / den);
        }
    }

    private static void plainDouble(double[] w, double[] gr, double[] m, double[] v, double b1, double c1,
                                    double b2, double c2, double eps, double bc2, double step, double decay,
                                    int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            double d = gr[i];
            double mi = m[i] * b1 + c1 * d;
            double vi = v[i] * b2 + c2 * d * d;
            m[i] = mi;
            v[i] = vi;
            double den = Math.sqrt(vi) / bc2 + eps;
            w[i] = w[i] * decay + step * (mi / den);
        }
    }

    private static void generalDouble(double[] w, double[] gr, double[] m, double[] v, double[] vmax,
                                      boolean maximize, double wd, double b1, double c1, double b2, double c2,
                                      double eps, double bc2, double step, double decay, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            double wi = w[i] * decay;
            double d = maximize ? -gr[i] : gr[i];
            if (wd != 0) {
                d += wd * wi;
            }
            m[i] = m[i] * b1 + c1 * d;
            v[i] = v[i] * b2 + c2 * d * d;
            double s = v[i];
            if (vmax != null) {
                s = vmax[i] = Math.max(vmax[i], s);
            }
            double den = Math.sqrt(s) / bc2 + eps;
            w[i] = wi + step * (m[i] / den);
        }
    }
}
