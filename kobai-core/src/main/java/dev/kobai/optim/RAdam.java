package dev.kobai.optim;

import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Parallel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * RAdam, rectified Adam (Liu, Jiang, He, Chen, Liu, Gao and Han, <i>On the Variance of the Adaptive
 * Learning Rate and Beyond</i>, ICLR 2020), as torch.optim.RAdam 1.13 computes it. Per parameter,
 * at step t:
 *
 * <pre>
 *   g = g + weight_decay * p                               if weight_decay != 0
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g^2
 *   mhat = m / (1 - beta1^t)
 *   rho_inf = 2 / (1 - beta2) - 1
 *   rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
 *   if rho_t > 5:  r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
 *                  p = p - lr * mhat * r * sqrt(1 - beta2^t) / (sqrt(v) + eps)
 *   else:          p = p - lr * mhat                       (SGD with bias-corrected momentum)
 * </pre>
 *
 * <p>With the default beta2=0.999 the first five steps are unrectified and the sixth is the first
 * adaptive one; when beta2 is small enough that rho_inf is at most 5, RAdam never adapts. eps is
 * added before the bias correction of v (unlike Adam). Options: lr=1e-3, betas=(0.9, 0.999),
 * eps=1e-8, weight_decay=0. State: step, exp_avg, exp_avg_sq.
 */
public final class RAdam extends Optimizer {
    public RAdam(List<Parameter> params) {
        this(params, Map.of());
    }

    public RAdam(List<Parameter> params, Map<String, Object> options) {
        this(single(params, options).toArray(new ParamGroup[0]));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static RAdam withGroups(List<ParamGroup> groups) {
        return new RAdam(groups.toArray(new ParamGroup[0]));
    }

    private RAdam(ParamGroup[] groups) {
        super(List.of(groups), defaultOptions());
    }

    public static Map<String, Object> defaultOptions() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("lr", 1e-3);
        d.put("betas", new double[] {0.9, 0.999});
        d.put("eps", 1e-8);
        d.put("weight_decay", 0.0);
        return d;
    }

    @Override
    protected void validate(ParamGroup g) {
        Adam.validateAdamOptions(g);
    }

    /** rho_t, the length of the approximated simple moving average at step t. */
    static double rho(double beta2, int t) {
        double rhoInf = 2 / (1 - beta2) - 1;
        return rhoInf - 2 * t * Math.pow(beta2, t) / (1 - Math.pow(beta2, t));
    }

    @Override
    protected void updateParameter(ParamGroup g, Parameter p, Tensor grad, Map<String, Object> state) {
        double[] betas = (double[]) g.get("betas");
        double beta1 = betas[0];
        double beta2 = betas[1];
        double lr = g.getDouble("lr");
        double eps = g.getDouble("eps");
        double wd = l2WeightDecay(g, p);
        Tensor expAvg = Adam.buffer(state, "exp_avg", p);
        Tensor expAvgSq = Adam.buffer(state, "exp_avg_sq", p);
        int t = Adam.nextStep(state);
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2 = 1 - Math.pow(beta2, t);
        double rhoInf = 2 / (1 - beta2) - 1;
        double rhoT = rho(beta2, t);
        boolean rectified = rhoT > 5;
        double rect = rectified
                ? Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT))
                : 0;
        double bc2Sqrt = Math.sqrt(bc2);
        int n = p.numel();
        if (p.dtype() == DType.FLOAT32) {
            float[] w = p.floatData();
            float[] gr = grad.floatData();
            float[] m = expAvg.floatData();
            float[] v = expAvgSq.floatData();
            float b1 = (float) beta1, c1 = (float) (1 - beta1), b2 = (float) beta2, c2 = (float) (1 - beta2);
            float fwd = (float) wd, feps = (float) eps, fbc1 = (float) bc1, flr = (float) lr;
            float fbc2 = (float) bc2Sqrt, frect = (float) rect;
            Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    float d = gr[i];
                    if (wd != 0) {
                        d += fwd * w[i];
                    }
                    m[i] = m[i] * b1 + c1 * d;
                    v[i] = v[i] * b2 + c2 * d * d;
                    float step = m[i] / fbc1 * flr;
                    if (rectified) {
                        step = step * (1 / ((float) Math.sqrt(v[i]) + feps) * fbc2) * frect;
                    }
                    w[i] -= step;
                }
            });
        } else {
            double[] w = p.doubleData();
            double[] gr = grad.doubleData();
            double[] m = expAvg.doubleData();
            double[] v = expAvgSq.doubleData();
            double c1 = 1 - beta1, c2 = 1 - beta2;
            Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    double d = gr[i];
                    if (wd != 0) {
                        d += wd * w[i];
                    }
                    m[i] = m[i] * beta1 + c1 * d;
                    v[i] = v[i] * beta2 + c2 * d * d;
                    double step = m[i] / bc1 * lr;
                    if (rectified) {
                        step = step * (1 / (Math.sqrt(v[i]) + eps) * bc2Sqrt) * rect;
                    }
                    w[i] -= step;
                }
            });
        }
    }
}
