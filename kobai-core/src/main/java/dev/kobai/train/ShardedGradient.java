package dev.kobai.train;

import dev.kobai.UsageException;
import dev.kobai.data.Batch;
import dev.kobai.data.Dataset;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Module;
import dev.kobai.nn.Parameter;
import dev.kobai.optim.KFAC;
import dev.kobai.optim.ShardedCurvature;
import dev.kobai.tensor.StepMemory;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Parallel;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * A minibatch's gradient as data-parallel training computes it, on this machine: the training set
 * is cut into {@code shards} fixed, contiguous shards; each shard's part of the batch (its samples
 * in batch order) gives the sum of its cross-entropies and the gradient of that sum; the shards'
 * sums are added in shard index order, in float32 for the gradient and float64 for the loss, and
 * divided by the batch size once, at the end.
 *
 * <p>A cluster runs the same arithmetic with {@link #shardSum} on its task threads and
 * {@link #combine} on the driver, so a cluster run and a run with this engine give the same bits for
 * the same data, seed, batch size and shard count. Each shard's sum runs {@link Parallel#serially}
 * (the kernels' one-thread paths), since a kernel's path otherwise depends on what else runs at
 * that moment. Against the plain whole-batch mean the result differs in the last bits: the sum is
 * divided once instead of each example's gradient being scaled by 1/b.
 *
 * <p>Batch normalisation is per shard ("ghost batch norm", what data-parallel PyTorch does without
 * SyncBatchNorm): in training mode each shard normalises with the statistics of its own part of the
 * batch, so a batch norm layer needs at least two samples per channel in every shard that holds
 * part of a batch. Each shard starts from the driver's running buffers and updates them as one
 * machine would for its part; the step's new buffers are the mean of the updated buffers of the
 * shards that held samples, added in shard index order in float64 and rounded to the buffer's type:
 * running_mean = (1 - momentum) running_mean + momentum (1/S) sum_s mean_s, the same for the
 * running variance (each shard's unbiased variance), and num_batches_tracked + 1, once per gradient
 * (each closure evaluation of L-BFGS, as on one machine).
 *
 * <p>Newton, Hessian-free and natural gradient take their losses, curvature products and matrices
 * from {@link #curvature}: each shard's {@link ShardedCurvature#shardSum}, added in shard order in
 * float64 and divided by the batch size once; those evaluations leave the buffers unchanged.
 *
 * <p>Dropout draws its masks per shard: for each gradient the driver draws one seed from the model's
 * first dropout layer's generator (so a checkpoint, which keeps that generator, resumes the draws),
 * and shard s seeds dropout layer j (in module order) with {@code new Rng(seed + 65537 s + j)}
 * before its forward pass; the driver's generators are left as the draw left them. The curvature
 * requests of a step ({@link #curvature}) reuse the step's last seed, so Newton's, Hessian-free's
 * and natural gradient's losses and products see the gradient pass's masks.
 */
public final class ShardedGradient implements GradientEngine {
    private final Module model;
    private final Dataset data;
    private final int[] bounds;
    private final List<Parameter> params;
    private final Tensor[] grads;
    private final StepMemory memory = new StepMemory();
    private final List<dev.kobai.nn.Dropout> dropouts;
    /** The seed of the last gradient's dropout masks, reused by the step's curvature requests. */
    private long dropoutSeed;

    /**
     * @throws UsageException when {@code shards} is below 1 or above the training set's size, or the
     *                        model cannot be split (see the class comment)
     */
    public ShardedGradient(Module model, Dataset train, int shards) {
        requireSplittable(model);
        this.model = model;
        this.data = train;
        this.bounds = bounds(train.size(), shards);
        this.params = model.parameters();
        this.grads = gradientTensors(params);
        this.dropouts = dropouts(model);
    }

    /** The model's dropout layers, in module order. */
    public static List<dev.kobai.nn.Dropout> dropouts(Module model) {
        List<dev.kobai.nn.Dropout> out = new java.util.ArrayList<>();
        for (Module m : model.namedModules().values()) {
            if (m instanceof dev.kobai.nn.Dropout d) {
                out.add(d);
            }
        }
        return out;
    }

    /**
     * A gradient's dropout seed, drawn on the driver from the first dropout layer's generator; 0
     * (and nothing drawn) for a model without dropout.
     */
    public static long drawDropoutSeed(List<dev.kobai.nn.Dropout> dropouts) {
        return dropouts.isEmpty() ? 0 : dropouts.getFirst().generator().nextLong();
    }

    /** Seeds dropout layer j for shard {@code shard}'s masks: {@code new Rng(seed + 65537 shard + j)}. */
    public static void seedDropouts(List<dev.kobai.nn.Dropout> dropouts, long seed, int shard) {
        for (int j = 0; j < dropouts.size(); j++) {
            dropouts.get(j).generator().setState(new dev.kobai.tensor.Rng(seed + 65537L * shard + j).state());
        }
    }

    private long[][] dropoutStates() {
        long[][] out = new long[dropouts.size()][];
        for (int j = 0; j < out.length; j++) {
            out[j] = dropouts.get(j).generator().state();
        }
        return out;
    }

    private void restoreDropouts(long[][] states) {
        for (int j = 0; j < states.length; j++) {
            dropouts.get(j).generator().setState(states[j]);
        }
    }

    /** Opens, for each run, an engine over its model and training set with {@code shards} shards. */
    public static GradientEngine.Factory factory(int shards) {
        return (settings, setup) -> {
            require(settings, setup.model());
            return new ShardedGradient(setup.model(), setup.data().train(), shards);
        };
    }

    /**
     * Refuses a run whose batches cannot be split into shards of the training set: a model that
     * {@link #requireSplittable} refuses, or augmented data (the loader changes each batch's
     * features, which the shards, read from the training set, would not see).
     *
     * @throws UsageException saying why
     */
    public static void require(TrainSettings settings, Module model) {
        if (dev.kobai.data.Datasets.parse(settings.data()).augmentation().active()) {
            throw new UsageException("data " + settings.data() + " asks for augmentation, which data-parallel"
                    + " training does not do yet: the shards hold the training set as it is");
        }
        requireSplittable(model);
    }

    /**
     * The sum of one shard's part of a batch: its shard index, sample count, loss sum and gradient
     * sum, K-FAC's factor sums when they were asked for (else null), and the model's buffers after
     * the shard's forward pass ({@link #readBuffers}; null for a model without buffers).
     */
    public record ShardSum(int shard, int count, double loss, float[] gradient, KFAC.FactorSums factors,
                           double[] buffers) implements Serializable {
        /** A shard without factor sums or buffers. */
        public ShardSum(int shard, int count, double loss, float[] gradient) {
            this(shard, count, loss, gradient, null, null);
        }
    }

    /**
     * Where the shards begin: shard p holds the samples [bounds[p], bounds[p + 1]) of {@code n}, with
     * bounds[p] = floor(p n / shards).
     *
     * @throws UsageException for fewer than 1 or more than {@code n} shards
     */
    public static int[] bounds(int n, int shards) {
        if (shards < 1 || shards > n) {
            throw new UsageException("the training set's " + n + " samples cannot be cut into " + shards
                    + " shards; use 1 to " + n);
        }
        int[] b = new int[shards + 1];
        for (int p = 0; p <= shards; p++) {
            b[p] = (int) ((long) p * n / shards);
        }
        return b;
    }

    /** The batch's sample indices that fall in [from, to), in batch order. */
    public static int[] part(int[] indices, int from, int to) {
        int m = 0;
        for (int i : indices) {
            if (i >= from && i < to) {
                m++;
            }
        }
        int[] out = new int[m];
        m = 0;
        for (int i : indices) {
            if (i >= from && i < to) {
                out[m++] = i;
            }
        }
        return out;
    }

    /**
     * Refuses a model whose training forward pass depends on more than its weights, its running
     * buffers, its dropout masks and its input rows: buffers of a module other than batch norm.
     *
     * @throws UsageException naming the module
     */
    public static void requireSplittable(Module model) {
        for (var e : model.namedModules().entrySet()) {
            if (!(e.getValue() instanceof dev.kobai.nn.BatchNorm) && !e.getValue().namedBuffers().isEmpty()
                    && e.getValue().children().isEmpty()) {
                throw new UsageException("data-parallel training splits each batch into shards and knows how to"
                        + " combine batch norm's buffers only; " + e.getKey() + " keeps others");
            }
        }
    }

    /**
     * The sum of cross-entropies of the samples {@code rows} (indices into a set whose sample
     * {@code offset + r} is at row r of {@code features}) and its gradient with respect to
     * {@code model}'s parameters, flattened in {@link Module#parameters()} order; the model's
     * gradients are left cleared. Runs on the calling thread alone.
     */
    public static ShardSum shardSum(int shard, Module model, float[] features, int[] labels, int[] sampleShape,
                                    int offset, int[] rows, StepMemory memory) {
        return shardSum(shard, model, features, labels, sampleShape, offset, rows, memory, null);
    }

    /**
     * As above, and with {@code factors} not null also the shard's {@link KFAC#factorSums}, from a
     * second forward pass at the same weights (on the steps K-FAC updates its factors).
     */
    public static ShardSum shardSum(int shard, Module model, float[] features, int[] labels, int[] sampleShape,
                                    int offset, int[] rows, StepMemory memory, KFAC.FactorRequest factors) {
        Batch part = rows(features, labels, sampleShape, offset, rows);
        Tensor input = part.features();
        int[] y = part.labels();
        int m = rows.length;
        List<Parameter> params = model.parameters();
        long total = 0;
        for (Parameter p : params) {
            total += p.numel();
        }
        float[] gradient = new float[Math.toIntExact(total)];
        KFAC.FactorSums[] sums = new KFAC.FactorSums[1];
        double[][] buffers = new double[1][];
        double loss = Parallel.serially(() -> {
            model.zeroGrad();
            double value;
            try (StepMemory.Scope _ = memory.open()) {
                Tensor l = Losses.crossEntropySum(model.forward(input), y);
                value = l.item();
                l.backward();
            }
            int at = 0;
            for (Parameter p : params) {
                Tensor g = p.grad();
                if (g != null) {
                    System.arraycopy(g.floatData(), 0, gradient, at, p.numel());
                }
                at += p.numel();
            }
            model.zeroGrad();
            buffers[0] = readBuffers(model);
            if (factors != null) {
                sums[0] = KFAC.factorSums(model, input, y, factors, shard);
            }
            return value;
        });
        return new ShardSum(shard, m, loss, gradient, sums[0], buffers[0]);
    }

    /**
     * The samples {@code rows} (indices into a set whose sample {@code offset + r} is at row r of
     * {@code features}) as a batch, in the order given.
     */
    static Batch rows(float[] features, int[] labels, int[] sampleShape, int offset, int[] rows) {
        int d = 1;
        for (int s : sampleShape) {
            d *= s;
        }
        int m = rows.length;
        float[] x = new float[m * d];
        int[] y = new int[m];
        for (int r = 0; r < m; r++) {
            int i = rows[r] - offset;
            System.arraycopy(features, i * d, x, r * d, d);
            y[r] = labels[i];
        }
        int[] shape = new int[sampleShape.length == 3 ? 4 : 2];
        shape[0] = m;
        if (sampleShape.length == 3) {
            System.arraycopy(sampleShape, 0, shape, 1, 3);
        } else {
            shape[1] = d;
        }
        return new Batch(Tensor.fromArray(x, shape), y);
    }

    /**
     * One shard's {@link ShardedCurvature#shardSum} for {@code request} on the samples {@code rows}
     * (as in {@link #shardSum}), on the calling thread alone; an empty part gives an empty sum.
     */
    public static ShardedCurvature.Sum curvatureSum(int shard, Module model, float[] features, int[] labels,
                                                    int[] sampleShape, int offset, int[] rows,
                                                    ShardedCurvature.Request request) {
        if (rows.length == 0) {
            return new ShardedCurvature.Sum(shard, 0, 0, null);
        }
        Batch part = rows(features, labels, sampleShape, offset, rows);
        return Parallel.serially(() -> ShardedCurvature.shardSum(model, part.features(), part.labels(), request, shard));
    }

    /**
     * Adds the shards' sums in shard index order (empty shards contribute nothing), divides by
     * the batch size and sets each parameter's gradient to its part of the quotient, in
     * {@code grads} (tensors shaped as {@code params}, reused from step to step).
     *
     * @param sums one per shard that held samples of the batch, in any order
     * @return the batch's mean loss
     */
    public static double combine(List<ShardSum> sums, List<Parameter> params, Tensor[] grads) {
        ShardSum[] ordered = sums.toArray(ShardSum[]::new);
        Arrays.sort(ordered, (a, b) -> Integer.compare(a.shard(), b.shard()));
        float[] total = null;
        double loss = 0;
        long count = 0;
        for (ShardSum s : ordered) {
            if (s.count() == 0) {
                continue;
            }
            if (total == null) {
                total = s.gradient().clone();
                loss = s.loss();
            } else {
                float[] g = s.gradient();
                for (int i = 0; i < total.length; i++) {
                    total[i] += g[i];
                }
                loss += s.loss();
            }
            count += s.count();
        }
        if (total == null) {
            throw new IllegalArgumentException("no shard held a sample of the batch");
        }
        float b = count;
        int at = 0;
        for (int k = 0; k < grads.length; k++) {
            float[] out = grads[k].floatData();
            for (int i = 0; i < out.length; i++) {
                out[i] = total[at + i] / b;
            }
            at += out.length;
            params.get(k).setGrad(grads[k]);
        }
        return loss / count;
    }

    /**
     * The shards' K-FAC factor sums added in shard index order (shards without samples of the batch
     * left out).
     *
     * @throws IllegalArgumentException when a shard with samples brought none
     */
    public static KFAC.FactorSums combineFactors(List<ShardSum> sums) {
        ShardSum[] ordered = sums.toArray(ShardSum[]::new);
        Arrays.sort(ordered, (a, b) -> Integer.compare(a.shard(), b.shard()));
        List<KFAC.FactorSums> factors = new java.util.ArrayList<>(ordered.length);
        for (ShardSum s : ordered) {
            if (s.count() > 0) {
                if (s.factors() == null) {
                    throw new IllegalArgumentException("shard " + s.shard() + " computed no factor sums");
                }
                factors.add(s.factors());
            }
        }
        return KFAC.FactorSums.sum(factors);
    }

    /**
     * The model's buffers (batch norm's running statistics and batch counts) in
     * {@link Module#namedBuffers()} order, flattened into float64 (exact for float32 buffers), or
     * null for a model without buffers.
     */
    public static double[] readBuffers(Module model) {
        var buffers = model.namedBuffers().values();
        if (buffers.isEmpty()) {
            return null;
        }
        int total = 0;
        for (dev.kobai.nn.Buffer b : buffers) {
            total += b.numel();
        }
        double[] out = new double[total];
        int at = 0;
        for (dev.kobai.nn.Buffer b : buffers) {
            for (int i = 0, n = b.numel(); i < n; i++) {
                out[at++] = b.getFlat(i);
            }
        }
        return out;
    }

    /** Sets the model's buffers from {@code values} ({@link #readBuffers}' layout), rounded to each buffer's type. */
    public static void writeBuffers(Module model, double[] values) {
        int at = 0;
        for (dev.kobai.nn.Buffer b : model.namedBuffers().values()) {
            if (b.dtype() == dev.kobai.tensor.DType.FLOAT32) {
                float[] d = b.floatData();
                for (int i = 0; i < d.length; i++) {
                    d[i] = (float) values[at++];
                }
            } else {
                double[] d = b.doubleData();
                for (int i = 0; i < d.length; i++) {
                    d[i] = values[at++];
                }
            }
        }
    }

    /**
     * The step's buffers: the mean of the buffers of the shards that held samples, added in shard
     * index order in float64; null when the model has none.
     */
    public static double[] combineBuffers(List<ShardSum> sums) {
        ShardSum[] ordered = sums.toArray(ShardSum[]::new);
        Arrays.sort(ordered, (a, b) -> Integer.compare(a.shard(), b.shard()));
        double[] total = null;
        int count = 0;
        for (ShardSum s : ordered) {
            if (s.count() == 0 || s.buffers() == null) {
                continue;
            }
            if (total == null) {
                total = s.buffers().clone();
            } else {
                for (int i = 0; i < total.length; i++) {
                    total[i] += s.buffers()[i];
                }
            }
            count++;
        }
        if (total != null) {
            for (int i = 0; i < total.length; i++) {
                total[i] /= count;
            }
        }
        return total;
    }

    /** Gradient tensors shaped as {@code params}, for {@link #combine}. */
    public static Tensor[] gradientTensors(List<Parameter> params) {
        Tensor[] out = new Tensor[params.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Tensor.zeros(params.get(i).dtype(), params.get(i).shape());
        }
        return out;
    }

    @Override
    public double compute(int[] indices, Batch batch) {
        return compute(indices, batch, null).loss();
    }

    @Override
    public KFAC.BatchSums compute(int[] indices, Batch batch, KFAC.FactorRequest factors) {
        ShardSum[] sums = new ShardSum[bounds.length - 1];
        // every shard starts from the step's buffers, as each executor does from the driver's
        double[] start = readBuffers(model);
        dropoutSeed = drawDropoutSeed(dropouts);
        long[][] generators = dropoutStates();
        for (int p = 0; p < sums.length; p++) {
            int[] rows = part(indices, bounds[p], bounds[p + 1]);
            if (start != null) {
                writeBuffers(model, start);
            }
            seedDropouts(dropouts, dropoutSeed, p);
            sums[p] = rows.length == 0 ? new ShardSum(p, 0, 0, null)
                    : shardSum(p, model, data.features(), data.labels(), data.sampleShape(), 0, rows, memory, factors);
        }
        restoreDropouts(generators);
        List<ShardSum> all = List.of(sums);
        double loss = combine(all, params, grads);
        if (start != null) {
            writeBuffers(model, combineBuffers(all));
        }
        return new KFAC.BatchSums(loss, factors == null ? null : combineFactors(all));
    }

    @Override
    public ShardedCurvature.Mean curvature(int[] indices, Batch batch, ShardedCurvature.Request request) {
        List<ShardedCurvature.Sum> sums = new java.util.ArrayList<>(bounds.length - 1);
        double[] start = readBuffers(model);
        long[][] generators = dropoutStates();
        for (int p = 0; p < bounds.length - 1; p++) {
            if (start != null) {
                writeBuffers(model, start);
            }
            seedDropouts(dropouts, dropoutSeed, p);
            sums.add(curvatureSum(p, model, data.features(), data.labels(), data.sampleShape(), 0,
                    part(indices, bounds[p], bounds[p + 1]), request));
        }
        if (start != null) {
            writeBuffers(model, start);
        }
        restoreDropouts(generators);
        return ShardedCurvature.combine(sums);
    }

    @Override
    public String describe() {
        return (bounds.length - 1) + " shards on this machine";
    }
}
