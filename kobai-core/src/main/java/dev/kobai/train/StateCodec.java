package dev.kobai.train;

import dev.kobai.DataFormatException;
import dev.kobai.io.SafeTensors;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the values in optimizer and scheduler state dicts into JSON that reads back to the same
 * Java types and the same bits, with tensors stored beside it as safetensors entries.
 *
 * <p>The encoding: {@code null}, booleans and strings as themselves; an {@link Integer} as a JSON
 * integer; a finite {@link Double} as a JSON number in Java's shortest round-trip form (which
 * always has a '.' or an exponent, so it never reads back as an integer); everything else as an
 * object with one key naming its type: {@code {"double":"NaN"}} (also {@code "Infinity"} and
 * {@code "-Infinity"}), {@code {"long":N}}, {@code {"doubles":[...]}} for a double[],
 * {@code {"ints":[...]}} for an int[], {@code {"longs":[...]}} for a long[] (a generator's
 * state), {@code {"map":{...}}} for a nested map and
 * {@code {"tensor":"NAME"}} for a tensor stored under NAME. Lists are JSON arrays.
 */
final class StateCodec {
    private final SafeTensors.Builder tensors;
    private final SafeTensors.Contents source;

    private StateCodec(SafeTensors.Builder tensors, SafeTensors.Contents source) {
        this.tensors = tensors;
        this.source = source;
    }

    static StateCodec writer(SafeTensors.Builder tensors) {
        return new StateCodec(tensors, null);
    }

    static StateCodec reader(SafeTensors.Contents source) {
        return new StateCodec(null, source);
    }

    /** The JSON form of {@code value}; tensors are added to the file under {@code name}, {@code name.0}, ... */
    Object encode(Object value, String name) {
        return switch (value) {
            case null -> null;
            case Boolean b -> b;
            case String s -> s;
            case Integer i -> i;
            case Long l -> Map.of("long", l);
            case Double d -> Double.isFinite(d) ? d : Map.of("double", d.toString());
            case Float f -> encode(f.doubleValue(), name);
            case double[] a -> {
                List<Object> out = new ArrayList<>();
                for (double x : a) {
                    out.add(Double.isFinite(x) ? (Object) x : x + "");
                }
                yield Map.of("doubles", out);
            }
            case int[] a -> {
                List<Object> out = new ArrayList<>();
                for (int x : a) {
                    out.add(x);
                }
                yield Map.of("ints", out);
            }
            case long[] a -> {
                List<Object> out = new ArrayList<>();
                for (long x : a) {
                    out.add(x);
                }
                yield Map.of("longs", out);
            }
            case Tensor t -> {
                tensors.put(name, t.detach());
                yield Map.of("tensor", name);
            }
            case List<?> list -> {
                List<Object> out = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    out.add(encode(list.get(i), name + "." + i));
                }
                yield out;
            }
            case Map<?, ?> map -> {
                Map<String, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    out.put((String) e.getKey(), encode(e.getValue(), name + "." + e.getKey()));
                }
                yield Map.of("map", out);
            }
            default -> throw new IllegalArgumentException("cannot save a " + value.getClass().getSimpleName()
                    + " in a checkpoint (" + name + ")");
        };
    }

    /** Reads back what {@link #encode} wrote; {@code where} names the value in messages. */
    Object decode(Object json, String where) {
        return switch (json) {
            case null -> null;
            case Boolean b -> b;
            case String s -> s;
            case Long l -> {
                if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
                    throw fault(where, "integer " + l + " is out of range");
                }
                yield l.intValue();
            }
            case Double d -> d;
            case List<?> list -> {
                List<Object> out = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    out.add(decode(list.get(i), where + "[" + i + "]"));
                }
                yield out;
            }
            case Map<?, ?> m -> {
                if (m.size() != 1) {
                    throw fault(where, "a tagged value has " + m.size() + " keys, expected one");
                }
                Map.Entry<?, ?> e = m.entrySet().iterator().next();
                Object v = e.getValue();
                yield switch ((String) e.getKey()) {
                    case "double" -> nonFinite(v, where);
                    case "long" -> {
                        if (!(v instanceof Long l)) {
                            throw fault(where, "\"long\" holds " + v);
                        }
                        yield l;
                    }
                    case "doubles" -> {
                        List<?> items = list(v, where);
                        double[] out = new double[items.size()];
                        for (int i = 0; i < out.length; i++) {
                            out[i] = number(items.get(i), where);
                        }
                        yield out;
                    }
                    case "ints" -> {
                        List<?> items = list(v, where);
                        int[] out = new int[items.size()];
                        for (int i = 0; i < out.length; i++) {
                            if (!(items.get(i) instanceof Long l) || l != (int) (long) l) {
                                throw fault(where, "\"ints\" holds " + items.get(i));
                            }
                            out[i] = (int) (long) l;
                        }
                        yield out;
                    }
                    case "longs" -> {
                        List<?> items = list(v, where);
                        long[] out = new long[items.size()];
                        for (int i = 0; i < out.length; i++) {
                            if (!(items.get(i) instanceof Long l)) {
                                throw fault(where, "\"longs\" holds " + items.get(i));
                            }
                            out[i] = l;
                        }
                        yield out;
                    }
                    case "map" -> {
                        if (!(v instanceof Map<?, ?> inner)) {
                            throw fault(where, "\"map\" holds " + v);
                        }
                        Map<String, Object> out = new LinkedHashMap<>();
                        for (Map.Entry<?, ?> ie : inner.entrySet()) {
                            out.put((String) ie.getKey(), decode(ie.getValue(), where + "." + ie.getKey()));
                        }
                        yield out;
                    }
                    case "tensor" -> {
                        if (!(v instanceof String name)) {
                            throw fault(where, "\"tensor\" holds " + v);
                        }
                        yield source.tensor(name);
                    }
                    default -> throw fault(where, "unknown tag \"" + e.getKey() + "\"");
                };
            }
            default -> throw fault(where, "unexpected " + json);
        };
    }

    private List<?> list(Object v, String where) {
        if (!(v instanceof List<?> l)) {
            throw fault(where, "expected an array, got " + v);
        }
        return l;
    }

    private double number(Object v, String where) {
        if (v instanceof Double d) {
            return d;
        }
        if (v instanceof Long l) {
            return l;
        }
        return nonFinite(v, where);
    }

    private double nonFinite(Object v, String where) {
        if (v instanceof String s) {
            switch (s) {
                case "NaN":
                    return Double.NaN;
                case "Infinity":
                    return Double.POSITIVE_INFINITY;
                case "-Infinity":
                    return Double.NEGATIVE_INFINITY;
                default:
                    break;
            }
        }
        throw fault(where, "expected a number, got " + v);
    }

    private DataFormatException fault(String where, String what) {
        return new DataFormatException(source.source() + ": " + where + ": " + what);
    }
}
