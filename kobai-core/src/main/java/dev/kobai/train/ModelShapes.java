package dev.kobai.train;

import dev.kobai.UsageException;
import dev.kobai.nn.ModelSummary;
import dev.kobai.nn.Models;
import dev.kobai.nn.Module;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A model spec looked at one layer at a time, as {@code kobai train} checks it before building it:
 * each layer is built alone (float32, weights from a fixed generator), one sample of zeros is run
 * through it ({@link ModelSummary}), and it is dropped before the next is built. So the shapes are
 * exactly those training will see, and no more than one layer's weights are held, where building
 * the whole model as a probe held them all, and then the model itself held them a second time.
 *
 * <p>A layer that does not fit its input is reported by {@link ModelSummary} over the layers up to
 * it, with the index and the shapes it names for a whole model.
 */
final class ModelShapes {
    /**
     * One layer: torch's description, its parameters and buffers (numbers), one sample's input and
     * output shapes, the shape of its weight (its first parameter of two or more dimensions, for
     * K-FAC's factors; null if none), and for a convolution the numbers of one sample unfolded into
     * its patches (0 otherwise).
     */
    record Layer(String description, long parameters, long buffers, int[] inputShape, int[] outputShape,
                 int[] weightShape, long unfolded) {
        long inputNumel() {
            return numel(inputShape);
        }

        long outputNumel() {
            return numel(outputShape);
        }
    }

    private final int[] inputShape;
    private final List<Layer> layers;

    private ModelShapes(int[] inputShape, List<Layer> layers) {
        this.inputShape = inputShape;
        this.layers = layers;
    }

    /**
     * The parameters of a spec's layers, counted without building those whose weights can be large
     * (Linear, Conv2d, from their arguments) and by building the others alone.
     */
    static long parameterCount(List<String> texts) {
        long total = 0;
        for (String text : texts) {
            long n = Models.parameterCount(text);
            total += n >= 0 ? n : Models.layer(text).parameterCount();
        }
        return total;
    }

    /** The first layer of {@code texts}, built alone: enough to tell whether a model takes images. */
    static Sequential first(List<String> texts) {
        return new Sequential(Models.layer(texts.getFirst()));
    }

    /**
     * Runs one sample of {@code sampleShape} through the layers of {@code texts}, one layer at a time.
     *
     * @throws UsageException from {@link ModelSummary}, naming the first layer that does not fit
     */
    static ModelShapes of(List<String> texts, int[] sampleShape) {
        List<Layer> out = new ArrayList<>();
        int[] in = sampleShape.clone();
        for (int i = 0; i < texts.size(); i++) {
            Module m = Models.layer(texts.get(i));
            int[] shape;
            try {
                shape = ModelSummary.of(new Sequential(m), in).outputShape();
            } catch (UsageException e) {
                // Said again over the layers up to this one, so that the message has its index and context.
                Sequential prefix = Models.fromSpec(String.join(",", texts.subList(0, i + 1)), sampleShape, 1,
                        new Rng(0), DType.FLOAT32);
                ModelSummary.of(prefix, sampleShape);
                throw e;
            }
            int[] weight = null;
            for (Parameter p : m.parameters()) {
                if (p.shape().length >= 2) {
                    weight = p.shape();
                    break;
                }
            }
            long unfolded = 0;
            if (m instanceof dev.kobai.nn.Conv2d conv && weight != null && shape.length == 3) {
                // [C/groups kh kw, OH OW] per group, as Convolution unfolds one sample
                unfolded = numel(weight) / weight[0] * conv.groups() * shape[1] * shape[2];
            }
            long buffers = 0;
            for (var b : m.namedBuffers().values()) {
                buffers += b.numel();
            }
            out.add(new Layer(m.toString(), m.parameterCount(), buffers, in, shape, weight, unfolded));
            in = shape;
        }
        return new ModelShapes(sampleShape.clone(), List.copyOf(out));
    }

    List<Layer> layers() {
        return layers;
    }

    int[] inputShape() {
        return inputShape.clone();
    }

    /** One sample's output shape. */
    int[] outputShape() {
        return layers.isEmpty() ? inputShape.clone() : layers.getLast().outputShape().clone();
    }

    long parameters() {
        return layers.stream().mapToLong(Layer::parameters).sum();
    }

    long buffers() {
        return layers.stream().mapToLong(Layer::buffers).sum();
    }

    static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public String toString() {
        return "ModelShapes" + Arrays.toString(inputShape) + layers;
    }
}
