package dev.kobai.optim.scheduler;

import dev.kobai.UsageException;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.Option;
import dev.kobai.optim.OptionTable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The schedulers the command line can name, and the parser of their specs (over each scheduler's
 * {@code OPTIONS} table, the one its typed builder sets):
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
    @FunctionalInterface
    private interface Factory {
        LRScheduler create(Map<String, Object> args, Optimizer optimizer, int stepsPerEpoch, int epochs);
    }

    private record Entry(String className, List<String> aliases, OptionTable table, Factory factory) {}

    /** A parsed spec: the scheduler's class name and its typed arguments (only those given). */
    public record Spec(String scheduler, Map<String, Object> args) {}

    private static final Map<String, Entry> BY_NAME = new LinkedHashMap<>();
    private static final List<Entry> ENTRIES = new ArrayList<>();
    private static final List<String> LIBRARY_ONLY = List.of("LambdaLR", "SequentialLR", "ChainedScheduler");

    // Each entry is the class's own table (the one its typed builder sets) and the factory its
    // builder also calls, so a spec and a builder with the same values build the same scheduler.
    static {
        register("StepLR", List.of("step"), StepLR.OPTIONS, (a, o, s, e) -> StepLR.create(a, o));
        register("MultiStepLR", List.of("multistep"), MultiStepLR.OPTIONS, (a, o, s, e) -> MultiStepLR.create(a, o));
        register("ExponentialLR", List.of("exponential", "exp"), ExponentialLR.OPTIONS,
                (a, o, s, e) -> ExponentialLR.create(a, o));
        register("LinearLR", List.of("linear"), LinearLR.OPTIONS, (a, o, s, e) -> LinearLR.create(a, o));
        register("ConstantLR", List.of("constant"), ConstantLR.OPTIONS, (a, o, s, e) -> ConstantLR.create(a, o));
        register("PolynomialLR", List.of("polynomial", "poly"), PolynomialLR.OPTIONS,
                (a, o, s, e) -> PolynomialLR.create(a, o));
        register("CosineAnnealingLR", List.of("cosine", "cos"), CosineAnnealingLR.OPTIONS,
                (a, o, s, e) -> CosineAnnealingLR.create(a, o));
        register("CosineAnnealingWarmRestarts", List.of("cosine-restarts", "warmrestarts", "sgdr"),
                CosineAnnealingWarmRestarts.OPTIONS, (a, o, s, e) -> CosineAnnealingWarmRestarts.create(a, o));
        register("OneCycleLR", List.of("onecycle", "1cycle"), OneCycleLR.OPTIONS, Schedulers::oneCycle);
        register("ReduceLROnPlateau", List.of("plateau"), ReduceLROnPlateau.OPTIONS,
                (a, o, s, e) -> ReduceLROnPlateau.create(a, o));
    }

    private Schedulers() {}

    private static void register(String className, List<String> aliases, OptionTable table, Factory factory) {
        Entry e = new Entry(className, aliases, table, factory);
        ENTRIES.add(e);
        BY_NAME.put(className.toLowerCase(Locale.ROOT), e);
        for (String alias : aliases) {
            BY_NAME.put(alias, e);
        }
    }

    private static LRScheduler oneCycle(Map<String, Object> a, Optimizer o, int stepsPerEpoch, int epochs) {
        Integer total = OneCycleLR.TOTAL_STEPS.from(a);
        Integer ep = OneCycleLR.EPOCHS.from(a);
        Integer spe = OneCycleLR.STEPS_PER_EPOCH.from(a);
        int runSteps = epochs * stepsPerEpoch;
        if (total == null && ep == null && spe == null && runSteps > 0) {
            total = runSteps;
        } else if (total == null) {
            ep = ep != null ? ep : (epochs > 0 ? epochs : null);
            spe = spe != null ? spe : (stepsPerEpoch > 0 ? stepsPerEpoch : null);
        }
        OneCycleLR s = OneCycleLR.builder(o, OneCycleLR.MAX_LR.from(a))
                .totalSteps(total).epochs(ep).stepsPerEpoch(spe)
                .pctStart(OneCycleLR.PCT_START.from(a))
                .annealStrategy(OneCycleLR.ANNEAL_STRATEGY.from(a))
                .cycleMomentum(OneCycleLR.CYCLE_MOMENTUM.from(a))
                .baseMomentum(OneCycleLR.BASE_MOMENTUM.from(a))
                .maxMomentum(OneCycleLR.MAX_MOMENTUM.from(a))
                .divFactor(OneCycleLR.DIV_FACTOR.from(a))
                .finalDivFactor(OneCycleLR.FINAL_DIV_FACTOR.from(a))
                .threePhase(OneCycleLR.THREE_PHASE.from(a))
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
        return e.table().describe();
    }

    /** The table of arguments of the scheduler a name (class name or alias) stands for. */
    public static OptionTable table(String name) {
        return entry(name).table();
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
                Option<?> arg = argument(e, pair.substring(0, eq).trim());
                String raw = pair.substring(eq + 1).trim();
                if (given.containsKey(arg.name())) {
                    throw new UsageException("scheduler spec '" + spec + "' gives '" + arg.name() + "' twice");
                }
                given.put(arg.name(), arg.parse(raw, e.className() + ", argument " + arg.name() + ": "));
            }
        }
        for (Option<?> a : e.table().options()) {
            if (a.required() && !given.containsKey(a.name())) {
                throw new UsageException(e.className() + " needs " + a.name() + " (e.g. "
                        + e.aliases().getFirst() + ":" + a.name() + "=" + example(a) + "); arguments: " + describeArgs(e));
            }
        }
        return new Spec(e.className(), given);
    }

    private static String example(Option<?> a) {
        return switch (a.kind()) {
            case INTEGERS -> "2/5/8";
            case INTEGER -> "10";
            default -> "0.1";
        };
    }

    private static Option<?> argument(Entry e, String key) {
        Option<?> exact = e.table().find(key);
        if (exact != null) {
            return exact;
        }
        for (Option<?> a : e.table().options()) {
            if (a.name().equalsIgnoreCase(key)) {
                return a;
            }
        }
        throw new UsageException("unknown argument '" + key + "' for " + e.className() + "; valid: " + describeArgs(e));
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
        for (Option<?> a : e.table().options()) {
            args.put(a.name(), parsed.args().containsKey(a.name()) ? parsed.args().get(a.name()) : a.defaultValue());
        }
        return e.factory().create(args, optimizer, stepsPerEpoch, epochs);
    }
}
