package dev.kobai.optim;

import dev.kobai.UsageException;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Kernels;
import dev.kobai.tensor.kernel.Parallel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resilient backpropagation (Riedmiller and Braun, <i>A Direct Adaptive Method for Faster
 * Backpropagation Learning: The RPROP Algorithm</i>, IEEE ICNN 1993): only the sign of each
 * coordinate's gradient is used; its step size grows while the sign holds and shrinks when it
 * flips. As torch.optim.Rprop computes it (the variant without weight backtracking), with each step
 * size starting at lr and prev at 0:
 *
 * <pre>
 *   g = maximize ? -grad : grad
 *   s = sign(g * prev)
 *   f = eta_plus if s &gt; 0,  eta_minus if s &lt; 0,  1 if s == 0        (etas = (eta_minus, eta_plus))
 *   step_size = clamp(step_size * f, step_min, step_max)          (step_sizes = (step_min, step_max))
 *   g = 0  where s &lt; 0
 *   p = p - sign(g) * step_size
 *   prev = g
 * </pre>
 *
 * <p>Options: lr=0.01, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=false. Meant for full-batch
 * training: minibatch noise flips signs at random.
 */
public final class Rprop extends Optimizer {
    public Rprop(List<Parameter> params) {
        this(params, Map.of());
    }

    public Rprop(List<Parameter> params, Map<String, Object> options) {
        this(single(params, options).toArray(new ParamGroup[0]));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static Rprop withGroups(List<ParamGroup> groups) {
        return new Rprop(groups.toArray(new ParamGroup[0]));
    }

    private Rprop(ParamGroup[] groups) {
        super(List.of(groups), defaultOptions());
    }

    public static Map<String, Object> defaultOptions() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("lr", 1e-2);
        d.put("etas", new double[] {0.5, 1.2});
        d.put("step_sizes", new double[] {1e-6, 50});
        d.put("maximize", false);
        return d;
    }

    @Override
    protected void validate(ParamGroup g) {
        requireNonNegative(g.getDouble("lr"), "Invalid learning rate: ");
        double[] etas = g.getPair("etas");
        if (!(0 < etas[0] && etas[0] < 1 && 1 < etas[1])) {
            throw new UsageException("Invalid eta values: " + etas[0] + ", " + etas[1]);
        }
    }

    @Override
    protected void updateParameter(ParamGroup g, Parameter p, Tensor grad, Map<String, Object> state) {
        if (!state.containsKey("prev")) {
            state.put("step", 0.0);
            state.put("prev", Tensor.zeros(p.dtype(), p.shape()));
            state.put("step_size", Tensor.full(p.dtype(), g.getDouble("lr"), p.shape()));
        }
        state.put("step", ((Number) state.get("step")).doubleValue() + 1);
        double[] etas = (double[]) g.get("etas");
        double[] bounds = (double[]) g.get("step_sizes");
        double etaMinus = etas[0];
        double etaPlus = etas[1];
        double minStep = bounds[0];
        double maxStep = bounds[1];
        boolean maximize = g.getBoolean("maximize");
        Tensor prevT = (Tensor) state.get("prev");
        Tensor sizeT = (Tensor) state.get("step_size");
        int n = p.numel();
        boolean vector = Kernels.vectorAvailable();
        if (p.dtype() == DType.FLOAT32) {
            float[] w = p.floatData();
            float[] gr = grad.floatData();
            float[] prev = prevT.floatData();
            float[] size = sizeT.floatData();
            float fplus = (float) etaPlus;
            float fminus = (float) etaMinus;
            float flo = (float) minStep;
            float fhi = (float) maxStep;
            Parallel.forRange(n, ElementLoops.GRAIN, (from, to) -> {
                if (vector) {
                    RpropVector.update(w, gr, prev, size, maximize, fplus, fminus, flo, fhi, from, to);
                } else {
                    scalar(w, gr, prev, size, maximize, fplus, fminus, flo, fhi, from, to);
                }
            });
        } else {
            double[] w = p.doubleData();
            double[] gr = grad.doubleData();
            double[] prev = prevT.doubleData();
            double[] size = sizeT.doubleData();
            Parallel.forRange(n, ElementLoops.GRAIN, (from, to) -> {
                if (vector) {
                    RpropVector.update(w, gr, prev, size, maximize, etaPlus, etaMinus, minStep, maxStep, from, to);
                } else {
                    scalar(w, gr, prev, size, maximize, etaPlus, etaMinus, minStep, maxStep, from, to);
                }
            });
        }
    }

    /** The update of elements [from, to) in plain Java: the fallback and the reference of {@link RpropVector}. */
    static void scalar(float[] w, float[] gr, float[] prev, float[] size, boolean maximize, float plus, float minus,
                       float lo, float hi, int from, int to) {
        for (int i = from; i < to; i++) {
            float d = maximize ? -gr[i] : gr[i];
            float s = d * prev[i];
            if (s > 0) {
                size[i] = Math.min(Math.max(size[i] * plus, lo), hi);
            } else if (s < 0) {
                size[i] = Math.min(Math.max(size[i] * minus, lo), hi);
                d = 0;
            } else {
                size[i] = Math.min(Math.max(size[i], lo), hi);
            }
            w[i] -= Math.signum(d) * size[i];
            prev[i] = d;
        }
    }

    static void scalar(double[] w, double[] gr, double[] prev, double[] size, boolean maximize, double plus,
                       double minus, double lo, double hi, int from, int to) {
        for (int i = from; i < to; i++) {
            double d = maximize ? -gr[i] : gr[i];
            double s = d * prev[i];
            if (s > 0) {
                size[i] = Math.min(Math.max(size[i] * plus, lo), hi);
            } else if (s < 0) {
                size[i] = Math.min(Math.max(size[i] * minus, lo), hi);
                d = 0;
            } else {
                size[i] = Math.min(Math.max(size[i], lo), hi);
            }
            w[i] -= Math.signum(d) * size[i];
            prev[i] = d;
        }
    }
}
