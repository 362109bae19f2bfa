package dev.kobai.optim;

import dev.kobai.UsageException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * A typed hyperparameter of an optimizer or scheduler, declared once in its class: torch's name,
 * the value's kind, the default (none when required), and the checks on a single value with
 * torch's messages. One declaration serves the typed builders ({@code Adam.builder().lr(3e-4)} sets
 * {@link Adam#LR}), the command line's spec parser ({@code adam:lr=3e-4}), the help and error
 * texts that list the options, and the checks every new parameter group passes.
 *
 * {@snippet :
 * public static final Option<Double> LR = Option.number("lr", 1e-3)
 *         .check(v -> v >= 0 ? null : "Invalid learning rate: " + v);
 * }
 *
 * <p>Values are stored in a {@link ParamGroup}'s map under {@link #name()} as {@code Double},
 * {@code Integer}, {@code Boolean}, {@code String}, {@code double[]} or {@code int[]}; that map
 * stays the storage, because schedulers write into it and state dicts save it by torch's names.
 * An Option is immutable.
 *
 * @param <T> the Java type of the value
 */
public final class Option<T> {
    /** The kinds of value, with how a spec writes them. */
    public enum Kind {
        /** a finite double ({@code 1e-3}) */
        NUMBER,
        /** a whole number ({@code 10}) */
        INTEGER,
        /** true or false ({@code true}, {@code yes}, {@code 1}, ...) */
        BOOLEAN,
        /** two doubles written a/b ({@code 0.9/0.999}) */
        PAIR,
        /** text, optionally one of a fixed list */
        STRING,
        /** whole numbers written a/b/c ({@code 2/5/8}) */
        INTEGERS,
        /** one or more doubles written a/b/c */
        NUMBERS
    }

    private final String name;
    private final Kind kind;
    private final T defaultValue;
    private final String defaultText;
    private final List<String> choices;
    private final List<Function<? super T, String>> checks;
    /** For a whole-number option: the message for a fractional number given in a map, or null. */
    private final Function<Number, String> fraction;

    private Option(String name, Kind kind, T defaultValue, String defaultText, List<String> choices,
                   List<Function<? super T, String>> checks) {
        this(name, kind, defaultValue, defaultText, choices, checks, null);
    }

    private Option(String name, Kind kind, T defaultValue, String defaultText, List<String> choices,
                   List<Function<? super T, String>> checks, Function<Number, String> fraction) {
        this.fraction = fraction;
        this.name = Objects.requireNonNull(name);
        this.kind = kind;
        this.defaultValue = defaultValue;
        this.defaultText = defaultText;
        this.choices = List.copyOf(choices);
        this.checks = List.copyOf(checks);
    }

    private static <T> Option<T> of(String name, Kind kind, T def) {
        return new Option<>(name, kind, def, null, List.of(), List.of());
    }

    /** A number with a default. */
    public static Option<Double> number(String name, double def) {
        return of(name, Kind.NUMBER, def);
    }

    /** A number the user must give (no default). */
    public static Option<Double> number(String name) {
        return of(name, Kind.NUMBER, null);
    }

    /** A whole number with a default. */
    public static Option<Integer> integer(String name, int def) {
        return of(name, Kind.INTEGER, def);
    }

    /** A whole number the user must give. */
    public static Option<Integer> integer(String name) {
        return of(name, Kind.INTEGER, null);
    }

    /** A boolean with a default. */
    public static Option<Boolean> bool(String name, boolean def) {
        return of(name, Kind.BOOLEAN, def);
    }

    /** A pair of numbers, such as torch's betas=(0.9, 0.999). */
    public static Option<double[]> pair(String name, double first, double second) {
        return of(name, Kind.PAIR, new double[] {first, second});
    }

    /** Free text with a default. */
    public static Option<String> string(String name, String def) {
        return of(name, Kind.STRING, def);
    }

    /** One of fixed words; the spec parser refuses others. */
    public static Option<String> choice(String name, String def, String... choices) {
        return new Option<>(name, Kind.STRING, def, null, List.of(choices), List.of());
    }

    /** Whole numbers the user must give (milestones). */
    public static Option<int[]> integers(String name) {
        return of(name, Kind.INTEGERS, null);
    }

    /** One or more numbers; {@code def} empty means the user must give them. */
    public static Option<double[]> numbers(String name, double... def) {
        return of(name, Kind.NUMBERS, def.length == 0 ? null : def.clone());
    }

    /**
     * This option with one more check: {@code check} returns null for a good value and otherwise
     * the whole message (torch's where torch has one). Checks run in the order they were added.
     */
    public Option<T> check(Function<? super T, String> check) {
        List<Function<? super T, String>> all = new ArrayList<>(checks);
        all.add(check);
        return new Option<>(name, kind, defaultValue, defaultText, choices, all, fraction);
    }

    /**
     * This whole-number option with the check {@code value >= min}; {@code message} gives the whole
     * message both for a smaller value and for a fractional number given in a map.
     */
    public Option<T> wholeAtLeast(int min, Function<Number, String> message) {
        if (kind != Kind.INTEGER) {
            throw new IllegalStateException(name + " is not a whole-number option");
        }
        Option<T> checked = check(v -> ((Integer) v) >= min ? null : message.apply((Integer) v));
        return new Option<>(name, kind, defaultValue, defaultText, choices, checked.checks, message);
    }

    /**
     * This option as one without a default that may still be left out; {@code text} says what is
     * used then (shown in help: {@code total_steps=epochs x steps per epoch}).
     */
    public Option<T> optional(String text) {
        return new Option<>(name, kind, null, text, choices, checks, fraction);
    }

    /** torch's name, as specs, state dicts and parameter groups spell it. */
    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    /** The default, a copy for arrays; null when the option is required or {@link #optional}. */
    public T defaultValue() {
        return copy(defaultValue);
    }

    /** Whether a value must be given: no default and not {@link #optional}. */
    public boolean required() {
        return defaultValue == null && defaultText == null;
    }

    /** The words a {@link #choice} option accepts; empty for others. */
    public List<String> choices() {
        return choices;
    }

    /** The message of the first check {@code value} fails, or null when it passes them all. */
    public String problem(T value) {
        for (Function<? super T, String> c : checks) {
            String message = c.apply(value);
            if (message != null) {
                return message;
            }
        }
        return null;
    }

    /** The value stored under this option's name in {@code options}, typed; null when absent. */
    public T from(java.util.Map<String, ?> options) {
        Object v = options.get(name);
        return v == null ? null : cast(v);
    }

    /** A stored value as T: numbers of either Java type are accepted, arrays are copied. */
    @SuppressWarnings("unchecked")
    T cast(Object v) {
        return (T) switch (kind) {
            case NUMBER -> ((Number) v).doubleValue();
            case INTEGER -> ((Number) v).intValue();
            default -> copy(v);
        };
    }

    @SuppressWarnings("unchecked")
    private static <V> V copy(V v) {
        if (v instanceof double[] d) {
            return (V) d.clone();
        }
        if (v instanceof int[] i) {
            return (V) i.clone();
        }
        return v;
    }

    /**
     * Checks the Java type of a value given in a map and converts it to this option's storage type
     * (an Integer given for a number becomes a Double); {@code where} starts the message.
     */
    Object coerce(Object v, String where) {
        boolean ok = switch (kind) {
            case NUMBER -> v instanceof Number;
            case INTEGER -> v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                    && Math.abs(n.doubleValue()) <= Integer.MAX_VALUE;
            case BOOLEAN -> v instanceof Boolean;
            case PAIR -> v instanceof double[] d && d.length == 2;
            case STRING -> v instanceof String;
            case INTEGERS -> v instanceof int[];
            case NUMBERS -> v instanceof double[] d && d.length > 0;
        };
        if (!ok && kind == Kind.INTEGER && fraction != null && v instanceof Number n) {
            throw new UsageException(fraction.apply(n));
        }
        if (!ok) {
            throw new UsageException(where + "expected " + expected() + ", got " + describe(v));
        }
        return cast(v);
    }

    private String expected() {
        return switch (kind) {
            case NUMBER -> "a number";
            case INTEGER -> "a whole number";
            case BOOLEAN -> "a boolean";
            case PAIR -> "a pair of numbers (double[2])";
            case STRING -> "a string";
            case INTEGERS -> "whole numbers (int[])";
            case NUMBERS -> "numbers (double[])";
        };
    }

    private static String describe(Object v) {
        if (v instanceof double[] d) {
            return "double[" + d.length + "] " + Arrays.toString(d);
        }
        return v.getClass().getSimpleName() + " '" + v + "'";
    }

    /**
     * Parses a spec's text for this option; a bad one gives a UsageException starting with
     * {@code where} ("optimizer adam, option lr: ") and saying what was expected.
     */
    public T parse(String raw, String where) {
        Object v = switch (kind) {
            case NUMBER -> parseNumber(where, raw);
            case INTEGER -> parseInteger(where, raw);
            case BOOLEAN -> switch (raw.toLowerCase(Locale.ROOT)) {
                case "true", "yes", "1" -> true;
                case "false", "no", "0" -> false;
                default -> throw new UsageException(where + "'" + raw + "' is not a boolean (true or false)");
            };
            case PAIR -> {
                String[] parts = raw.split("/", -1);
                if (parts.length != 2) {
                    throw new UsageException(where + "'" + raw + "' is not a pair; write it as a/b, e.g. 0.9/0.999");
                }
                yield new double[] {parseNumber(where, parts[0]), parseNumber(where, parts[1])};
            }
            case STRING -> {
                if (!choices.isEmpty() && !choices.contains(raw)) {
                    throw new UsageException(where + "'" + raw + "' is not one of " + String.join(", ", choices));
                }
                yield raw;
            }
            case INTEGERS -> {
                String[] parts = raw.split("/", -1);
                int[] out = new int[parts.length];
                for (int i = 0; i < parts.length; i++) {
                    out[i] = parseInteger(where, parts[i]);
                }
                yield out;
            }
            case NUMBERS -> {
                String[] parts = raw.split("/", -1);
                double[] out = new double[parts.length];
                for (int i = 0; i < parts.length; i++) {
                    out[i] = parseNumber(where, parts[i]);
                }
                yield out;
            }
        };
        return cast(v);
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

    private static int parseInteger(String where, String raw) {
        double v;
        try {
            v = Double.parseDouble(raw.trim());
        } catch (NumberFormatException e) {
            v = Double.NaN;
        }
        if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
            throw new UsageException(where + "'" + raw + "' is not a whole number");
        }
        return (int) v;
    }

    /** "lr (required)", "momentum=0.0", "betas=0.9/0.999", "mode=min (min or max)": for help and errors. */
    public String describe() {
        StringBuilder sb = new StringBuilder(name);
        if (defaultValue != null) {
            sb.append('=').append(format(defaultValue));
        } else if (defaultText != null) {
            sb.append('=').append(defaultText);
        } else {
            sb.append(" (required)");
        }
        if (!choices.isEmpty()) {
            sb.append(" (").append(String.join(" or ", choices)).append(')');
        }
        return sb.toString();
    }

    /** A value as a spec writes it: arrays joined with '/', 1/3 as such. */
    public static String format(Object v) {
        if (v instanceof double[] d) {
            StringBuilder sb = new StringBuilder();
            for (double x : d) {
                sb.append(sb.isEmpty() ? "" : "/").append(x);
            }
            return sb.toString();
        }
        if (v instanceof int[] a) {
            StringBuilder sb = new StringBuilder();
            for (int x : a) {
                sb.append(sb.isEmpty() ? "" : "/").append(x);
            }
            return sb.toString();
        }
        if (v instanceof Double d && d == 1.0 / 3) {
            return "1/3";
        }
        return String.valueOf(v);
    }

    @Override
    public String toString() {
        return describe();
    }

    // ---------------------------------------------------------------- common checks

    /** torch's check that a value is {@code >= 0}: {@code message + value} otherwise ("Invalid learning rate: "). */
    public static Function<Double, String> nonNegative(String message) {
        return v -> v >= 0 ? null : message + v;
    }
}
