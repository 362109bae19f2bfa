package dev.kobai.nn;

import dev.kobai.UsageException;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds models from the command line's specs. {@code mlp:IN-HIDDEN...-OUT[:ACTIVATION]} is a
 * multilayer perceptron: Flatten, then Linear layers with the activation (default relu) between them.
 */
public final class Models {
    public static final String SPEC_HELP = "mlp:IN-HIDDEN...-OUT[:relu|tanh|sigmoid], e.g. mlp:784-256-10 or mlp:64-32-10:tanh";

    private Models() {}

    /** A multilayer perceptron with layer sizes {@code sizes} (at least input and output). */
    public static Sequential mlp(int[] sizes, String activation, Rng rng, DType dtype) {
        if (sizes.length < 2) {
            throw new UsageException("an mlp needs at least an input and an output size");
        }
        List<Module> layers = new ArrayList<>();
        layers.add(new Flatten());
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

    /** Parses a model spec and builds it with weights drawn from {@code rng}. */
    public static Sequential fromSpec(String spec, Rng rng, DType dtype) {
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
            throw new UsageException("unknown model '" + parts[0] + "' in '" + spec + "'; valid: " + SPEC_HELP);
        }
        if (parts.length < 2 || parts.length > 3) {
            throw new UsageException("model '" + spec + "' is malformed; expected " + SPEC_HELP);
        }
        return parts;
    }
}
