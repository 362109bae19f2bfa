package dev.kobai.optim;

import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Kernels;
import dev.kobai.tensor.kernel.Parallel;
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
 *
 * <p>Typed construction (the map constructors and {@code Optimizers.create("spec", ...)} take the
 * same options):
 *
 * {@snippet :
 * Rprop rprop = Rprop.builder().lr(0.01).etas(0.5, 1.2).stepSizes(1e-6, 50).build(model.parameters());
 * }
 */
public final class Rprop extends Optimizer {
    /** torch's {@code lr}: the learning rate; default 0.01. */
    public static final Option<Double> LR = Option.number("lr", 1e-2)
            .check(Option.nonNegative("Invalid learning rate: "));
    /**
     * torch's {@code etas}: the multiplicative decrease and increase factors (eta_minus, eta_plus);
     * default (0.5, 1.2).
     */
    public static final Option<double[]> ETAS = Option.pair("etas", 0.5, 1.2)
            .check(e -> 0 < e[0] && e[0] < 1 && 1 < e[1] ? null : "Invalid eta values: " + e[0] + ", " + e[1]);
    /** torch's {@code step_sizes}: the minimal and maximal step sizes; default (1e-6, 50). */
    public static final Option<double[]> STEP_SIZES = Option.pair("step_sizes", 1e-6, 50);
    /** torch's {@code maximize}: maximize the objective (negate the gradient first); default false. */
    public static final Option<Boolean> MAXIMIZE = Option.bool("maximize", false);
    /**
     * The options in torch's argument order, with torch's checks in torch's order: the one
     * table behind {@link #builder()}, the spec {@code rprop:...}, {@link #defaultOptions()} and
     * the checks on every group. decoupled_weight_decay and no_decay are added where there is a
     * weight_decay.
     */
    public static final OptionTable OPTIONS = OptionTable.of(LR, ETAS, STEP_SIZES, MAXIMIZE);

    public Rprop(List<Parameter> params) {
        this(params, Map.of());
    }

    /** Over one group with {@code options} given by torch's names; {@link #builder()} is the typed form. */
    public Rprop(List<Parameter> params, Map<String, Object> options) {
        this(Map.of(), single(params, options));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static Rprop withGroups(List<ParamGroup> groups) {
        return new Rprop(Map.of(), groups);
    }

    /** Over {@code groups}, with {@code settings} overriding the defaults of {@link #OPTIONS}. */
    Rprop(Map<String, Object> settings, List<ParamGroup> groups) {
        super(groups, OPTIONS, settings);
    }

    /** The defaults of {@link #OPTIONS} by torch's names (null where required). */
    public static Map<String, Object> defaultOptions() {
        return OPTIONS.defaults();
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

    /** A builder with torch's defaults: one typed method per option of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Typed settings of {@link Rprop}, with torch's defaults and checks (run when built); see
     * {@link OptimizerBuilder} for groups.
     */
    public static final class Builder extends OptimizerBuilder<Builder, Rprop> {
        private Builder() {
            super("Rprop", OPTIONS, Builder::new, Rprop::new);
        }

        /** Sets torch's {@code lr}: the learning rate; default 0.01. */
        public Builder lr(double value) {
            return set(LR, value);
        }

        /**
         * Sets torch's {@code etas}: the multiplicative decrease and increase factors (eta_minus,
         * eta_plus); default (0.5, 1.2).
         */
        public Builder etas(double etaMinus, double etaPlus) {
            return set(ETAS, new double[] {etaMinus, etaPlus});
        }

        /** Sets torch's {@code step_sizes}: the minimal and maximal step sizes; default (1e-6, 50). */
        public Builder stepSizes(double min, double max) {
            return set(STEP_SIZES, new double[] {min, max});
        }

        /** Sets torch's {@code maximize}: maximize the objective (negate the gradient first); default false. */
        public Builder maximize(boolean value) {
            return set(MAXIMIZE, value);
        }
    }

    /**
     * The state of one parameter, typed: its tensors are the live buffers (torch's names in the
     * state dict are given below), its numbers as of the call. Before the parameter's first step
     * the tensors are null and the counts 0 (NaN for other numbers).
     *
     * @param step {@code step}
     * @param prev {@code prev}, the previous gradient (0 where its sign flipped)
     * @param stepSize {@code step_size}, each coordinate's step size
     */
    public record State(int step, Tensor prev, Tensor stepSize) {}

    /** The typed state of {@code p}; IllegalArgumentException when p is not in this optimizer. */
    public State state(Parameter p) {
        Map<String, Object> s = storedState(p);
        return new State(stepCount(s), (Tensor) s.get("prev"), (Tensor) s.get("step_size"));
    }
}
