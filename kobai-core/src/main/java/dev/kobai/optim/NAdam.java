package dev.kobai.optim;

import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Parallel;
import java.util.List;
import java.util.Map;

/**
 * NAdam, Adam with Nesterov momentum (Dozat, <i>Incorporating Nesterov Momentum into Adam</i>, ICLR
 * 2016 workshop), with the momentum schedule of torch.optim.NAdam, computed as PyTorch 2.x does.
 * Per parameter, at step t, with psi = momentum_decay:
 *
 * <pre>
 *   g = g + weight_decay * p                               if weight_decay != 0
 *   mu_t   = beta1 * (1 - 0.5 * 0.96^(t psi))
 *   mu_t+1 = beta1 * (1 - 0.5 * 0.96^((t + 1) psi))
 *   P_t = mu_1 mu_2 ... mu_t                               (kept, like torch, as a float32 scalar)
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g^2
 *   den = sqrt(v / (1 - beta2^t)) + eps
 *   p = p - lr (1 - mu_t) / (1 - P_t) * g / den - lr mu_t+1 / (1 - P_t mu_t+1) * m / den
 * </pre>
 *
 * <p><b>1.13 against 2.x.</b> For the options 1.13 has, the arithmetic differs in one place. 1.13's
 * default for-loop path computes the second denominator as 1 - P_t mu_t mu_t+1, multiplying by
 * mu_t a second time (mu_t is already in P_t); its foreach=True path and PyTorch 2.x use
 * 1 - P_t mu_t+1, which is the product of mu_1 ... mu_t+1 the paper's update calls for (the fix is
 * PyTorch PR 92699). The difference is not rounding: on the golden network problem the two 1.13
 * paths part from the first step, by 1e-5 to 4e-4 of the largest parameter within twelve steps
 * (tools/golden_adam.py prints the gaps). Kobai follows 2.x, and its golden fixture is generated
 * with 1.13's foreach=True path, which agrees with 2.x to rounding
 * (2.x updates m with lerp and divides v by 1 - beta2^t before the square root, where the foreach
 * path divides after it; both differ only in the last bits). Both versions keep P_t in a scalar
 * tensor of torch's default dtype, float32 unless a program changes it, whatever the parameter's
 * dtype; so P_t is rounded to float32 here too. Without that the float64 trajectories would miss
 * torch's by 1e-10 to 1e-9 relative from the first step. Options added after 1.13 (maximize,
 * differentiable, capturable, and 2.x's own decoupled_weight_decay) are not taken; the base
 * class's decoupled_weight_decay and no_decay are.
 *
 * <p>Options: lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3. State:
 * step, mu_product (numbers), exp_avg, exp_avg_sq.
 *
 * <p>Typed construction (the map constructors and {@code Optimizers.create("spec", ...)} take the
 * same options):
 *
 * {@snippet :
 * NAdam nadam = NAdam.builder().lr(2e-3).momentumDecay(4e-3).build(model.parameters());
 * }
 */
public final class NAdam extends Optimizer {
    /** torch's {@code lr}: the learning rate; default 0.002. */
    public static final Option<Double> LR = Option.number("lr", 2e-3)
            .check(Option.nonNegative("Invalid learning rate: "));
    /** torch's {@code betas}: the decay rates of the averages of the gradient and its square; default (0.9, 0.999). */
    public static final Option<double[]> BETAS = Adam.BETAS;
    /** torch's {@code eps}: term added to the denominator for numerical stability; default 1e-8. */
    public static final Option<Double> EPS = Adam.EPS;
    /** torch's {@code weight_decay}: L2 penalty added to the gradient (g += weight_decay p); default 0. */
    public static final Option<Double> WEIGHT_DECAY = Adam.WEIGHT_DECAY;
    /** torch's {@code momentum_decay}: psi, the momentum decay; default 0.004. */
    public static final Option<Double> MOMENTUM_DECAY = Option.number("momentum_decay", 4e-3)
            .check(Option.nonNegative("Invalid momentum_decay value: "));
    /**
     * The options in torch's argument order, with torch's checks in torch's order: the one
     * table behind {@link #builder()}, the spec {@code nadam:...}, {@link #defaultOptions()} and
     * the checks on every group. decoupled_weight_decay and no_decay are added where there is a
     * weight_decay.
     */
    public static final OptionTable OPTIONS = OptionTable.of(LR, BETAS, EPS, WEIGHT_DECAY,
            MOMENTUM_DECAY).checkedIn(LR, EPS, BETAS, WEIGHT_DECAY, MOMENTUM_DECAY);

    public NAdam(List<Parameter> params) {
        this(params, Map.of());
    }

    /** Over one group with {@code options} given by torch's names; {@link #builder()} is the typed form. */
    public NAdam(List<Parameter> params, Map<String, Object> options) {
        this(Map.of(), single(params, options));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static NAdam withGroups(List<ParamGroup> groups) {
        return new NAdam(Map.of(), groups);
    }

    /** Over {@code groups}, with {@code settings} overriding the defaults of {@link #OPTIONS}. */
    NAdam(Map<String, Object> settings, List<ParamGroup> groups) {
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
        double psi = g.getDouble("momentum_decay");
        Tensor expAvg = Adam.buffer(state, "exp_avg", p);
        Tensor expAvgSq = Adam.buffer(state, "exp_avg_sq", p);
        int t = Adam.nextStep(state);
        Object saved = state.get("mu_product");
        float product = saved == null ? 1f : ((Number) saved).floatValue();
        double mu = beta1 * (1 - 0.5 * Math.pow(0.96, t * psi));
        double muNext = beta1 * (1 - 0.5 * Math.pow(0.96, (t + 1) * psi));
        product = product * (float) mu; // float32 arithmetic, as torch's float32 scalar tensor
        double muProduct = product;
        state.put("mu_product", muProduct);
        double bc2 = 1 - Math.pow(beta2, t);
        double gradStep = -lr * (1 - mu) / (1 - muProduct);
        double avgStep = -lr * muNext / (1 - muProduct * muNext);
        int n = p.numel();
        if (p.dtype() == DType.FLOAT32) {
            float[] w = p.floatData();
            float[] gr = grad.floatData();
            float[] m = expAvg.floatData();
            float[] v = expAvgSq.floatData();
            float b1 = (float) beta1, c1 = (float) (1 - beta1), b2 = (float) beta2, c2 = (float) (1 - beta2);
            float fwd = (float) wd, feps = (float) eps, fbc2 = (float) bc2;
            float fg = (float) gradStep, fm = (float) avgStep;
            Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    float d = gr[i];
                    if (wd != 0) {
                        d += fwd * w[i];
                    }
                    m[i] = m[i] * b1 + c1 * d;
                    v[i] = v[i] * b2 + c2 * d * d;
                    float den = (float) Math.sqrt(v[i] / fbc2) + feps;
                    w[i] += fg * (d / den);
                    w[i] += fm * (m[i] / den);
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
                    double den = Math.sqrt(v[i] / bc2) + eps;
                    w[i] += gradStep * (d / den);
                    w[i] += avgStep * (m[i] / den);
                }
            });
        }
    }

    /** A builder with torch's defaults: one typed method per option of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Typed settings of {@link NAdam}, with torch's defaults and checks (run when built); see
     * {@link OptimizerBuilder} for groups.
     */
    public static final class Builder extends OptimizerBuilder.WithBetas<Builder, NAdam> {
        private Builder() {
            super("NAdam", OPTIONS, Builder::new, NAdam::new);
        }

        /** Sets torch's {@code lr}: the learning rate; default 0.002. */
        public Builder lr(double value) {
            return set(LR, value);
        }

        /** Sets torch's {@code weight_decay}: L2 penalty added to the gradient (g += weight_decay p); default 0. */
        public Builder weightDecay(double value) {
            return set(WEIGHT_DECAY, value);
        }

        /** Sets torch's {@code momentum_decay}: psi, the momentum decay; default 0.004. */
        public Builder momentumDecay(double value) {
            return set(MOMENTUM_DECAY, value);
        }
    }

    /**
     * The state of one parameter, typed: its tensors are the live buffers (torch's names in the
     * state dict are given below), its numbers as of the call. Before the parameter's first step
     * the tensors are null and the counts 0 (NaN for other numbers).
     *
     * @param step {@code step}
     * @param muProduct {@code mu_product}, the product of the momentum coefficients
     * @param expAvg {@code exp_avg}, the average of g
     * @param expAvgSq {@code exp_avg_sq}, the average of g^2
     */
    public record State(int step, double muProduct, Tensor expAvg, Tensor expAvgSq) {}

    /** The typed state of {@code p}; IllegalArgumentException when p is not in this optimizer. */
    public State state(Parameter p) {
        Map<String, Object> s = storedState(p);
        return new State(stepCount(s), storedNumber(s, "mu_product"), (Tensor) s.get("exp_avg"), (Tensor) s.get("exp_avg_sq"));
    }
}
