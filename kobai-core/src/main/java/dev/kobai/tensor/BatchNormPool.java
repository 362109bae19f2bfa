package dev.kobai.tensor;

import dev.kobai.tensor.kernel.Parallel;

/**
 * Batch normalisation followed by max pooling, {@code maxPool2d(batchNorm(x))}, the pair that
 * opens every block of a convolutional network (a ReLU between them commutes with the pooling and
 * runs after both, see {@code nn.Sequential}). Same results as the two operations one after the
 * other; what differs is the memory traffic, which is what those two cost on a CPU.
 *
 * <p>For float32 inputs and 2x2 windows at stride 2 the normalised activations are never written
 * out: each plane of x is normalised into a plane-sized scratch that stays in cache and pooled from
 * there, so the forward pass writes only the pooled output, the winners' indices and the winners'
 * input values (a quarter of x each). The backward pass uses that the gradient reaching the
 * normalised activations, gy, is zero except at the winners, where it is the pooled gradient g:
 * <pre>
 *   sum(gy) = sum(g),   sum(gy (x - mean)) = sum(g (x_winner - mean))      (per channel, over the pooled elements)
 *   dx = rstd w gy + beta (x - mean) + gamma
 * </pre>
 * with beta and gamma of {@link Normalization}'s backward formula. The sums take one pass over the
 * quarter-size arrays; dx one pass over x, each plane's gy scattered into the scratch first. The
 * two operations in turn made five passes over full-size arrays instead (normalised activations
 * out and back in, the scattered gradient zeroed and filled, its sums, dx). Per element the
 * forward pass and dx evaluate the same expressions as {@link Normalization#batchNorm} and
 * {@link Spatial#maxPool2d}, so the output and the running statistics have the same bits, and dx
 * differs only through the order of the per-channel sums, at rounding. On [128, 32, 28, 28], one
 * thread, forward and backward with the ReLU take 0.71 of the separate operations' time (and 0.74
 * on [128, 64, 14, 14]), measured side by side.
 *
 * <p>Other dtypes and windows run the two operations in turn. A backward pass that is itself
 * recorded (create_graph) routes the gradient through the pooling's adjoint and batch norm's
 * recorded backward, so that it differentiates to any order.
 */
public final class BatchNormPool {
    private static final int GRAIN = Pointwise.GRAIN;
    /**
     * Whether the loops run on the Vector API ({@link VectorLoops}) or on their scalar twins
     * ({@link NormLoops}), which a JVM without the Vector API runs. Visible for tests, which run
     * the scalar twins here too.
     */
    static volatile boolean vectorLoops = Pointwise.VECTOR;
    /** One normalised plane per thread, pooled from while it is in cache. */
    private static final ThreadLocal<float[]> PLANE = ThreadLocal.withInitial(() -> new float[0]);

    private BatchNormPool() {}

    /**
     * {@code Spatial.maxPool2d(Normalization.batchNorm(x, ...), window, ceilMode)}, with the
     * arguments, checks and running-statistics update of those two.
     *
     * @param x [N, C, H, W]
     */
    public static Tensor batchNormMaxPool(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight,
                                          Tensor bias, boolean training, double momentum, double eps,
                                          Window2d window, boolean ceilMode) {
        if (!fuses(x, window, ceilMode)) {
            return Spatial.maxPool2d(Normalization.batchNorm(x, runningMean, runningVar, weight, bias, training,
                    momentum, eps), window, ceilMode);
        }
        String op = "batchNorm";
        Normalization.Layout layout = Normalization.batchLayout(op, x, runningMean, runningVar, weight, bias);
        Normalization.Stats stats = Normalization.batchStats(x, layout, runningMean, runningVar, training,
                momentum, eps);
        int n = x.shape[0];
        int channels = x.shape[1];
        int h = x.shape[2];
        int w = x.shape[3];
        int oh = window.outputHeight(h, ceilMode);
        int ow = window.outputWidth(w, ceilMode);
        int[] outShape = {n, channels, oh, ow};
        Tensor[] inputs = Normalization.inputs(x, weight, bias);
        boolean recorded = Tensor.recording(inputs);
        Tensor pooled = x.newEmpty(outShape);
        int[] index = StepMemory.ints(Shape.numel(outShape), false);
        // The winners' inputs, for the backward sums; not needed when nothing is recorded.
        float[] winners = recorded ? StepMemory.floats(Shape.numel(outShape), false) : null;
        double[] scale = Normalization.affine(weight, channels, 1);
        double[] shift = Normalization.affine(bias, channels, 0);
        int plane = h * w;
        int outPlane = oh * ow;
        float[] xf = x.f;
        boolean vector = vectorLoops;
        Parallel.forRange(n * channels, Math.max(1, GRAIN / Math.max(1, plane)), (from, to) -> {
            float[] y = scratch(plane);
            for (int p = from; p < to; p++) {
                int c = p % channels;
                double mean = stats.mean()[c];
                if (vector) {
                    VectorLoops.normalizeRun(xf, p * plane, y, plane, mean, stats.rstd()[c] * scale[c], shift[c]);
                } else {
                    NormLoops.normalizeRun(xf, p * plane, y, plane, mean, stats.rstd()[c] * scale[c], shift[c]);
                }
                int at = p * outPlane;
                Spatial.maxOfPairs(y, 0, h, w, oh, ow, pooled.f, index, at);
                if (winners != null) {
                    for (int o = at, end = at + outPlane; o < end; o++) {
                        winners[o] = xf[p * plane + index[o]];
                    }
                }
            }
        });
        if (!recorded) {
            return pooled;
        }
        Spatial.Route route = new Spatial.Route(x.shape, outShape, index);
        return Tensor.record(pooled, op, g -> {
            Tensor[] grads = Tensor.recording(g, x, weight != null ? weight : x)
                    ? Normalization.recordedBackward(route.adjoint(g), x, weight, bias, layout, stats, eps)
                    : backward(g, x, weight, bias, layout, stats, index, winners);
            return Normalization.present(grads, weight, bias);
        }, inputs);
    }

    /**
     * Whether {@link #batchNormMaxPool} runs fused: where max pooling would take its loop over 2x2
     * windows ({@link Spatial#pairs}) and there is at least one window.
     */
    static boolean fuses(Tensor x, Window2d window, boolean ceilMode) {
        if (x.shape.length != 4) {
            return false;
        }
        int oh = window.outputHeight(x.shape[2], ceilMode);
        int ow = window.outputWidth(x.shape[3], ceilMode);
        return oh > 0 && ow > 0 && Spatial.pairs(x, window, oh, ow);
    }

    private static float[] scratch(int size) {
        float[] y = PLANE.get();
        if (y.length < size) {
            y = new float[size];
            PLANE.set(y);
        }
        return y;
    }

    /**
     * {dx, dweight, dbias} from the pooled gradient {@code g}: the per-channel sums over the pooled
     * elements, then dx plane by plane.
     */
    private static Tensor[] backward(Tensor g, Tensor x, Tensor weight, Tensor bias, Normalization.Layout l,
                                     Normalization.Stats s, int[] index, float[] winners) {
        int n = x.shape[0];
        int channels = x.shape[1];
        int plane = x.shape[2] * x.shape[3];
        int outPlane = g.shape[2] * g.shape[3];
        double[] w = Normalization.affine(weight, channels, 1);
        double[] sumG = new double[channels];
        double[] sumGX = new double[channels];
        double count = l.count();
        float[] gf = g.f;
        boolean vector = vectorLoops;
        // Per channel, in one task: the sums do not depend on the thread count.
        Parallel.forRange(channels, Math.max(1, GRAIN / Math.max(1, n * outPlane)), (lo, hi) -> {
            double[] acc = new double[2];
            for (int c = lo; c < hi; c++) {
                acc[0] = 0;
                acc[1] = 0;
                for (int i = 0; i < n; i++) {
                    int at = (i * channels + c) * outPlane;
                    if (vector) {
                        VectorLoops.gradSums(gf, winners, at, outPlane, s.mean()[c], acc);
                    } else {
                        NormLoops.gradSums(gf, winners, at, outPlane, s.mean()[c], acc);
                    }
                }
                sumG[c] = acc[0];
                sumGX[c] = acc[1];
            }
        });
        Tensor dx = null;
        if (x.requiresGrad) {
            Tensor out = x.newEmpty(x.shape);
            float[] xf = x.f;
            Parallel.forRange(n * channels, Math.max(1, GRAIN / Math.max(1, plane)), (from, to) -> {
                float[] gy = scratch(plane);
                for (int p = from; p < to; p++) {
                    int c = p % channels;
                    double r = s.rstd()[c];
                    double mean = s.mean()[c];
                    double alpha = r * w[c];
                    double beta = s.fixed() ? 0 : -r * r * r * (w[c] * sumGX[c]) / count;
                    double gamma = s.fixed() ? 0 : -r * (w[c] * sumG[c]) / count;
                    // The gradient reaching the normalised plane: the pooled one at each winner, 0 elsewhere.
                    java.util.Arrays.fill(gy, 0, plane, 0f);
                    for (int o = p * outPlane, end = o + outPlane; o < end; o++) {
                        gy[index[o]] = gf[o];
                    }
                    if (vector) {
                        VectorLoops.gradInputFromScratch(gy, xf, out.f, p * plane, plane, alpha, beta, mean, gamma);
                    } else {
                        NormLoops.gradInputFromScratch(gy, xf, out.f, p * plane, plane, alpha, beta, mean, gamma);
                    }
                }
            });
            dx = out;
        }
        Tensor dw = null;
        if (weight != null && weight.requiresGrad) {
            dw = weight.newZeros(weight.shape);
            for (int c = 0; c < channels; c++) {
                dw.setFlat(c, sumGX[c] * s.rstd()[c]);
            }
        }
        Tensor db = null;
        if (bias != null && bias.requiresGrad) {
            db = bias.newZeros(bias.shape);
            for (int c = 0; c < channels; c++) {
                db.setFlat(c, sumG[c]);
            }
        }
        return new Tensor[] {dx, dw, db};
    }
}
