package dev.kobai.data;

import dev.kobai.UsageException;
import dev.kobai.tensor.Rng;

import java.util.Arrays;
import java.util.List;

/**
 * A labelled classification dataset held in memory: {@code n} samples of {@code d} float32 features,
 * stored row-major in one array, each with a class label in {@code 0..numClasses-1}.
 *
 * <p>The feature and label arrays are shared, not copied, by the constructor and the accessors:
 * Fashion-MNIST's training features alone are 188 MB, and a second copy would double that. Callers
 * must treat them as read-only. Instances are otherwise immutable.
 */
public final class Dataset {
    private final String name;
    private final float[] features;
    private final int[] labels;
    private final int[] sampleShape;
    private final int featureCount;
    private final int numClasses;
    private final List<String> classNames;

    /**
     * @param name        a short name for messages and logs, e.g. {@code "digits/train"}
     * @param features    {@code n * d} values, sample {@code i} in {@code [i*d, (i+1)*d)}
     * @param labels      {@code n} labels in {@code 0..numClasses-1}
     * @param sampleShape the shape of one sample, whose product is {@code d}, e.g. {@code {28, 28}}
     * @param numClasses  the number of classes, at least 1
     * @param classNames  one name per class, or an empty list when the classes have no names
     * @throws IllegalArgumentException if the sizes disagree or a label is out of range
     */
    public Dataset(String name, float[] features, int[] labels, int[] sampleShape, int numClasses,
                   List<String> classNames) {
        if (sampleShape.length == 0) {
            throw new IllegalArgumentException("a sample shape needs at least one dimension");
        }
        long d = 1;
        for (int s : sampleShape) {
            if (s <= 0) {
                throw new IllegalArgumentException("sample shape " + Arrays.toString(sampleShape)
                        + " has a non-positive dimension");
            }
            d *= s;
        }
        if ((long) labels.length * d != features.length) {
            throw new IllegalArgumentException(labels.length + " labels of " + d + " features need "
                    + (long) labels.length * d + " values, got " + features.length);
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be at least 1, got " + numClasses);
        }
        if (!classNames.isEmpty() && classNames.size() != numClasses) {
            throw new IllegalArgumentException(classNames.size() + " class names for " + numClasses + " classes");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("label " + labels[i] + " of sample " + i
                        + " is outside 0.." + (numClasses - 1));
            }
        }
        this.name = name;
        this.features = features;
        this.labels = labels;
        this.sampleShape = sampleShape.clone();
        this.featureCount = (int) d;
        this.numClasses = numClasses;
        this.classNames = List.copyOf(classNames);
    }

    /** The name given at construction, e.g. {@code "fashion-mnist/train"}. */
    public String name() {
        return name;
    }

    /** The number of samples {@code n}. */
    public int size() {
        return labels.length;
    }

    /** The number of features per sample {@code d}: the product of {@link #sampleShape()}. */
    public int featureCount() {
        return featureCount;
    }

    /** The shape of one sample, e.g. {@code {28, 28}}; a fresh copy. */
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    /** The number of classes; labels lie in {@code 0..numClasses()-1}. */
    public int numClasses() {
        return numClasses;
    }

    /** One name per class, or an empty list when the classes are unnamed. */
    public List<String> classNames() {
        return classNames;
    }

    /** The name of class {@code c}, or its number as text when the classes are unnamed. */
    public String className(int c) {
        if (c < 0 || c >= numClasses) {
            throw new IndexOutOfBoundsException("class " + c + " outside 0.." + (numClasses - 1));
        }
        return classNames.isEmpty() ? Integer.toString(c) : classNames.get(c);
    }

    /** All features, {@code n * d} row-major values; the shared backing array, not to be modified. */
    public float[] features() {
        return features;
    }

    /** All labels; the shared backing array, not to be modified. */
    public int[] labels() {
        return labels;
    }

    /** The label of sample {@code i}. */
    public int label(int i) {
        return labels[i];
    }

    /** Feature {@code j} of sample {@code i}. */
    public float feature(int i, int j) {
        if (j < 0 || j >= featureCount) {
            throw new IndexOutOfBoundsException("feature " + j + " outside 0.." + (featureCount - 1));
        }
        return features[i * featureCount + j];
    }

    /**
     * The same samples (the arrays are shared) seen with another shape of the same size, such as
     * {@code {1, 28, 28}} for 28x28 images with one channel: a dataset of images [C, H, W] gives
     * minibatches [b, C, H, W] for convolutional models (see {@link DataLoader}).
     */
    public Dataset withSampleShape(int... shape) {
        long d = 1;
        for (int s : shape) {
            d *= s;
        }
        if (d != featureCount) {
            throw new IllegalArgumentException("sample shape " + Arrays.toString(shape) + " has " + d
                    + " elements, samples of " + name + " have " + featureCount);
        }
        return new Dataset(name, features, labels, shape, numClasses, classNames);
    }

    /** Whether samples are images with channels, [C, H, W]: batches keep that shape. */
    public boolean isImage() {
        return sampleShape.length == 3;
    }

    /**
     * A new dataset of the samples at {@code indices}, in that order (repeats allowed), with the same
     * shape, classes and name.
     */
    public Dataset subset(int[] indices) {
        return subset(indices, name);
    }

    /** As {@link #subset(int[])}, under a new name. */
    public Dataset subset(int[] indices, String newName) {
        int d = featureCount;
        float[] f = new float[Math.multiplyExact(indices.length, d)];
        int[] l = new int[indices.length];
        for (int k = 0; k < indices.length; k++) {
            int i = indices[k];
            if (i < 0 || i >= labels.length) {
                throw new IndexOutOfBoundsException("sample " + i + " outside 0.." + (labels.length - 1));
            }
            System.arraycopy(features, i * d, f, k * d, d);
            l[k] = labels[i];
        }
        return new Dataset(newName, f, l, sampleShape, numClasses, classNames);
    }

    /**
     * Splits into a training and a test part by a seeded random permutation. The test part gets
     * {@code ceil(n * testFraction)} samples (as scikit-learn's train_test_split), but never all nor
     * none of them. Each part keeps the samples in their original relative order, so the split is a
     * pure function of {@code n}, {@code testFraction} and {@code seed}.
     *
     * @throws IllegalArgumentException if {@code testFraction} is not strictly between 0 and 1
     * @throws UsageException           if the dataset has fewer than 2 samples
     */
    public TrainTest split(double testFraction, long seed) {
        if (!(testFraction > 0 && testFraction < 1)) {
            throw new IllegalArgumentException("testFraction must lie strictly between 0 and 1, got " + testFraction);
        }
        int n = size();
        if (n < 2) {
            throw new UsageException("dataset " + name + " has " + n
                    + " sample(s); a train/test split needs at least 2");
        }
        int nTest = (int) Math.min(n - 1, Math.max(1, (long) Math.ceil(n * testFraction)));
        int[] perm = new Rng(seed).permutation(n);
        int[] test = Arrays.copyOfRange(perm, 0, nTest);
        int[] train = Arrays.copyOfRange(perm, nTest, n);
        Arrays.sort(test);
        Arrays.sort(train);
        return new TrainTest(subset(train, name + "/train"), subset(test, name + "/test"));
    }

    @Override
    public String toString() {
        return "Dataset[" + name + ", " + size() + " x " + Arrays.toString(sampleShape) + ", "
                + numClasses + " classes]";
    }
}
