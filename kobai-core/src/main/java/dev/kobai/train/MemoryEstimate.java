package dev.kobai.train;

import dev.kobai.UsageException;
import dev.kobai.data.Dataset;
import dev.kobai.data.TrainTest;
import dev.kobai.optim.OptimizerSpec;
import dev.kobai.optim.Optimizers;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a training run will need of the heap, estimated before the model is built, and the check
 * that refuses a run that cannot fit, with the estimate and the limit, instead of letting it
 * allocate gigabytes and then fail with an OutOfMemoryError.
 *
 * <p>The estimate is simple and meant to err high. For P parameters and Q buffer numbers (float32),
 * B samples per batch, and per sample A numbers of activations (the input and every layer's output,
 * from {@link ModelShapes}), in bytes:
 * <pre>
 *   model        4 (P + Q)        weights and buffers
 *   gradients    4 P
 *   optimizer    S                its state, by optimizer (below)
 *   activations  10 B A           each output is kept for the backward pass with its gradient,
 *                                 and half again for temporaries (4 bytes, 2.5 times);
 *                or 5 E M         if larger: evaluation, E = min(1000, test samples) at a time
 *                                 without recording, M = the largest layer input plus output,
 *                                 held together (4 bytes, 1.25 times)
 *   scratch      4 T U            T threads, each unfolding one sample for the largest convolution (U numbers)
 * </pre>
 * S is 4 P times the buffers per parameter of a first-order method: sgd 0 (1 with momentum),
 * adagrad 1, asgd 1, rmsprop 1 (+1 with momentum, +1 centered), adadelta 2, rprop 2, adam, adamw,
 * adamax, nadam, radam 2 (+1 amsgrad), lbfgs 2 history_size + 3; for the second-order ones, in
 * doubles (8 bytes): newton 3 P^2 (the matrix, its factor and a copy), natural 3 P^2 + B K P (the
 * Jacobian over K classes) when dense (P &lt;= max_dense), else 16 P, hessian-free 24 P (conjugate
 * gradients' vectors and the iterates kept for backtracking), kfac 4 ((I + 1)^2 + O^2) per layer
 * with an I-by-O weight (factors, inverses or eigenvectors, temporaries) plus B (I + 1 + O) for its
 * batch statistics, and 4 P more with momentum.
 *
 * <p>The limit is {@link Runtime#maxMemory()} less the data set, which is in the heap already
 * (4 bytes per feature and per label of both parts).
 */
public record MemoryEstimate(long parameters, long modelBytes, long gradientBytes, long optimizerBytes,
                             long activationBytes, long scratchBytes, int batchSize) {
    /** The samples evaluation runs at once (Evaluation.BATCH). */
    static final int EVAL_BATCH = Evaluation.BATCH;

    /** The total, in bytes. */
    public long total() {
        return modelBytes + gradientBytes + optimizerBytes + activationBytes + scratchBytes;
    }

    /**
     * The estimate for a model seen by {@link ModelShapes}, trained with {@code optimizer} on
     * {@code data} in batches of {@code batchSize} (no larger than the training set: one batch per epoch).
     */
    static MemoryEstimate of(ModelShapes model, String optimizer, int batchSize, TrainTest data) {
        return of(model, optimizer, batchSize, data.train().size(), data.test().size(), data.train().numClasses());
    }

    /**
     * As above, for {@code trainSize} training samples, evaluation on {@code evalSize} and a model of
     * {@code outputs} outputs per sample (the classes, or an autoencoder's reconstruction).
     */
    static MemoryEstimate of(ModelShapes model, String optimizer, int batchSize, int trainSize, int evalSize,
                             int outputs) {
        int batch = Math.max(1, Math.min(batchSize, trainSize));
        int classes = outputs;
        long p = model.parameters();
        long perSample = ModelShapes.numel(model.inputShape());
        long widest = 0;
        long unfolded = 0;
        for (ModelShapes.Layer l : model.layers()) {
            perSample += l.outputNumel();
            widest = Math.max(widest, l.inputNumel() + l.outputNumel());
            unfolded = Math.max(unfolded, l.unfolded());
        }
        long evalBatch = Math.min(EVAL_BATCH, Math.max(1, evalSize));
        // Measured: the heap a run needs beyond the data (the least -Xmx, with the launcher's serial
        // collector, that trains one epoch, less the data), against the whole estimate. digits,
        // conv2d(1,256,3,padding=1),relu,conv2d(256,256,3,padding=1),relu,flatten,linear(16384,10):
        // sgd in one batch of 1437, 802 MB against 1,185; adam in batches of 128, 98 MB against 118.
        // fashion-mnist, conv(1,32,3), relu, pool, conv(32,64,3), relu, pool, linear(3136,128), relu,
        // linear(128,10), adam in batches of 64: 200 to 300 MB against 258 (evaluation the larger
        // term). fashion-mnist, mlp:784-256-10, lbfgs in batches of 1000: 182 MB against 188.
        long activations = Math.max(10L * batch * perSample, 5L * evalBatch * widest);
        long scratch = 4L * dev.kobai.tensor.kernel.Parallel.threads() * unfolded;
        return new MemoryEstimate(p, 4 * (p + model.buffers()), 4 * p, optimizerBytes(optimizer, model, batch, classes),
                activations, scratch, batch);
    }

    /** The bytes of the optimizer's state, as the class comment says. */
    static long optimizerBytes(String spec, ModelShapes model, int batch, int classes) {
        OptimizerSpec parsed = OptimizerSpec.parse(spec);
        Map<String, Object> o = new HashMap<>(Optimizers.defaults(parsed.name()));
        o.putAll(Optimizers.options(parsed));
        long p = model.parameters();
        String name = parsed.name().toLowerCase(Locale.ROOT);
        double perParameter = switch (name) {
            case "sgd" -> number(o, "momentum") != 0 ? 1 : 0;
            case "adagrad", "asgd" -> 1;
            case "rmsprop" -> 1 + (number(o, "momentum") != 0 ? 1 : 0) + (flag(o, "centered") ? 1 : 0);
            case "adadelta", "rprop", "adamax", "nadam", "radam" -> 2;
            case "adam", "adamw" -> 2 + (flag(o, "amsgrad") ? 1 : 0);
            case "lbfgs" -> 2 * number(o, "history_size") + 3;
            default -> -1;
        };
        if (perParameter >= 0) {
            return (long) (4 * perParameter * p);
        }
        double doubles = switch (name) {
            case "newton" -> 3.0 * p * p;
            case "natural" -> !"cg".equals(o.get("solver")) && p <= number(o, "max_dense")
                    ? 3.0 * p * p + (double) batch * classes * p : 16.0 * p;
            case "hessian-free" -> 24.0 * p;
            case "kfac" -> {
                double d = number(o, "momentum") != 0 ? p / 2.0 : 0; // 4 P bytes, as doubles
                for (ModelShapes.Layer l : model.layers()) {
                    int[] w = l.weightShape();
                    if (w != null) {
                        double out = w[0];
                        double in = ModelShapes.numel(w) / out;
                        d += 4 * ((in + 1) * (in + 1) + out * out) + (double) batch * (in + 1 + out);
                    }
                }
                yield d;
            }
            // An optimizer this table does not know: as much state as the largest first-order one.
            default -> 1.5 * p;
        };
        return (long) Math.min(8 * doubles, Long.MAX_VALUE / 4);
    }

    private static double number(Map<String, Object> o, String key) {
        return o.get(key) instanceof Number n ? n.doubleValue() : 0;
    }

    private static boolean flag(Map<String, Object> o, String key) {
        return Boolean.TRUE.equals(o.get(key));
    }

    /** The heap a run may use: Runtime.maxMemory() less the data set already in it. */
    static long limit(TrainTest data) {
        return Runtime.getRuntime().maxMemory() - dataBytes(data);
    }

    /** The bytes of a data set's features and labels, both parts. */
    public static long dataBytes(TrainTest data) {
        long bytes = 0;
        for (Dataset d : List.of(data.train(), data.test())) {
            bytes += 4L * d.features().length + 4L * d.size();
        }
        return bytes;
    }

    /**
     * Refuses a run whose estimate exceeds {@code limit}, naming the model, the parts of the
     * estimate and the limit; {@code what} says which run ("model M with O, batch B").
     */
    void require(String what, long limit, long data) {
        if (total() > limit) {
            throw new UsageException(what + " needs an estimated " + gb(total()) + " of memory (model " + gb(modelBytes)
                    + ", gradients " + gb(gradientBytes) + ", optimizer state " + gb(optimizerBytes) + ", activations "
                    + gb(activationBytes + scratchBytes) + " for batches of " + batchSize + "), more than the "
                    + gb(limit) + " the heap has left (Runtime.maxMemory() " + gb(limit + data) + " less "
                    + gb(data) + " of data); use a smaller model or batch size, or give Java more memory"
                    + " (KOBAI_JAVA_OPTS=-Xmx...)");
        }
    }

    /**
     * Refuses, before anything is built, a model whose parameters and their gradients alone cannot
     * fit: the large layers are counted from their arguments.
     */
    static void requireParameters(String what, long parameters, long limit, long data) {
        if (parameters > Long.MAX_VALUE / 8 || 8 * parameters > limit) {
            throw new UsageException(what + " has " + String.format(Locale.ROOT, "%,d", parameters) + " parameters,"
                    + " which with their gradients need at least " + gb(8 * parameters) + ", more than the "
                    + gb(limit) + " the heap has left (Runtime.maxMemory() " + gb(limit + data) + " less " + gb(data)
                    + " of data); use a smaller model, or give Java more memory (KOBAI_JAVA_OPTS=-Xmx...)");
        }
    }

    static String gb(long bytes) {
        return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }
}
