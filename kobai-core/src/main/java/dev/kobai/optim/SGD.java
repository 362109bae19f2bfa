package dev.kobai.optim;

import dev.kobai.UsageException;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Parallel;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with optional momentum (Polyak 1964) and Nesterov momentum
 * (Sutskever et al. 2013, in PyTorch's form), exactly as torch.optim.SGD computes it:
 *
 * <pre>
 *   g = maximize ? -grad : grad
 *   g = g + weight_decay * p                          if weight_decay != 0
 *   b = g  (first step),  b = momentum * b + (1 - dampening) * g  (later)     if momentum != 0
 *   g = nesterov ? g + momentum * b : b                                      if momentum != 0
 *   p = p - lr * g
 * </pre>
 *
 * <p>Options: lr (required), momentum=0, dampening=0, weight_decay=0, nesterov=false,
 * maximize=false. The lecture's "gradient descent with momentum" v = mu v - lr g; p = p + v is the
 * same trajectory as this form with dampening 0 when lr is constant.
 *
 * <p>Typed construction (the map constructors and {@code Optimizers.create("spec", ...)} take the
 * same options):
 *
 * {@snippet :
 * SGD sgd = SGD.builder().lr(0.1).momentum(0.9).nesterov(true).weightDecay(5e-4)
 *         .build(model.parameters());
 * Tensor buf = sgd.state(p).momentumBuffer();
 * }
 */
public final class SGD extends Optimizer {
    /** torch's {@code lr}: the learning rate; default none (required). */
    public static final Option<Double> LR = Option.number("lr")
            .check(Option.nonNegative("Invalid learning rate: "));
    /** torch's {@code momentum}: the momentum factor; default 0. */
    public static final Option<Double> MOMENTUM = Option.number("momentum", 0.0)
            .check(Option.nonNegative("Invalid momentum value: "));
    /** torch's {@code dampening}: dampening for momentum; default 0. */
    public static final Option<Double> DAMPENING = Option.number("dampening", 0.0);
    /** torch's {@code weight_decay}: L2 penalty added to the gradient (g += weight_decay p); default 0. */
    public static final Option<Double> WEIGHT_DECAY = Option.number("weight_decay", 0.0)
            .check(Option.nonNegative("Invalid weight_decay value: "));
    /** torch's {@code nesterov}: Nesterov momentum (needs momentum &gt; 0 and dampening 0); default false. */
    public static final Option<Boolean> NESTEROV = Option.bool("nesterov", false);
    /** torch's {@code maximize}: maximize the objective (negate the gradient first); default false. */
    public static final Option<Boolean> MAXIMIZE = Option.bool("maximize", false);
    /**
     * The options in torch's argument order, with torch's checks in torch's order: the one
     * table behind {@link #builder()}, the spec {@code sgd:...}, {@link #defaultOptions()} and
     * the checks on every group. decoupled_weight_decay and no_decay are added where there is a
     * weight_decay.
     */
    public static final OptionTable OPTIONS = OptionTable.of(LR, MOMENTUM, DAMPENING, WEIGHT_DECAY, NESTEROV, MAXIMIZE);

    public SGD(List<Parameter> params, double lr) {
        this(params, Map.of("lr", lr));
    }

    /** Over one group with {@code options} given by torch's names; {@link #builder()} is the typed form. */
    public SGD(List<Parameter> params, Map<String, Object> options) {
        this(Map.of(), single(params, options));
    }

    /** An optimizer over several parameter groups, each with its own options. */
    public static SGD withGroups(List<ParamGroup> groups) {
        return new SGD(Map.of(), groups);
    }

    /** Over {@code groups}, with {@code settings} overriding the defaults of {@link #OPTIONS}. */
    SGD(Map<String, Object> settings, List<ParamGroup> groups) {
        super(groups, OPTIONS, settings);
    }

    /** The defaults of {@link #OPTIONS} by torch's names (null where required). */
    public static Map<String, Object> defaultOptions() {
        return OPTIONS.defaults();
    }

    @Override
    protected void validate(ParamGroup g) {
        if (g.get(NESTEROV) && (g.get(MOMENTUM) <= 0 || g.get(DAMPENING) != 0)) {
            throw new UsageException("Nesterov momentum requires a momentum and zero dampening");
        }
    }

    @Override
    protected void updateParameter(ParamGroup g, Parameter p, Tensor grad, Map<String, Object> state) {
        double lr = g.getDouble("lr");
        double momentum = g.getDouble("momentum");
        double dampening = g.getDouble("dampening");
        double wd = l2WeightDecay(g, p);
        boolean nesterov = g.getBoolean("nesterov");
        boolean maximize = g.getBoolean("maximize");
        Tensor buf = null;
        boolean first = false;
        if (momentum != 0) {
            buf = (Tensor) state.get("momentum_buffer");
            if (buf == null) {
                buf = Tensor.zeros(p.dtype(), p.shape());
                state.put("momentum_buffer", buf);
                first = true;
            }
        }
        int n = p.numel();
        boolean isFirst = first;
        boolean plain = !maximize && wd == 0 && !nesterov;
        if (p.dtype() == DType.FLOAT32) {
            float[] w = p.floatData();
            float[] gr = grad.floatData();
            float[] b = buf == null ? null : buf.floatData();
            float flr = (float) lr, fmom = (float) momentum, fkeep = (float) (1 - dampening), fwd = (float) wd;
            if (plain && b == null) {
                Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> plainFloat(w, gr, flr, lo, hi));
            } else if (plain && !isFirst) {
                Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> momentumFloat(w, gr, b, flr, fmom, fkeep, lo, hi));
            } else {
                Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                    for (int i = lo; i < hi; i++) {
                        float d = maximize ? -gr[i] : gr[i];
                        if (wd != 0) {
                            d += fwd * w[i];
                        }
                        if (b != null) {
                            b[i] = isFirst ? d : fmom * b[i] + fkeep * d;
                            d = nesterov ? d + fmom * b[i] : b[i];
                        }
                        w[i] -= flr * d;
                    }
                });
            }
        } else {
            double[] w = p.doubleData();
            double[] gr = grad.doubleData();
            double[] b = buf == null ? null : buf.doubleData();
            double keep = 1 - dampening;
            if (plain && b == null) {
                Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> plainDouble(w, gr, lr, lo, hi));
            } else if (plain && !isFirst) {
                Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> momentumDouble(w, gr, b, lr, momentum, keep, lo, hi));
            } else {
                Parallel.forRange(n, ElementLoops.GRAIN, (lo, hi) -> {
                    for (int i = lo; i < hi; i++) {
                        double d = maximize ? -gr[i] : gr[i];
                        if (wd != 0) {
                            d += wd * w[i];
                        }
                        if (b != null) {
                            b[i] = isFirst ? d : momentum * b[i] + keep * d;
                            d = nesterov ? d + momentum * b[i] : b[i];
                        }
                        w[i] -= lr * d;
                    }
                });
            }
        }
    }

    // The default options' loops, each its own method so that the JIT compiles each for its own use.

    private static void plainFloat(float[] w, float[] g, float lr, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            w[i] -= lr * g[i];
        }
    }

    private static void momentumFloat(float[] w, float[] g, float[] b, float lr, float mom, float keep, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            float bi = mom * b[i] + keep * g[i];
            b[i] = bi;
            w[i] -= lr * bi;
        }
    }

    private static void plainDouble(double[] w, double[] g, double lr, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            w[i] -= lr * g[i];
        }
    }

    private static void momentumDouble(double[] w, double[] g, double[] b, double lr, double mom, double keep,
                                       int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            double bi = mom * b[i] + keep * g[i];
            b[i] = bi;
            w[i] -= lr * bi;
        }
    }

    /** A builder with torch's defaults: one typed method per option of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Typed settings of {@link SGD}, with torch's defaults and checks (run when built); see
     * {@link OptimizerBuilder} for groups.
     */
    public static final class Builder extends OptimizerBuilder.WithDecay<Builder, SGD> {
        private Builder() {
            super("SGD", OPTIONS, Builder::new, SGD::new);
        }

        /** Sets torch's {@code lr}: the learning rate; default none (required). */
        public Builder lr(double value) {
            return set(LR, value);
        }

        /** Sets torch's {@code momentum}: the momentum factor; default 0. */
        public Builder momentum(double value) {
            return set(MOMENTUM, value);
        }

        /** Sets torch's {@code dampening}: dampening for momentum; default 0. */
        public Builder dampening(double value) {
            return set(DAMPENING, value);
        }

        /** Sets torch's {@code weight_decay}: L2 penalty added to the gradient (g += weight_decay p); default 0. */
        public Builder weightDecay(double value) {
            return set(WEIGHT_DECAY, value);
        }

        /** Sets torch's {@code nesterov}: Nesterov momentum (needs momentum &gt; 0 and dampening 0); default false. */
        public Builder nesterov(boolean value) {
            return set(NESTEROV, value);
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
     * @param momentumBuffer {@code momentum_buffer}, null without momentum
     */
    public record State(Tensor momentumBuffer) {}

    /** The typed state of {@code p}; IllegalArgumentException when p is not in this optimizer. */
    public State state(Parameter p) {
        Map<String, Object> s = storedState(p);
        return new State((Tensor) s.get("momentum_buffer"));
    }
}
