package dev.kobai.optim;

import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Parallel;
import java.util.List;
import java.util.Map;

/**
 * Adadelta (Zeiler, <i>ADADELTA: An Adaptive Learning Rate Method</i>, arXiv:1212.5701, 2012):
 * the step is the gradient scaled by the ratio of two running root mean squares, of past updates and
 * of past gradients, so it has the units of the parameter. As torch.optim.Adadelta computes it:
 *
 * <pre>
 *   g = maximize ? -grad : grad
 *   g = g + weight_decay * p                           if weight_decay != 0
 *   v = rho * v + (1 - rho) * g * g                    (square_avg)
 *   d = sqrt(u + eps) / sqrt(v + eps) * g              (eps inside both roots)
 *   u = rho * u + (1 - rho) * d * d                    (acc_delta)
 *   p = p - lr * d
 * </pre>
 *
 * <p>Options: lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=false. The paper has no learning
 * rate (lr=1 here) and used rho=0.95.
 *
 * <p>Typed construction (the map constructors and {@code Optimizers.create("spec", ...)} take the
 * same options):
 *
 * {@snippet :
 * Adadelta adadelta = Adadelta.builder().rho(0.95).eps(1e-6).build(model.parameters());
 * }
 */
public final class Adadelta extends Optimizer {
    /** torch's {@code lr}: the learning rate; default 1.0. */
    public static final Option<Double> LR = Option.number("lr", 1.0)
            .check(Option.nonNegative("Invalid learning rate: "));
    /** torch's {@code rho}: the decay of the running averages; default 0.9. */
    public static final Option<Double> RHO = Option.number("rho", 0.9)
            .check(v -> v >= 0 && v <= 1 ? null : "Invalid rho value: " + v);
    /** torch's {@code eps}: term added to the denominator for numerical stability; default 1e-6. */
    public static final Option<Double> EPS = Option.number("eps", 1e-6)
            .check(Option.nonNegative("Invalid epsilon value: "));
    /** torch's {@code weight_decay}: L2 penalty added to the gradient (g += weight_decay p); default 0. */
    public static final Option<Double> WEIGHT_DECAY = Option.number("weight_decay", 0.0)
            .check(Option.nonNegative("Invalid weight_decay value: "));
    /** torch's {@code maximize}: maximize the objective (negate the gradient first); default false. */
    public static final Option<Boolean> MAXIMIZE = Option.bool("maximize", false);
    /**
     * The options in torch's argument order, with torch's checks in torch's order: the one
     * table behind {@link #builder()}, the spec {@code adadelta:...}, {@link #defaultOptions()} and
     * the checks on every group. decoupled_weight_decay and no_decay are added where there is a
     * weight_decay.
     */
    public static final OptionTable OPTIONS = OptionTable.of(LR, RHO, EPS, WEIGHT_DECAY, MAXIMIZE);

    public Adadelta(List<Parameter> params) {
        this(params, Map.of());
    }

    /** Over one group with {@code options} given by torch's names; {@link #builder()} is the typed form. */
    public Adadelta(List<Parameter> params, Map<String, Object> options) {
        this(Map.of(), single(params, options));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static Adadelta withGroups(List<ParamGroup> groups) {
        return new Adadelta(Map.of(), groups);
    }

    /** Over {@code groups}, with {@code settings} overriding the defaults of {@link #OPTIONS}. */
    Adadelta(Map<String, Object> settings, List<ParamGroup> groups) {
        super(groups, OPTIONS, settings);
    }

    /** The defaults of {@link #OPTIONS} by torch's names (null where required). */
    public static Map<String, Object> defaultOptions() {
        return OPTIONS.defaults();
    }

    @Override
    protected void updateParameter(ParamGroup g, Parameter p, Tensor grad, Map<String, Object> state) {
        if (!state.containsKey("square_avg")) {
            state.put("step", 0.0);
            state.put("square_avg", Tensor.zeros(p.dtype(), p.shape()));
            state.put("acc_delta", Tensor.zeros(p.dtype(), p.shape()));
        }
        state.put("step", ((Number) state.get("step")).doubleValue() + 1);
        double lr = g.getDouble("lr");
        double rho = g.getDouble("rho");
        double eps = g.getDouble("eps");
        double wd = l2WeightDecay(g, p);
        boolean maximize = g.getBoolean("maximize");
        Tensor squareAvg = (Tensor) state.get("square_avg");
        Tensor accDelta = (Tensor) state.get("acc_delta");
        int n = p.numel();
        boolean plain = !maximize && wd == 0;
        if (p.dtype() == DType.FLOAT32) {
            float[] w = p.floatData();
            float[] gr = grad.floatData();
            float[] v = squareAvg.floatData();
            float[] u = accDelta.floatData();
            float frho = (float) rho;
            float fkeep = (float) (1 - rho);
            float feps = (float) eps;
            float flr = (float) lr;
            float fwd = (float) wd;
            Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                if (plain) {
                    for (int i = lo; i < hi; i++) {
                        float d = gr[i];
                        float vi = frho * v[i] + fkeep * d * d;
                        v[i] = vi;
                        float delta = (float) Math.sqrt(u[i] + feps) / (float) Math.sqrt(vi + feps) * d;
                        u[i] = frho * u[i] + fkeep * delta * delta;
                        w[i] -= flr * delta;
                    }
                    return;
                }
                for (int i = lo; i < hi; i++) {
                    float d = maximize ? -gr[i] : gr[i];
                    if (wd != 0) {
                        d += fwd * w[i];
                    }
                    v[i] = frho * v[i] + fkeep * d * d;
                    float delta = (float) Math.sqrt(u[i] + feps) / (float) Math.sqrt(v[i] + feps) * d;
                    u[i] = frho * u[i] + fkeep * delta * delta;
                    w[i] -= flr * delta;
                }
            });
        } else {
            double[] w = p.doubleData();
            double[] gr = grad.doubleData();
            double[] v = squareAvg.doubleData();
            double[] u = accDelta.doubleData();
            double keep = 1 - rho;
            Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                if (plain) {
                    for (int i = lo; i < hi; i++) {
                        double d = gr[i];
                        double vi = rho * v[i] + keep * d * d;
                        v[i] = vi;
                        double delta = Math.sqrt(u[i] + eps) / Math.sqrt(vi + eps) * d;
                        u[i] = rho * u[i] + keep * delta * delta;
                        w[i] -= lr * delta;
                    }
                    return;
                }
                for (int i = lo; i < hi; i++) {
                    double d = maximize ? -gr[i] : gr[i];
                    if (wd != 0) {
                        d += wd * w[i];
                    }
                    v[i] = rho * v[i] + keep * d * d;
                    double delta = Math.sqrt(u[i] + eps) / Math.sqrt(v[i] + eps) * d;
                    u[i] = rho * u[i] + keep * delta * delta;
                    w[i] -= lr * delta;
                }
            });
        }
    }

    /** A builder with torch's defaults: one typed method per option of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Typed settings of {@link Adadelta}, with torch's defaults and checks (run when built); see
     * {@link OptimizerBuilder} for groups.
     */
    public static final class Builder extends OptimizerBuilder.WithDecay<Builder, Adadelta> {
        private Builder() {
            super("Adadelta", OPTIONS, Builder::new, Adadelta::new);
        }

        /** Sets torch's {@code lr}: the learning rate; default 1.0. */
        public Builder lr(double value) {
            return set(LR, value);
        }

        /** Sets torch's {@code rho}: the decay of the running averages; default 0.9. */
        public Builder rho(double value) {
            return set(RHO, value);
        }

        /** Sets torch's {@code eps}: term added to the denominator for numerical stability; default 1e-6. */
        public Builder eps(double value) {
            return set(EPS, value);
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
     * @param squareAvg {@code square_avg}, the average of g^2
     * @param accDelta {@code acc_delta}, the average of the squared updates
     */
    public record State(int step, Tensor squareAvg, Tensor accDelta) {}

    /** The typed state of {@code p}; IllegalArgumentException when p is not in this optimizer. */
    public State state(Parameter p) {
        Map<String, Object> s = storedState(p);
        return new State(stepCount(s), (Tensor) s.get("square_avg"), (Tensor) s.get("acc_delta"));
    }
}
