package dev.kobai.nn;

import dev.kobai.UsageException;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What a model does to one input, layer by layer: each layer's output shape and parameter count,
 * as torchinfo's and Keras' summaries show them. Shapes are found by running one sample of zeros
 * through the model in evaluation mode without recording, so they are exactly what training will
 * see; a layer that does not fit its input is a {@link UsageException} naming the layer and both
 * shapes.
 */
public final class ModelSummary {
    /** One layer: its index in the model, torch's description of it, its output shape for one sample and its parameters. */
    public record Layer(int index, String description, int[] outputShape, long parameters) {}

    private final int[] inputShape;
    private final List<Layer> layers;

    private ModelSummary(int[] inputShape, List<Layer> layers) {
        this.inputShape = inputShape;
        this.layers = layers;
    }

    /**
     * Runs one sample of {@code inputShape} (without the batch axis, e.g. {@code {1, 28, 28}})
     * through the model's layers; the model's mode is left as it was.
     *
     * @throws UsageException naming the first layer that does not fit, with what it expects and gets
     */
    public static ModelSummary of(Sequential model, int[] inputShape) {
        int[] batchShape = new int[inputShape.length + 1];
        batchShape[0] = 1;
        System.arraycopy(inputShape, 0, batchShape, 1, inputShape.length);
        List<Parameter> params = model.parameters();
        Tensor x = Tensor.zeros(params.isEmpty() ? DType.FLOAT32 : params.getFirst().dtype(), batchShape);
        boolean training = model.isTraining();
        model.eval();
        List<Layer> out = new ArrayList<>();
        int[] lastImage = null;
        try (GradMode.Scope _ = GradMode.noGrad()) {
            List<Module> list = model.layers();
            for (int i = 0; i < list.size(); i++) {
                Module m = list.get(i);
                int[] in = sample(x.shape());
                if (in.length >= 2) {
                    lastImage = in;
                }
                String mismatch = mismatch(m, in, lastImage);
                if (mismatch != null) {
                    throw new UsageException("layer " + i + " " + oneLine(m) + " " + mismatch);
                }
                try {
                    x = m.forward(x);
                } catch (IllegalArgumentException | IllegalStateException e) {
                    throw new UsageException("layer " + i + " " + oneLine(m) + " does not fit its input " + shape(in)
                            + ": " + e.getMessage());
                }
                out.add(new Layer(i, oneLine(m), sample(x.shape()), m.parameterCount()));
            }
        } finally {
            model.train(training);
        }
        return new ModelSummary(inputShape.clone(), List.copyOf(out));
    }

    /** torch's repr of a layer, or for a block whose repr spans lines, its constructor call. */
    static String oneLine(Module m) {
        if (m instanceof BasicBlock b) {
            return "BasicBlock(" + b.inplanes() + ", " + b.planes() + (b.stride() != 1 ? ", stride=" + b.stride() : "")
                    + ")";
        }
        String text = m.toString();
        int newline = text.indexOf('\n');
        return newline < 0 ? text : m.getClass().getSimpleName() + "(...)";
    }

    /** The shape of one sample: the batch axis dropped. */
    private static int[] sample(int[] batchShape) {
        return Arrays.copyOfRange(batchShape, 1, batchShape.length);
    }

    /** Why a layer cannot take one sample of {@code in}, in the words of the issue it causes, or null when it can. */
    private static String mismatch(Module m, int[] in, int[] lastImage) {
        if (m instanceof Linear l) {
            if (in.length != 1) {
                return "expects " + l.inFeatures() + " inputs per sample but gets " + shape(in)
                        + "; add flatten before it";
            }
            if (in[0] != l.inFeatures()) {
                String from = lastImage == null || product(lastImage) != in[0] ? "" : " = " + dims(lastImage);
                return "expects " + l.inFeatures() + " inputs but gets " + in[0] + from;
            }
        }
        if (m instanceof BatchNorm2d bn && (in.length != 3 || in[0] != bn.numFeatures())) {
            return in.length != 3 ? "expects images [" + bn.numFeatures() + ", H, W] but gets " + shape(in)
                    : "expects " + bn.numFeatures() + " channels but gets " + in[0] + " (" + dims(in) + ")";
        }
        if (m instanceof Conv2d c) {
            if (in.length != 3) {
                return "expects images [" + c.inChannels() + ", H, W] but gets " + shape(in);
            }
            if (in[0] != c.inChannels()) {
                return "expects " + c.inChannels() + " input channels but gets " + in[0] + " (" + dims(in) + ")";
            }
            int[] o = c.outputShape(in[1], in[2]);
            if (o[1] < 1 || o[2] < 1) {
                return "does not fit a " + in[1] + "x" + in[2] + " input: its " + c.window().describe()
                        + " window leaves no output";
            }
        }
        return null;
    }

    private static long product(int[] shape) {
        long p = 1;
        for (int s : shape) {
            p *= s;
        }
        return p;
    }

    private static String dims(int[] shape) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : "x").append(shape[i]);
        }
        return sb.toString();
    }

    private static String shape(int[] s) {
        return Arrays.toString(s);
    }

    public int[] inputShape() {
        return inputShape.clone();
    }

    public List<Layer> layers() {
        return layers;
    }

    /** The output shape of one sample. */
    public int[] outputShape() {
        return layers.isEmpty() ? inputShape.clone() : layers.getLast().outputShape().clone();
    }

    /** Learnable numbers in all layers. */
    public long totalParameters() {
        long n = 0;
        for (Layer l : layers) {
            n += l.parameters();
        }
        return n;
    }

    /** The table: one row per layer, then the totals. */
    public String table() {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"#", "layer", "output shape", "parameters"});
        rows.add(new String[] {"", "input", shape(inputShape), ""});
        for (Layer l : layers) {
            rows.add(new String[] {Integer.toString(l.index()), l.description(), shape(l.outputShape()),
                String.format(Locale.ROOT, "%,d", l.parameters())});
        }
        int[] width = new int[4];
        for (String[] r : rows) {
            for (int i = 0; i < 4; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            sb.append(String.format(Locale.ROOT, "%" + width[0] + "s  %-" + width[1] + "s  %-" + width[2] + "s  %"
                    + width[3] + "s", r[0], r[1], r[2], r[3]).stripTrailing()).append('\n');
        }
        long total = totalParameters();
        sb.append(String.format(Locale.ROOT, "total parameters: %,d (%.2f MB as float32)%n", total, total * 4 / 1e6));
        return sb.toString();
    }
}
