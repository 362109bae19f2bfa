package dev.kobai.train;

import dev.kobai.UsageException;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.LossKind;
import dev.kobai.data.Dataset;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Models;
import dev.kobai.nn.Sequential;
import dev.kobai.optim.LossClosure;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.Optimizers;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Trains a deep autoencoder ({@link Models#autoencoder}) to reconstruct its inputs with
 * BCE-with-logits on the pixels, and records the training loss against iterations and seconds
 * until it reaches a target: the experiment of Martens (2010) and Martens and Grosse (2015), where
 * Hessian-free and K-FAC reach a given training error in far fewer iterations than SGD.
 *
 * <p>Every run with the same seed starts from the same weights and draws its minibatches from the
 * same shuffles (an epoch's order from a fork of the seed; a run with a larger batch walks the same
 * orders in larger steps). Second-order methods get a {@link CurvatureProblem} with
 * {@link LossKind#BCE} whose batch is replaced before each step; first-order ones a loss closure.
 *
 * <p>The recorded loss is the mean BCE per pixel over a fixed evaluation set of training images,
 * computed at iterations 1, 2, ... and then every 5% or so of the iterations so far; seconds count
 * the optimizer steps only, not these evaluations.
 */
public final class AutoencoderTraining {
    private AutoencoderTraining() {}

    /** The loss on the evaluation set after {@code iteration} steps and {@code seconds} of stepping. */
    public record Point(int iteration, double seconds, double loss) {}

    /** How long to train and when to stop. */
    public record Settings(String model, double targetLoss, int maxIterations, double maxSeconds, long seed) {
        public Settings {
            if (!(targetLoss > 0) || !Double.isFinite(targetLoss)) {
                throw new UsageException("the target loss must be a positive number, got " + targetLoss);
            }
            if (maxIterations < 1) {
                throw new UsageException("the iteration limit must be at least 1, got " + maxIterations);
            }
            if (!(maxSeconds > 0)) {
                throw new UsageException("the time limit must be positive, got " + maxSeconds);
            }
        }
    }

    /**
     * One optimizer's run. {@code iterationsToTarget} is the first recorded iteration whose loss is
     * at most the target, or -1 when the run stopped first; likewise the seconds.
     */
    public record Result(String label, String spec, int batchSize, List<Point> curve, int iterationsToTarget,
                         double secondsToTarget, String stopReason) {
        public Point last() {
            return curve.getLast();
        }

        public boolean reached() {
            return iterationsToTarget >= 0;
        }
    }

    /** The first {@code count} examples of {@code data} as a float32 [count, features] tensor (all when count is 0). */
    public static Tensor images(Dataset data, int count) {
        int n = count <= 0 ? data.size() : Math.min(count, data.size());
        int d = data.featureCount();
        float[] all = data.features();
        float[] out = new float[n * d];
        System.arraycopy(all, 0, out, 0, n * d);
        for (float v : out) {
            if (!(v >= 0 && v <= 1)) {
                throw new UsageException(data.name() + " has feature values outside [0, 1] (" + v
                        + "); the autoencoder's BCE needs pixel intensities in [0, 1]");
            }
        }
        return Tensor.fromArray(out, n, d);
    }

    /** Mean BCE per element of the model's reconstruction of {@code x}, in chunks, without recording. */
    public static double loss(Sequential model, Tensor x) {
        int n = x.size(0);
        int d = x.size(1);
        float[] all = x.floatData();
        double sum = 0;
        final int chunk = 1000;
        try (GradMode.Scope _ = GradMode.noGrad()) {
            for (int start = 0; start < n; start += chunk) {
                int m = Math.min(chunk, n - start);
                float[] part = new float[m * d];
                System.arraycopy(all, start * d, part, 0, m * d);
                Tensor xb = Tensor.fromArray(part, m, d);
                sum += Losses.bceWithLogits(model.forward(xb), xb).item() * m;
            }
        }
        return sum / n;
    }

    /**
     * Refuses, before the model is built, a run of {@code spec} that would not fit the heap
     * ({@link MemoryEstimate}; the model's outputs are its reconstruction), with the estimate and the
     * limit: Runtime.maxMemory() less {@code dataBytes}, what the data already take.
     */
    public static void requireMemory(String model, String label, String spec, int batchSize, Tensor train, Tensor eval,
                                     long dataBytes) {
        int d = train.size(1);
        java.util.List<String> texts = Models.layerTexts(model, new int[] {d}, d);
        String run = "model " + model + " with " + label + " (" + spec + ")";
        long limit = Runtime.getRuntime().maxMemory() - dataBytes;
        MemoryEstimate.requireParameters(run, ModelShapes.parameterCount(texts), limit, dataBytes);
        MemoryEstimate.of(ModelShapes.of(texts, new int[] {d}), spec, batchSize, train.size(0), eval.size(0), d)
                .require(run + ", batch " + batchSize, limit, dataBytes);
    }

    /** The model a run starts from: the same weights for every run with the same seed. */
    public static Sequential initialModel(String spec, long seed, int features) {
        return Models.autoencoder(requireInputs(spec, features), new Rng(seed).fork(), DType.FLOAT32);
    }

    /** The sizes of an autoencoder spec, after checking that it takes {@code features} inputs. */
    public static int[] requireInputs(String spec, int features) {
        int[] sizes = Models.parseAutoencoderSizes(spec);
        if (sizes[0] != features) {
            throw new UsageException("model " + spec + " takes " + sizes[0] + " inputs but the data has " + features
                    + " features per example; start the model with " + features);
        }
        return sizes;
    }

    /**
     * Trains one optimizer ({@code spec}, as for {@link Optimizers#create}) on {@code train}
     * [N, features] in minibatches of {@code batchSize}, recording the loss on {@code eval}.
     * {@code onPoint} sees each recorded point as it comes (for progress), or is null.
     */
    public static Result run(String label, String spec, int batchSize, Tensor train, Tensor eval, Settings s,
                             Consumer<Point> onPoint) {
        int n = train.size(0);
        int d = train.size(1);
        if (batchSize < 1 || batchSize > n) {
            throw new UsageException("batch size " + batchSize + " must be between 1 and the " + n
                    + " training examples");
        }
        Sequential model = initialModel(s.model(), s.seed(), d);
        Rng seeds = new Rng(s.seed());
        seeds.fork(); // the first fork made the weights
        Rng shuffle = seeds.fork();
        Tensor first = batch(train, identity(n), 0, batchSize);
        CurvatureProblem problem = null;
        Optimizer opt;
        if (Optimizers.usesCurvatureProblem(spec)) {
            problem = CurvatureProblem.of(model, LossKind.BCE, first, first);
            opt = Optimizers.create(spec, problem);
        } else {
            opt = Optimizers.create(spec, model.parameters());
        }
        List<Point> curve = new ArrayList<>();
        Point p0 = new Point(0, 0, loss(model, eval));
        curve.add(p0);
        if (onPoint != null) {
            onPoint.accept(p0);
        }
        int[] perm = shuffle.permutation(n);
        int cursor = 0;
        double seconds = 0;
        long next = 1;
        int reachedAt = p0.loss() <= s.targetLoss() ? 0 : -1;
        double reachedSeconds = reachedAt == 0 ? 0 : Double.NaN;
        String stop = reachedAt == 0 ? "target" : "iterations";
        for (int it = 1; it <= s.maxIterations() && reachedAt < 0; it++) {
            if (cursor + batchSize > n) {
                perm = shuffle.permutation(n);
                cursor = 0;
            }
            Tensor xb = batch(train, perm, cursor, batchSize);
            cursor += batchSize;
            long t0 = System.nanoTime();
            if (problem != null) {
                problem.setBatch(xb, xb);
            }
            Optimizer o = opt;
            double stepLoss = opt.step(new LossClosure() {
                @Override
                public Tensor loss() {
                    return Losses.bceWithLogits(model.forward(xb), xb);
                }

                @Override
                public double evaluate() {
                    o.zeroGrad();
                    Tensor l = loss();
                    l.backward();
                    return l.item();
                }
            });
            seconds += (System.nanoTime() - t0) / 1e9;
            boolean out = seconds >= s.maxSeconds();
            if (it >= next || it == s.maxIterations() || out || !Double.isFinite(stepLoss)) {
                Point p = new Point(it, seconds, loss(model, eval));
                curve.add(p);
                if (onPoint != null) {
                    onPoint.accept(p);
                }
                next = it + Math.max(1L, it / 20);
                if (p.loss() <= s.targetLoss()) {
                    reachedAt = it;
                    reachedSeconds = seconds;
                    stop = "target";
                } else if (!Double.isFinite(p.loss())) {
                    stop = "diverged";
                    break;
                } else if (out) {
                    stop = "time";
                    break;
                }
            }
        }
        return new Result(label, spec, batchSize, List.copyOf(curve), reachedAt, reachedSeconds, stop);
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    private static Tensor batch(Tensor x, int[] order, int from, int size) {
        int d = x.size(1);
        float[] all = x.floatData();
        float[] out = new float[size * d];
        for (int i = 0; i < size; i++) {
            System.arraycopy(all, order[from + i] * d, out, i * d, d);
        }
        return Tensor.fromArray(out, size, d);
    }
}
