package dev.kobai.optim;

import dev.kobai.UsageException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The options of one optimizer or scheduler, in torch's argument order: the one table behind its
 * typed builder, the spec parser, the defaults, the checks on each new parameter group and the
 * option lists of help and error messages. Each class declares its table once from its
 * {@link Option} constants ({@code Adam.OPTIONS}).
 *
 * <p>Checks run in the table's check order, which is torch's order of the checks in the
 * constructor where it differs from the argument order (Adam checks eps before betas).
 */
public final class OptionTable {
    private final List<Option<?>> options;
    private final List<Option<?>> checkOrder;

    private OptionTable(List<Option<?>> options, List<Option<?>> checkOrder) {
        Map<String, Option<?>> seen = new LinkedHashMap<>();
        for (Option<?> o : options) {
            if (seen.put(o.name(), o) != null) {
                throw new IllegalArgumentException("option " + o.name() + " declared twice");
            }
        }
        this.options = List.copyOf(options);
        this.checkOrder = List.copyOf(checkOrder);
    }

    /** The options in the order given, checked in that order. */
    public static OptionTable of(Option<?>... options) {
        return new OptionTable(List.of(options), List.of(options));
    }

    /**
     * This table with its checks run in another order: {@code first} in the order given, then the
     * other options in table order.
     */
    public OptionTable checkedIn(Option<?>... first) {
        List<Option<?>> order = new ArrayList<>(List.of(first));
        for (Option<?> o : options) {
            if (!order.contains(o)) {
                order.add(o);
            }
        }
        for (Option<?> o : first) {
            if (!options.contains(o)) {
                throw new IllegalArgumentException("option " + o.name() + " is not in the table");
            }
        }
        return new OptionTable(options, order);
    }

    /** This table with {@code more} added at the end, skipping any whose name is already declared. */
    public OptionTable with(Option<?>... more) {
        List<Option<?>> all = new ArrayList<>(options);
        List<Option<?>> order = new ArrayList<>(checkOrder);
        for (Option<?> o : more) {
            if (find(o.name()) == null) {
                all.add(o);
                order.add(o);
            }
        }
        return new OptionTable(all, order);
    }

    /**
     * A table inferred from a map of defaults, for optimizers written against the map API alone:
     * each default's Java class gives the option's kind; null marks a required number.
     */
    public static OptionTable inferred(Map<String, Object> defaults) {
        List<Option<?>> all = new ArrayList<>();
        defaults.forEach((k, v) -> all.add(switch (v) {
            case null -> Option.number(k);
            case Boolean b -> Option.bool(k, b);
            case Integer i -> Option.integer(k, i);
            case double[] d when d.length == 2 -> Option.pair(k, d[0], d[1]);
            case double[] d -> Option.numbers(k, d);
            case int[] _ -> Option.integers(k);
            case String s -> Option.string(k, s);
            case Number n -> Option.number(k, n.doubleValue());
            default -> throw new IllegalArgumentException("option " + k + " has a default of unknown kind: " + v);
        }));
        return new OptionTable(all, all);
    }

    /** The options in torch's argument order. */
    public List<Option<?>> options() {
        return options;
    }

    /** The option named {@code name} exactly, or null. */
    public Option<?> find(String name) {
        for (Option<?> o : options) {
            if (o.name().equals(name)) {
                return o;
            }
        }
        return null;
    }

    /** Whether this very option (not merely one of the same name) is in the table. */
    public boolean contains(Option<?> option) {
        for (Option<?> o : options) {
            if (o == option) {
                return true;
            }
        }
        return false;
    }

    /** The defaults by name, in order; null for a required or optional value without a default. */
    public Map<String, Object> defaults() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Option<?> o : options) {
            out.put(o.name(), o.defaultValue());
        }
        return out;
    }

    /** "lr (required), momentum=0.0, nesterov=false": the options with defaults, for help and errors. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (Option<?> o : options) {
            sb.append(sb.isEmpty() ? "" : ", ").append(o.describe());
        }
        return sb.toString();
    }

    /**
     * Parses a spec's raw values by exact name: each key must name an option ({@code unknown}
     * gives the whole message for one that does not); {@code where} gives the message prefix for a
     * value of the wrong form. Only the values given are returned, typed, in the order given.
     */
    public Map<String, Object> parse(Map<String, String> raw, java.util.function.Function<String, String> unknown,
                                     java.util.function.Function<Option<?>, String> where) {
        Map<String, Object> out = new LinkedHashMap<>();
        raw.forEach((key, text) -> {
            Option<?> o = find(key);
            if (o == null) {
                throw new UsageException(unknown.apply(key));
            }
            out.put(o.name(), o.parse(text, where.apply(o)));
        });
        return Collections.unmodifiableMap(out);
    }

    /**
     * Checks the Java type of each value in {@code options} that names an option of this table and
     * stores it in its canonical type (a Double for a number given as an Integer); {@code owner}
     * names the optimizer in the message.
     */
    void coerce(ParamGroup group, String owner) {
        for (Option<?> o : options) {
            Object v = group.options().get(o.name());
            if (v != null) {
                group.set(o.name(), o.coerce(v, owner + " option " + o.name() + ": "));
            }
        }
    }

    /** Runs the checks of each option present in the group, in check order; the first failure throws. */
    void check(ParamGroup group) {
        for (Option<?> o : checkOrder) {
            String message = problem(o, group.options());
            if (message != null) {
                throw new UsageException(message);
            }
        }
    }

    private static <T> String problem(Option<T> o, Map<String, Object> values) {
        T v = o.from(values);
        return v == null ? null : o.problem(v);
    }
}
