package dev.kobai.nn;

import dev.kobai.UsageException;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The layer-list grammar of {@code --model}: torch.nn's constructor calls, separated by commas, as
 * they would stand inside {@code nn.Sequential(...)}:
 * <pre>
 *   conv2d(1, 32, 3, padding=1), batchnorm2d(32), relu, maxpool2d(2), flatten, linear(6272, 10)
 * </pre>
 * Names are torch's class names in any case, or their short forms; arguments are positional then
 * keyword, with torch's names and defaults; a pair is written {@code (3, 5)} and a string with or
 * without quotes. The layers are numbered from 0 in the model, as in nn.Sequential, so their
 * parameters are named {@code 0.weight}, {@code 1.running_mean}, ... as torch names them.
 *
 * <p>Layers (short forms in brackets): {@code Conv2d(in, out, kernel_size, stride=1, padding=0,
 * dilation=1, groups=1, bias=true)} [conv], padding an int, a pair, "same" or "valid";
 * {@code MaxPool2d(kernel_size, stride=kernel_size, padding=0, dilation=1, ceil_mode=false)}
 * [maxpool]; {@code AvgPool2d(kernel_size, stride=kernel_size, padding=0, ceil_mode=false,
 * count_include_pad=true, divisor_override=0)} [avgpool]; {@code AdaptiveAvgPool2d(output_size)}
 * [gap, output 1 by default]; {@code Flatten}; {@code Linear(in, out, bias=true)} [fc];
 * {@code Dropout(p=0.5)}; {@code ReLU}, {@code Tanh}, {@code Sigmoid}; and the normalization and
 * residual layers of {@link #NORMALIZATION_FORMS}.
 */
public final class LayerSpec {
    /** The grammar in one line, for help texts. */
    public static final String HELP = "layers as torch.nn calls separated by commas, e.g. "
            + "conv2d(1,32,3,padding=1),batchnorm2d(32),relu,maxpool2d(2),flatten,linear(6272,10)";

    static final String NORMALIZATION_FORMS = "BatchNorm2d(num_features, eps=1e-5, momentum=0.1, affine=true, "
            + "track_running_stats=true) [bn2d], BatchNorm1d [bn1d], LayerNorm(normalized_shape, eps=1e-5, "
            + "elementwise_affine=true) [ln], GroupNorm(num_groups, num_channels, eps=1e-5, affine=true) [gn], "
            + "BasicBlock(in, out, stride=1) [block]";

    private LayerSpec() {}

    /** One parsed layer call: its name as written, its position, and its arguments. */
    record Call(int index, String text, String name, List<Object> positional, Map<String, Object> keywords) {}

    /** Whether a spec is a layer list rather than a named model (it has a parenthesis or a comma). */
    public static boolean isLayerList(String spec) {
        return spec != null && (spec.indexOf('(') >= 0 || spec.indexOf(')') >= 0 || spec.indexOf(',') >= 0);
    }

    /** Parses every call and checks names and arguments (by building the layers once, which is cheap below the size limits). */
    public static void check(String spec) {
        for (Call c : parse(spec)) {
            build(spec, c, new Rng(0), DType.FLOAT32);
        }
    }

    /** Builds the layers of a spec, drawing initial weights from {@code rng} in layer order. */
    public static Sequential build(String spec, Rng rng, DType dtype) {
        List<Module> layers = new ArrayList<>();
        for (Call c : parse(spec)) {
            layers.add(build(spec, c, rng, dtype));
        }
        return new Sequential(layers.toArray(new Module[0]));
    }

    // ---------------------------------------------------------------- parsing

    static List<Call> parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new UsageException("empty model spec; expected " + HELP);
        }
        List<String> items = splitTopLevel(spec, spec, "model");
        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String item = items.get(i).strip();
            if (item.isEmpty()) {
                throw new UsageException("model '" + spec + "': layer " + i + " is empty (two commas in a row?)");
            }
            calls.add(call(spec, i, item));
        }
        return calls;
    }

    private static Call call(String spec, int index, String item) {
        int open = item.indexOf('(');
        String name;
        List<Object> positional = new ArrayList<>();
        Map<String, Object> keywords = new LinkedHashMap<>();
        if (open < 0) {
            name = item;
        } else {
            if (!item.endsWith(")")) {
                throw bad(spec, index, item, "missing ')' at the end");
            }
            name = item.substring(0, open).strip();
            String inner = item.substring(open + 1, item.length() - 1);
            if (!inner.isBlank()) {
                for (String arg : splitTopLevel(inner, spec, "layer " + index)) {
                    String a = arg.strip();
                    if (a.isEmpty()) {
                        throw bad(spec, index, item, "an argument is empty");
                    }
                    int eq = a.indexOf('=');
                    if (eq > 0 && a.substring(0, eq).strip().matches("[A-Za-z_][A-Za-z0-9_]*")) {
                        String key = a.substring(0, eq).strip().toLowerCase(Locale.ROOT);
                        if (keywords.put(key, value(spec, index, item, a.substring(eq + 1).strip())) != null) {
                            throw bad(spec, index, item, "argument '" + key + "' given twice");
                        }
                    } else {
                        if (!keywords.isEmpty()) {
                            throw bad(spec, index, item, "positional argument '" + a + "' after keyword arguments");
                        }
                        positional.add(value(spec, index, item, a));
                    }
                }
            }
        }
        if (!name.matches("[A-Za-z][A-Za-z0-9_]*")) {
            throw bad(spec, index, item, "'" + name + "' is not a layer name");
        }
        return new Call(index, item, name, positional, keywords);
    }

    /** An int, a double, a boolean, a pair of ints as int[2], or a string. */
    private static Object value(String spec, int index, String item, String text) {
        String t = text.strip();
        if (t.startsWith("(")) {
            if (!t.endsWith(")")) {
                throw bad(spec, index, item, "unclosed '(' in '" + t + "'");
            }
            List<String> parts = splitTopLevel(t.substring(1, t.length() - 1), spec, "layer " + index);
            if (parts.size() != 2) {
                throw bad(spec, index, item, "'" + t + "' should be a pair of two whole numbers");
            }
            int[] pair = new int[2];
            for (int i = 0; i < 2; i++) {
                if (!(value(spec, index, item, parts.get(i)) instanceof Integer v)) {
                    throw bad(spec, index, item, "'" + t + "' should be a pair of two whole numbers");
                }
                pair[i] = v;
            }
            return pair;
        }
        if ((t.startsWith("'") && t.endsWith("'") && t.length() >= 2) || (t.startsWith("\"") && t.endsWith("\"") && t.length() >= 2)) {
            return t.substring(1, t.length() - 1);
        }
        String lower = t.toLowerCase(Locale.ROOT);
        if (lower.equals("true")) {
            return Boolean.TRUE;
        }
        if (lower.equals("false")) {
            return Boolean.FALSE;
        }
        if (lower.equals("none") || lower.equals("null")) {
            return null;
        }
        if (t.matches("[+-]?[0-9]+")) {
            try {
                return Integer.parseInt(t);
            } catch (NumberFormatException e) {
                throw bad(spec, index, item, "the number " + t + " is too large");
            }
        }
        try {
            double d = Double.parseDouble(t);
            if (Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException e) {
            // a word: a string value such as same
        }
        if (t.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            return t;
        }
        throw bad(spec, index, item, "cannot read the value '" + t + "'");
    }

    /** Splits at commas outside parentheses; an unbalanced parenthesis is an error. */
    private static List<String> splitTopLevel(String text, String spec, String where) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch == '(') {
                depth++;
            } else if (ch == ')') {
                if (--depth < 0) {
                    throw new UsageException("model '" + spec + "': " + where + ": unmatched ')' at column " + (i + 1));
                }
            } else if (ch == ',' && depth == 0) {
                out.add(text.substring(start, i));
                start = i + 1;
            }
        }
        if (depth != 0) {
            throw new UsageException("model '" + spec + "': " + where + ": unclosed '('");
        }
        out.add(text.substring(start));
        return out;
    }

    private static UsageException bad(String spec, int index, String item, String what) {
        return new UsageException("model '" + spec + "': layer " + index + " '" + item + "': " + what);
    }

    // ---------------------------------------------------------------- building

    /** Reads a call's arguments against a signature: names in order, with defaults (NO_DEFAULT for required). */
    private static final class Args {
        private final String spec;
        private final Call call;
        private final String layer;
        private final Map<String, Object> values = new LinkedHashMap<>();

        Args(String spec, Call call, String layer, Object... signature) {
            this.spec = spec;
            this.call = call;
            this.layer = layer;
            List<String> names = new ArrayList<>();
            for (int i = 0; i < signature.length; i += 2) {
                names.add((String) signature[i]);
                values.put((String) signature[i], signature[i + 1]);
            }
            if (call.positional().size() > names.size()) {
                throw fault(layer + " takes at most " + names.size() + " arguments (" + String.join(", ", names)
                        + "), got " + call.positional().size());
            }
            for (int i = 0; i < call.positional().size(); i++) {
                values.put(names.get(i), call.positional().get(i));
            }
            for (Map.Entry<String, Object> e : call.keywords().entrySet()) {
                if (!values.containsKey(e.getKey())) {
                    throw fault("unknown argument '" + e.getKey() + "' for " + layer + "; valid: " + String.join(", ", names));
                }
                int at = names.indexOf(e.getKey());
                if (at < call.positional().size()) {
                    throw fault("argument '" + e.getKey() + "' given both by position and by name");
                }
                values.put(e.getKey(), e.getValue());
            }
            for (Map.Entry<String, Object> e : values.entrySet()) {
                if (e.getValue() == REQUIRED) {
                    throw fault(layer + " needs " + e.getKey() + " (" + layer + "(" + String.join(", ", names.subList(0,
                            requiredCount(signature))) + ", ...))");
                }
            }
        }

        private static int requiredCount(Object[] signature) {
            int n = 0;
            for (int i = 1; i < signature.length; i += 2) {
                if (signature[i] == REQUIRED) {
                    n++;
                }
            }
            return n;
        }

        UsageException fault(String what) {
            return bad(spec, call.index(), call.text(), what);
        }

        int integer(String name, int min) {
            Object v = values.get(name);
            if (!(v instanceof Integer i)) {
                throw fault(name + " must be a whole number, got " + show(v));
            }
            if (i < min || i > 1_000_000) {
                throw fault(name + " must be between " + min + " and 1000000, got " + i);
            }
            return i;
        }

        /** An int or a pair, as {h, w}. */
        int[] pair(String name, int min) {
            Object v = values.get(name);
            int[] p = v instanceof int[] a ? a : v instanceof Integer i ? new int[] {i, i} : null;
            if (p == null) {
                throw fault(name + " must be a whole number or a pair (h, w), got " + show(v));
            }
            for (int x : p) {
                if (x < min || x > 100_000) {
                    throw fault(name + " must be between " + min + " and 100000, got " + show(v));
                }
            }
            return p;
        }

        double number(String name) {
            Object v = values.get(name);
            if (v instanceof Integer i) {
                return i;
            }
            if (v instanceof Double d) {
                return d;
            }
            throw fault(name + " must be a number, got " + show(v));
        }

        boolean bool(String name) {
            if (!(values.get(name) instanceof Boolean b)) {
                throw fault(name + " must be true or false, got " + show(values.get(name)));
            }
            return b;
        }

        Object raw(String name) {
            return values.get(name);
        }

        private static String show(Object v) {
            return v instanceof int[] a ? "(" + a[0] + ", " + a[1] + ")" : v instanceof String s ? "'" + s + "'" : String.valueOf(v);
        }
    }

    private static final Object REQUIRED = new Object();

    private static Module build(String spec, Call c, Rng rng, DType dtype) {
        String key = c.name().toLowerCase(Locale.ROOT);
        try {
            return switch (key) {
                case "conv2d", "conv" -> conv2d(spec, c, rng, dtype);
                case "maxpool2d", "maxpool" -> {
                    Args a = new Args(spec, c, "MaxPool2d", "kernel_size", REQUIRED, "stride", null, "padding", 0,
                            "dilation", 1, "ceil_mode", false);
                    int k = a.integer("kernel_size", 1);
                    int s = a.raw("stride") == null ? k : a.integer("stride", 1);
                    yield new MaxPool2d(k, s, a.integer("padding", 0), a.integer("dilation", 1), a.bool("ceil_mode"));
                }
                case "avgpool2d", "avgpool" -> {
                    Args a = new Args(spec, c, "AvgPool2d", "kernel_size", REQUIRED, "stride", null, "padding", 0,
                            "ceil_mode", false, "count_include_pad", true, "divisor_override", null);
                    int k = a.integer("kernel_size", 1);
                    int s = a.raw("stride") == null ? k : a.integer("stride", 1);
                    int divisor = a.raw("divisor_override") == null ? 0 : a.integer("divisor_override", 1);
                    yield new AvgPool2d(k, s, a.integer("padding", 0), a.bool("ceil_mode"), a.bool("count_include_pad"),
                            divisor);
                }
                case "adaptiveavgpool2d", "adaptiveavgpool", "gap" -> {
                    Args a = new Args(spec, c, "AdaptiveAvgPool2d", "output_size", 1);
                    int[] size = a.pair("output_size", 1);
                    yield new AdaptiveAvgPool2d(size[0], size[1]);
                }
                case "flatten" -> {
                    new Args(spec, c, "Flatten");
                    yield new Flatten();
                }
                case "linear", "fc" -> {
                    Args a = new Args(spec, c, "Linear", "in_features", REQUIRED, "out_features", REQUIRED, "bias", true);
                    int in = a.integer("in_features", 1);
                    int out = a.integer("out_features", 1);
                    if ((long) in * out > Models.MAX_LAYER_WEIGHTS) {
                        throw a.fault("Linear(" + in + ", " + out + ") has more than " + Models.MAX_LAYER_WEIGHTS
                                + " weights; use smaller layers");
                    }
                    yield new Linear(in, out, a.bool("bias"), rng, dtype);
                }
                case "dropout" -> {
                    Args a = new Args(spec, c, "Dropout", "p", 0.5);
                    double p = a.number("p");
                    if (!(p >= 0 && p < 1)) {
                        throw a.fault("dropout probability has to be in [0, 1), got " + p);
                    }
                    // masks come from a generator of their own, forked from the initialisation stream
                    yield new Dropout(p, rng.fork());
                }
                case "batchnorm2d", "bn2d" -> {
                    Args a = batchNormArgs(spec, c, "BatchNorm2d");
                    yield batchNorm(a, BatchNorm2d.builder(a.integer("num_features", 1)), dtype);
                }
                case "batchnorm1d", "bn1d" -> {
                    Args a = batchNormArgs(spec, c, "BatchNorm1d");
                    yield batchNorm(a, BatchNorm1d.builder(a.integer("num_features", 1)), dtype);
                }
                case "layernorm", "ln" -> {
                    Args a = new Args(spec, c, "LayerNorm", "normalized_shape", REQUIRED, "eps", 1e-5,
                            "elementwise_affine", true);
                    Object shape = a.raw("normalized_shape");
                    int[] dims = shape instanceof int[] pair ? pair : new int[] {a.integer("normalized_shape", 1)};
                    for (int d : dims) {
                        if (d < 1) {
                            throw a.fault("normalized_shape must be positive, got " + d);
                        }
                    }
                    yield new LayerNorm(dims, positive(a, "eps"), a.bool("elementwise_affine"), dtype);
                }
                case "groupnorm", "gn" -> {
                    Args a = new Args(spec, c, "GroupNorm", "num_groups", REQUIRED, "num_channels", REQUIRED,
                            "eps", 1e-5, "affine", true);
                    yield new GroupNorm(a.integer("num_groups", 1), a.integer("num_channels", 1), positive(a, "eps"),
                            a.bool("affine"), dtype);
                }
                case "basicblock", "block" -> {
                    Args a = new Args(spec, c, "BasicBlock", "in", REQUIRED, "out", REQUIRED, "stride", 1);
                    yield new BasicBlock(a.integer("in", 1), a.integer("out", 1), a.integer("stride", 1), rng, dtype);
                }
                case "relu" -> activation(spec, c, Activation.relu());
                case "tanh" -> activation(spec, c, Activation.tanh());
                case "sigmoid" -> activation(spec, c, Activation.sigmoid());
                default -> throw bad(spec, c.index(), c.text(), "unknown layer '" + c.name() + "'; valid: Conv2d [conv], "
                        + "BatchNorm2d [bn2d], BatchNorm1d [bn1d], LayerNorm [ln], GroupNorm [gn], BasicBlock [block], "
                        + "MaxPool2d [maxpool], AvgPool2d [avgpool], AdaptiveAvgPool2d [gap], Flatten, Linear [fc], "
                        + "Dropout, ReLU, Tanh, Sigmoid");
            };
        } catch (IllegalArgumentException e) {
            // a layer's own check (channels not divisible by groups, ...): one line naming the layer
            throw bad(spec, c.index(), c.text(), e.getMessage());
        }
    }

    private static Args batchNormArgs(String spec, Call c, String layer) {
        return new Args(spec, c, layer, "num_features", REQUIRED, "eps", 1e-5, "momentum", 0.1, "affine", true,
                "track_running_stats", true);
    }

    private static <T extends BatchNorm> T batchNorm(Args a, BatchNorm.Builder<T> b, DType dtype) {
        b.eps(positive(a, "eps")).affine(a.bool("affine")).trackRunningStats(a.bool("track_running_stats"));
        if (a.raw("momentum") == null) {
            b.cumulativeAverage();
        } else {
            double m = a.number("momentum");
            if (!(m >= 0 && m <= 1)) {
                throw a.fault("momentum must be in [0, 1] (or none for a cumulative average), got " + m);
            }
            b.momentum(m);
        }
        return b.build(dtype);
    }

    private static double positive(Args a, String name) {
        double v = a.number(name);
        if (!(v > 0)) {
            throw a.fault(name + " must be positive, got " + v);
        }
        return v;
    }

    private static Module activation(String spec, Call c, Activation a) {
        if (!c.positional().isEmpty() || !c.keywords().isEmpty()) {
            throw bad(spec, c.index(), c.text(), a + " takes no arguments");
        }
        return a;
    }

    private static Conv2d conv2d(String spec, Call c, Rng rng, DType dtype) {
        Args a = new Args(spec, c, "Conv2d", "in_channels", REQUIRED, "out_channels", REQUIRED, "kernel_size", REQUIRED,
                "stride", 1, "padding", 0, "dilation", 1, "groups", 1, "bias", true);
        int[] kernel = a.pair("kernel_size", 1);
        long weights = (long) a.integer("in_channels", 1) * a.integer("out_channels", 1) * kernel[0] * kernel[1];
        if (weights > Models.MAX_LAYER_WEIGHTS) {
            throw a.fault("Conv2d has more than " + Models.MAX_LAYER_WEIGHTS + " weights; use fewer channels");
        }
        Conv2d.Builder b = Conv2d.builder(a.integer("in_channels", 1), a.integer("out_channels", 1), kernel[0], kernel[1]);
        int[] stride = a.pair("stride", 1);
        b.stride(stride[0], stride[1]);
        Object padding = a.raw("padding");
        if (padding instanceof String mode) {
            if (!mode.equals("same") && !mode.equals("valid")) {
                throw a.fault("padding must be a whole number, a pair, 'same' or 'valid', got '" + mode + "'");
            }
            b.padding(mode);
        } else {
            int[] p = a.pair("padding", 0);
            b.padding(p[0], p[1]);
        }
        int[] dilation = a.pair("dilation", 1);
        b.dilation(dilation[0], dilation[1]).groups(a.integer("groups", 1)).bias(a.bool("bias"));
        return b.build(rng, dtype);
    }
}
