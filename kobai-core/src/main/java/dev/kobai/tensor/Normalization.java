package dev.kobai.tensor;

import dev.kobai.tensor.kernel.Parallel;
import java.util.Arrays;

/**
 * Normalisation, as torch.nn.functional's batch_norm, layer_norm and group_norm: each element
 * minus the mean of its set, over the set's standard deviation, then scaled and shifted,
 * <pre>
 *   y = (x - mean) / sqrt(var + eps) * weight + bias
 * </pre>
 * with the biased variance var = mean((x - mean)^2). The three differ in the sets and in what the
 * affine parameters are indexed by:
 * <ul>
 *   <li>batch norm over [N, C, *]: one set per channel c, its N times the spatial size elements;
 *       weight and bias [C];</li>
 *   <li>layer norm over the trailing dimensions D: one set per leading index, its prod(D)
 *       elements; weight and bias of shape D;</li>
 *   <li>group norm over [N, C, *] with G groups: one set per sample and group, its C / G channels
 *       times the spatial size; weight and bias [C].</li>
 * </ul>
 * Batch norm in evaluation mode takes the mean and variance from the running statistics instead,
 * and is then an affine map of x.
 *
 * <p>Forward: one pass over each set for its mean and variance (in double), one to normalise with
 * the affine pair folded in. Backward: with xhat = (x - mean) / sqrt(var + eps), gy = g weight and
 * n the set's size,
 * <pre>
 *   dx = (gy - sum(gy) / n - xhat sum(gy xhat) / n) / sqrt(var + eps)    (dx = gy / sqrt(var + eps) in evaluation)
 *   dweight = sum g xhat,   dbias = sum g   (over every element that parameter touches)
 * </pre>
 * When the backward pass is not recorded (the usual case) this runs as two fused passes. When it is
 * recorded (createGraph: Hessian-vector products, Newton, natural gradient) the same formulas run
 * as recorded tensor operations that recompute the mean and variance from x, so the gradient is
 * differentiable in x, the weight and the output gradient, to any order.
 */
public final class Normalization {
    /** Elements a task should own before a loop is split across cores. */
    private static final int GRAIN = Pointwise.GRAIN;
    /**
     * The most partial sums of the weight and bias gradients. Their number follows the shape alone,
     * never the thread count, so gradients are the same bits however many threads run them.
     */
    private static final int MAX_BLOCKS = 64;

    private Normalization() {}

    // ---------------------------------------------------------------- operations

    /**
     * Batch normalisation, torch.nn.functional.batch_norm, over [N, C] or [N, C, *]: per channel,
     * statistics over the batch and every spatial position.
     *
     * <p>In training ({@code training} true) it normalises with the batch's mean and biased
     * variance, and, when running statistics are given, updates them in place (unrecorded) with
     * {@code running_mean = (1 - momentum) running_mean + momentum mean} and
     * {@code running_var = (1 - momentum) running_var + momentum var n / (n - 1)}, the unbiased
     * variance of the n values per channel (an empty batch leaves them alone). Otherwise it
     * normalises with the running statistics.
     *
     * @param x           [N, C, *]
     * @param runningMean [C], or null (then runningVar must be null too, and training true)
     * @param runningVar  [C], or null
     * @param weight      [C], or null for 1
     * @param bias        [C], or null for 0
     * @param momentum    the running statistics' update factor
     * @param eps         added to the variance
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                   boolean training, double momentum, double eps) {
        String op = "batchNorm";
        Layout layout = batchLayout(op, x, runningMean, runningVar, weight, bias);
        Stats stats = batchStats(x, layout, runningMean, runningVar, training, momentum, eps);
        return normalize(op, x, layout, weight, bias, eps, stats);
    }

    /** Checks batch norm's arguments; the input seen as [N, C, 1, S] with one statistic per channel. */
    static Layout batchLayout(String op, Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight,
                              Tensor bias) {
        if (x.shape.length < 2) {
            throw new IllegalArgumentException(op + ": input should be [N, C, *], got " + x.describe());
        }
        int channels = x.shape[1];
        int[] perChannel = {channels};
        requireShape(op, x, weight, "weight", perChannel);
        requireShape(op, x, bias, "bias", perChannel);
        if ((runningMean == null) != (runningVar == null)) {
            throw new IllegalArgumentException(op + ": running_mean and running_var go together, got only "
                    + (runningMean == null ? "running_var" : "running_mean"));
        }
        requireShape(op, x, runningMean, "running_mean", perChannel);
        requireShape(op, x, runningVar, "running_var", perChannel);
        return new Layout(x.shape[0], channels, 1, Shape.prod(x.shape, 2, x.shape.length), channels);
    }

    /**
     * Batch norm's statistics: the batch's, updating the running ones (training), or the running
     * ones (evaluation); see {@link #batchNorm}.
     */
    static Stats batchStats(Tensor x, Layout layout, Tensor runningMean, Tensor runningVar, boolean training,
                            double momentum, double eps) {
        int channels = layout.b();
        if (training) {
            long count = layout.count();
            if (count == 1) {
                throw new IllegalArgumentException("Expected more than 1 value per channel when training, got input size "
                        + Arrays.toString(x.shape));
            }
            Stats stats = batchStatistics(x, layout, eps);
            if (runningMean != null && count > 0) {
                double unbiased = count / (count - 1.0);
                for (int c = 0; c < channels; c++) {
                    runningMean.setFlat(c, (1 - momentum) * runningMean.getFlat(c) + momentum * stats.mean[c]);
                    runningVar.setFlat(c, (1 - momentum) * runningVar.getFlat(c) + momentum * stats.var[c] * unbiased);
                }
            }
            return stats;
        }
        if (runningMean == null) {
            throw new IllegalArgumentException("batchNorm: evaluation (training false) needs running_mean and running_var");
        }
        double[] mean = runningMean.toDoubleArray();
        double[] var = runningVar.toDoubleArray();
        double[] rstd = new double[channels];
        for (int c = 0; c < channels; c++) {
            rstd[c] = 1 / Math.sqrt(var[c] + eps);
        }
        return new Stats(mean, var, rstd, true);
    }

    /**
     * Layer normalisation, torch.nn.functional.layer_norm: statistics over the trailing dimensions
     * {@code normalizedShape} of each leading index.
     *
     * @param x               [*, normalizedShape]
     * @param normalizedShape the trailing dimensions normalised together
     * @param weight          of shape normalizedShape, or null for 1
     * @param bias            of shape normalizedShape, or null for 0
     */
    public static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        String op = "layerNorm";
        int k = normalizedShape.length;
        if (k == 0) {
            throw new IllegalArgumentException(op + ": normalized_shape must have at least one dimension");
        }
        boolean fits = x.shape.length >= k;
        for (int i = 0; fits && i < k; i++) {
            fits = x.shape[x.shape.length - k + i] == normalizedShape[i];
        }
        if (!fits) {
            throw new IllegalArgumentException(op + ": Given normalized_shape=" + Arrays.toString(normalizedShape)
                    + ", expected input with shape [*, " + Arrays.toString(normalizedShape).substring(1)
                    + ", but got input of size" + Arrays.toString(x.shape));
        }
        requireShape(op, x, weight, "weight", normalizedShape);
        requireShape(op, x, bias, "bias", normalizedShape);
        int inner = Shape.prod(normalizedShape, 0, k);
        Layout layout = new Layout(1, x.size / Math.max(1, inner), inner, 1, 1);
        return normalize(op, x, layout, weight, bias, eps, batchStatistics(x, layout, eps));
    }

    /**
     * Group normalisation, torch.nn.functional.group_norm: the C channels in {@code numGroups}
     * groups of C / G consecutive channels; statistics per sample and group over its channels and
     * spatial positions; weight and bias per channel.
     *
     * @param x      [N, C, *]
     * @param weight [C], or null for 1
     * @param bias   [C], or null for 0
     */
    public static Tensor groupNorm(Tensor x, int numGroups, Tensor weight, Tensor bias, double eps) {
        String op = "groupNorm";
        if (x.shape.length < 2) {
            throw new IllegalArgumentException(op + ": input should be [N, C, *], got " + x.describe());
        }
        int channels = x.shape[1];
        if (numGroups < 1 || channels % numGroups != 0) {
            throw new IllegalArgumentException(op + ": num_channels must be divisible by num_groups, got "
                    + channels + " channels (input " + x.describe() + ") and " + numGroups + " groups");
        }
        requireShape(op, x, weight, "weight", new int[] {channels});
        requireShape(op, x, bias, "bias", new int[] {channels});
        Layout layout = new Layout(1, x.shape[0] * numGroups, channels / numGroups,
                Shape.prod(x.shape, 2, x.shape.length), numGroups);
        return normalize(op, x, layout, weight, bias, eps, batchStatistics(x, layout, eps));
    }

    private static void requireShape(String op, Tensor x, Tensor t, String what, int[] shape) {
        if (t == null) {
            return;
        }
        Tensor.checkSameDtype(op, x, t);
        if (!Arrays.equals(t.shape, shape)) {
            throw new IllegalArgumentException(op + ": " + what + " " + t.describe() + " should have shape "
                    + Arrays.toString(shape) + " for input " + x.describe());
        }
    }

    // ---------------------------------------------------------------- layout and statistics

    /**
     * The input viewed as [a, b, c, d] (row-major): statistic {@code j} of b covers the a c d
     * elements x[., j, ., .]; the affine pair of element (j, k) of the last-but-one axis is
     * {@code (j % period) c + k}. Batch norm is [N, C, 1, S] with period C; layer norm
     * [1, M, K, 1] with period 1; group norm [1, N G, C / G, S] with period G.
     */
    record Layout(int a, int b, int c, int d, int period) {
        long count() {
            return (long) a * c * d;
        }

        /** Runs of d elements share one statistic and one affine pair. */
        boolean runs() {
            return d != 1;
        }

        /**
         * Rows of c elements share a statistic, each element with its own affine pair (a is 1). What
         * is neither runs nor rows is columns: c and d are 1, each row of a holds one element of
         * every statistic.
         */
        boolean rows() {
            return d == 1 && c != 1;
        }

        /** Elements per task before a loop over the b statistics is split. */
        int grain() {
            return (int) Math.max(1, GRAIN / Math.max(1, count()));
        }

        /** Blocks of statistics with their own partial weight and bias gradients; fixed by the shape. */
        int blocks() {
            long work = (long) b * count();
            return (int) Math.max(1, Math.min(Math.min(b, MAX_BLOCKS), (work + GRAIN - 1) / GRAIN));
        }
    }

    /** Per statistic: mean, biased variance and 1 / sqrt(var + eps); fixed when taken from running statistics. */
    record Stats(double[] mean, double[] var, double[] rstd, boolean fixed) {}

    private static Stats batchStatistics(Tensor x, Layout l, double eps) {
        int stats = l.b();
        double[] mean = new double[stats];
        double[] var = new double[stats];
        double[] rstd = new double[stats];
        double count = l.count();
        if (l.runs() || l.rows()) {
            int run = l.c() * l.d();
            Parallel.forRange(stats, l.grain(), (lo, hi) -> {
                double[] acc = new double[2];
                for (int j = lo; j < hi; j++) {
                    acc[0] = 0;
                    acc[1] = 0;
                    double shift = count > 0 ? x.getFlat(j * run) : 0;
                    for (int a = 0; a < l.a(); a++) {
                        moments(x, (a * stats + j) * run, run, shift, acc);
                    }
                    finish(j, shift, acc[0], acc[1], count, eps, mean, var, rstd);
                }
            });
        } else {
            Parallel.forRange(stats, l.grain(), (lo, hi) -> {
                int len = hi - lo;
                double[] shift = new double[len];
                double[] s = new double[len];
                double[] q = new double[len];
                for (int j = 0; j < len && count > 0; j++) {
                    shift[j] = x.getFlat(lo + j);
                }
                for (int a = 0; a < l.a(); a++) {
                    if (x.f != null) {
                        NormLoops.columnMoments(x.f, a * stats + lo, len, shift, s, q, 0);
                    } else {
                        NormLoops.columnMoments(x.d, a * stats + lo, len, shift, s, q, 0);
                    }
                }
                for (int j = 0; j < len; j++) {
                    finish(lo + j, shift[j], s[j], q[j], count, eps, mean, var, rstd);
                }
            });
        }
        return new Stats(mean, var, rstd, false);
    }

    /** {@link NormLoops#moments} on the Vector API when it is there (see {@link VectorLoops}). */
    private static void moments(Tensor x, int at, int n, double shift, double[] acc) {
        if (x.f != null) {
            if (Pointwise.VECTOR) {
                VectorLoops.moments(x.f, at, n, shift, acc);
            } else {
                NormLoops.moments(x.f, at, n, shift, acc);
            }
        } else if (Pointwise.VECTOR) {
            VectorLoops.moments(x.d, at, n, shift, acc);
        } else {
            NormLoops.moments(x.d, at, n, shift, acc);
        }
    }

    /** {@link NormLoops#gradSums} on the Vector API when it is there. */
    private static void gradSums(Tensor g, Tensor x, int at, int n, double mean, double[] acc) {
        if (x.f != null) {
            if (Pointwise.VECTOR) {
                VectorLoops.gradSums(g.f, x.f, at, n, mean, acc);
            } else {
                NormLoops.gradSums(g.f, x.f, at, n, mean, acc);
            }
        } else if (Pointwise.VECTOR) {
            VectorLoops.gradSums(g.d, x.d, at, n, mean, acc);
        } else {
            NormLoops.gradSums(g.d, x.d, at, n, mean, acc);
        }
    }

    /**
     * mean = shift + s / n, var = q / n - (s / n)^2 (never below 0 from rounding; NaN stays NaN);
     * 0 and 0 for a set with no elements, whose statistics reach nothing.
     */
    private static void finish(int j, double shift, double s, double q, double n, double eps, double[] mean,
                               double[] var, double[] rstd) {
        double m = n > 0 ? s / n : 0;
        mean[j] = shift + m;
        var[j] = n > 0 ? Math.max(0, q / n - m * m) : 0;
        rstd[j] = 1 / Math.sqrt(var[j] + eps);
    }

    /** The affine values as doubles, or {@code fill} everywhere when the parameter is absent. */
    static double[] affine(Tensor t, int length, double fill) {
        if (t == null) {
            double[] out = new double[length];
            Arrays.fill(out, fill);
            return out;
        }
        return t.toDoubleArray();
    }

    // ---------------------------------------------------------------- forward

    private static Tensor normalize(String op, Tensor x, Layout l, Tensor weight, Tensor bias, double eps, Stats s) {
        Tensor y = x.newEmpty(x.shape);
        int params = l.period() * l.c();
        double[] w = affine(weight, params, 1);
        double[] b = affine(bias, params, 0);
        int stats = l.b();
        if (l.runs() || l.rows()) {
            int c = l.c();
            int d = l.d();
            Parallel.forRange(stats, l.grain(), (lo, hi) -> {
                for (int j = lo; j < hi; j++) {
                    int p = (j % l.period()) * c;
                    if (l.rows()) {
                        if (x.f != null) {
                            NormLoops.normalizeRow(x.f, y.f, j * c, c, s.mean[j], s.rstd[j], w, b, p);
                        } else {
                            NormLoops.normalizeRow(x.d, y.d, j * c, c, s.mean[j], s.rstd[j], w, b, p);
                        }
                        continue;
                    }
                    for (int a = 0; a < l.a(); a++) {
                        for (int k = 0; k < c; k++) {
                            int at = ((a * stats + j) * c + k) * d;
                            double scale = s.rstd[j] * w[p + k];
                            if (x.f != null) {
                                NormLoops.normalizeRun(x.f, y.f, at, d, s.mean[j], scale, b[p + k]);
                            } else {
                                NormLoops.normalizeRun(x.d, y.d, at, d, s.mean[j], scale, b[p + k]);
                            }
                        }
                    }
                }
            });
        } else {
            double[] scale = new double[stats];
            double[] shift = new double[stats];
            for (int j = 0; j < stats; j++) {
                scale[j] = s.rstd[j] * w[j % l.period()];
                shift[j] = b[j % l.period()];
            }
            Parallel.forRange(stats, l.grain(), (lo, hi) -> {
                for (int a = 0; a < l.a(); a++) {
                    if (x.f != null) {
                        NormLoops.normalizeColumns(x.f, y.f, a * stats + lo, hi - lo, s.mean, scale, shift, lo);
                    } else {
                        NormLoops.normalizeColumns(x.d, y.d, a * stats + lo, hi - lo, s.mean, scale, shift, lo);
                    }
                }
            });
        }
        return Tensor.record(y, op, g -> {
            boolean recorded = weight != null ? Tensor.recording(g, x, weight) : Tensor.recording(g, x);
            return present(recorded ? recordedBackward(g, x, weight, bias, l, s, eps)
                    : fusedBackward(g, x, weight, bias, l, s), weight, bias);
        }, inputs(x, weight, bias));
    }

    /** The inputs an operation records: x, then the affine parameters that are there. */
    static Tensor[] inputs(Tensor x, Tensor weight, Tensor bias) {
        return weight == null && bias == null ? new Tensor[] {x}
                : weight == null ? new Tensor[] {x, bias}
                : bias == null ? new Tensor[] {x, weight}
                : new Tensor[] {x, weight, bias};
    }

    /** {dx, dweight, dbias} cut down to the gradients of {@link #inputs}. */
    static Tensor[] present(Tensor[] grads, Tensor weight, Tensor bias) {
        if (weight != null && bias != null) {
            return grads;
        }
        return weight == null && bias == null ? new Tensor[] {grads[0]}
                : new Tensor[] {grads[0], weight != null ? grads[1] : grads[2]};
    }

    // ---------------------------------------------------------------- backward, fused

    /** {dx, dweight, dbias} in two passes over x and g, each null where not needed. */
    private static Tensor[] fusedBackward(Tensor g, Tensor x, Tensor weight, Tensor bias, Layout l, Stats s) {
        boolean needX = x.requiresGrad;
        boolean needW = weight != null && weight.requiresGrad;
        boolean needB = bias != null && bias.requiresGrad;
        Tensor dx = needX ? x.newEmpty(x.shape) : null;
        int params = l.period() * l.c();
        double[] w = affine(weight, params, 1);
        int blocks = l.blocks();
        double[][] sg = new double[blocks][params];
        double[][] sgx = new double[blocks][params];
        int stats = l.b();
        double n = l.count();
        if (l.runs() || l.rows()) {
            int c = l.c();
            int d = l.d();
            Parallel.forRange(blocks, 1, (lo, hi) -> {
                double[] acc = new double[2];
                for (int block = lo; block < hi; block++) {
                    for (int j = from(block, blocks, stats), end = from(block + 1, blocks, stats); j < end; j++) {
                        int p = (j % l.period()) * c;
                        double mean = s.mean[j];
                        double r = s.rstd[j];
                        acc[0] = 0;
                        acc[1] = 0;
                        if (l.rows()) {
                            if (x.f != null) {
                                NormLoops.rowGradSums(g.f, x.f, j * c, c, mean, r, w, p, sg[block], sgx[block], acc);
                            } else {
                                NormLoops.rowGradSums(g.d, x.d, j * c, c, mean, r, w, p, sg[block], sgx[block], acc);
                            }
                        } else {
                            double[] part = new double[2];
                            for (int k = 0; k < c; k++) {
                                part[0] = 0;
                                part[1] = 0;
                                for (int a = 0; a < l.a(); a++) {
                                    gradSums(g, x, ((a * stats + j) * c + k) * d, d, mean, part);
                                }
                                sg[block][p + k] += part[0];
                                sgx[block][p + k] += part[1] * r;
                                acc[0] += w[p + k] * part[0];
                                acc[1] += w[p + k] * part[1];
                            }
                        }
                        if (!needX) {
                            continue;
                        }
                        // dx = r w g + beta (x - mean) + gamma, from the sums of w g and w g (x - mean)
                        double beta = s.fixed ? 0 : -r * r * r * acc[1] / n;
                        double gamma = s.fixed ? 0 : -r * acc[0] / n;
                        if (l.rows()) {
                            if (x.f != null) {
                                NormLoops.rowGradInput(g.f, x.f, dx.f, j * c, c, mean, r, w, p, beta, gamma);
                            } else {
                                NormLoops.rowGradInput(g.d, x.d, dx.d, j * c, c, mean, r, w, p, beta, gamma);
                            }
                            continue;
                        }
                        for (int a = 0; a < l.a(); a++) {
                            for (int k = 0; k < c; k++) {
                                int at = ((a * stats + j) * c + k) * d;
                                if (x.f != null) {
                                    NormLoops.gradInput(g.f, x.f, dx.f, at, d, r * w[p + k], beta, mean, gamma);
                                } else {
                                    NormLoops.gradInput(g.d, x.d, dx.d, at, d, r * w[p + k], beta, mean, gamma);
                                }
                            }
                        }
                    }
                }
            });
        } else {
            // columns: c and d are 1, the statistics lie along each row of a
            double[] colSum = new double[stats];
            double[] colSumX = new double[stats];
            double[] alpha = new double[stats];
            double[] beta = new double[stats];
            double[] gamma = new double[stats];
            Parallel.forRange(blocks, 1, (lo, hi) -> {
                for (int block = lo; block < hi; block++) {
                    int j0 = from(block, blocks, stats);
                    int len = from(block + 1, blocks, stats) - j0;
                    for (int a = 0; a < l.a(); a++) {
                        if (x.f != null) {
                            NormLoops.columnGradSums(g.f, x.f, a * stats + j0, len, s.mean, colSum, colSumX, j0);
                        } else {
                            NormLoops.columnGradSums(g.d, x.d, a * stats + j0, len, s.mean, colSum, colSumX, j0);
                        }
                    }
                    for (int j = j0; j < j0 + len; j++) {
                        int p = j % l.period();
                        double r = s.rstd[j];
                        sg[block][p] += colSum[j];
                        sgx[block][p] += colSumX[j] * r;
                        alpha[j] = r * w[p];
                        beta[j] = s.fixed ? 0 : -r * r * r * w[p] * colSumX[j] / n;
                        gamma[j] = s.fixed ? 0 : -r * w[p] * colSum[j] / n;
                    }
                    if (!needX) {
                        continue;
                    }
                    for (int a = 0; a < l.a(); a++) {
                        if (x.f != null) {
                            NormLoops.columnGradInput(g.f, x.f, dx.f, a * stats + j0, len, alpha, beta, s.mean, gamma, j0);
                        } else {
                            NormLoops.columnGradInput(g.d, x.d, dx.d, a * stats + j0, len, alpha, beta, s.mean, gamma, j0);
                        }
                    }
                }
            });
        }
        return new Tensor[] {dx, needW ? blockSum(sgx, weight) : null, needB ? blockSum(sg, bias) : null};
    }

    /** The first statistic of block {@code block} of {@code blocks} over {@code stats}. */
    private static int from(int block, int blocks, int stats) {
        return (int) ((long) stats * block / blocks);
    }

    /** The blocks' partial sums added in block order, shaped like {@code like}. */
    private static Tensor blockSum(double[][] partial, Tensor like) {
        Tensor out = like.newZeros(like.shape);
        for (int i = 0; i < out.size; i++) {
            double total = 0;
            for (double[] p : partial) {
                total += p[i];
            }
            out.setFlat(i, total);
        }
        return out;
    }

    // ---------------------------------------------------------------- backward, recorded

    /**
     * {dx, dweight, dbias} as recorded tensor operations, with the statistics recomputed from x (or
     * constants, in evaluation), over the view [a, b / period, period, c, d] in which the
     * statistics reduce axes 0, 3 and 4 and the affine parameters broadcast as [period, c, 1].
     */
    static Tensor[] recordedBackward(Tensor g, Tensor x, Tensor weight, Tensor bias, Layout l, Stats s,
                                             double eps) {
        int[] view = {l.a(), l.b() / l.period(), l.period(), l.c(), l.d()};
        int[] statShape = {1, view[1], view[2], 1, 1};
        int[] paramShape = {l.period(), l.c(), 1};
        double inv = 1.0 / l.count();
        Tensor x5 = x.reshape(view);
        Tensor g5 = g.reshape(view);
        Tensor rstd;
        Tensor xhat;
        if (s.fixed) {
            rstd = constant(x.dtype, s.rstd, statShape);
            xhat = x5.sub(constant(x.dtype, s.mean, statShape)).mul(rstd);
        } else {
            Tensor xc = x5.sub(statSum(x5).mul(inv));
            rstd = statSum(xc.square()).mul(inv).add(eps).pow(-0.5);
            xhat = xc.mul(rstd);
        }
        Tensor dx = null;
        if (x.requiresGrad) {
            Tensor gy = weight == null ? g5 : g5.mul(weight.reshape(paramShape));
            dx = s.fixed ? gy.mul(rstd)
                    : gy.sub(statSum(gy).mul(inv)).sub(xhat.mul(statSum(gy.mul(xhat)).mul(inv))).mul(rstd);
            dx = dx.reshape(x.shape);
        }
        Tensor dw = weight != null && weight.requiresGrad ? g5.mul(xhat).sumTo(paramShape).reshape(weight.shape) : null;
        Tensor db = bias != null && bias.requiresGrad ? g5.sumTo(paramShape).reshape(bias.shape) : null;
        return new Tensor[] {dx, dw, db};
    }

    /** Sums over axes 0, 3 and 4 of the five-axis view, keeping them. */
    private static Tensor statSum(Tensor t) {
        return t.sum(4, true).sum(3, true).sum(0, true);
    }

    private static Tensor constant(DType dtype, double[] values, int[] shape) {
        Tensor t = Tensor.zeros(dtype, shape);
        for (int i = 0; i < values.length; i++) {
            t.setFlat(i, values[i]);
        }
        return t;
    }
}
