package dev.kobai.tensor;

import dev.kobai.tensor.kernel.Parallel;
import java.util.Arrays;

/**
 * Operations over the spatial axes of images laid out as [N, C, H, W] (batch, channels, height,
 * width), as torch.nn.functional's: convolution and pooling.
 *
 * <p>A convolution is a matrix product over patches: {@link #patches} copies the input under each
 * window position into one row, and the rows times the flattened weight give every output at once
 * (one tall GEMM for the whole batch; its gradients are two more). Patches and their adjoint
 * (scattering rows back into an image) are a {@link LinearMap} pair, as are the channel moves and
 * average poolings here, so every operation of this class has gradients of any order without
 * derivative code of its own; max pooling routes its gradient through the indices of the maxima,
 * a linear map for fixed indices.
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
        int k = window.kernelH() * window.kernelW();
        Tensor rows = patches(x, window);
        Tensor y;
        if (groups == 1) {
            y = rows.matmul(weight.reshape(out, channels * k), false, true);
        } else {
            int outPerGroup = out / groups;
            Tensor[] parts = new Tensor[groups];
            for (int g = 0; g < groups; g++) {
                Tensor groupRows = rows.slice(2, g * groupChannels * k, (g + 1) * groupChannels * k);
                Tensor groupWeight = weight.slice(0, g * outPerGroup, (g + 1) * outPerGroup)
                        .reshape(outPerGroup, groupChannels * k);
                parts[g] = groupRows.matmul(groupWeight, false, true);
            }
            y = Tensor.concat(2, parts);
        }
        return channelsFirst(y, bias).reshape(n, out, oh, ow);
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
     * The input under each window position as one row: [N, C, H, W] to [N, OH * OW, C kh kw], row
     * {@code i OW + j} holding {@code x[n, c, i sh - pt + a dh, j sw - pl + b dw]} at column
     * {@code (c kh + a) kw + b}, and zero where the window reads padding. (torch.nn.functional.unfold
     * gives the transpose of each sample's matrix.) Its gradient scatters rows back, adding where
     * windows overlap.
     */
    public static Tensor patches(Tensor x, Window2d window) {
        requireRank("patches", x, 4, "input", "[N, C, H, W]");
        return new Patches(x.shape, window).forward(x);
    }

    /** [N, L, C] to [N, C, L] plus bias[c] (null for none): a product's rows of channels back to planes. */
    static Tensor channelsFirst(Tensor y, Tensor bias) {
        Transpose move = new Transpose("channelsFirst", y.shape);
        if (bias == null) {
            return move.forward(y);
        }
        Tensor out = y.newZeros(move.outShape);
        move.apply(y, out);
        addChannels(out, bias);
        ChannelSum sum = new ChannelSum(move.outShape);
        return Tensor.record(out, "channelsFirst", g -> new Tensor[] {
            y.requiresGrad ? move.adjoint(g) : null, bias.requiresGrad ? sum.forward(g) : null}, y, bias);
    }

    /** Sums [N, C, ...] over every axis but the channels: [C]. */
    public static Tensor channelSum(Tensor x) {
        if (x.shape.length < 2) {
            throw new IllegalArgumentException("channelSum needs [N, C, ...], got " + x.describe());
        }
        return new ChannelSum(x.shape).forward(x);
    }

    private static void addChannels(Tensor out, Tensor bias) {
        int n = out.shape[0];
        int channels = out.shape[1];
        int plane = out.size / Math.max(1, n * channels);
        Parallel.forRange(n * channels, Math.max(1, GRAIN / Math.max(1, plane)), (from, to) -> {
            for (int p = from; p < to; p++) {
                int c = p % channels;
                if (out.f != null) {
                    float b = bias.f[c];
                    for (int i = p * plane, end = i + plane; i < end; i++) {
                        out.f[i] += b;
                    }
                } else {
                    double b = bias.d[c];
                    for (int i = p * plane, end = i + plane; i < end; i++) {
                        out.d[i] += b;
                    }
                }
            }
        });
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
        int[] index = new int[Shape.numel(outShape)];
        int h = x.shape[2];
        int w = x.shape[3];
        int planes = x.shape[0] * x.shape[1];
        Parallel.forRange(planes, Math.max(1, GRAIN / Math.max(1, h * w)), (from, to) -> {
            for (int p = from; p < to; p++) {
                if (x.f != null) {
                    maxIndices(x.f, null, p * h * w, h, w, window, oh, ow, index, p * oh * ow);
                } else {
                    maxIndices(null, x.d, p * h * w, h, w, window, oh, ow, index, p * oh * ow);
                }
            }
        });
        return new Route(x.shape, outShape, index).forward(x);
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

    /** Patches of every window position as rows, and the scatter back (see {@link #patches}). */
    private static final class Patches extends LinearMap {
        private final int channels;
        private final int height;
        private final int width;
        private final int outH;
        private final int outW;
        private final Window2d win;

        Patches(int[] xShape, Window2d win) {
            super("patches", xShape, new int[] {xShape[0], win.outputHeight(xShape[2]) * win.outputWidth(xShape[3]),
                xShape[1] * win.kernelH() * win.kernelW()});
            this.channels = xShape[1];
            this.height = xShape[2];
            this.width = xShape[3];
            this.outH = win.outputHeight(height);
            this.outW = win.outputWidth(width);
            this.win = win;
            if (outH < 1 || outW < 1) {
                throw new IllegalArgumentException("patches: the " + win.describe() + " window does not fit a "
                        + height + "x" + width + " input");
            }
        }

        @Override
        void apply(Tensor x, Tensor rows) {
            int lines = inShape[0] * outH;
            int perLine = outW * outShape[2];
            Parallel.forRange(lines, Math.max(1, GRAIN / Math.max(1, perLine)), (from, to) -> {
                if (x.f != null) {
                    gather(x.f, null, rows.f, null, from, to);
                } else {
                    gather(null, x.d, null, rows.d, from, to);
                }
            });
        }

        @Override
        void applyAdjoint(Tensor rows, Tensor x) {
            int planes = inShape[0] * channels;
            Parallel.forRange(planes, Math.max(1, GRAIN / Math.max(1, outH * outW * win.kernelH() * win.kernelW())),
                    (from, to) -> {
                        if (x.f != null) {
                            scatter(rows.f, null, x.f, null, from, to);
                        } else {
                            scatter(null, rows.d, null, x.d, from, to);
                        }
                    });
        }

        /** Rows of output lines [from, to), a line being one window row (n, i) of OW positions. */
        private void gather(float[] xf, double[] xd, float[] rf, double[] rd, int from, int to) {
            int kh = win.kernelH();
            int kw = win.kernelW();
            int k = channels * kh * kw;
            int plane = height * width;
            for (int line = from; line < to; line++) {
                int n = line / outH;
                int top = (line % outH) * win.strideH() - win.padTop();
                int image = n * channels * plane;
                for (int j = 0; j < outW; j++) {
                    int dst = (line * outW + j) * k;
                    int left = j * win.strideW() - win.padLeft();
                    boolean inside = left >= 0 && left + (kw - 1) * win.dilationW() < width;
                    for (int c = 0; c < channels; c++) {
                        int planeAt = image + c * plane;
                        for (int a = 0; a < kh; a++, dst += kw) {
                            int r = top + a * win.dilationH();
                            if (r < 0 || r >= height) {
                                continue; // padding: the rows start zeroed
                            }
                            int src = planeAt + r * width + left;
                            if (inside) {
                                if (rf != null) {
                                    for (int b = 0; b < kw; b++) {
                                        rf[dst + b] = xf[src + b * win.dilationW()];
                                    }
                                } else {
                                    for (int b = 0; b < kw; b++) {
                                        rd[dst + b] = xd[src + b * win.dilationW()];
                                    }
                                }
                            } else {
                                for (int b = 0; b < kw; b++) {
                                    int col = left + b * win.dilationW();
                                    if (col >= 0 && col < width) {
                                        if (rf != null) {
                                            rf[dst + b] = xf[src + b * win.dilationW()];
                                        } else {
                                            rd[dst + b] = xd[src + b * win.dilationW()];
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        /** Adds the rows back into planes [from, to), a plane being one (n, c): each plane is written by one task. */
        private void scatter(float[] rf, double[] rd, float[] xf, double[] xd, int from, int to) {
            int kh = win.kernelH();
            int kw = win.kernelW();
            int k = channels * kh * kw;
            int plane = height * width;
            for (int p = from; p < to; p++) {
                int n = p / channels;
                int c = p % channels;
                int planeAt = p * plane;
                for (int i = 0; i < outH; i++) {
                    int top = i * win.strideH() - win.padTop();
                    for (int j = 0; j < outW; j++) {
                        int left = j * win.strideW() - win.padLeft();
                        int src = ((n * outH + i) * outW + j) * k + c * kh * kw;
                        for (int a = 0; a < kh; a++, src += kw) {
                            int r = top + a * win.dilationH();
                            if (r < 0 || r >= height) {
                                continue;
                            }
                            int row = planeAt + r * width;
                            for (int b = 0; b < kw; b++) {
                                int col = left + b * win.dilationW();
                                if (col >= 0 && col < width) {
                                    if (xf != null) {
                                        xf[row + col] += rf[src + b];
                                    } else {
                                        xd[row + col] += rd[src + b];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** [N, A, B] to [N, B, A] in tiles, and back. */
    private static final class Transpose extends LinearMap {
        private static final int TILE = 32;

        Transpose(String name, int[] shape) {
            super(name, shape, new int[] {shape[0], shape[2], shape[1]});
            if (shape.length != 3) {
                throw new IllegalArgumentException(name + " needs [N, A, B], got " + Arrays.toString(shape));
            }
        }

        @Override
        void apply(Tensor x, Tensor y) {
            move(x, y, inShape[1], inShape[2]);
        }

        @Override
        void applyAdjoint(Tensor y, Tensor x) {
            move(y, x, outShape[1], outShape[2]);
        }

        /** dst[n, b, a] = src[n, a, b] for src [N, rows, cols]. */
        private static void move(Tensor src, Tensor dst, int rows, int cols) {
            int n = src.shape[0];
            int tilesDown = (rows + TILE - 1) / TILE;
            int per = rows * cols;
            Parallel.forRange(n * tilesDown, Math.max(1, GRAIN / Math.max(1, TILE * cols)), (from, to) -> {
                for (int t = from; t < to; t++) {
                    int s = t / tilesDown;
                    int r0 = (t % tilesDown) * TILE;
                    int r1 = Math.min(rows, r0 + TILE);
                    int base = s * per;
                    for (int c0 = 0; c0 < cols; c0 += TILE) {
                        int c1 = Math.min(cols, c0 + TILE);
                        for (int c = c0; c < c1; c++) {
                            int d = base + c * rows;
                            if (src.f != null) {
                                for (int r = r0; r < r1; r++) {
                                    dst.f[d + r] = src.f[base + r * cols + c];
                                }
                            } else {
                                for (int r = r0; r < r1; r++) {
                                    dst.d[d + r] = src.d[base + r * cols + c];
                                }
                            }
                        }
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
                        if (x.f != null) {
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
    private static final class Route extends LinearMap {
        private final int[] index;

        Route(int[] inShape, int[] outShape, int[] index) {
            super("maxPool2d", inShape, outShape);
            this.index = index;
        }

        @Override
        void apply(Tensor x, Tensor y) {
            int inPlane = inShape[2] * inShape[3];
            int outPlane = outShape[2] * outShape[3];
            for (int o = 0; o < y.size; o++) {
                int e = index[o];
                if (e >= 0) {
                    int at = (o / outPlane) * inPlane + e;
                    if (y.f != null) {
                        y.f[o] = x.f[at];
                    } else {
                        y.d[o] = x.d[at];
                    }
                } else {
                    y.setFlat(o, Double.NEGATIVE_INFINITY);
                }
            }
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
