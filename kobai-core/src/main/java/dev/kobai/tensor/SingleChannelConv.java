package dev.kobai.tensor;

import dev.kobai.tensor.kernel.Lanes;
import dev.kobai.tensor.kernel.VectorWidth;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 convolutions of one-channel images at stride 1 (a network's first layer on grey images,
 * such as the cnn preset's 1 to 32 channels 3x3 on 28x28), computed from the image itself rather
 * than from its patch matrix. With one input channel the patch matrix has only kh kw rows, so the
 * general path spends its time unfolding and in a matrix product of depth 9, whose register tiles
 * are mostly loads and stores of C: on [128, 1, 28, 28] it ran at a quarter of the speed of the
 * product it wraps.
 *
 * <p>Each image is first copied into a zero-bordered scratch of (H + pt + pb) rows of
 * W + pl + pr floats. Output element (i, j) then reads the scratch at (i + a dh) and (j + b dw) for
 * tap (a, b), so a vector of outputs along a row is, per tap, one unit-stride load of the scratch:
 * <pre>
 *   forward:      y[o, i, j..j+V)  = bias[o] + sum_t w[o, t] pad[i + a_t dh, j + b_t dw .. + V)
 *   weight grad:  dW[o, t]        += sum_{i, j} g[o, i, j] pad[i + a_t dh, j + b_t dw]
 * </pre>
 * A row of OW outputs is covered by vectors at 0, V, 2V, ... and a last one ending at OW, which
 * overlaps the one before it when V does not divide OW: the forward pass recomputes those outputs
 * (to the same bits), the weight gradient counts only the new lanes of that vector. This is why
 * these kernels need OW &gt;= V ({@link #applies}).
 *
 * <p>The forward pass multiplies and adds in the order the general path's matrix product does (one
 * fused multiply-add per tap, taps in row-major order, from zero, then the bias), so the two give
 * the same bits; the weight gradient sums in another order and agrees to rounding
 * (SingleChannelConvTest).
 */
final class SingleChannelConv {
    private static final VectorSpecies<Float> FS = VectorWidth.FLOAT;
    private static final int V = FS.length();
    /**
     * FRESH[r]: the last r lanes of a vector, those a row's last vector adds when the row's width
     * leaves r over. Made once: {@code indexInRange} with a negative start is not intrinsified,
     * and made per image it took 4% of a cnn epoch.
     */
    @SuppressWarnings("unchecked")
    private static final VectorMask<Float>[] FRESH = new VectorMask[V];

    static {
        for (int r = 0; r < V; r++) {
            FRESH[r] = FS.indexInRange(r - V, V);
        }
    }

    private SingleChannelConv() {}

    /** Whether these kernels take the convolution: one input channel, one group, stride 1, rows of at least a vector. */
    static boolean applies(Convolution.Geometry geo) {
        Window2d win = geo.win();
        return geo.channels() == 1 && geo.groups() == 1 && win.strideH() == 1 && win.strideW() == 1
                && geo.outW() >= V;
    }

    /** Floats of the zero-bordered copy of one image. */
    static int scratchSize(Convolution.Geometry geo) {
        return ChannelVectorConv.Bordered.input(geo).size();
    }

    /**
     * y[o] (the [O, OH, OW] block at {@code yAt}) = w[o] (*) image at {@code xAt}, plus bias[o]
     * when {@code bias} is not null; {@code pad} holds at least {@link #scratchSize} floats.
     * Four output channels at a time, two vectors of a row each: eight independent sums, and each
     * load of the image serves four of them.
     */
    static void forward(float[] x, int xAt, float[] w, float[] bias, float[] y, int yAt, Convolution.Geometry geo,
                        float[] pad) {
        ChannelVectorConv.Bordered copy = ChannelVectorConv.Bordered.input(geo);
        copy.fill(x, xAt, pad);
        Window2d win = geo.win();
        int kh = win.kernelH();
        int kw = win.kernelW();
        int taps = kh * kw;
        int pw = copy.pw();
        int rowStep = win.dilationH() * pw;
        int dw = win.dilationW();
        int oh = geo.outH();
        int ow = geo.outW();
        int plane = oh * ow;
        int out = geo.out();
        int o = 0;
        for (; o + 4 <= out; o += 4) {
            int w0 = o * taps;
            float b0 = bias == null ? 0f : bias[o];
            float b1 = bias == null ? 0f : bias[o + 1];
            float b2 = bias == null ? 0f : bias[o + 2];
            float b3 = bias == null ? 0f : bias[o + 3];
            for (int i = 0; i < oh; i++) {
                int dst = yAt + o * plane + i * ow;
                for (int s = 0; s < ow; s += 2 * V) {
                    int s0 = Math.min(s, ow - V);
                    int s1 = Math.min(s + V, ow - V);
                    FloatVector c00 = FloatVector.zero(FS), c01 = FloatVector.zero(FS);
                    FloatVector c10 = FloatVector.zero(FS), c11 = FloatVector.zero(FS);
                    FloatVector c20 = FloatVector.zero(FS), c21 = FloatVector.zero(FS);
                    FloatVector c30 = FloatVector.zero(FS), c31 = FloatVector.zero(FS);
                    for (int a = 0, t = w0, row = i * pw; a < kh; a++, row += rowStep) {
                        for (int b = 0, src = row; b < kw; b++, t++, src += dw) {
                            FloatVector x0 = FloatVector.fromArray(FS, pad, src + s0);
                            FloatVector x1 = FloatVector.fromArray(FS, pad, src + s1);
                            FloatVector v = FloatVector.broadcast(FS, w[t]);
                            c00 = v.fma(x0, c00);
                            c01 = v.fma(x1, c01);
                            v = FloatVector.broadcast(FS, w[t + taps]);
                            c10 = v.fma(x0, c10);
                            c11 = v.fma(x1, c11);
                            v = FloatVector.broadcast(FS, w[t + 2 * taps]);
                            c20 = v.fma(x0, c20);
                            c21 = v.fma(x1, c21);
                            v = FloatVector.broadcast(FS, w[t + 3 * taps]);
                            c30 = v.fma(x0, c30);
                            c31 = v.fma(x1, c31);
                        }
                    }
                    if (bias != null) {
                        c00 = c00.add(b0);
                        c01 = c01.add(b0);
                        c10 = c10.add(b1);
                        c11 = c11.add(b1);
                        c20 = c20.add(b2);
                        c21 = c21.add(b2);
                        c30 = c30.add(b3);
                        c31 = c31.add(b3);
                    }
                    c00.intoArray(y, dst + s0);
                    c01.intoArray(y, dst + s1);
                    c10.intoArray(y, dst + plane + s0);
                    c11.intoArray(y, dst + plane + s1);
                    c20.intoArray(y, dst + 2 * plane + s0);
                    c21.intoArray(y, dst + 2 * plane + s1);
                    c30.intoArray(y, dst + 3 * plane + s0);
                    c31.intoArray(y, dst + 3 * plane + s1);
                }
            }
        }
        for (; o < out; o++) {
            int w0 = o * taps;
            for (int i = 0; i < oh; i++) {
                int dst = yAt + o * plane + i * ow;
                for (int s = 0; s < ow; s += V) {
                    int s0 = Math.min(s, ow - V);
                    FloatVector c = FloatVector.zero(FS);
                    for (int a = 0, t = w0, row = i * pw; a < kh; a++, row += rowStep) {
                        for (int b = 0, src = row; b < kw; b++, t++, src += dw) {
                            c = FloatVector.broadcast(FS, w[t]).fma(FloatVector.fromArray(FS, pad, src + s0), c);
                        }
                    }
                    if (bias != null) {
                        c = c.add(bias[o]);
                    }
                    c.intoArray(y, dst + s0);
                }
            }
        }
    }

    /**
     * Adds (or, unless {@code accumulate}, writes) the image's share of the weight gradient into
     * {@code acc}, laid out transposed as the general path's per-thread sums are: element (t, o) at
     * t O + o. {@code g} is the gradient of the output, whose [O, OH, OW] block for this image starts
     * at {@code gAt}.
     */
    static void weightGrad(float[] x, int xAt, float[] g, int gAt, float[] acc, boolean accumulate,
                           Convolution.Geometry geo, float[] pad) {
        ChannelVectorConv.Bordered copy = ChannelVectorConv.Bordered.input(geo);
        copy.fill(x, xAt, pad);
        Window2d win = geo.win();
        int kh = win.kernelH();
        int kw = win.kernelW();
        int pw = copy.pw();
        int rowStep = win.dilationH() * pw;
        int dw = win.dilationW();
        int oh = geo.outH();
        int ow = geo.outW();
        int plane = oh * ow;
        int out = geo.out();
        int full = ow - ow % V;
        // the last vector of a row starts at ow - V; of its lanes only those past `full` are new
        VectorMask<Float> fresh = FRESH[ow % V];
        boolean tail = full < ow;
        int taps = kh * kw;
        // Three taps at a time, each with two sums (alternate vectors of a row): six independent
        // chains of multiply-adds sharing each load of g. One tap at a time, the two chains of a
        // 28-wide row waited on the adder's latency most of the time.
        for (int o = 0; o < out; o++) {
            int gPlane = gAt + o * plane;
            for (int t0 = 0; t0 < taps; t0 += 3) {
                // past the last tap, the block repeats it; those sums are dropped
                int t1 = Math.min(t0 + 1, taps - 1);
                int t2 = Math.min(t0 + 2, taps - 1);
                int f0 = t0 / kw * rowStep + t0 % kw * dw;
                int f1 = t1 / kw * rowStep + t1 % kw * dw;
                int f2 = t2 / kw * rowStep + t2 % kw * dw;
                FloatVector a0 = FloatVector.zero(FS), a1 = FloatVector.zero(FS), a2 = FloatVector.zero(FS);
                FloatVector b0 = FloatVector.zero(FS), b1 = FloatVector.zero(FS), b2 = FloatVector.zero(FS);
                for (int i = 0, gRow = gPlane, xRow = 0; i < oh; i++, gRow += ow, xRow += pw) {
                    int j = 0;
                    for (; j + 2 * V <= full; j += 2 * V) {
                        FloatVector gv = FloatVector.fromArray(FS, g, gRow + j);
                        a0 = gv.fma(FloatVector.fromArray(FS, pad, xRow + f0 + j), a0);
                        a1 = gv.fma(FloatVector.fromArray(FS, pad, xRow + f1 + j), a1);
                        a2 = gv.fma(FloatVector.fromArray(FS, pad, xRow + f2 + j), a2);
                        gv = FloatVector.fromArray(FS, g, gRow + j + V);
                        b0 = gv.fma(FloatVector.fromArray(FS, pad, xRow + f0 + j + V), b0);
                        b1 = gv.fma(FloatVector.fromArray(FS, pad, xRow + f1 + j + V), b1);
                        b2 = gv.fma(FloatVector.fromArray(FS, pad, xRow + f2 + j + V), b2);
                    }
                    if (j < full) {
                        FloatVector gv = FloatVector.fromArray(FS, g, gRow + j);
                        a0 = gv.fma(FloatVector.fromArray(FS, pad, xRow + f0 + j), a0);
                        a1 = gv.fma(FloatVector.fromArray(FS, pad, xRow + f1 + j), a1);
                        a2 = gv.fma(FloatVector.fromArray(FS, pad, xRow + f2 + j), a2);
                    }
                    if (tail) {
                        int e = ow - V;
                        FloatVector gv = FloatVector.zero(FS).blend(FloatVector.fromArray(FS, g, gRow + e), fresh);
                        b0 = gv.fma(FloatVector.fromArray(FS, pad, xRow + f0 + e), b0);
                        b1 = gv.fma(FloatVector.fromArray(FS, pad, xRow + f1 + e), b1);
                        b2 = gv.fma(FloatVector.fromArray(FS, pad, xRow + f2 + e), b2);
                    }
                }
                store(acc, t0 * out + o, Lanes.sum(a0.add(b0)), accumulate);
                if (t1 > t0) {
                    store(acc, t1 * out + o, Lanes.sum(a1.add(b1)), accumulate);
                }
                if (t2 > t1) {
                    store(acc, t2 * out + o, Lanes.sum(a2.add(b2)), accumulate);
                }
            }
        }
    }

    private static void store(float[] acc, int k, float sum, boolean accumulate) {
        acc[k] = accumulate ? acc[k] + sum : sum;
    }
}
