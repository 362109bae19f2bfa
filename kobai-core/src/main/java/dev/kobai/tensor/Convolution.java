package dev.kobai.tensor;

import dev.kobai.tensor.kernel.Gemm;
import dev.kobai.tensor.kernel.Kernels;
import dev.kobai.tensor.kernel.Parallel;
import java.util.Arrays;

/**
 * 2-D convolution as three recorded operations, each bilinear in its two inputs and each the
 * others' derivative, so that gradients of any order come from the same three kernels:
 * <pre>
 *   conv(x, W)[n]        = W U(x[n])                       (the forward pass, [N, O, OH, OW])
 *   inputGrad(g, W)[n]   = U^T(W^T g[n])                   (the gradient of the input, [N, C, H, W])
 *   weightGrad(x, g)     = sum_n g[n] U(x[n])^T            (the gradient of the weight, [O, C/G, kh, kw])
 * </pre>
 * where U unfolds one image into its patches, a [C kh kw, OH OW] matrix with one column per window
 * position (torch.nn.functional.unfold), U^T adds such columns back into an image, and W is seen as
 * [O, C kh kw]. With upstream gradients Z: the derivatives of inputGrad are conv(Z, W) for g and
 * weightGrad(Z, g) for W; those of weightGrad are inputGrad(g, Z) for x and conv(x, Z) for g. With
 * G groups each product is taken per group, on the group's block of rows of U and of W.
 *
 * <p>Every kernel works one sample at a time, samples split across cores: unfold into a scratch
 * matrix of its thread (a few hundred kilobytes, kept between calls), then one GEMM per group;
 * weight gradients are summed per thread, then across threads in order. Float32 convolutions at
 * stride 1 with one group skip the unfolding: {@link SingleChannelConv} computes the forward pass
 * (with the bias) and weight gradient of one-channel images from the image itself, and
 * {@link ChannelVectorConv} all three passes of the others whose channels fill whole pairs of
 * vectors, from a bordered copy of each image.
 */
final class Convolution {
    private static final Gemm GEMM = Kernels.gemm();
    /** Scratch slots per thread: three for a task's kernels, one for the calling thread's transposed weight. */
    private static final int SLOTS = 4;
    private static final int WEIGHT_SLOT = 3;
    /** Per-thread unfolded patches and bordered copies; grown as needed and kept, so a training step allocates none. */
    private static final ThreadLocal<float[][]> SCRATCH32 = ThreadLocal.withInitial(() -> new float[SLOTS][0]);
    private static final ThreadLocal<double[][]> SCRATCH64 = ThreadLocal.withInitial(() -> new double[1][0]);

    private Convolution() {}

    /** The sizes of one convolution, fixed by its input, weight and window. */
    record Geometry(int n, int channels, int height, int width, int out, int outH, int outW, int groups, Window2d win) {
        /** Rows of U for one group: C/G kh kw. */
        int groupRows() {
            return channels / groups * win.kernelH() * win.kernelW();
        }

        int positions() {
            return outH * outW;
        }

        int outPerGroup() {
            return out / groups;
        }

        int[] inputShape() {
            return new int[] {n, channels, height, width};
        }

        int[] outputShape() {
            return new int[] {n, out, outH, outW};
        }

        int[] weightShape() {
            return new int[] {out, channels / groups, win.kernelH(), win.kernelW()};
        }
    }

    // ---------------------------------------------------------------- recorded operations

    static Tensor conv(Tensor x, Tensor w, Tensor bias, Geometry geo) {
        Tensor y = x.newEmpty(geo.outputShape());
        boolean single = singleChannel(x, geo);
        boolean channelVector = !single && channelVector(x, geo);
        boolean direct = single || channelVector; // these kernels add the bias themselves
        if (single) {
            forwardSingleChannel(x, w, bias, y, geo);
        } else if (channelVector) {
            forwardChannelVector(x, w, bias, y, geo);
        } else {
            forwardUnfolded(x, w, y, geo);
        }
        if (bias == null) {
            return Tensor.record(y, "conv2d", g -> new Tensor[] {
                Tensor.needsGrad(x) ? inputGrad(g, w, geo) : null, Tensor.needsGrad(w) ? weightGrad(x, g, geo) : null}, x, w);
        }
        if (!direct) {
            addBias(y, bias, geo);
        }
        return Tensor.record(y, "conv2d", g -> new Tensor[] {
            Tensor.needsGrad(x) ? inputGrad(g, w, geo) : null, Tensor.needsGrad(w) ? weightGrad(x, g, geo) : null,
            Tensor.needsGrad(bias) ? Spatial.channelSum(g) : null}, x, w, bias);
    }

    static Tensor inputGrad(Tensor g, Tensor w, Geometry geo) {
        Tensor dx = g.newZeros(geo.inputShape());
        backwardInput(g, w, dx, geo);
        return Tensor.record(dx, "conv2dInputGrad", z -> new Tensor[] {
            Tensor.needsGrad(g) ? conv(z, w, null, geo) : null,
            Tensor.needsGrad(w) ? weightGrad(z, g, geo) : null}, g, w);
    }

    static Tensor weightGrad(Tensor x, Tensor g, Geometry geo) {
        Tensor dw = x.newZeros(geo.weightShape());
        backwardWeight(x, g, dw, geo);
        return Tensor.record(dw, "conv2dWeightGrad", z -> new Tensor[] {
            Tensor.needsGrad(x) ? inputGrad(g, z, geo) : null,
            Tensor.needsGrad(g) ? conv(x, z, null, geo) : null}, x, g);
    }

    // ---------------------------------------------------------------- kernels

    /** Samples per task: enough that a task's GEMMs outweigh handing it to another core. */
    private static int grain(Geometry geo) {
        long work = (long) geo.out * geo.groupRows() * geo.positions();
        return (int) Math.max(1, Math.min(geo.n, (1L << 16) / Math.max(1, work)));
    }

    /** Whether {@link SingleChannelConv} takes this convolution of {@code x}: float32, on the Vector API. */
    static boolean singleChannel(Tensor x, Geometry geo) {
        return x.f != null && Pointwise.VECTOR && SingleChannelConv.applies(geo);
    }

    /**
     * Whether {@link ChannelVectorConv} takes the forward pass of this convolution of {@code x}:
     * float32, on the Vector API, more than one input channel.
     */
    static boolean channelVector(Tensor x, Geometry geo) {
        return channelVectorWeight(x, geo) && ChannelVectorConv.appliesForward(geo);
    }

    /** Whether {@link ChannelVectorConv} takes the weight gradient of this convolution of {@code x}. */
    static boolean channelVectorWeight(Tensor x, Geometry geo) {
        return x.f != null && Pointwise.VECTOR && geo.channels > 1 && ChannelVectorConv.appliesWeight(geo);
    }

    /** The forward pass and its bias through {@link ChannelVectorConv}, samples split across cores. */
    static void forwardChannelVector(Tensor x, Tensor w, Tensor bias, Tensor y, Geometry geo) {
        float[] wt = scratch32(WEIGHT_SLOT, geo.groupRows() * geo.out);
        ChannelVectorConv.forwardWeights(w.f, geo, wt);
        ChannelVectorConv.Bordered image = ChannelVectorConv.Bordered.input(geo);
        channelVectorPass(x.f, image, image.offsets(geo.win, false, geo.groupRows()), wt, geo.out, geo.outH, geo.outW,
                bias == null ? null : bias.f, y.f, geo);
    }

    /** The input gradient through {@link ChannelVectorConv}, samples split across cores. */
    private static void backwardInputChannelVector(Tensor gy, Tensor w, Tensor dx, Geometry geo) {
        float[] wt = scratch32(WEIGHT_SLOT, geo.groupRows() * geo.out);
        ChannelVectorConv.inputWeights(w.f, geo, wt);
        ChannelVectorConv.Bordered grad = ChannelVectorConv.Bordered.gradient(geo);
        channelVectorPass(gy.f, grad, grad.offsets(geo.win, true, geo.out * geo.win.kernelH() * geo.win.kernelW()), wt,
                geo.channels, geo.height, geo.width, null, dx.f, geo);
    }

    /**
     * For each sample: its block of {@code src} copied as {@code copy}, the products with Wt for
     * {@code channels} channels at rows x cols positions, transposed (plus the bias) into its block
     * of {@code dst}.
     */
    private static void channelVectorPass(float[] src, ChannelVectorConv.Bordered copy, int[] off, float[] wt,
                                          int channels, int rows, int cols, float[] bias, float[] dst, Geometry geo) {
        int srcStride = copy.planes() * copy.h() * copy.w();
        int dstStride = channels * rows * cols;
        int positions = copy.gridPositions(rows);
        Parallel.forRange(geo.n, grain(geo), (from, to) -> {
            float[] pad = scratch32(0, copy.readSize());
            float[] t = scratch32(1, positions * channels);
            for (int s = from; s < to; s++) {
                copy.fill(src, s * srcStride, pad);
                ChannelVectorConv.products(pad, positions, off, off.length, wt, channels, t);
                ChannelVectorConv.transposeInto(t, rows, cols, copy.pw(), channels, bias, dst, s * dstStride);
            }
        });
    }

    /** The forward pass and its bias through {@link SingleChannelConv}, samples split across cores. */
    static void forwardSingleChannel(Tensor x, Tensor w, Tensor bias, Tensor y, Geometry geo) {
        int inStride = geo.height * geo.width;
        int outStride = geo.out * geo.positions();
        float[] b = bias == null ? null : bias.f;
        Parallel.forRange(geo.n, grain(geo), (from, to) -> {
            float[] pad = scratch32(SingleChannelConv.scratchSize(geo));
            for (int s = from; s < to; s++) {
                SingleChannelConv.forward(x.f, s * inStride, w.f, b, y.f, s * outStride, geo, pad);
            }
        });
    }

    /** The forward pass without the bias, by unfolding each sample and one matrix product per group. */
    static void forwardUnfolded(Tensor x, Tensor w, Tensor y, Geometry geo) {
        int rows = geo.groupRows();
        int l = geo.positions();
        int og = geo.outPerGroup();
        int inStride = geo.channels * geo.height * geo.width;
        int outStride = geo.out * l;
        Parallel.forRange(geo.n, grain(geo), (from, to) -> {
            if (x.f != null) {
                float[] u = scratch32(rows * geo.groups * l);
                for (int s = from; s < to; s++) {
                    unfold(x.f, null, s * inStride, u, null, 0, geo);
                    for (int g = 0; g < geo.groups; g++) {
                        GEMM.sgemm(false, false, og, l, rows, w.f, g * og * rows, rows, u, g * rows * l, l,
                                y.f, s * outStride + g * og * l, l, false);
                    }
                }
            } else {
                double[] u = scratch64(rows * geo.groups * l);
                for (int s = from; s < to; s++) {
                    unfold(null, x.d, s * inStride, null, u, 0, geo);
                    for (int g = 0; g < geo.groups; g++) {
                        GEMM.dgemm(false, false, og, l, rows, w.d, g * og * rows, rows, u, g * rows * l, l,
                                y.d, s * outStride + g * og * l, l, false);
                    }
                }
            }
        });
    }

    /** Whether {@link ChannelVectorConv} takes the input gradient of this convolution for the gradient {@code g}. */
    static boolean channelVectorInput(Tensor g, Geometry geo) {
        return g.f != null && Pointwise.VECTOR && ChannelVectorConv.appliesInput(geo);
    }

    private static void backwardInput(Tensor gy, Tensor w, Tensor dx, Geometry geo) {
        backwardInput(gy, w, dx, geo, channelVectorInput(gy, geo));
    }

    /**
     * Adds the input gradient into {@code dx} (zeros on entry), through {@link ChannelVectorConv} when
     * {@code channelVector} (which {@link #channelVectorInput} must allow), else by folding.
     */
    static void backwardInput(Tensor gy, Tensor w, Tensor dx, Geometry geo, boolean channelVector) {
        if (channelVector) {
            backwardInputChannelVector(gy, w, dx, geo);
            return;
        }
        int rows = geo.groupRows();
        int l = geo.positions();
        int og = geo.outPerGroup();
        int inStride = geo.channels * geo.height * geo.width;
        int outStride = geo.out * l;
        Parallel.forRange(geo.n, grain(geo), (from, to) -> {
            if (gy.f != null) {
                float[] u = scratch32(rows * geo.groups * l);
                for (int s = from; s < to; s++) {
                    for (int g = 0; g < geo.groups; g++) {
                        GEMM.sgemm(true, false, rows, l, og, w.f, g * og * rows, rows, gy.f, s * outStride + g * og * l, l,
                                u, g * rows * l, l, false);
                    }
                    fold(u, null, 0, dx.f, null, s * inStride, geo);
                }
            } else {
                double[] u = scratch64(rows * geo.groups * l);
                for (int s = from; s < to; s++) {
                    for (int g = 0; g < geo.groups; g++) {
                        GEMM.dgemm(true, false, rows, l, og, w.d, g * og * rows, rows, gy.d, s * outStride + g * og * l, l,
                                u, g * rows * l, l, false);
                    }
                    fold(null, u, 0, null, dx.d, s * inStride, geo);
                }
            }
        });
    }

    /**
     * The weight gradient summed over the batch, computed transposed: dW^T [C kh kw, O] += U(x[n]) g[n]^T
     * per sample, so that of the two operands contracted over positions it is the small one, g[n]
     * ([O, OH OW] against U's [C kh kw, OH OW]), that the GEMM reads transposed and packs with
     * strided reads; each thread sums its samples into its own dW^T, and the sums are transposed
     * into dW and added in thread order (so the result depends on the number of threads only).
     */
    static void backwardWeight(Tensor x, Tensor gy, Tensor dw, Geometry geo) {
        backwardWeight(x, gy, dw, geo, singleChannel(x, geo), channelVectorWeight(x, geo));
    }

    /**
     * As above, through {@link SingleChannelConv} when {@code direct} (which {@link #singleChannel}
     * must allow), or else through {@link ChannelVectorConv} when {@code channelVector} (which
     * {@link #channelVectorWeight} must allow).
     */
    static void backwardWeight(Tensor x, Tensor gy, Tensor dw, Geometry geo, boolean direct, boolean channelVector) {
        int rows = geo.groupRows();
        ChannelVectorConv.Bordered image = channelVector ? ChannelVectorConv.Bordered.input(geo) : null;
        int[] bases = channelVector ? image.bases(geo.outH, geo.outW) : null;
        int[] off = channelVector ? image.weightRows(geo.win) : null;
        int l = geo.positions();
        int og = geo.outPerGroup();
        int inStride = geo.channels * geo.height * geo.width;
        int outStride = geo.out * l;
        int size = channelVector ? off.length * og : dw.size;
        int grain = grain(geo);
        int tasks = Math.max(1, Math.min(Parallel.threads(), geo.n / grain));
        Object[] partials = new Object[tasks];
        Parallel.forRange(tasks, 1, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int from = (int) ((long) geo.n * t / tasks);
                int to = (int) ((long) geo.n * (t + 1) / tasks);
                if (channelVector) {
                    float[] pad = scratch32(0, image.size());
                    float[] gt = scratch32(1, l * og);
                    float[] acc = new float[size]; // [rows rounded to whole tiles, O], as below
                    for (int s = from; s < to; s++) {
                        image.fill(x.f, s * inStride, pad);
                        ChannelVectorConv.transposeFrom(gy.f, s * outStride, og, l, gt);
                        ChannelVectorConv.weightSums(pad, bases, l, off, gt, og, acc, s > from);
                    }
                    partials[t] = acc;
                } else if (direct) {
                    float[] pad = scratch32(SingleChannelConv.scratchSize(geo));
                    float[] acc = new float[size]; // [kh kw, O], as below
                    for (int s = from; s < to; s++) {
                        SingleChannelConv.weightGrad(x.f, s * inStride, gy.f, s * outStride, acc, s > from, geo, pad);
                    }
                    partials[t] = acc;
                } else if (x.f != null) {
                    float[] u = scratch32(rows * geo.groups * l);
                    float[] acc = new float[size]; // per group g: [rows, og] at g * rows * og
                    for (int s = from; s < to; s++) {
                        unfold(x.f, null, s * inStride, u, null, 0, geo);
                        for (int g = 0; g < geo.groups; g++) {
                            GEMM.sgemm(false, true, rows, og, l, u, g * rows * l, l, gy.f, s * outStride + g * og * l, l,
                                    acc, g * rows * og, og, s > from);
                        }
                    }
                    partials[t] = acc;
                } else {
                    double[] u = scratch64(rows * geo.groups * l);
                    double[] acc = new double[size];
                    for (int s = from; s < to; s++) {
                        unfold(null, x.d, s * inStride, null, u, 0, geo);
                        for (int g = 0; g < geo.groups; g++) {
                            GEMM.dgemm(false, true, rows, og, l, u, g * rows * l, l, gy.d, s * outStride + g * og * l, l,
                                    acc, g * rows * og, og, s > from);
                        }
                    }
                    partials[t] = acc;
                }
            }
        });
        // dW[g og + o][r] = sum over tasks of acc[g rows og + r og + o]
        for (int t = 0; t < tasks; t++) {
            for (int g = 0; g < geo.groups; g++) {
                int base = g * rows * og;
                for (int o = 0; o < og; o++) {
                    int dst = (g * og + o) * rows;
                    if (dw.f != null) {
                        float[] p = (float[]) partials[t];
                        for (int r = 0; r < rows; r++) {
                            dw.f[dst + r] += p[base + r * og + o];
                        }
                    } else {
                        double[] p = (double[]) partials[t];
                        for (int r = 0; r < rows; r++) {
                            dw.d[dst + r] += p[base + r * og + o];
                        }
                    }
                }
            }
        }
    }

    private static void addBias(Tensor y, Tensor bias, Geometry geo) {
        int l = geo.positions();
        Parallel.forRange(geo.n * geo.out, Math.max(1, Pointwise.GRAIN / Math.max(1, l)), (from, to) -> {
            for (int p = from; p < to; p++) {
                int c = p % geo.out;
                if (y.f != null) {
                    float b = bias.f[c];
                    for (int i = p * l, end = i + l; i < end; i++) {
                        y.f[i] += b;
                    }
                } else {
                    double b = bias.d[c];
                    for (int i = p * l, end = i + l; i < end; i++) {
                        y.d[i] += b;
                    }
                }
            }
        });
    }

    private static float[] scratch32(int size) {
        return scratch32(0, size);
    }

    /** This thread's scratch array in {@code slot}, of at least {@code size} floats. */
    private static float[] scratch32(int slot, int size) {
        float[][] holder = SCRATCH32.get();
        if (holder[slot].length < size) {
            holder[slot] = new float[size];
        }
        return holder[slot];
    }

    private static double[] scratch64(int size) {
        double[][] holder = SCRATCH64.get();
        if (holder[0].length < size) {
            holder[0] = new double[size];
        }
        return holder[0];
    }

    // ---------------------------------------------------------------- unfold and fold of one image

    /**
     * U(x): the image at {@code at} as its patch matrix, row (c kh + a) kw + b holding, for each
     * window position (i, j), x[c, i sh - pt + a dh, j sw - pl + b dw] or zero in the padding. At
     * stride 1 each row of a patch row is one shifted run of an image row: a copy between two
     * strips of zeros. The matrix is written at {@code uAt}.
     */
    static void unfold(float[] xf, double[] xd, int at, float[] uf, double[] ud, int uAt, Geometry geo) {
        Window2d win = geo.win;
        int h = geo.height;
        int w = geo.width;
        int oh = geo.outH;
        int ow = geo.outW;
        int row = 0;
        for (int c = 0; c < geo.channels; c++) {
            int plane = at + c * h * w;
            for (int a = 0; a < win.kernelH(); a++) {
                for (int b = 0; b < win.kernelW(); b++, row++) {
                    int dst = uAt + row * oh * ow;
                    int shift = b * win.dilationW() - win.padLeft();
                    // columns j whose input column j sw + shift lies in [0, w)
                    int lo = Math.min(ow, Math.max(0, ceilDiv(-shift, win.strideW())));
                    int hi = Math.max(lo, Math.min(ow, ceilDiv(w - shift, win.strideW())));
                    for (int i = 0; i < oh; i++, dst += ow) {
                        int r = i * win.strideH() - win.padTop() + a * win.dilationH();
                        if (r < 0 || r >= h) {
                            if (uf != null) {
                                Arrays.fill(uf, dst, dst + ow, 0f);
                            } else {
                                Arrays.fill(ud, dst, dst + ow, 0d);
                            }
                            continue;
                        }
                        int src = plane + r * w + shift;
                        if (uf != null) {
                            // The padding at either end of a row is a few elements (one for a 3x3
                            // window): plain stores, where Arrays.fill's call cost more than the
                            // zeros (6% of a cnn training step's samples).
                            for (int j = 0; j < lo; j++) {
                                uf[dst + j] = 0f;
                            }
                            if (win.strideW() == 1) {
                                System.arraycopy(xf, src + lo, uf, dst + lo, hi - lo);
                            } else {
                                for (int j = lo; j < hi; j++) {
                                    uf[dst + j] = xf[src + j * win.strideW()];
                                }
                            }
                            for (int j = hi; j < ow; j++) {
                                uf[dst + j] = 0f;
                            }
                        } else {
                            Arrays.fill(ud, dst, dst + lo, 0d);
                            if (win.strideW() == 1) {
                                System.arraycopy(xd, src + lo, ud, dst + lo, hi - lo);
                            } else {
                                for (int j = lo; j < hi; j++) {
                                    ud[dst + j] = xd[src + j * win.strideW()];
                                }
                            }
                            Arrays.fill(ud, dst + hi, dst + ow, 0d);
                        }
                    }
                }
            }
        }
    }

    /**
     * U(x)^T for the image at {@code at}: one row of C kh kw elements (unfold's row order) per
     * window position, rows {@code ld} apart from {@code dst} on (elements past C kh kw in a row are
     * left as they are), so consecutive images give consecutive blocks of OH OW rows. Reads each
     * window where it lies, zero in the padding.
     */
    static void patchRows(float[] xf, double[] xd, int at, float[] uf, double[] ud, int dst, int ld, Geometry geo) {
        Window2d win = geo.win;
        int h = geo.height;
        int w = geo.width;
        int plane = h * w;
        int kh = win.kernelH();
        int kw = win.kernelW();
        int dw = win.dilationW();
        int skip = ld - geo.channels * kh * kw;
        int k = dst;
        for (int i = 0; i < geo.outH; i++) {
            int top = i * win.strideH() - win.padTop();
            for (int j = 0; j < geo.outW; j++, k += skip) {
                int left = j * win.strideW() - win.padLeft();
                // a window row that lies inside the image is read without checks (most of them): the
                // patch rows of [128, 32, 14, 14] under a 3x3 window took 0.75 of that convolution's
                // forward pass instead of 0.92 with a check per element (medians, alternated, loaded machine)
                boolean across = left >= 0 && left + (kw - 1) * dw < w;
                for (int c = 0; c < geo.channels; c++) {
                    int base = at + c * plane;
                    for (int a = 0; a < kh; a++, k += kw) {
                        int r = top + a * win.dilationH();
                        int row = base + r * w + left;
                        if (r < 0 || r >= h) {
                            if (uf != null) {
                                Arrays.fill(uf, k, k + kw, 0f);
                            } else {
                                Arrays.fill(ud, k, k + kw, 0d);
                            }
                        } else if (across) {
                            if (uf != null) {
                                for (int b = 0; b < kw; b++) {
                                    uf[k + b] = xf[row + b * dw];
                                }
                            } else {
                                for (int b = 0; b < kw; b++) {
                                    ud[k + b] = xd[row + b * dw];
                                }
                            }
                        } else {
                            for (int b = 0; b < kw; b++) {
                                int col = left + b * dw;
                                boolean in = col >= 0 && col < w;
                                if (uf != null) {
                                    uf[k + b] = in ? xf[row + b * dw] : 0f;
                                } else {
                                    ud[k + b] = in ? xd[row + b * dw] : 0d;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** U^T(u): adds the patch matrix at {@code uAt} back into the image at {@code at} (which it does not clear). */
    static void fold(float[] uf, double[] ud, int uAt, float[] xf, double[] xd, int at, Geometry geo) {
        Window2d win = geo.win;
        int h = geo.height;
        int w = geo.width;
        int oh = geo.outH;
        int ow = geo.outW;
        int row = 0;
        for (int c = 0; c < geo.channels; c++) {
            int plane = at + c * h * w;
            for (int a = 0; a < win.kernelH(); a++) {
                for (int b = 0; b < win.kernelW(); b++, row++) {
                    int src = uAt + row * oh * ow;
                    int shift = b * win.dilationW() - win.padLeft();
                    int lo = Math.min(ow, Math.max(0, ceilDiv(-shift, win.strideW())));
                    int hi = Math.max(lo, Math.min(ow, ceilDiv(w - shift, win.strideW())));
                    for (int i = 0; i < oh; i++, src += ow) {
                        int r = i * win.strideH() - win.padTop() + a * win.dilationH();
                        if (r < 0 || r >= h) {
                            continue;
                        }
                        int dst = plane + r * w + shift;
                        int step = win.strideW();
                        if (uf != null && step == 1) {
                            // unit stride apart, so that the JIT vectorises the sum
                            for (int j = lo; j < hi; j++) {
                                xf[dst + j] += uf[src + j];
                            }
                        } else if (uf != null) {
                            for (int j = lo; j < hi; j++) {
                                xf[dst + j * step] += uf[src + j];
                            }
                        } else {
                            for (int j = lo; j < hi; j++) {
                                xd[dst + j * step] += ud[src + j];
                            }
                        }
                    }
                }
            }
        }
    }

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }
}
