package dev.kobai.tensor;

import dev.kobai.tensor.kernel.Parallel;
import java.util.Arrays;

/**
 * Operations over the spatial axes of images laid out as [N, C, H, W] (batch, channels, height,
 * width), as torch.nn.functional's: convolution and pooling.
 *
 * <p>A convolution is a matrix product over patches, sample by sample: the weight [O, C kh kw]
 * times the unfolded image [C kh kw, OH OW] ({@link #unfold}), with both gradients two more such
 * products; {@link Convolution} records the three as operations that differentiate into each
 * other. Unfolding and its adjoint, the average poolings and the channel sum are {@link LinearMap}
 * pairs, so they have gradients of any order without derivative code of their own; max pooling
 * routes its gradient through the indices of the maxima, a linear map for fixed indices.
 */
public final class Spatial {
    /** Elements a task should own before a loop is split across cores. */
    private static final int GRAIN = Pointwise.GRAIN;

    private Spatial() {}

    // ---------------------------------------------------------------- convolution

    /**
     * 2-D cross-correlation, torch.nn.functional.conv2d:
     * {@code out[n, o, i, j] = bias[o] + sum_{c, a, b} weight[o, c, a, b] x[n, g(o) C/groups + c,
     * i sh - pt + a dh, j sw - pl + b dw]}, zero outside the input, where g(o) = o / (O / groups)
     * is the group of output channel o.
     *
     * @param x      [N, C, H, W]
     * @param weight [O, C / groups, kh, kw], with kh and kw the window's kernel
     * @param bias   [O], or null
     * @return [N, O, OH, OW] with OH and OW from {@link Window2d#outputHeight} and {@link Window2d#outputWidth}
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, Window2d window, int groups) {
        requireRank("conv2d", x, 4, "input", "[N, C, H, W]");
        requireRank("conv2d", weight, 4, "weight", "[out, in / groups, kh, kw]");
        Tensor.checkSameDtype("conv2d", x, weight);
        int n = x.shape[0];
        int channels = x.shape[1];
        int out = weight.shape[0];
        int groupChannels = weight.shape[1];
        if (groups < 1 || channels % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException("conv2d: " + groups + " groups do not divide " + channels
                    + " input and " + out + " output channels");
        }
        if (groupChannels * groups != channels) {
            throw new IllegalArgumentException("conv2d: weight " + weight.describe() + " takes " + groupChannels * groups
                    + " input channels (" + groupChannels + " per group, " + groups + " groups) but the input "
                    + x.describe() + " has " + channels);
        }
        if (weight.shape[2] != window.kernelH() || weight.shape[3] != window.kernelW()) {
            throw new IllegalArgumentException("conv2d: weight " + weight.describe() + " does not match the "
                    + window.kernelH() + "x" + window.kernelW() + " kernel");
        }
        if (bias != null) {
            Tensor.checkSameDtype("conv2d", x, bias);
            if (bias.shape.length != 1 || bias.shape[0] != out) {
                throw new IllegalArgumentException("conv2d: bias " + bias.describe() + " should have shape [" + out + "]");
            }
        }
        int oh = window.outputHeight(x.shape[2]);
        int ow = window.outputWidth(x.shape[3]);
        requireRoom("conv2d", x, window, oh, ow);
        return Convolution.conv(x, weight, bias, new Convolution.Geometry(n, channels, x.shape[2], x.shape[3], out, oh,
                ow, groups, window));
    }

    /**
     * 1-D cross-correlation, torch.nn.functional.conv1d: the 2-D one over images of height 1.
     *
     * @param x      [N, C, L]
     * @param weight [O, C / groups, k]
     * @param bias   [O], or null
     * @return [N, O, OL]
     */
    public static Tensor conv1d(Tensor x, Tensor weight, Tensor bias, int stride, int padLeft, int padRight,
                                int dilation, int groups) {
        requireRank("conv1d", x, 3, "input", "[N, C, L]");
        requireRank("conv1d", weight, 3, "weight", "[out, in / groups, k]");
        Window2d window = new Window2d(1, weight.shape[2], 1, stride, 0, 0, padLeft, padRight, 1, dilation);
        Tensor y = conv2d(x.reshape(x.shape[0], x.shape[1], 1, x.shape[2]),
                weight.reshape(weight.shape[0], weight.shape[1], 1, weight.shape[2]), bias, window, groups);
        return y.reshape(y.shape[0], y.shape[1], y.shape[3]);
    }

    /**
     * The patches of each image, torch.nn.functional.unfold: [N, C, H, W] to [N, C kh kw, OH OW],
     * column {@code i OW + j} holding the window at position (i, j), row {@code (c kh + a) kw + b}
     * its element x[n, c, i sh - pt + a dh, j sw - pl + b dw], zero where the window reads padding.
     * The gradient adds the columns back into the image (torch's fold), summing where windows overlap.
     */
    public static Tensor unfold(Tensor x, Window2d window) {
        requireRank("unfold", x, 4, "input", "[N, C, H, W]");
        int oh = window.outputHeight(x.shape[2]);
        int ow = window.outputWidth(x.shape[3]);
        requireRoom("unfold", x, window, oh, ow);
        return new Unfold(new Convolution.Geometry(x.shape[0], x.shape[1], x.shape[2], x.shape[3], 1, oh, ow, 1,
                window)).forward(x);
    }

    /**
     * The patches of images {@code first} to {@code first + count - 1} of x [N, C, H, W] as rows,
     * into {@code dst}: row {@code (s - first) OH OW + i OW + j} is the window of image s at position
     * (i, j), its C kh kw elements in {@link #unfold}'s row order (the transpose of unfold's [C kh kw,
     * OH OW] matrix of that image, which is also the order of a convolution weight [O, C, kh, kw]
     * seen as [O, C kh kw]). Not recorded: for optimizers that need second moments of the patches
     * (K-FAC for convolutions) a chunk of images at a time, into a buffer they keep.
     *
     * @param dst at least {@code count OH OW ld} long
     * @param ld  the distance between rows in {@code dst}, at least C kh kw; the elements of a row
     *            past C kh kw are left as they are (K-FAC keeps a column of ones there)
     */
    public static void patchRows(Tensor x, Window2d window, int first, int count, float[] dst, int ld) {
        patchRows(x, window, first, count, dst, null, ld);
    }

    /** As {@link #patchRows(Tensor, Window2d, int, int, float[], int)} for a float64 x. */
    public static void patchRows(Tensor x, Window2d window, int first, int count, double[] dst, int ld) {
        patchRows(x, window, first, count, null, dst, ld);
    }

    private static void patchRows(Tensor x, Window2d window, int first, int count, float[] df, double[] dd, int ld) {
        requireRank("patchRows", x, 4, "input", "[N, C, H, W]");
        if ((df != null) != (x.f != null)) {
            throw new IllegalArgumentException("patchRows: input " + x.describe() + " and a "
                    + (df != null ? "float32" : "float64") + " buffer");
        }
        int oh = window.outputHeight(x.shape[2]);
        int ow = window.outputWidth(x.shape[3]);
        requireRoom("patchRows", x, window, oh, ow);
        if (first < 0 || count < 0 || first + count > x.shape[0]) {
            throw new IllegalArgumentException("patchRows: images " + first + " to " + (first + count - 1)
                    + " of " + x.describe());
        }
        Convolution.Geometry geo = new Convolution.Geometry(x.shape[0], x.shape[1], x.shape[2], x.shape[3], 1, oh, ow,
                1, window);
        if (ld < geo.groupRows()) {
            throw new IllegalArgumentException("patchRows: rows " + ld + " apart cannot hold " + geo.groupRows()
                    + " elements");
        }
        int perImage = ld * geo.positions();
        long need = (long) count * perImage;
        if ((df != null ? df.length : dd.length) < need) {
            throw new IllegalArgumentException("patchRows: a buffer of " + (df != null ? df.length : dd.length)
                    + " elements for " + need);
        }
        int image = geo.channels() * geo.height() * geo.width();
        Parallel.forRange(count, Math.max(1, GRAIN / perImage), (from, to) -> {
            for (int s = from; s < to; s++) {
                Convolution.patchRows(x.f, x.d, (first + s) * image, df, dd, s * perImage, ld, geo);
            }
        });
    }

    /** Sums [N, C, ...] over every axis but the channels: [C]. */
    public static Tensor channelSum(Tensor x) {
        if (x.shape.length < 2) {
            throw new IllegalArgumentException("channelSum needs [N, C, ...], got " + x.describe());
        }
        return new ChannelSum(x.shape).forward(x);
    }

    // ---------------------------------------------------------------- pooling

    /**
     * Max pooling, torch.nn.functional.max_pool2d: the largest element under each window, padding
     * counting as minus infinity. The gradient goes to the first largest element of each window in
     * row-major order; a NaN counts as the largest (the last NaN of a window), as in torch.
     */
    public static Tensor maxPool2d(Tensor x, Window2d window, boolean ceilMode) {
        requireRank("maxPool2d", x, 4, "input", "[N, C, H, W]");
        int oh = window.outputHeight(x.shape[2], ceilMode);
        int ow = window.outputWidth(x.shape[3], ceilMode);
        requireRoom("maxPool2d", x, window, oh, ow);
        int[] outShape = {x.shape[0], x.shape[1], oh, ow};
        int[] index = StepMemory.ints(Shape.numel(outShape), false);
        int h = x.shape[2];
        int w = x.shape[3];
        int planes = x.shape[0] * x.shape[1];
        Tensor y = x.newEmpty(outShape);
        boolean pairs = pairs(x, window, oh, ow);
        Parallel.forRange(planes, Math.max(1, GRAIN / Math.max(1, h * w)), (from, to) -> {
            for (int p = from; p < to; p++) {
                if (pairs) {
                    maxOfPairs(x.f, p * h * w, h, w, oh, ow, y.f, index, p * oh * ow);
                } else if (x.f != null) {
                    maxIndices(x.f, null, p * h * w, h, w, window, oh, ow, index, p * oh * ow);
                } else {
                    maxIndices(null, x.d, p * h * w, h, w, window, oh, ow, index, p * oh * ow);
                }
            }
        });
        Route route = new Route(x.shape, outShape, index);
        if (!pairs) {
            route.apply(x, y);
        }
        return route.record(x, y);
    }

    /**
     * Whether {@link #maxOfPairs} takes a pooling of x into oh x ow: float32, 2x2 windows at stride 2,
     * every window inside the input (with ceil_mode on an odd size the last windows hang over the
     * edge: those take the general loop).
     */
    static boolean pairs(Tensor x, Window2d window, int oh, int ow) {
        return window.equals(Window2d.square(2, 2, 0, 1)) && x.f != null && 2 * oh <= x.shape[2]
                && 2 * ow <= x.shape[3];
    }

    /**
     * The 2x2 windows at stride 2 of one float plane, the pooling of nearly every convolutional
     * network: values and indices in one pass, each window's four elements compared in row-major
     * order by the same rule as {@link #maxIndices} (strictly larger wins, a NaN always wins).
     */
    static void maxOfPairs(float[] x, int planeAt, int h, int w, int oh, int ow, float[] y, int[] index,
                                   int at) {
        // Rows of fewer windows than a vector has lanes (7 in the cnn preset's second pooling, on
        // AVX-512) take a whole vector of windows each, from the row's first on: the lanes past the
        // row write the next row's outputs, which are computed after. A row does so only while the
        // vector's reads stay in the plane and its writes in the plane's outputs.
        // Without the Vector API (lanes 0) every window takes the scalar loop below.
        int lanes = Pointwise.VECTOR ? VectorLoops.pairLanes() : 0;
        for (int i = 0; i < oh; i++) {
            int top = planeAt + 2 * i * w;
            int o = at + i * ow;
            int j = 0;
            if (lanes > 0 && ow >= lanes) {
                j = VectorLoops.maxOfPairs(x, top, w, ow, y, index, o, 2 * i * w);
            } else if (lanes > 0 && (2 * i + 1) * w + 2 * lanes <= h * w && i * ow + lanes <= oh * ow) {
                VectorLoops.pairWindows(x, top, w, y, index, o, 2 * i * w);
                j = ow;
            }
            // Without branches on the data: each comparison gives an offset (int selects compile to
            // conditional moves), and the value is loaded from the chosen element. On activations
            // the winner of a window is random, and the branchy loop mispredicted about one compare
            // in two: 12% of a cnn training step.
            for (; j < ow; j++) {
                int e = top + 2 * j;
                float a = x[e];
                float b = x[e + 1];
                int k = (b > a) | (b != b) ? 1 : 0;
                float best = x[e + k];
                float c = x[e + w];
                k = (c > best) | (c != c) ? w : k;
                best = x[e + k];
                float d = x[e + w + 1];
                k = (d > best) | (d != d) ? w + 1 : k;
                y[o + j] = x[e + k];
                index[o + j] = e + k - planeAt;
            }
        }
    }

    /** Flat index within its plane of the largest element of each window; -1 for a window that reads no element. */
    private static void maxIndices(float[] xf, double[] xd, int planeAt, int h, int w, Window2d win, int oh, int ow,
                                   int[] index, int at) {
        int o = at;
        for (int i = 0; i < oh; i++) {
            int top = i * win.strideH() - win.padTop();
            for (int j = 0; j < ow; j++) {
                int left = j * win.strideW() - win.padLeft();
                int best = -1;
                double max = Double.NEGATIVE_INFINITY;
                for (int a = 0; a < win.kernelH(); a++) {
                    int r = top + a * win.dilationH();
                    if (r < 0 || r >= h) {
                        continue;
                    }
                    for (int b = 0; b < win.kernelW(); b++) {
                        int c = left + b * win.dilationW();
                        if (c < 0 || c >= w) {
                            continue;
                        }
                        int e = r * w + c;
                        double v = xf != null ? xf[planeAt + e] : xd[planeAt + e];
                        if (best < 0 || v > max || Double.isNaN(v)) {
                            max = v;
                            best = e;
                        }
                    }
                }
                index[o++] = best;
            }
        }
    }

    /**
     * Average pooling, torch.nn.functional.avg_pool2d: the mean under each window. With
     * {@code countIncludePad} (torch's default) the divisor counts the padding the window covers
     * (but not what hangs past it in ceil mode); without, only input elements. A positive
     * {@code divisorOverride} replaces the divisor. Dilation is not part of average pooling.
     */
    public static Tensor avgPool2d(Tensor x, Window2d window, boolean ceilMode, boolean countIncludePad,
                                   int divisorOverride) {
        requireRank("avgPool2d", x, 4, "input", "[N, C, H, W]");
        if (window.dilationH() != 1 || window.dilationW() != 1) {
            throw new IllegalArgumentException("avgPool2d takes no dilation, got " + window.describe());
        }
        int oh = window.outputHeight(x.shape[2], ceilMode);
        int ow = window.outputWidth(x.shape[3], ceilMode);
        requireRoom("avgPool2d", x, window, oh, ow);
        int h = x.shape[2];
        int w = x.shape[3];
        int[] rowFrom = new int[oh];
        int[] rowTo = new int[oh];
        int[] rowPadded = new int[oh];
        for (int i = 0; i < oh; i++) {
            int start = i * window.strideH() - window.padTop();
            int end = Math.min(start + window.kernelH(), h + window.padBottom());
            rowPadded[i] = end - start;
            rowFrom[i] = Math.max(start, 0);
            rowTo[i] = Math.min(end, h);
        }
        int[] colFrom = new int[ow];
        int[] colTo = new int[ow];
        int[] colPadded = new int[ow];
        for (int j = 0; j < ow; j++) {
            int start = j * window.strideW() - window.padLeft();
            int end = Math.min(start + window.kernelW(), w + window.padRight());
            colPadded[j] = end - start;
            colFrom[j] = Math.max(start, 0);
            colTo[j] = Math.min(end, w);
        }
        double[] weight = new double[oh * ow];
        for (int i = 0; i < oh; i++) {
            for (int j = 0; j < ow; j++) {
                int count = divisorOverride > 0 ? divisorOverride
                        : countIncludePad ? rowPadded[i] * colPadded[j]
                        : (rowTo[i] - rowFrom[i]) * (colTo[j] - colFrom[j]);
                weight[i * ow + j] = 1.0 / count;
            }
        }
        return new WindowMean("avgPool2d", x.shape, oh, ow, rowFrom, rowTo, colFrom, colTo, weight).forward(x);
    }

    /**
     * Adaptive average pooling, torch.nn.functional.adaptive_avg_pool2d: output cell (i, j)
     * averages rows [floor(i H / OH), ceil((i + 1) H / OH)) and the columns likewise; an output
     * of 1x1 is global average pooling.
     */
    public static Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        requireRank("adaptiveAvgPool2d", x, 4, "input", "[N, C, H, W]");
        if (outH < 1 || outW < 1) {
            throw new IllegalArgumentException("adaptiveAvgPool2d: output size must be positive, got " + outH + "x" + outW);
        }
        int h = x.shape[2];
        int w = x.shape[3];
        if (h < 1 || w < 1) {
            throw new IllegalArgumentException("adaptiveAvgPool2d: input " + x.describe() + " has an empty plane");
        }
        int[] rowFrom = new int[outH];
        int[] rowTo = new int[outH];
        for (int i = 0; i < outH; i++) {
            rowFrom[i] = (int) ((long) i * h / outH);
            rowTo[i] = (int) (((long) (i + 1) * h + outH - 1) / outH);
        }
        int[] colFrom = new int[outW];
        int[] colTo = new int[outW];
        for (int j = 0; j < outW; j++) {
            colFrom[j] = (int) ((long) j * w / outW);
            colTo[j] = (int) (((long) (j + 1) * w + outW - 1) / outW);
        }
        double[] weight = new double[outH * outW];
        for (int i = 0; i < outH; i++) {
            for (int j = 0; j < outW; j++) {
                weight[i * outW + j] = 1.0 / ((rowTo[i] - rowFrom[i]) * (colTo[j] - colFrom[j]));
            }
        }
        return new WindowMean("adaptiveAvgPool2d", x.shape, outH, outW, rowFrom, rowTo, colFrom, colTo, weight)
                .forward(x);
    }

    // ---------------------------------------------------------------- checks

    private static void requireRank(String op, Tensor t, int rank, String what, String layout) {
        if (t.shape.length != rank) {
            throw new IllegalArgumentException(op + ": " + what + " should be " + layout + ", got " + t.describe());
        }
    }

    private static void requireRoom(String op, Tensor x, Window2d window, int oh, int ow) {
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException(op + ": the " + window.describe() + " window does not fit the "
                    + x.shape[2] + "x" + x.shape[3] + " input " + x.describe() + " (output would be " + oh + "x" + ow + ")");
        }
    }

    // ---------------------------------------------------------------- the linear maps

    /** Each image unfolded into its patch matrix, and the matrices folded back. */
    private static final class Unfold extends LinearMap {
        private final Convolution.Geometry geo;

        Unfold(Convolution.Geometry geo) {
            super("unfold", geo.inputShape(), new int[] {geo.n(), geo.groupRows(), geo.positions()});
            this.geo = geo;
        }

        @Override
        void apply(Tensor x, Tensor u) {
            int image = geo.channels() * geo.height() * geo.width();
            int matrix = geo.groupRows() * geo.positions();
            Parallel.forRange(geo.n(), 1, (from, to) -> {
                for (int s = from; s < to; s++) {
                    if (x.f != null) {
                        Convolution.unfold(x.f, null, s * image, u.f, null, s * matrix, geo);
                    } else {
                        Convolution.unfold(null, x.d, s * image, null, u.d, s * matrix, geo);
                    }
                }
            });
        }

        @Override
        void applyAdjoint(Tensor u, Tensor x) {
            int image = geo.channels() * geo.height() * geo.width();
            int matrix = geo.groupRows() * geo.positions();
            Parallel.forRange(geo.n(), 1, (from, to) -> {
                for (int s = from; s < to; s++) {
                    if (x.f != null) {
                        Convolution.fold(u.f, null, s * matrix, x.f, null, s * image, geo);
                    } else {
                        Convolution.fold(null, u.d, s * matrix, null, x.d, s * image, geo);
                    }
                }
            });
        }
    }

    /** [N, C, ...] summed to [C] in double, and [C] broadcast back. */
    private static final class ChannelSum extends LinearMap {
        ChannelSum(int[] shape) {
            super("channelSum", shape, new int[] {shape[1]});
        }

        @Override
        void apply(Tensor x, Tensor y) {
            int n = inShape[0];
            int channels = inShape[1];
            int plane = x.size / Math.max(1, n * channels);
            Parallel.forRange(channels, Math.max(1, GRAIN / Math.max(1, n * plane)), (from, to) -> {
                for (int c = from; c < to; c++) {
                    double s0 = 0;
                    double s1 = 0;
                    for (int s = 0; s < n; s++) {
                        int at = (s * channels + c) * plane;
                        int i = 0;
                        if (x.f != null && Pointwise.VECTOR) {
                            s0 += VectorLoops.sum(x.f, at, plane);
                        } else if (x.f != null) {
                            for (; i + 1 < plane; i += 2) {
                                s0 += x.f[at + i];
                                s1 += x.f[at + i + 1];
                            }
                            if (i < plane) {
                                s0 += x.f[at + i];
                            }
                        } else {
                            for (; i + 1 < plane; i += 2) {
                                s0 += x.d[at + i];
                                s1 += x.d[at + i + 1];
                            }
                            if (i < plane) {
                                s0 += x.d[at + i];
                            }
                        }
                    }
                    y.setFlat(c, s0 + s1);
                }
            });
        }

        @Override
        void applyAdjoint(Tensor y, Tensor x) {
            int n = inShape[0];
            int channels = inShape[1];
            int plane = x.size / Math.max(1, n * channels);
            Parallel.forRange(n * channels, Math.max(1, GRAIN / Math.max(1, plane)), (from, to) -> {
                for (int p = from; p < to; p++) {
                    if (x.f != null) {
                        Arrays.fill(x.f, p * plane, (p + 1) * plane, y.f[p % channels]);
                    } else {
                        Arrays.fill(x.d, p * plane, (p + 1) * plane, y.d[p % channels]);
                    }
                }
            });
        }
    }

    /**
     * Picks one input element per output element within the same (n, c) plane, by index within the
     * plane (-1 for none): max pooling for the indices of its maxima; the adjoint adds each output's
     * gradient to its element.
     */
    static final class Route extends LinearMap {
        private final int[] index;

        Route(int[] inShape, int[] outShape, int[] index) {
            super("maxPool2d", inShape, outShape);
            this.index = index;
        }

        @Override
        void apply(Tensor x, Tensor y) {
            int inPlane = inShape[2] * inShape[3];
            int outPlane = outShape[2] * outShape[3];
            int planes = inShape[0] * inShape[1];
            Parallel.forRange(planes, Math.max(1, GRAIN / Math.max(1, inPlane)), (from, to) -> {
                for (int p = from; p < to; p++) {
                    for (int o = p * outPlane, end = o + outPlane; o < end; o++) {
                        int e = index[o];
                        if (y.f != null) {
                            y.f[o] = e >= 0 ? x.f[p * inPlane + e] : Float.NEGATIVE_INFINITY;
                        } else {
                            y.d[o] = e >= 0 ? x.d[p * inPlane + e] : Double.NEGATIVE_INFINITY;
                        }
                    }
                }
            });
        }

        @Override
        void applyAdjoint(Tensor y, Tensor x) {
            int inPlane = inShape[2] * inShape[3];
            int outPlane = outShape[2] * outShape[3];
            int planes = inShape[0] * inShape[1];
            Parallel.forRange(planes, Math.max(1, GRAIN / Math.max(1, inPlane)), (from, to) -> {
                for (int o = from * outPlane; o < to * outPlane; o++) {
                    int e = index[o];
                    if (e >= 0) {
                        int at = (o / outPlane) * inPlane + e;
                        if (x.f != null) {
                            x.f[at] += y.f[o];
                        } else {
                            x.d[at] += y.d[o];
                        }
                    }
                }
            });
        }
    }

    /**
     * Weighted sums over rectangular windows of each plane, [rowFrom, rowTo) x [colFrom, colTo) with
     * weight w per output cell: average pooling of both kinds. The adjoint spreads w g over the window.
     */
    private static final class WindowMean extends LinearMap {
        private final int[] rowFrom;
        private final int[] rowTo;
        private final int[] colFrom;
        private final int[] colTo;
        private final double[] weight;

        WindowMean(String name, int[] inShape, int outH, int outW, int[] rowFrom, int[] rowTo, int[] colFrom,
                   int[] colTo, double[] weight) {
            super(name, inShape, new int[] {inShape[0], inShape[1], outH, outW});
            this.rowFrom = rowFrom;
            this.rowTo = rowTo;
            this.colFrom = colFrom;
            this.colTo = colTo;
            this.weight = weight;
        }

        @Override
        void apply(Tensor x, Tensor y) {
            run(x, y, false);
        }

        @Override
        void applyAdjoint(Tensor y, Tensor x) {
            run(x, y, true);
        }

        private void run(Tensor x, Tensor y, boolean adjoint) {
            int w = inShape[3];
            int inPlane = inShape[2] * w;
            int outH = outShape[2];
            int outW = outShape[3];
            int planes = inShape[0] * inShape[1];
            Parallel.forRange(planes, Math.max(1, GRAIN / Math.max(1, inPlane)), (from, to) -> {
                for (int p = from; p < to; p++) {
                    int in = p * inPlane;
                    int out = p * outH * outW;
                    for (int i = 0; i < outH; i++) {
                        for (int j = 0; j < outW; j++) {
                            int o = out + i * outW + j;
                            double scale = weight[i * outW + j];
                            if (adjoint) {
                                double g = scale * y.getFlat(o);
                                for (int r = rowFrom[i]; r < rowTo[i]; r++) {
                                    for (int c = colFrom[j]; c < colTo[j]; c++) {
                                        if (x.f != null) {
                                            x.f[in + r * w + c] += (float) g;
                                        } else {
                                            x.d[in + r * w + c] += g;
                                        }
                                    }
                                }
                            } else {
                                double s = 0;
                                for (int r = rowFrom[i]; r < rowTo[i]; r++) {
                                    for (int c = colFrom[j]; c < colTo[j]; c++) {
                                        s += x.f != null ? x.f[in + r * w + c] : x.d[in + r * w + c];
                                    }
                                }
                                y.setFlat(o, s * scale);
                            }
                        }
                    }
                }
            });
        }
    }
}
