package dev.kobai.optim;

import dev.kobai.UsageException;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The registry of optimizers by name: each entry gives the optimizer's {@link OptionTable} (names,
 * kinds, defaults and checks, the same table its typed builder uses) and a constructor. Adding an
 * optimizer is one line here.
 */
public final class Optimizers {
    private record Entry(OptionTable table, Function<List<ParamGroup>, Optimizer> create) {}

    private static final Map<String, Entry> REGISTRY = new TreeMap<>();

    static {
        register("sgd", SGD.OPTIONS, SGD::withGroups);

        // adaptive: adagrad, adadelta, rmsprop, asgd, rprop
        register("adagrad", Adagrad.OPTIONS, Adagrad::withGroups);
        register("adadelta", Adadelta.OPTIONS, Adadelta::withGroups);
        register("rmsprop", RMSprop.OPTIONS, RMSprop::withGroups);
        register("asgd", ASGD.OPTIONS, ASGD::withGroups);
        register("rprop", Rprop.OPTIONS, Rprop::withGroups);

        // adam family: adam, adamw, adamax, nadam, radam
        register("adam", Adam.OPTIONS, Adam::withGroups);
        register("adamw", AdamW.OPTIONS, AdamW::withGroups);
        register("adamax", Adamax.OPTIONS, Adamax::withGroups);
        register("nadam", NAdam.OPTIONS, NAdam::withGroups);
        register("radam", RAdam.OPTIONS, RAdam::withGroups);

        // quasi-Newton: lbfgs
        register("lbfgs", LBFGS.OPTIONS, LBFGS::withGroups);

        // second order: newton, hessian-free, natural, kfac
        register("newton", Newton.OPTIONS, Newton::withGroups);
        register("hessian-free", HessianFree.OPTIONS, HessianFree::withGroups);
        register("kfac", KFAC.OPTIONS, KFAC::withGroups);
        register("natural", NaturalGradient.OPTIONS, NaturalGradient::withGroups);
    }

    private Optimizers() {}

    private static void register(String name, OptionTable table, Function<List<ParamGroup>, Optimizer> create) {
        REGISTRY.put(name, new Entry(Optimizer.withCommonOptions(table), create));
    }

    /** The registered names, sorted. */
    public static List<String> names() {
        return List.copyOf(REGISTRY.keySet());
    }

    /** The options of one optimizer with their defaults (null where an option is required). */
    public static Map<String, Object> defaults(String name) {
        return table(name).defaults();
    }

    /**
     * The option table of one optimizer, with decoupled_weight_decay and no_decay where it has a
     * weight_decay: the same table its typed builder and its constructor check against.
     */
    public static OptionTable table(String name) {
        return entry(name).table();
    }

    /** Builds the optimizer a spec names over {@code params}; bad names, keys or values give a UsageException. */
    public static Optimizer create(String spec, List<Parameter> params) {
        OptimizerSpec parsed = OptimizerSpec.parse(spec);
        if (params.isEmpty()) {
            throw new UsageException("optimizer got an empty parameter list");
        }
        return entry(parsed.name()).create().apply(List.of(new ParamGroup(params, options(parsed))));
    }

    /** Second-order methods that can be built on a curvature problem (model, loss kind, batch). */
    private static final Map<String, BiFunction<CurvatureProblem, Map<String, Object>, Optimizer>> ON_PROBLEM =
            Map.of("newton", Newton::new, "hessian-free", HessianFree::new, "natural", NaturalGradient::new,
                    "kfac", KFAC::new);

    /**
     * Builds the optimizer a spec names for a model given as a curvature problem: the second-order
     * methods get the problem (so natural gradient and K-FAC can use the model's predictive
     * distribution), the others its parameters.
     */
    public static Optimizer create(String spec, CurvatureProblem problem) {
        OptimizerSpec parsed = OptimizerSpec.parse(spec);
        BiFunction<CurvatureProblem, Map<String, Object>, Optimizer> onProblem = ON_PROBLEM.get(parsed.name());
        if (onProblem == null) {
            return create(spec, problem.parameters());
        }
        return onProblem.apply(problem, options(parsed));
    }

    /** Whether the named optimizer works on a curvature problem when given one. */
    public static boolean usesCurvatureProblem(String spec) {
        return ON_PROBLEM.containsKey(OptimizerSpec.parse(spec).name());
    }

    /** Builds the named optimizer over parameter groups whose options are already typed. */
    public static Optimizer createWithGroups(String name, List<ParamGroup> groups) {
        return entry(name).create().apply(groups);
    }

    /** Converts a spec's raw values to typed options, checking each key and value against the optimizer's table. */
    public static Map<String, Object> options(OptimizerSpec spec) {
        OptionTable table = table(spec.name());
        Map<String, Object> options = new LinkedHashMap<>(table.parse(spec.values(),
                key -> "unknown option '" + key + "' for optimizer " + spec.name() + "; valid: " + table.describe(),
                o -> "optimizer " + spec.name() + ", option " + o.name() + ": "));
        for (Option<?> o : table.options()) {
            if (o.required() && !options.containsKey(o.name())) {
                throw new UsageException("optimizer " + spec.name() + " needs " + o.name() + " (e.g. " + spec.name() + ":"
                        + o.name() + "=0.1); options: " + table.describe());
            }
        }
        return options;
    }

    private static Entry entry(String name) {
        Entry e = REGISTRY.get(name.toLowerCase(Locale.ROOT));
        if (e == null) {
            throw new UsageException("unknown optimizer '" + name + "'; valid: " + String.join(", ", names()));
        }
        return e;
    }
}
