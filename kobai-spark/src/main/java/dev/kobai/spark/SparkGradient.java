package dev.kobai.spark;

import dev.kobai.UsageException;
import dev.kobai.data.Batch;
import dev.kobai.data.Dataset;
import dev.kobai.nn.Module;
import dev.kobai.nn.Parameter;
import dev.kobai.optim.KFAC;
import dev.kobai.optim.ShardedCurvature;
import dev.kobai.tensor.Tensor;
import dev.kobai.train.GradientEngine;
import dev.kobai.train.ShardedGradient;
import dev.kobai.train.ShardedGradient.ShardSum;
import dev.kobai.train.TrainSettings;
import dev.kobai.train.Training;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;

/**
 * Synchronous data-parallel gradients on Apache Spark, with the arithmetic of {@link ShardedGradient}.
 * The training set is cut into one fixed shard per partition and cached on the executors as
 * primitive arrays ({@link Shards}). Per gradient (once per step; per closure evaluation for L-BFGS)
 * the driver broadcasts its weights and the batch's sample indices, each partition computes the
 * loss sum and gradient sum of its shard's part of the batch ({@link ShardTask}), the driver
 * collects the sums (in partition order) and {@link ShardedGradient#combine combines} them in shard
 * order, and the trainer's optimizer steps as on one machine.
 *
 * <p>So a run here equals a single-machine run with {@link ShardedGradient} of as many shards, bit for
 * bit, on executors with the driver's instruction set. For K-FAC the step's broadcast also carries
 * its {@link KFAC.FactorRequest} on the steps that update the factors; each partition then adds its
 * shard's {@link KFAC#factorSums} to its result, and the driver adds them in shard order too. Newton,
 * Hessian-free and natural gradient run one job per loss, curvature product (each CG iteration) or
 * curvature matrix they need ({@link #curvature}), summed per shard and added in shard order the same
 * way. A
 * model's batch norm buffers travel with the weights, each partition returns them as its shard
 * updated them, and the driver keeps their mean ({@link ShardedGradient}'s rule). Dropout's masks
 * come from a seed the driver draws per gradient, which each shard offsets by its index. The sums are collected rather than
 * tree-aggregated: Spark's aggregate merges results in the order tasks finish, and float addition
 * is not associative.
 */
public final class SparkGradient implements GradientEngine {
    private final JavaSparkContext sc;
    private final boolean ownsContext;
    private final JavaRDD<Shards.Shard> shards;
    private final int partitions;
    private final String master;
    private final Module module;
    private final List<Parameter> params;
    private final Tensor[] grads;
    private final ShardTask.Model model;
    private final float[] weights;
    private final StepTimes times = new StepTimes();
    /** Jobs of {@link #curvature} so far (losses, products, matrices of the second-order methods). */
    private long curvatureJobs;
    private final List<dev.kobai.nn.Dropout> dropouts;
    /** The seed of the last gradient's dropout masks, reused by the step's curvature requests. */
    private long dropoutSeed;

    private SparkGradient(JavaSparkContext sc, boolean ownsContext, String master, int partitions, TrainSettings settings,
                          Training.Setup setup) {
        this.sc = sc;
        this.ownsContext = ownsContext;
        this.master = master;
        this.partitions = partitions;
        Module m = setup.model();
        ShardedGradient.requireSplittable(m);
        this.module = m;
        this.params = m.parameters();
        this.grads = ShardedGradient.gradientTensors(params);
        this.dropouts = ShardedGradient.dropouts(m);
        long n = 0;
        for (Parameter p : params) {
            if (p.dtype() != dev.kobai.tensor.DType.FLOAT32) {
                throw new UsageException("--spark trains float32 models; parameter " + p.name() + " is " + p.dtype());
            }
            n += p.numel();
        }
        this.weights = new float[Math.toIntExact(n)];
        Dataset train = setup.data().train();
        this.model = new ShardTask.Model(settings.model(), train.sampleShape(), train.numClasses(),
                dev.kobai.tensor.kernel.Kernels.gemm().describe(), weights.length);
        this.shards = Shards.of(sc, settings.data(), train, partitions).persist(StorageLevel.MEMORY_ONLY());
        // Load (or receive) every shard now, so that the first step's time is a step's.
        this.shards.count();
    }

    /**
     * Opens an engine on the cluster at {@code master}: the running SparkContext if there is one
     * (tests share one), else a new one that {@link #close} stops.
     *
     * @param partitions shards of the training set, one task each per step; null for the
     *                   context's default parallelism
     */
    public static SparkGradient open(String master, Integer partitions, TrainSettings settings,
                                     Training.Setup setup) {
        boolean own = !SparkContexts.running();
        JavaSparkContext sc = SparkContexts.get(master);
        int p = partitions != null ? partitions : sc.defaultParallelism();
        try {
            ShardedGradient.bounds(setup.data().train().size(), p);
            return new SparkGradient(sc, own, master, p, settings, setup);
        } catch (RuntimeException e) {
            if (own) {
                SparkContexts.stop();
            }
            throw e;
        }
    }

    @Override
    public double compute(int[] indices, Batch batch) {
        return compute(indices, batch, null).loss();
    }

    @Override
    public KFAC.BatchSums compute(int[] indices, Batch batch, KFAC.FactorRequest factors) {
        long start = System.nanoTime();
        dropoutSeed = ShardedGradient.drawDropoutSeed(dropouts);
        List<ShardTask.Result> results = run(indices, factors, null);
        long collected = System.nanoTime();
        List<ShardSum> sums = new ArrayList<>(results.size());
        long computeNanos = 0;
        for (ShardTask.Result r : results) {
            sums.add(r.sum());
            computeNanos = Math.max(computeNanos, r.nanos());
        }
        double loss = ShardedGradient.combine(sums, params, grads);
        KFAC.FactorSums factorSums = factors == null ? null : ShardedGradient.combineFactors(sums);
        double[] buffers = ShardedGradient.combineBuffers(sums);
        if (buffers != null) {
            ShardedGradient.writeBuffers(module, buffers);
        }
        times.add(System.nanoTime() - start, computeNanos, System.nanoTime() - collected);
        return new KFAC.BatchSums(loss, factorSums);
    }

    /** One job: the driver's weights and buffers broadcast with the request, each partition's result in partition order. */
    private List<ShardTask.Result> run(int[] indices, KFAC.FactorRequest factors, ShardedCurvature.Request curvature) {
        int at = 0;
        for (Parameter p : params) {
            System.arraycopy(p.floatData(), 0, weights, at, p.numel());
            at += p.numel();
        }
        Broadcast<ShardTask.Step> step = sc.broadcast(new ShardTask.Step(weights, indices, factors,
                ShardedGradient.readBuffers(module), curvature, dropoutSeed));
        try {
            return shards.mapPartitions(new ShardTask(model, step)).collect();
        } finally {
            step.destroy();
        }
    }

    /**
     * A loss, curvature product or curvature matrix of Newton, Hessian-free or natural gradient: one
     * job as for a gradient, whose shard sums the driver adds in shard order; the driver's buffers
     * stay as they are.
     */
    @Override
    public ShardedCurvature.Mean curvature(int[] indices, Batch batch, ShardedCurvature.Request request) {
        List<ShardTask.Result> results = run(indices, null, request);
        curvatureJobs++;
        List<ShardedCurvature.Sum> sums = new ArrayList<>(results.size());
        for (ShardTask.Result r : results) {
            sums.add(r.curvature());
        }
        return ShardedCurvature.combine(sums);
    }

    @Override
    public String describe() {
        return "Spark (" + master + ", " + partitions + " partitions)";
    }

    /** What the steps cost so far: see {@link StepTimes}. */
    public StepTimes times() {
        return times;
    }

    @Override
    public String summary() {
        return times.count() == 0 ? null : describe() + ": " + times
                + (curvatureJobs == 0 ? "" : "; " + curvatureJobs + " curvature jobs");
    }

    @Override
    public java.util.Map<String, Number> timings() {
        java.util.Map<String, Number> t = new java.util.LinkedHashMap<>();
        t.put("partitions", partitions);
        t.put("gradients", times.count());
        if (curvatureJobs > 0) {
            t.put("curvature_jobs", curvatureJobs);
        }
        if (times.count() > 0) {
            t.put("median_gradient_ms", times.medianWallMs());
            t.put("median_compute_ms", times.medianComputeMs());
            t.put("median_combine_ms", times.medianCombineMs());
            t.put("median_spark_ms", Math.max(0, times.medianWallMs() - times.medianComputeMs()
                    - times.medianCombineMs()));
        }
        return t;
    }

    @Override
    public void close() {
        shards.unpersist(false);
        if (ownsContext) {
            SparkContexts.stop();
        }
    }
}
