package dev.kobai.optim;

import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Parallel;
import java.util.List;
import java.util.Map;

/**
 * The update of {@link Adam} and {@link AdamW}, which differ only in their option tables (AdamW's
 * weight decay is 1e-2 and always decoupled); the rule is in Adam's class comment.
 */
abstract sealed class AdamCore extends Optimizer permits Adam, AdamW {
    AdamCore(List<ParamGroup> groups, OptionTable table, Map<String, Object> settings) {
        super(groups, table, settings);
    }

    /** The typed state of {@code p}; IllegalArgumentException when p is not in this optimizer. */
    public Adam.State state(Parameter p) {
        Map<String, Object> s = storedState(p);
        return new Adam.State(stepCount(s), (Tensor) s.get("exp_avg"), (Tensor) s.get("exp_avg_sq"),
                (Tensor) s.get("max_exp_avg_sq"));
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
        Tensor expAvg = Adam.buffer(state, "exp_avg", p);
        Tensor expAvgSq = Adam.buffer(state, "exp_avg_sq", p);
        Tensor maxSq = amsgrad ? Adam.buffer(state, "max_exp_avg_sq", p) : null;
        int t = Adam.nextStep(state);
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
