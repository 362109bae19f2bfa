package dev.kobai.nn;

import dev.kobai.UsageException;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds models from the command line's specs:
 * <ul>
 *   <li>{@code mlp:IN-HIDDEN...-OUT[:ACTIVATION]}: a multilayer perceptron, Linear layers with the
 *       activation (default relu) between them, numbered from 0 as the same {@code nn.Sequential}
 *       in PyTorch ({@code 0.weight}, {@code 2.weight}, ...); it takes rows [b, IN];</li>
 *   <li>a layer list ({@link LayerSpec}): torch.nn calls separated by commas;</li>
 *   <li>a preset, written out as a layer list for the data's image shape [C, H, W] and number of
 *       classes: {@code cnn}, {@code lenet5}, {@code resnet8} and {@code resnet20} (see
 *       {@link #preset}).</li>
 * </ul>
 */
public final class Models {
    public static final String SPEC_HELP = "mlp:IN-HIDDEN...-OUT[:relu|tanh|sigmoid] (e.g. mlp:784-256-10), "
            + "a preset (cnn, lenet5, resnet8, resnet20) or " + LayerSpec.HELP;

    /** The named models. */
    public static final java.util.List<String> PRESETS = java.util.List.of("cnn", "lenet5", "resnet8", "resnet20");

    /** The image shape presets assume when no data says otherwise: Fashion-MNIST's. */
    public static final int[] DEFAULT_IMAGE = {1, 28, 28};

    private Models() {}

    /**
     * A preset written out as a layer list for images [C, H, W] and {@code classes} outputs:
     * <ul>
     *   <li>{@code cnn}: conv(C->32, 3x3, padding 1), BatchNorm2d, ReLU, MaxPool 2, conv(32->64, 3x3,
     *       padding 1), BatchNorm2d, ReLU, MaxPool 2, Flatten, Linear(64 (H/4) (W/4) -> 128), ReLU,
     *       Linear(128 -> classes); for 1x28x28 that is Linear(3136 -> 128).</li>
     *   <li>{@code lenet5}: LeCun et al. (1998) with ReLU and max pooling, its first convolution padded
     *       by 2 so that 28x28 inputs take the 32x32 original's path: conv(C->6, 5x5, padding 2), ReLU,
     *       MaxPool 2, conv(6->16, 5x5), ReLU, MaxPool 2, Flatten, Linear(16 5 5 -> 120), ReLU,
     *       Linear(120 -> 84), ReLU, Linear(84 -> classes).</li>
     *   <li>{@code resnet8}, {@code resnet20}: He et al. (2016)'s CIFAR networks of 6n + 2 layers
     *       (n = 1, 3) with C input channels: conv(C->16, 3x3, padding 1, no bias), BatchNorm2d,
     *       ReLU, n basic blocks of 16 channels, n of 32 (the first with stride 2), n of 64 (the
     *       first with stride 2), global average pooling, Flatten, Linear(64 -> classes). Where a
     *       block changes the shape its shortcut is a 1x1 convolution with batch norm (the paper's
     *       option B) rather than zero padding.</li>
     * </ul>
     */
    public static String preset(String name, int[] image, int classes) {
        if (image.length != 3) {
            throw new UsageException("model " + name + " needs images [C, H, W], got samples of shape "
                    + java.util.Arrays.toString(image));
        }
        int c = image[0];
        int h = image[1];
        int w = image[2];
        return switch (name) {
            case "cnn" -> "conv2d(" + c + ",32,3,padding=1),batchnorm2d(32),relu,maxpool2d(2),"
                    + "conv2d(32,64,3,padding=1),batchnorm2d(64),relu,maxpool2d(2),flatten,"
                    + "linear(" + 64 * (h / 2 / 2) * (w / 2 / 2) + ",128),relu,linear(128," + classes + ")";
            case "lenet5" -> "conv2d(" + c + ",6,5,padding=2),relu,maxpool2d(2),conv2d(6,16,5),relu,maxpool2d(2),flatten,"
                    + "linear(" + 16 * Math.max(1, ((h / 2) - 4) / 2) * Math.max(1, ((w / 2) - 4) / 2) + ",120),relu,"
                    + "linear(120,84),relu,linear(84," + classes + ")";
            case "resnet8", "resnet20" -> {
                int n = name.equals("resnet8") ? 1 : 3;
                StringBuilder sb = new StringBuilder("conv2d(" + c + ",16,3,padding=1,bias=false),batchnorm2d(16),relu");
                int channels = 16;
                for (int stage = 0; stage < 3; stage++) {
                    int out = 16 << stage;
                    for (int b = 0; b < n; b++) {
                        int stride = stage > 0 && b == 0 ? 2 : 1;
                        sb.append(",basicblock(").append(channels).append(',').append(out).append(',').append(stride).append(')');
                        channels = out;
                    }
                }
                yield sb.append(",adaptiveavgpool2d(1),flatten,linear(64,").append(classes).append(')').toString();
            }
            default -> throw new UsageException("unknown model preset '" + name + "'; valid: " + String.join(", ", PRESETS));
        };
    }

    /** Whether {@code spec} is a preset, an mlp or a layer list; none of them is built yet. */
    public static boolean isPreset(String spec) {
        return spec != null && PRESETS.contains(spec.strip());
    }

    /**
     * Checks a spec's syntax and arguments before any data is read: an mlp's sizes, a preset's name,
     * a layer list's calls. Shapes are checked once the data's shape is known ({@link ModelSummary}).
     */
    public static void checkSpec(String spec) {
        if (isPreset(spec)) {
            return;
        }
        if (LayerSpec.isLayerList(spec)) {
            LayerSpec.check(spec);
            return;
        }
        // Sizes and activation only: building the mlp to check it held all its weights before the
        // data were loaded, and before any check that they fit the heap.
        parseSizes(spec);
        parseActivation(spec);
    }

    /**
     * Builds any model spec for samples of {@code sampleShape} ([C, H, W] for images, [d] for rows)
     * and {@code classes} outputs, which presets adapt to; weights drawn from {@code rng}.
     */
    public static Sequential fromSpec(String spec, int[] sampleShape, int classes, Rng rng, DType dtype) {
        if (isPreset(spec)) {
            return LayerSpec.build(preset(spec.strip(), sampleShape, classes), rng, dtype);
        }
        if (LayerSpec.isLayerList(spec)) {
            return LayerSpec.build(spec, rng, dtype);
        }
        return fromSpec(spec, rng, dtype);
    }

    /** The spec as layers: a preset written out for the given shape and classes, anything else as given. */
    public static String expand(String spec, int[] sampleShape, int classes) {
        return isPreset(spec) ? preset(spec.strip(), sampleShape, classes) : spec;
    }

    /**
     * Whether a model takes images [N, C, H, W] rather than rows [N, d]: its first layer is a
     * convolution, a spatial pooling, a 2-D normalization or a residual block.
     */
    public static boolean takesImages(Sequential model) {
        if (model.layers().isEmpty()) {
            return false;
        }
        Module first = model.layers().getFirst();
        return first instanceof Conv2d || first instanceof MaxPool2d || first instanceof AvgPool2d
                || first instanceof AdaptiveAvgPool2d || first instanceof BatchNorm2d || first instanceof GroupNorm
                || first instanceof BasicBlock;
    }

    /**
     * A multilayer perceptron with layer sizes {@code sizes} (at least input and output): Linear,
     * activation, Linear, ..., Linear, as {@code nn.Sequential(nn.Linear(IN, H), nn.ReLU(), nn.Linear(H, OUT))}
     * in PyTorch, with the same state_dict keys ({@code 0.weight}, {@code 0.bias}, {@code 2.weight},
     * ...). It takes rows [b, IN]; the data loader gives an mlp rows, images flattened. (Before
     * checkpoint format 2 a Flatten stood at index 0; such files still load, see
     * {@code train.Checkpoint}.)
     */
    public static Sequential mlp(int[] sizes, String activation, Rng rng, DType dtype) {
        if (sizes.length < 2) {
            throw new UsageException("an mlp needs at least an input and an output size");
        }
        List<Module> layers = new ArrayList<>();
        for (int i = 0; i + 1 < sizes.length; i++) {
            layers.add(new Linear(sizes[i], sizes[i + 1], true, rng, dtype));
            if (i + 2 < sizes.length) {
                layers.add(Activation.byName(activation));
            }
        }
        return new Sequential(layers.toArray(new Module[0]));
    }

    public static final String AUTOENCODER_HELP = "autoencoder:IN-HIDDEN...-CODE, e.g. autoencoder:784-256-64-16";

    /**
     * A deep autoencoder after Hinton and Salakhutdinov (2006): encoder layers {@code sizes[0] ->
     * sizes[1] -> ... -> code} with logistic (sigmoid) units and a linear code layer, then the
     * mirrored decoder with logistic units and a linear output layer whose outputs are logits, to be
     * trained with BCE-with-logits against the inputs (pixels in [0, 1]). Starts with Flatten; the
     * weights get {@link #sparseInit sparse initialisation}.
     */
    public static Sequential autoencoder(int[] sizes, Rng rng, DType dtype) {
        if (sizes.length < 2) {
            throw new UsageException("an autoencoder needs at least an input and a code size");
        }
        List<Module> layers = new ArrayList<>();
        layers.add(new Flatten());
        List<Linear> linears = new ArrayList<>();
        int depth = sizes.length - 1;
        for (int i = 0; i < depth; i++) {
            linears.add(new Linear(sizes[i], sizes[i + 1], true, rng, dtype));
            layers.add(linears.getLast());
            if (i + 1 < depth) {
                layers.add(Activation.sigmoid());
            }
        }
        for (int i = depth; i > 0; i--) {
            linears.add(new Linear(sizes[i], sizes[i - 1], true, rng, dtype));
            layers.add(linears.getLast());
            if (i > 1) {
                layers.add(Activation.sigmoid());
            }
        }
        for (Linear l : linears) {
            sparseInit(l, rng);
        }
        return new Sequential(layers.toArray(new Module[0]));
    }

    /**
     * Martens' (2010) sparse initialisation, which his Hessian-free autoencoder experiments used:
     * each unit gets {@value #SPARSE_FAN_IN} incoming weights drawn from N(0, 1) (all of them when
     * it has fewer inputs), the rest and the biases zero. Large weights on few inputs keep the
     * logistic units apart from the start instead of all near their linear middle.
     */
    static void sparseInit(Linear l, Rng rng) {
        int in = l.inFeatures();
        l.weight().fill(0);
        if (l.bias() != null) {
            l.bias().fill(0);
        }
        for (int o = 0; o < l.outFeatures(); o++) {
            int[] pick = rng.permutation(in);
            for (int j = 0; j < Math.min(SPARSE_FAN_IN, in); j++) {
                l.weight().setFlat(o * in + pick[j], rng.nextGaussian());
            }
        }
    }

    /** Incoming non-zero weights per unit in {@link #sparseInit}. */
    public static final int SPARSE_FAN_IN = 15;

    /** The encoder sizes of an {@code autoencoder:IN-...-CODE} spec; a UsageException names what is wrong. */
    public static int[] parseAutoencoderSizes(String spec) {
        if (spec == null || !spec.trim().startsWith("autoencoder:")) {
            throw new UsageException("model '" + spec + "' is not an autoencoder; expected " + AUTOENCODER_HELP);
        }
        String rest = spec.trim().substring("autoencoder:".length());
        if (rest.contains(":")) {
            throw new UsageException("model '" + spec + "': an autoencoder takes no activation (its units are logistic); "
                    + "expected " + AUTOENCODER_HELP);
        }
        return parseSizes("mlp:" + rest);
    }

    /** Builds an {@code autoencoder:IN-...-CODE} spec with weights drawn from {@code rng}. */
    public static Sequential autoencoderFromSpec(String spec, Rng rng, DType dtype) {
        return autoencoder(parseAutoencoderSizes(spec), rng, dtype);
    }

    /**
     * Parses a model spec and builds it with weights drawn from {@code rng}; a preset is built for
     * {@link #DEFAULT_IMAGE} and 10 classes.
     */
    public static Sequential fromSpec(String spec, Rng rng, DType dtype) {
        if (isPreset(spec) || LayerSpec.isLayerList(spec)) {
            return fromSpec(spec, DEFAULT_IMAGE, 10, rng, dtype);
        }
        return mlp(parseSizes(spec), parseActivation(spec), rng, dtype);
    }

    /** The layer sizes of an mlp spec; a UsageException names what is wrong. */
    public static int[] parseSizes(String spec) {
        String[] parts = checkedParts(spec);
        String[] sizeTexts = parts[1].split("-", -1);
        if (sizeTexts.length < 2) {
            throw new UsageException("model '" + spec + "': give at least an input and an output size, as in " + SPEC_HELP);
        }
        int[] sizes = new int[sizeTexts.length];
        for (int i = 0; i < sizeTexts.length; i++) {
            try {
                sizes[i] = Integer.parseInt(sizeTexts[i].trim());
            } catch (NumberFormatException e) {
                throw new UsageException("model '" + spec + "': layer size '" + sizeTexts[i]
                        + "' is not a whole number; expected " + SPEC_HELP);
            }
            if (sizes[i] < 1 || sizes[i] > 1_000_000) {
                throw new UsageException("model '" + spec + "': layer size " + sizes[i] + " must be between 1 and 1000000");
            }
        }
        for (int i = 1; i < sizes.length; i++) {
            // Checked before anything is allocated: one weight matrix must fit a Java array.
            if ((long) sizes[i - 1] * sizes[i] > MAX_LAYER_WEIGHTS) {
                throw new UsageException("model '" + spec + "': layer " + sizes[i - 1] + "x" + sizes[i] + " has more than "
                        + MAX_LAYER_WEIGHTS + " weights; use smaller layers");
            }
        }
        return sizes;
    }

    /** The most weights one layer may have (400 MB of float32). */
    static final long MAX_LAYER_WEIGHTS = 100_000_000;

    private static String parseActivation(String spec) {
        String[] parts = checkedParts(spec);
        String act = parts.length == 3 ? parts[2].trim() : "relu";
        Activation.byName(act);
        return act;
    }

    private static String[] checkedParts(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new UsageException("empty model spec; expected " + SPEC_HELP);
        }
        String[] parts = spec.trim().split(":", -1);
        if (!parts[0].equals("mlp")) {
            throw new UsageException("unknown model '" + spec.strip() + "'; valid: " + SPEC_HELP);
        }
        if (parts.length < 2 || parts.length > 3) {
            throw new UsageException("model '" + spec + "' is malformed; expected " + SPEC_HELP);
        }
        return parts;
    }

    // ---------------------------------------------------------------- one layer at a time

    /**
     * The layers of any model spec as torch.nn calls, one per layer, for samples of
     * {@code sampleShape} and {@code classes} outputs: a preset written out, a layer list split at
     * its commas, an mlp as {@code linear(IN, H), relu, ...} (it takes rows), an autoencoder as
     * {@code flatten, linear(IN, H), ...}. Each builds alone with {@link #layer}, so that a caller
     * can look at a model one layer at a time without holding the weights of all of them
     * ({@code kobai train}'s shape check and memory estimate).
     */
    public static List<String> layerTexts(String spec, int[] sampleShape, int classes) {
        if (isPreset(spec) || LayerSpec.isLayerList(spec)) {
            List<String> texts = new ArrayList<>();
            for (LayerSpec.Call c : LayerSpec.parse(expand(spec, sampleShape, classes))) {
                texts.add(c.text().strip());
            }
            return texts;
        }
        if (spec != null && spec.strip().startsWith("autoencoder:")) {
            // as autoencoder() builds it: logistic encoder to a linear code, mirrored decoder to logits
            int[] sizes = parseAutoencoderSizes(spec);
            List<String> texts = new ArrayList<>(List.of("flatten"));
            int depth = sizes.length - 1;
            for (int i = 0; i < depth; i++) {
                texts.add("linear(" + sizes[i] + "," + sizes[i + 1] + ")");
                if (i + 1 < depth) {
                    texts.add("sigmoid");
                }
            }
            for (int i = depth; i > 0; i--) {
                texts.add("linear(" + sizes[i] + "," + sizes[i - 1] + ")");
                if (i > 1) {
                    texts.add("sigmoid");
                }
            }
            return texts;
        }
        int[] sizes = parseSizes(spec);
        String activation = parseActivation(spec);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i + 1 < sizes.length; i++) {
            texts.add("linear(" + sizes[i] + "," + sizes[i + 1] + ")");
            if (i + 2 < sizes.length) {
                texts.add(activation);
            }
        }
        return texts;
    }

    /** Builds the one layer a call of {@link #layerTexts} describes, float32, weights from a fixed generator. */
    public static Module layer(String text) {
        return LayerSpec.build(text, new Rng(0), DType.FLOAT32).layers().getFirst();
    }

    /**
     * The learnable numbers of the layer a call describes, counted from its arguments without
     * building it, for the layers whose weights can be large (Linear, Conv2d); -1 for any other
     * layer, which holds few or none and is built to be counted.
     */
    public static long parameterCount(String text) {
        LayerSpec.Call c = LayerSpec.parse(text).getFirst();
        String name = c.name().toLowerCase(java.util.Locale.ROOT);
        boolean linear = name.equals("linear") || name.equals("fc");
        boolean conv = name.equals("conv2d") || name.equals("conv");
        if (!linear && !conv) {
            return -1;
        }
        List<String> names = linear ? List.of("in_features", "out_features", "bias")
                : List.of("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias");
        java.util.function.Function<String, Object> arg = key -> {
            int at = names.indexOf(key);
            return c.keywords().containsKey(key) ? c.keywords().get(key)
                    : at < c.positional().size() ? c.positional().get(at) : null;
        };
        long in = arg.apply(names.get(0)) instanceof Integer v ? v : -1;
        long out = arg.apply(names.get(1)) instanceof Integer v ? v : -1;
        boolean bias = !(arg.apply("bias") instanceof Boolean b) || b;
        if (in < 1 || out < 1) {
            return -1;
        }
        if (linear) {
            return in * out + (bias ? out : 0);
        }
        Object k = arg.apply("kernel_size");
        long window = k instanceof Integer v ? (long) v * v : k instanceof int[] pair ? (long) pair[0] * pair[1] : -1;
        long groups = arg.apply("groups") instanceof Integer g && g > 0 ? g : 1;
        return window < 1 ? -1 : out * (in / groups) * window + (bias ? out : 0);
    }
}
