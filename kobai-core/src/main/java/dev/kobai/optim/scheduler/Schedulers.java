package dev.kobai.optim.scheduler;

import dev.kobai.UsageException;
import dev.kobai.optim.Optimizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The schedulers the command line can name, and the parser of their specs:
 * {@code name[:key=value,...]} with torch's argument names, for example
 * {@code steplr:step_size=2,gamma=0.5}, {@code cosine:T_max=10}, {@code multistep:milestones=2/5/8},
 * {@code onecycle:max_lr=0.1/0.05} (one value per parameter group). Lists are written with '/'.
 * A name is torch's class name in any case ({@code CosineAnnealingLR}, {@code cosineannealinglr})
 * or a short alias ({@code cosine}). Keys are torch's names; a key in another case is accepted
 * when it is not ambiguous ({@code t_max}).
 *
 * <p>OneCycleLR takes its length from the run when the spec leaves out total_steps, epochs and
 * steps_per_epoch: total_steps = epochs * steps per epoch. LambdaLR, SequentialLR and
 * ChainedScheduler take functions or other schedulers and have no spec form.
 */
public final class Schedulers {
    private enum Type { INT, DOUBLE, BOOL, STRING, INTS, DOUBLES }

    private record Arg(String name, Type type, Object def, List<String> choices) {
        String describe() {
            StringBuilder sb = new StringBuilder(name);
            if (def == null) {
                sb.append(" (required)");
            } else {
                sb.append('=').append(format(def));
            }
            if (!choices.isEmpty()) {
                sb.append(" (").append(String.join(" or ", choices)).append(')');
            }
            return sb.toString();
        }
    }

    @FunctionalInterface
    private interface Factory {
        LRScheduler create(Map<String, Object> args, Optimizer optimizer, int stepsPerEpoch, int epochs);
    }

    private record Entry(String className, List<String> aliases, List<Arg> args, Factory factory) {}

    /** A parsed spec: the scheduler's class name and its typed arguments (only those given). */
    public record Spec(String scheduler, Map<String, Object> args) {}

    private static final Map<String, Entry> BY_NAME = new LinkedHashMap<>();
    private static final List<Entry> ENTRIES = new ArrayList<>();
    private static final List<String> LIBRARY_ONLY = List.of("LambdaLR", "SequentialLR", "ChainedScheduler");

    static {
        register("StepLR", List.of("step"), List.of(arg("step_size", Type.INT, null), arg("gamma", Type.DOUBLE, 0.1)),
                (a, o, s, e) -> new StepLR(o, (Integer) a.get("step_size"), (Double) a.get("gamma")));
        register("MultiStepLR", List.of("multistep"),
                List.of(arg("milestones", Type.INTS, null), arg("gamma", Type.DOUBLE, 0.1)),
                (a, o, s, e) -> new MultiStepLR(o, (int[]) a.get("milestones"), (Double) a.get("gamma")));
        register("ExponentialLR", List.of("exponential", "exp"), List.of(arg("gamma", Type.DOUBLE, null)),
                (a, o, s, e) -> new ExponentialLR(o, (Double) a.get("gamma")));
        register("LinearLR", List.of("linear"),
                List.of(arg("start_factor", Type.DOUBLE, 1.0 / 3), arg("end_factor", Type.DOUBLE, 1.0),
                        arg("total_iters", Type.INT, 5)),
                (a, o, s, e) -> new LinearLR(o, (Double) a.get("start_factor"), (Double) a.get("end_factor"),
                        (Integer) a.get("total_iters")));
        register("ConstantLR", List.of("constant"),
                List.of(arg("factor", Type.DOUBLE, 1.0 / 3), arg("total_iters", Type.INT, 5)),
                (a, o, s, e) -> new ConstantLR(o, (Double) a.get("factor"), (Integer) a.get("total_iters")));
        register("PolynomialLR", List.of("polynomial", "poly"),
                List.of(arg("total_iters", Type.INT, 5), arg("power", Type.DOUBLE, 1.0)),
                (a, o, s, e) -> new PolynomialLR(o, (Integer) a.get("total_iters"), (Double) a.get("power")));
        register("CosineAnnealingLR", List.of("cosine", "cos"),
                List.of(arg("T_max", Type.INT, null), arg("eta_min", Type.DOUBLE, 0.0)),
                (a, o, s, e) -> new CosineAnnealingLR(o, (Integer) a.get("T_max"), (Double) a.get("eta_min")));
        register("CosineAnnealingWarmRestarts", List.of("cosine-restarts", "warmrestarts", "sgdr"),
                List.of(arg("T_0", Type.INT, null), arg("T_mult", Type.INT, 1), arg("eta_min", Type.DOUBLE, 0.0)),
                (a, o, s, e) -> new CosineAnnealingWarmRestarts(o, (Integer) a.get("T_0"), (Integer) a.get("T_mult"),
                        (Double) a.get("eta_min")));
        register("OneCycleLR", List.of("onecycle", "1cycle"),
                List.of(arg("max_lr", Type.DOUBLES, null), arg("total_steps", Type.INT, "epochs x steps per epoch"),
                        arg("epochs", Type.INT, "the run's"), arg("steps_per_epoch", Type.INT, "the run's"),
                        arg("pct_start", Type.DOUBLE, 0.3),
                        new Arg("anneal_strategy", Type.STRING, "cos", List.of("cos", "linear")),
                        arg("cycle_momentum", Type.BOOL, true), arg("base_momentum", Type.DOUBLES, new double[] {0.85}),
                        arg("max_momentum", Type.DOUBLES, new double[] {0.95}), arg("div_factor", Type.DOUBLE, 25.0),
                        arg("final_div_factor", Type.DOUBLE, 1e4), arg("three_phase", Type.BOOL, false)),
                Schedulers::oneCycle);
        register("ReduceLROnPlateau", List.of("plateau"),
                List.of(new Arg("mode", Type.STRING, "min", List.of("min", "max")), arg("factor", Type.DOUBLE, 0.1),
                        arg("patience", Type.INT, 10), arg("threshold", Type.DOUBLE, 1e-4),
                        new Arg("threshold_mode", Type.STRING, "rel", List.of("rel", "abs")),
                        arg("cooldown", Type.INT, 0), arg("min_lr", Type.DOUBLES, new double[] {0.0}),
                        arg("eps", Type.DOUBLE, 1e-8)),
                (a, o, s, e) -> new ReduceLROnPlateau(o, (String) a.get("mode"), (Double) a.get("factor"),
                        (Integer) a.get("patience"), (Double) a.get("threshold"), (String) a.get("threshold_mode"),
                        (Integer) a.get("cooldown"), (double[]) a.get("min_lr"), (Double) a.get("eps")));
    }

    private Schedulers() {}

    private static Arg arg(String name, Type type, Object def) {
        return new Arg(name, type, def, List.of());
    }

    private static void register(String className, List<String> aliases, List<Arg> args, Factory factory) {
        Entry e = new Entry(className, aliases, args, factory);
        ENTRIES.add(e);
        BY_NAME.put(className.toLowerCase(Locale.ROOT), e);
        for (String alias : aliases) {
            BY_NAME.put(alias, e);
        }
    }

    private static LRScheduler oneCycle(Map<String, Object> a, Optimizer o, int stepsPerEpoch, int epochs) {
        Integer total = (Integer) a.get("total_steps");
        Integer ep = (Integer) a.get("epochs");
        Integer spe = (Integer) a.get("steps_per_epoch");
        int runSteps = epochs * stepsPerEpoch;
        if (total == null && ep == null && spe == null && runSteps > 0) {
            total = runSteps;
        } else if (total == null) {
            ep = ep != null ? ep : (epochs > 0 ? epochs : null);
            spe = spe != null ? spe : (stepsPerEpoch > 0 ? stepsPerEpoch : null);
        }
        OneCycleLR s = OneCycleLR.builder(o, (double[]) a.get("max_lr"))
                .totalSteps(total).epochs(ep).stepsPerEpoch(spe)
                .pctStart((Double) a.get("pct_start"))
                .annealStrategy((String) a.get("anneal_strategy"))
                .cycleMomentum((Boolean) a.get("cycle_momentum"))
                .baseMomentum((double[]) a.get("base_momentum"))
                .maxMomentum((double[]) a.get("max_momentum"))
                .divFactor((Double) a.get("div_factor"))
                .finalDivFactor((Double) a.get("final_div_factor"))
                .threePhase((Boolean) a.get("three_phase"))
                .build();
        if (runSteps > 0 && s.totalSteps() < runSteps) {
            throw new UsageException("OneCycleLR: total_steps is " + s.totalSteps() + " but the run takes " + runSteps
                    + " steps (" + epochs + " epochs x " + stepsPerEpoch + " batches); leave total_steps, epochs and "
                    + "steps_per_epoch out to cycle over the whole run");
        }
        return s;
    }

    /**
     * Why a run on the scheduler {@code spec} names cannot be made longer than {@code epochs} epochs
     * with the same schedule, or null when it can: a schedule that takes its length from the run
     * (OneCycleLR without total_steps or epochs) would be another schedule for a longer run, so the
     * steps already taken would not be those of the longer run. Every other scheduler's learning
     * rate is a function of the step alone (CosineAnnealingLR continues past T_max as torch's does),
     * so a run extended with it ends as a run of the longer length would.
     */
    public static String extensionRefusal(String spec, int epochs) {
        Spec parsed = parse(spec);
        Entry e = entry(parsed.scheduler());
        if (e.className().equals("OneCycleLR") && !parsed.args().containsKey("total_steps")
                && !parsed.args().containsKey("epochs")) {
            return "its OneCycleLR schedule (" + spec + ") takes its length from the run's " + epochs + " epochs, so a"
                    + " longer run would have had another schedule from its first step; give total_steps or epochs"
                    + " in a new run to leave room";
        }
        return null;
    }

    /** torch's class names of the schedulers a spec can name, in registration order. */
    public static List<String> names() {
        return ENTRIES.stream().map(Entry::className).toList();
    }

    /** One line per scheduler: its names and arguments with defaults, for help and error messages. */
    public static String describe() {
        StringBuilder sb = new StringBuilder();
        for (Entry e : ENTRIES) {
            sb.append(e.className().toLowerCase(Locale.ROOT));
            for (String alias : e.aliases()) {
                sb.append(" | ").append(alias);
            }
            sb.append(": ").append(describeArgs(e)).append('\n');
        }
        return sb.toString();
    }

    private static String describeArgs(Entry e) {
        StringBuilder sb = new StringBuilder();
        for (Arg a : e.args()) {
            sb.append(sb.isEmpty() ? "" : ", ").append(a.describe());
        }
        return sb.toString();
    }

    private static String validNames() {
        List<String> out = new ArrayList<>();
        for (Entry e : ENTRIES) {
            out.add(e.className().toLowerCase(Locale.ROOT) + " (" + String.join(", ", e.aliases()) + ")");
        }
        return String.join(", ", out);
    }

    /** The class name a spec's name stands for; UsageException listing the valid names otherwise. */
    private static Entry entry(String name) {
        Entry e = BY_NAME.get(name.toLowerCase(Locale.ROOT));
        if (e != null) {
            return e;
        }
        for (String lib : LIBRARY_ONLY) {
            if (lib.equalsIgnoreCase(name)) {
                throw new UsageException(lib + " has no spec form (it takes " + (lib.equals("LambdaLR") ? "a function"
                        : "other schedulers") + "); use dev.kobai.optim.scheduler." + lib + " from Java. Schedulers a "
                        + "spec can name: " + validNames());
            }
        }
        throw new UsageException("unknown scheduler '" + name + "'; valid: " + validNames());
    }

    /**
     * Parses and type-checks a spec without building anything, so a typo is reported before data
     * is loaded. Values are checked for type here; ranges are checked by the scheduler's constructor.
     */
    public static Spec parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new UsageException("empty scheduler spec; expected name[:key=value,...], e.g. steplr:step_size=2,"
                    + "gamma=0.5");
        }
        String text = spec.trim();
        int colon = text.indexOf(':');
        String name = (colon < 0 ? text : text.substring(0, colon)).trim();
        if (name.isEmpty()) {
            throw new UsageException("scheduler spec '" + spec + "' has no name before ':'");
        }
        Entry e = entry(name);
        Map<String, Object> given = new LinkedHashMap<>();
        if (colon >= 0) {
            String rest = text.substring(colon + 1);
            if (rest.isBlank()) {
                throw new UsageException("scheduler spec '" + spec + "' has ':' but no key=value after it");
            }
            for (String pair : rest.split(",", -1)) {
                int eq = pair.indexOf('=');
                if (eq <= 0 || pair.substring(eq + 1).isBlank()) {
                    throw new UsageException("scheduler spec '" + spec + "': '" + pair
                            + "' is not key=value (separate pairs with commas, list items with '/')");
                }
                Arg arg = argument(e, pair.substring(0, eq).trim());
                String raw = pair.substring(eq + 1).trim();
                if (given.containsKey(arg.name())) {
                    throw new UsageException("scheduler spec '" + spec + "' gives '" + arg.name() + "' twice");
                }
                given.put(arg.name(), value(e, arg, raw));
            }
        }
        for (Arg a : e.args()) {
            if (a.def() == null && !given.containsKey(a.name())) {
                throw new UsageException(e.className() + " needs " + a.name() + " (e.g. "
                        + e.aliases().getFirst() + ":" + a.name() + "=" + example(a) + "); arguments: " + describeArgs(e));
            }
        }
        return new Spec(e.className(), given);
    }

    private static String example(Arg a) {
        return switch (a.type()) {
            case INTS -> "2/5/8";
            case INT -> "10";
            default -> "0.1";
        };
    }

    private static Arg argument(Entry e, String key) {
        for (Arg a : e.args()) {
            if (a.name().equals(key)) {
                return a;
            }
        }
        for (Arg a : e.args()) {
            if (a.name().equalsIgnoreCase(key)) {
                return a;
            }
        }
        throw new UsageException("unknown argument '" + key + "' for " + e.className() + "; valid: " + describeArgs(e));
    }

    private static Object value(Entry e, Arg a, String raw) {
        String where = e.className() + ", argument " + a.name() + ": ";
        return switch (a.type()) {
            case INT -> integer(where, raw);
            case DOUBLE -> number(where, raw);
            case BOOL -> switch (raw.toLowerCase(Locale.ROOT)) {
                case "true", "yes", "1" -> true;
                case "false", "no", "0" -> false;
                default -> throw new UsageException(where + "'" + raw + "' is not a boolean (true or false)");
            };
            case STRING -> {
                if (!a.choices().contains(raw)) {
                    throw new UsageException(where + "'" + raw + "' is not one of " + String.join(", ", a.choices()));
                }
                yield raw;
            }
            case INTS -> {
                String[] parts = raw.split("/", -1);
                int[] out = new int[parts.length];
                for (int i = 0; i < parts.length; i++) {
                    out[i] = integer(where, parts[i]);
                }
                yield out;
            }
            case DOUBLES -> {
                String[] parts = raw.split("/", -1);
                double[] out = new double[parts.length];
                for (int i = 0; i < parts.length; i++) {
                    out[i] = number(where, parts[i]);
                }
                yield out;
            }
        };
    }

    private static double number(String where, String raw) {
        try {
            double v = Double.parseDouble(raw.trim());
            if (Double.isNaN(v) || Double.isInfinite(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException ex) {
            throw new UsageException(where + "'" + raw + "' is not a finite number");
        }
    }

    private static int integer(String where, String raw) {
        double v;
        try {
            v = Double.parseDouble(raw.trim());
        } catch (NumberFormatException ex) {
            throw new UsageException(where + "'" + raw + "' is not a whole number");
        }
        if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
            throw new UsageException(where + "'" + raw + "' is not a whole number");
        }
        return (int) v;
    }

    /**
     * Builds the scheduler a spec names over {@code optimizer}. {@code stepsPerEpoch} and
     * {@code epochs} describe the run (OneCycleLR's default length); pass 0 when unknown.
     *
     * @throws UsageException for an unknown name, key or value, listing what is valid
     */
    public static LRScheduler create(String spec, Optimizer optimizer, int stepsPerEpoch, int epochs) {
        Spec parsed = parse(spec);
        Entry e = entry(parsed.scheduler());
        Map<String, Object> args = new LinkedHashMap<>();
        for (Arg a : e.args()) {
            Object v = parsed.args().containsKey(a.name()) ? parsed.args().get(a.name())
                    : a.def() instanceof String && a.type() != Type.STRING ? null : a.def();
            args.put(a.name(), v instanceof double[] d ? d.clone() : v instanceof int[] i ? i.clone() : v);
        }
        return e.factory().create(args, optimizer, stepsPerEpoch, epochs);
    }

    private static String format(Object v) {
        if (v instanceof double[] d) {
            StringBuilder sb = new StringBuilder();
            for (double x : d) {
                sb.append(sb.isEmpty() ? "" : "/").append(x);
            }
            return sb.toString();
        }
        if (v instanceof Double d && d == 1.0 / 3) {
            return "1/3";
        }
        return String.valueOf(v);
    }
}
