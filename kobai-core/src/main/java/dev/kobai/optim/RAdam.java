package dev.kobai.optim;

import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Parallel;
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
 *
 * <p>Typed construction (the map constructors and {@code Optimizers.create("spec", ...)} take the
 * same options):
 *
 * {@snippet :
 * RAdam radam = RAdam.builder().lr(1e-3).betas(0.9, 0.999).weightDecay(1e-4).build(model.parameters());
 * }
 */
public final class RAdam extends Optimizer {
    /** torch's {@code lr}: the learning rate; default 0.001. */
    public static final Option<Double> LR = Option.number("lr", 1e-3)
            .check(Option.nonNegative("Invalid learning rate: "));
    /** torch's {@code betas}: the decay rates of the averages of the gradient and its square; default (0.9, 0.999). */
    public static final Option<double[]> BETAS = Adam.BETAS;
    /** torch's {@code eps}: term added to the denominator for numerical stability; default 1e-8. */
    public static final Option<Double> EPS = Adam.EPS;
    /** torch's {@code weight_decay}: L2 penalty added to the gradient (g += weight_decay p); default 0. */
    public static final Option<Double> WEIGHT_DECAY = Adam.WEIGHT_DECAY;
    /**
     * The options in torch's argument order, with torch's checks in torch's order: the one
     * table behind {@link #builder()}, the spec {@code radam:...}, {@link #defaultOptions()} and
     * the checks on every group. decoupled_weight_decay and no_decay are added where there is a
     * weight_decay.
     */
    public static final OptionTable OPTIONS = OptionTable.of(LR, BETAS, EPS, WEIGHT_DECAY).checkedIn(LR, EPS, BETAS,
            WEIGHT_DECAY);

    public RAdam(List<Parameter> params) {
        this(params, Map.of());
    }

    /** Over one group with {@code options} given by torch's names; {@link #builder()} is the typed form. */
    public RAdam(List<Parameter> params, Map<String, Object> options) {
        this(Map.of(), single(params, options));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static RAdam withGroups(List<ParamGroup> groups) {
        return new RAdam(Map.of(), groups);
    }

    /** Over {@code groups}, with {@code settings} overriding the defaults of {@link #OPTIONS}. */
    RAdam(Map<String, Object> settings, List<ParamGroup> groups) {
        super(groups, OPTIONS, settings);
    }

    /** The defaults of {@link #OPTIONS} by torch's names (null where required). */
    public static Map<String, Object> defaultOptions() {
        return OPTIONS.defaults();
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

    /** A builder with torch's defaults: one typed method per option of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Typed settings of {@link RAdam}, with torch's defaults and checks (run when built); see
     * {@link OptimizerBuilder} for groups.
     */
    public static final class Builder extends OptimizerBuilder.WithBetas<Builder, RAdam> {
        private Builder() {
            super("RAdam", OPTIONS, Builder::new, RAdam::new);
        }

        /** Sets torch's {@code lr}: the learning rate; default 0.001. */
        public Builder lr(double value) {
            return set(LR, value);
        }

        /** Sets torch's {@code weight_decay}: L2 penalty added to the gradient (g += weight_decay p); default 0. */
        public Builder weightDecay(double value) {
            return set(WEIGHT_DECAY, value);
        }
    }

    /**
     * The state of one parameter, typed: its tensors are the live buffers (torch's names in the
     * state dict are given below), its numbers as of the call. Before the parameter's first step
     * the tensors are null and the counts 0 (NaN for other numbers).
     *
     * @param step {@code step}
     * @param expAvg {@code exp_avg}, the average of g
     * @param expAvgSq {@code exp_avg_sq}, the average of g^2
     */
    public record State(int step, Tensor expAvg, Tensor expAvgSq) {}

    /** The typed state of {@code p}; IllegalArgumentException when p is not in this optimizer. */
    public State state(Parameter p) {
        Map<String, Object> s = storedState(p);
        return new State(stepCount(s), (Tensor) s.get("exp_avg"), (Tensor) s.get("exp_avg_sq"));
    }
}
