package dev.kobai.spark;

import dev.kobai.nn.Models;
import dev.kobai.nn.Module;
import dev.kobai.nn.Parameter;
import dev.kobai.optim.KFAC;
import dev.kobai.optim.ShardedCurvature;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.StepMemory;
import dev.kobai.tensor.kernel.Kernels;
import dev.kobai.train.ShardedGradient;
import dev.kobai.train.ShardedGradient.ShardSum;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;

/**
 * One partition's part of a step, on an executor: sets the broadcast weights on the task thread's
 * copy of the model and computes {@link ShardedGradient#shardSum} of the shard's samples in the batch
 * (or {@link ShardedGradient#curvatureSum} for a step's curvature request).
 */
final class ShardTask implements FlatMapFunction<Iterator<Shards.Shard>, ShardTask.Result> {
    /**
     * What an executor needs to build the model: its spec, the sample shape and class count it was
     * built for, the driver's GEMM kernel (whose result bits the executor's must match) and the
     * number of weights.
     */
    record Model(String spec, int[] sampleShape, int classes, String kernels, int weightCount) implements Serializable {
        String key() {
            return spec + Arrays.toString(sampleShape) + classes;
        }
    }

    /**
     * A step's broadcast: the driver's weights, flattened in parameter order, the batch's sample
     * indices, K-FAC's request for factor sums (null when the step needs none), the driver's
     * buffers ({@link ShardedGradient#readBuffers}; null for a model without), and a request for
     * a loss or curvature of Newton, Hessian-free or natural gradient instead of the gradient (else null),
     * and the seed of the dropout masks ({@link ShardedGradient#seedDropouts}).
     */
    record Step(float[] weights, int[] indices, KFAC.FactorRequest factors, double[] buffers,
                ShardedCurvature.Request curvature, long dropoutSeed) implements Serializable {}

    /**
     * A shard's sums (its gradient's, or for a curvature request its curvature's, the other null)
     * and the nanoseconds the executor spent computing them.
     */
    record Result(ShardSum sum, ShardedCurvature.Sum curvature, long nanos) implements Serializable {}

    /** A task thread's model and step memory, built on its first task and reused. */
    private static final class Worker {
        final String key;
        final Module module;
        final List<Parameter> params;
        final StepMemory memory = new StepMemory();
        final List<dev.kobai.nn.Dropout> dropouts;

        Worker(Model m) {
            String here = Kernels.gemm().describe();
            if (!here.equals(m.kernels())) {
                // Another kernel rounds differently, and the run would no longer equal one machine's.
                throw new IllegalStateException("this executor's matrix kernel (" + here + ") differs from the"
                        + " driver's (" + m.kernels() + "): run executors on the driver's kind of CPU with"
                        + " --add-modules jdk.incubator.vector");
            }
            key = m.key();
            module = Models.fromSpec(m.spec(), m.sampleShape(), m.classes(), new Rng(0), DType.FLOAT32);
            params = module.parameters();
            dropouts = ShardedGradient.dropouts(module);
            long n = 0;
            for (Parameter p : params) {
                n += p.numel();
            }
            if (n != m.weightCount()) {
                throw new IllegalStateException("the executor built " + n + " weights for " + m.spec()
                        + ", the driver has " + m.weightCount());
            }
        }

        void setWeights(float[] w) {
            int at = 0;
            for (Parameter p : params) {
                System.arraycopy(w, at, p.floatData(), 0, p.numel());
                at += p.numel();
            }
        }
    }

    private static final ThreadLocal<Worker> WORKER = new ThreadLocal<>();

    private final Model model;
    private final Broadcast<Step> step;

    ShardTask(Model model, Broadcast<Step> step) {
        this.model = model;
        this.step = step;
    }

    @Override
    public Iterator<Result> call(Iterator<Shards.Shard> shards) {
        Step s = step.value();
        Worker w = WORKER.get();
        if (w == null || !w.key.equals(model.key())) {
            w = new Worker(model);
            WORKER.set(w);
        }
        w.setWeights(s.weights());
        List<Result> out = new ArrayList<>(1);
        while (shards.hasNext()) {
            Shards.Shard shard = shards.next();
            long start = System.nanoTime();
            int[] rows = ShardedGradient.part(s.indices(), shard.offset(), shard.offset() + shard.labels().length);
            if (s.buffers() != null) {
                ShardedGradient.writeBuffers(w.module, s.buffers());
            }
            ShardedGradient.seedDropouts(w.dropouts, s.dropoutSeed(), shard.index());
            if (s.curvature() != null) {
                ShardedCurvature.Sum sum = ShardedGradient.curvatureSum(shard.index(), w.module, shard.features(),
                        shard.labels(), model.sampleShape(), shard.offset(), rows, s.curvature());
                out.add(new Result(null, sum, System.nanoTime() - start));
                continue;
            }
            ShardSum sum = rows.length == 0 ? new ShardSum(shard.index(), 0, 0, null)
                    : ShardedGradient.shardSum(shard.index(), w.module, shard.features(), shard.labels(),
                    model.sampleShape(), shard.offset(), rows, w.memory, s.factors());
            out.add(new Result(sum, null, System.nanoTime() - start));
        }
        return out.iterator();
    }
}
