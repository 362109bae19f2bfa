package dev.kobai.data;

import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Cuts a dataset into minibatches, one epoch at a time. A shuffling loader draws a fresh permutation
 * from its {@link Rng} for every epoch, so each epoch visits every sample exactly once (sampling
 * without replacement) in a new order, and the same seed reproduces the same orders. An unshuffled
 * loader, for evaluation, visits samples in dataset order. The last batch of an epoch holds the
 * remainder when the batch size does not divide the dataset, rather than dropping samples.
 *
 * <p>The loader draws from the {@code Rng} it is given and from nothing else, so saving that
 * generator's {@link Rng#state()} between epochs is enough to resume the same sequence of epochs.
 *
 * <p>Batches are {@code [b, d]}, or {@code [b, C, H, W]} for a dataset of images
 * ({@link Dataset#isImage()}). A shuffling loader over images may also {@link Augmentation augment}
 * them; it then draws one more number per epoch, the seed of that epoch's augmentation.
 */
public final class DataLoader {
    private final Dataset dataset;
    private final int batchSize;
    private final Rng rng;
    private final Augmentation augmentation;

    /**
     * A shuffling loader.
     *
     * @param rng advanced by one permutation of {@code dataset.size()} per {@link #nextEpoch()}
     */
    public DataLoader(Dataset dataset, int batchSize, Rng rng) {
        this(dataset, batchSize, rng, null);
    }

    /**
     * A shuffling loader that augments every training image as {@code augmentation} says (null or
     * inactive for none); the dataset must hold images [C, H, W].
     */
    public DataLoader(Dataset dataset, int batchSize, Rng rng, Augmentation augmentation) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        boolean augments = augmentation != null && augmentation.active();
        if (augments && (rng == null || !dataset.isImage())) {
            throw new IllegalArgumentException("augmentation needs a shuffling loader over images [C, H, W], got "
                    + dataset + (rng == null ? " unshuffled" : ""));
        }
        this.dataset = dataset;
        this.batchSize = batchSize;
        this.rng = rng;
        this.augmentation = augments ? augmentation : null;
    }

    /** A loader that keeps dataset order every epoch, for evaluation. */
    public static DataLoader unshuffled(Dataset dataset, int batchSize) {
        return new DataLoader(dataset, batchSize, null);
    }

    public Dataset dataset() {
        return dataset;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Whether each epoch takes a new random order. */
    public boolean shuffled() {
        return rng != null;
    }

    /**
     * The shuffling generator's state, which decides the next epoch's order (null when unshuffled);
     * a checkpoint saves it at an epoch's start to replay that epoch's order on resume.
     */
    public long[] rngState() {
        return rng == null ? null : rng.state();
    }

    /** Restores a state from {@link #rngState()}, so that {@link #nextEpoch()} draws that order again. */
    public void setRngState(long[] state) {
        if (rng == null) {
            throw new IllegalStateException("an unshuffled loader has no generator");
        }
        rng.setState(state);
    }

    /** The number of batches in every epoch, the last possibly partial. */
    public int batchesPerEpoch() {
        return batchesPerEpoch(dataset.size(), batchSize);
    }

    /**
     * The number of batches of at most {@code batchSize} that {@code samples} samples make: one
     * whenever the batch size is at least the number of samples, none for no samples. (Written
     * without {@code samples + batchSize - 1}, which overflows for a batch size near
     * Integer.MAX_VALUE and made such a run train on nothing.)
     */
    public static int batchesPerEpoch(int samples, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        return samples <= 0 ? 0 : 1 + (samples - 1) / batchSize;
    }

    /** Starts the next epoch; a shuffling loader draws its order now. */
    public Epoch nextEpoch() {
        int n = dataset.size();
        int[] order;
        long augmentSeed = 0;
        if (rng != null) {
            order = rng.permutation(n);
            if (augmentation != null) {
                augmentSeed = rng.nextLong();
            }
        } else {
            order = new int[n];
            Arrays.setAll(order, i -> i);
        }
        return new Epoch(order, augmentSeed);
    }

    /**
     * One pass over the dataset in a fixed order. It can be iterated more than once, always giving
     * the same batches; each batch is assembled when it is reached, so an epoch costs one batch of
     * memory rather than a copy of the dataset.
     */
    public final class Epoch implements Iterable<Batch> {
        private final int[] order;
        private final long augmentSeed;

        private Epoch(int[] order, long augmentSeed) {
            this.order = order;
            this.augmentSeed = augmentSeed;
        }

        /** The sample indices in the order this epoch visits them; a copy. */
        public int[] order() {
            return order.clone();
        }

        /** The number of batches. */
        public int batchCount() {
            return batchesPerEpoch();
        }

        /** Batch {@code k}, counting from 0. */
        public Batch batch(int k) {
            int count = batchesPerEpoch();
            if (k < 0 || k >= count) {
                throw new IndexOutOfBoundsException("batch " + k + " outside 0.." + (count - 1));
            }
            int from = k * batchSize;
            int b = Math.min(batchSize, order.length - from);
            int d = dataset.featureCount();
            float[] src = dataset.features();
            int[] srcLabels = dataset.labels();
            float[] x = new float[b * d];
            int[] y = new int[b];
            for (int r = 0; r < b; r++) {
                int i = order[from + r];
                System.arraycopy(src, i * d, x, r * d, d);
                y[r] = srcLabels[i];
            }
            int[] shape = dataset.sampleShape();
            if (augmentation != null) {
                // a generator per batch: batch k's draws do not depend on which batches ran before it
                Rng draws = new Rng(augmentSeed ^ (0x9E3779B97F4A7C15L * (k + 1)));
                augmentation.apply(x, b, shape[0], shape[1], shape[2], draws, new float[d]);
            }
            if (dataset.isImage()) {
                return new Batch(Tensor.fromArray(x, b, shape[0], shape[1], shape[2]), y);
            }
            return new Batch(Tensor.fromArray(x, b, d), y);
        }

        @Override
        public Iterator<Batch> iterator() {
            return new Iterator<>() {
                private int next;

                @Override
                public boolean hasNext() {
                    return next < batchesPerEpoch();
                }

                @Override
                public Batch next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return batch(next++);
                }
            };
        }
    }
}
