package dev.kobai.optim;

import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Kernels;
import dev.kobai.tensor.kernel.Parallel;
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
 *
 * <p>Typed construction (the map constructors and {@code Optimizers.create("spec", ...)} take the
 * same options):
 *
 * {@snippet :
 * Adamax adamax = Adamax.builder().lr(2e-3).betas(0.9, 0.999).build(model.parameters());
 * }
 */
public final class Adamax extends Optimizer {
    /** torch's {@code lr}: the learning rate; default 0.002. */
    public static final Option<Double> LR = Option.number("lr", 2e-3)
            .check(Option.nonNegative("Invalid learning rate: "));
    /** torch's {@code betas}: the decay rates of the averages of the gradient and its square; default (0.9, 0.999). */
    public static final Option<double[]> BETAS = Adam.BETAS;
    /** torch's {@code eps}: term added to the denominator for numerical stability; default 1e-8. */
    public static final Option<Double> EPS = Adam.EPS;
    /** torch's {@code weight_decay}: L2 penalty added to the gradient (g += weight_decay p); default 0. */
    public static final Option<Double> WEIGHT_DECAY = Adam.WEIGHT_DECAY;
    /** torch's {@code maximize}: maximize the objective (negate the gradient first); default false. */
    public static final Option<Boolean> MAXIMIZE = Option.bool("maximize", false);
    /**
     * The options in torch's argument order, with torch's checks in torch's order: the one
     * table behind {@link #builder()}, the spec {@code adamax:...}, {@link #defaultOptions()} and
     * the checks on every group. decoupled_weight_decay and no_decay are added where there is a
     * weight_decay.
     */
    public static final OptionTable OPTIONS = OptionTable.of(LR, BETAS, EPS, WEIGHT_DECAY, MAXIMIZE).checkedIn(LR,
            EPS, BETAS, WEIGHT_DECAY);

    public Adamax(List<Parameter> params) {
        this(params, Map.of());
    }

    /** Over one group with {@code options} given by torch's names; {@link #builder()} is the typed form. */
    public Adamax(List<Parameter> params, Map<String, Object> options) {
        this(Map.of(), single(params, options));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static Adamax withGroups(List<ParamGroup> groups) {
        return new Adamax(Map.of(), groups);
    }

    /** Over {@code groups}, with {@code settings} overriding the defaults of {@link #OPTIONS}. */
    Adamax(Map<String, Object> settings, List<ParamGroup> groups) {
        super(groups, OPTIONS, settings);
    }

    /** The defaults of {@link #OPTIONS} by torch's names (null where required). */
    public static Map<String, Object> defaultOptions() {
        return OPTIONS.defaults();
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

    /** A builder with torch's defaults: one typed method per option of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Typed settings of {@link Adamax}, with torch's defaults and checks (run when built); see
     * {@link OptimizerBuilder} for groups.
     */
    public static final class Builder extends OptimizerBuilder.WithBetas<Builder, Adamax> {
        private Builder() {
            super("Adamax", OPTIONS, Builder::new, Adamax::new);
        }

        /** Sets torch's {@code lr}: the learning rate; default 0.002. */
        public Builder lr(double value) {
            return set(LR, value);
        }

        /** Sets torch's {@code weight_decay}: L2 penalty added to the gradient (g += weight_decay p); default 0. */
        public Builder weightDecay(double value) {
            return set(WEIGHT_DECAY, value);
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
     * @param expAvg {@code exp_avg}, the average of g
     * @param expInf {@code exp_inf}, the decayed maximum of |g|
     */
    public record State(int step, Tensor expAvg, Tensor expInf) {}

    /** The typed state of {@code p}; IllegalArgumentException when p is not in this optimizer. */
    public State state(Parameter p) {
        Map<String, Object> s = storedState(p);
        return new State(stepCount(s), (Tensor) s.get("exp_avg"), (Tensor) s.get("exp_inf"));
    }
}
