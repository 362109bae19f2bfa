package dev.kobai.optim;

import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Kernels;
import dev.kobai.tensor.kernel.Parallel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdaMax, Adam with the infinity norm (Kingma and Ba, <i>Adam: A Method for Stochastic
 * Optimization</i>, ICLR 2015, Algorithm 2), as torch.optim.Adamax 1.13 computes it. Per
 * parameter, at step t:
 *
 * <pre>
 *   g = maximize ? -grad : grad
 *   g = g + weight_decay * p                               if weight_decay != 0
 *   m = beta1 * m + (1 - beta1) * g
 *   u = max(beta2 * u, |g| + eps)                          (eps inside the max)
 *   p = p - lr / (1 - beta1^t) * m / u
 * </pre>
 *
 * <p>The paper has no eps; torch adds it inside the max so that u is never zero. Options: lr=2e-3,
 * betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=false. State: step, exp_avg, exp_inf.
 */
public final class Adamax extends Optimizer {
    public Adamax(List<Parameter> params) {
        this(params, Map.of());
    }

    public Adamax(List<Parameter> params, Map<String, Object> options) {
        this(single(params, options).toArray(new ParamGroup[0]));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static Adamax withGroups(List<ParamGroup> groups) {
        return new Adamax(groups.toArray(new ParamGroup[0]));
    }

    private Adamax(ParamGroup[] groups) {
        super(List.of(groups), defaultOptions());
    }

    public static Map<String, Object> defaultOptions() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("lr", 2e-3);
        d.put("betas", new double[] {0.9, 0.999});
        d.put("eps", 1e-8);
        d.put("weight_decay", 0.0);
        d.put("maximize", false);
        return d;
    }

    @Override
    protected void validate(ParamGroup g) {
        Adam.validateAdamOptions(g);
    }

    @Override
    protected void updateParameter(ParamGroup g, Parameter p, Tensor grad, Map<String, Object> state) {
        double[] betas = (double[]) g.get("betas");
        double beta1 = betas[0];
        double beta2 = betas[1];
        double lr = g.getDouble("lr");
        double eps = g.getDouble("eps");
        double wd = l2WeightDecay(g, p);
        boolean maximize = g.getBoolean("maximize");
        Tensor expAvg = Adam.buffer(state, "exp_avg", p);
        Tensor expInf = Adam.buffer(state, "exp_inf", p);
        int t = Adam.nextStep(state);
        double clr = lr / (1 - Math.pow(beta1, t));
        int n = p.numel();
        boolean plain = !maximize && wd == 0;
        if (p.dtype() == DType.FLOAT32) {
            float[] w = p.floatData();
            float[] gr = grad.floatData();
            float[] m = expAvg.floatData();
            float[] u = expInf.floatData();
            float b1 = (float) beta1, c1 = (float) (1 - beta1), b2 = (float) beta2;
            float fwd = (float) wd, feps = (float) eps, fclr = (float) -clr;
            if (plain) {
                boolean vector = Kernels.vectorAvailable();
                Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                    if (vector) {
                        AdamaxVector.plainFloat(w, gr, m, u, b1, c1, b2, feps, fclr, lo, hi);
                    } else {
                        plainFloat(w, gr, m, u, b1, c1, b2, feps, fclr, lo, hi);
                    }
                });
                return;
            }
            Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    float d = maximize ? -gr[i] : gr[i];
                    if (wd != 0) {
                        d += fwd * w[i];
                    }
                    m[i] = m[i] * b1 + c1 * d;
                    u[i] = Math.max(u[i] * b2, Math.abs(d) + feps);
                    w[i] += fclr * (m[i] / u[i]);
                }
            });
        } else {
            double[] w = p.doubleData();
            double[] gr = grad.doubleData();
            double[] m = expAvg.doubleData();
            double[] u = expInf.doubleData();
            double c1 = 1 - beta1;
            Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                if (plain) {
                    for (int i = lo; i < hi; i++) {
                        double d = gr[i];
                        double mi = m[i] * beta1 + c1 * d;
                        double ui = Math.max(u[i] * beta2, Math.abs(d) + eps);
                        m[i] = mi;
                        u[i] = ui;
                        w[i] += -clr * (mi / ui);
                    }
                    return;
                }
                for (int i = lo; i < hi; i++) {
                    double d = maximize ? -gr[i] : gr[i];
                    if (wd != 0) {
                        d += wd * w[i];
                    }
                    m[i] = m[i] * beta1 + c1 * d;
                    u[i] = Math.max(u[i] * beta2, Math.abs(d) + eps);
                    w[i] += -clr * (m[i] / u[i]);
                }
            });
        }
    }

    /**
     * The default options' loop over elements [lo, hi) in plain Java: the fallback and the
     * reference of {@link AdamaxVector}.
     */
    static void plainFloat(float[] w, float[] gr, float[] m, float[] u, float b1, float c1, float b2, float eps,
                           float step, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            float d = gr[i];
            float mi = m[i] * b1 + c1 * d;
            float ui = Math.max(u[i] * b2, Math.abs(d) + eps);
            m[i] = mi;
            u[i] = ui;
            w[i] += step * (mi / ui);
        }
    }
}
