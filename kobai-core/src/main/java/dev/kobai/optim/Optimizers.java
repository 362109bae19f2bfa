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
import java.util.function.Supplier;

/**
 * The registry of optimizers by name: each entry gives the defaults (which also tell the type of
 * each option: number, boolean, or pair) and a constructor. Adding an optimizer is one line here.
 */
public final class Optimizers {
    private record Entry(Supplier<Map<String, Object>> defaults, Function<List<ParamGroup>, Optimizer> create) {}

    private static final Map<String, Entry> REGISTRY = new TreeMap<>();

    static {
        register("sgd", SGD::defaultOptions, SGD::withGroups);

        // adaptive: adagrad, adadelta, rmsprop, asgd, rprop
        register("adagrad", Adagrad::defaultOptions, Adagrad::withGroups);
        register("adadelta", Adadelta::defaultOptions, Adadelta::withGroups);
        register("rmsprop", RMSprop::defaultOptions, RMSprop::withGroups);
        register("asgd", ASGD::defaultOptions, ASGD::withGroups);
        register("rprop", Rprop::defaultOptions, Rprop::withGroups);

        // adam family: adam, adamw, adamax, nadam, radam
        register("adam", Adam::defaultOptions, Adam::withGroups);
        register("adamw", AdamW::defaultOptions, AdamW::withGroups);
        register("adamax", Adamax::defaultOptions, Adamax::withGroups);
        register("nadam", NAdam::defaultOptions, NAdam::withGroups);
        register("radam", RAdam::defaultOptions, RAdam::withGroups);

        // quasi-Newton: lbfgs
        register("lbfgs", LBFGS::defaultOptions, LBFGS::withGroups);

        // second order: newton, hessian-free, natural, kfac
        register("newton", Newton::defaultOptions, Newton::withGroups);
        register("hessian-free", HessianFree::defaultOptions, HessianFree::withGroups);
        register("kfac", KFAC::defaultOptions, KFAC::withGroups);
        register("natural", NaturalGradient::defaultOptions, NaturalGradient::withGroups);
    }

    private Optimizers() {}

    private static void register(String name, Supplier<Map<String, Object>> defaults,
                                 Function<List<ParamGroup>, Optimizer> create) {
        REGISTRY.put(name, new Entry(defaults, create));
    }

    /** The registered names, sorted. */
    public static List<String> names() {
        return List.copyOf(REGISTRY.keySet());
    }

    /** The options of one optimizer with their defaults (null where an option is required). */
    public static Map<String, Object> defaults(String name) {
        return Optimizer.withCommonOptions(entry(name).defaults().get());
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

    /** Converts a spec's raw values to typed options, checking each key and value against the defaults. */
    public static Map<String, Object> options(OptimizerSpec spec) {
        Map<String, Object> defaults = defaults(spec.name());
        Map<String, Object> options = new LinkedHashMap<>();
        spec.values().forEach((key, raw) -> {
            if (!defaults.containsKey(key)) {
                throw new UsageException("unknown option '" + key + "' for optimizer " + spec.name() + "; valid: "
                        + describeOptions(defaults));
            }
            Object def = defaults.get(key);
            options.put(key, parseValue(spec, key, raw, def));
        });
        defaults.forEach((key, def) -> {
            if (def == null && !options.containsKey(key)) {
                throw new UsageException("optimizer " + spec.name() + " needs " + key + " (e.g. " + spec.name() + ":"
                        + key + "=0.1); options: " + describeOptions(defaults));
            }
        });
        return options;
    }

    private static Object parseValue(OptimizerSpec spec, String key, String raw, Object def) {
        String where = "optimizer " + spec.name() + ", option " + key + ": ";
        if (def instanceof Boolean) {
            return switch (raw.toLowerCase(Locale.ROOT)) {
                case "true", "yes", "1" -> true;
                case "false", "no", "0" -> false;
                default -> throw new UsageException(where + "'" + raw + "' is not a boolean (true or false)");
            };
        }
        if (def instanceof double[] pair) {
            String[] parts = raw.split("/", -1);
            if (parts.length != pair.length) {
                throw new UsageException(where + "'" + raw + "' is not a pair; write it as a/b, e.g. 0.9/0.999");
            }
            double[] out = new double[parts.length];
            for (int i = 0; i < parts.length; i++) {
                out[i] = parseNumber(where, parts[i]);
            }
            return out;
        }
        if (def instanceof String) {
            return raw;
        }
        if (def instanceof Integer) {
            double v = parseNumber(where, raw);
            if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
                throw new UsageException(where + "'" + raw + "' is not a whole number");
            }
            return (int) v;
        }
        return parseNumber(where, raw);
    }

    private static double parseNumber(String where, String raw) {
        try {
            double v = Double.parseDouble(raw.trim());
            if (Double.isNaN(v) || Double.isInfinite(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new UsageException(where + "'" + raw + "' is not a finite number");
        }
    }

    private static Entry entry(String name) {
        Entry e = REGISTRY.get(name.toLowerCase(Locale.ROOT));
        if (e == null) {
            throw new UsageException("unknown optimizer '" + name + "'; valid: " + String.join(", ", names()));
        }
        return e;
    }

    /** "lr (required), momentum=0.0, nesterov=false". */
    static String describeOptions(Map<String, Object> defaults) {
        StringBuilder sb = new StringBuilder();
        defaults.forEach((k, v) -> {
            sb.append(sb.isEmpty() ? "" : ", ").append(k);
            if (v == null) {
                sb.append(" (required)");
            } else if (v instanceof double[] a) {
                sb.append('=').append(a[0]).append('/').append(a[1]);
            } else {
                sb.append('=').append(v);
            }
        });
        return sb.toString();
    }
}
