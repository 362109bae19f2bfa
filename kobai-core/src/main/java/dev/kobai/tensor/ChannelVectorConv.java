package dev.kobai.tensor;

import dev.kobai.tensor.kernel.VectorWidth;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 convolutions at stride 1 computed from a zero-bordered copy of each image, with vectors
 * across channels instead of across the columns of a patch matrix. A convolution is a matrix
 * product whose one operand, the patch matrix, holds every input element kh kw times; these kernels
 * never build it. They read each element where it lies in the bordered copy and broadcast it to a
 * vector of channels. With base(i, j) = i PW + j the position (i, j) in a copy PW wide and
 * off(c, a, b) = c PH PW + a dh PW + b dw the offset of tap (a, b) of plane c:
 * <pre>
 *   forward:      y[o, i, j]    = bias[o] + sum_{ci, a, b} W[o, ci, a, b] xb[base(i, j) + off(ci, a, b)]
 *   input grad:   dx[ci, i, j]  = sum_{o, a, b} W[o, ci, a, b] gb[base(i, j) + off(o, kh-1-a, kw-1-b)]
 *   weight grad:  dW[o, ci, a, b] += sum_{i, j} g[o, i, j] xb[base(i, j) + off(ci, a, b)]
 * </pre>
 * where xb is x bordered by the padding and gb is g bordered by (kernel - 1) dilation - padding.
 * The first two are one sum: a vector of output channels per position accumulates rows of Wt
 * ([C kh kw, O], W transposed) times broadcast elements of the copy. A register tile is six
 * positions by four vectors of channels, or twelve positions by two where two vectors cover the
 * channels: 24 independent chains of multiply-adds, with per step one vector load per vector of
 * channels and one broadcast per position. The positions of the first two sums run over whole rows
 * of the copy, PW wide, of which the last PW - OW are computed and dropped: a tile's positions are
 * then consecutive, base(p) = p, and the JIT checks a step's reads of the copy as one range. The
 * products are written position-major and transposed into [C, H, W] planes. The weight gradient's
 * tile is six rows (ci, a, b) of dW^T by four (or two) vectors of output channels, summing over
 * positions with g^T [OH OW, O]. The first two sums' tiles need 32 vector registers
 * ({@link #APPLIES}); the weight gradient's narrows to two vectors where there are 16.
 *
 * <p>Against unfolding and the matrix product, on the cnn preset's second convolution ([128, 32,
 * 14, 14] to 64 channels, 3x3, 512-bit vectors): one thread's CPU time alternated in one JVM,
 * forward 10.5 against 14.0 ms, input gradient 11.8 against 14.6, weight gradient 11.2 against
 * 14.6; {@code kobai bench --only conv} on two threads, 6.2, 6.6 and 6.4 ms against 10.6, 12.7
 * and 12.8 (docs/performance.md). The kernels apply with one group and stride 1 when the channels a tile runs across are a
 * multiple of two vectors and, for the input gradient, when the padding is at most (kernel - 1)
 * dilation on each side. Every sum runs over k = (c, a, b), or over the positions, in order from
 * zero, as the general path's packing-free product does: the forward pass and the weight gradient
 * give its bits where it takes that path, the input gradient (which the general path sums by
 * folding) agrees to rounding (ChannelVectorConvTest).
 */
final class ChannelVectorConv {
    private static final VectorSpecies<Float> FS = VectorWidth.FLOAT;
    private static final int V = FS.length();
    /** Positions (or rows of dW^T) per register tile. */
    private static final int TILE = 6;
    /**
     * Whether the CPU has the 32 vector registers that the tiles' 24 accumulators need. With 16
     * (AVX2) the tiles spill, and six positions by two vectors ran the cnn preset's second
     * convolution at half the speed of unfolding and the matrix product (AVX2 mode, 2 threads:
     * 19 to 23 ms a pass against 11 to 12), so there the general path stays.
     */
    static final boolean APPLIES = VectorWidth.REGISTERS >= 32;
    /**
     * Whether the weight gradient's tiles span four vectors; with 16 registers they span two (12
     * accumulators), which still ran faster than the general path there (AVX2 mode, one thread,
     * alternated: 32 against 37 ms).
     */
    private static final boolean WIDE = VectorWidth.REGISTERS >= 32;
    /**
     * Floats of Wt per chunk of k (24 KB): the sum runs a chunk over every tile of positions before
     * the next, so that the chunk's rows of Wt stay in L1.
     */
    private static final int WEIGHT_CHUNK = 6144;

    private ChannelVectorConv() {}

    /** Whether the forward pass runs here: vectors across the output channels. */
    static boolean appliesForward(Convolution.Geometry geo) {
        return APPLIES && appliesWeight(geo);
    }

    /** Whether the weight gradient runs here: vectors across the output channels, with 16 registers too. */
    static boolean appliesWeight(Convolution.Geometry geo) {
        return oneGroupStrideOne(geo) && geo.out() % (2 * V) == 0;
    }

    private static boolean oneGroupStrideOne(Convolution.Geometry geo) {
        return geo.groups() == 1 && geo.win().strideH() == 1 && geo.win().strideW() == 1;
    }

    /** Whether the input gradient runs here: vectors across the input channels. */
    static boolean appliesInput(Convolution.Geometry geo) {
        Window2d win = geo.win();
        int reachH = (win.kernelH() - 1) * win.dilationH();
        int reachW = (win.kernelW() - 1) * win.dilationW();
        return APPLIES && oneGroupStrideOne(geo) && geo.channels() % (2 * V) == 0
                && win.padTop() <= reachH && win.padBottom() <= reachH && win.padLeft() <= reachW
                && win.padRight() <= reachW;
    }

    /** A count rounded up to whole tiles. */
    private static int tiled(int count) {
        return (count + TILE - 1) / TILE * TILE;
    }

    // ---------------------------------------------------------------- layouts

    /**
     * The bordered copy of one sample: {@code planes} planes of h x w, each as ph x pw with the
     * image at row {@code top}, column {@code left} and zeros around it.
     */
    record Bordered(int planes, int h, int w, int top, int left, int ph, int pw) {
        /** The copy of the input of the forward pass and the weight gradient: x with the padding. */
        static Bordered input(Convolution.Geometry geo) {
            Window2d win = geo.win();
            return new Bordered(geo.channels(), geo.height(), geo.width(), win.padTop(), win.padLeft(),
                    geo.height() + win.padTop() + win.padBottom(), geo.width() + win.padLeft() + win.padRight());
        }

        /** The copy of the input gradient's source: g bordered by (kernel - 1) dilation - padding. */
        static Bordered gradient(Convolution.Geometry geo) {
            Window2d win = geo.win();
            int reachH = (win.kernelH() - 1) * win.dilationH();
            int reachW = (win.kernelW() - 1) * win.dilationW();
            return new Bordered(geo.out(), geo.outH(), geo.outW(), reachH - win.padTop(), reachW - win.padLeft(),
                    geo.height() + reachH, geo.width() + reachW);
        }

        int size() {
            return planes * ph * pw;
        }

        /**
         * Floats a scratch must have for {@link #products}: the copy, and past it what the positions
         * dropped at the end of the last row read (one tile of twelve, one row).
         */
        int readSize() {
            return size() + pw + 2 * TILE;
        }

        /**
         * Positions for {@code rows} rows of outputs in {@link #products}: whole rows of the copy,
         * rounded up to whole tiles of twelve (the widest).
         */
        int gridPositions(int rows) {
            return (rows * pw + 2 * TILE - 1) / (2 * TILE) * 2 * TILE;
        }

        /**
         * Writes the [planes, h, w] sample at {@code at} into {@code pad} as this copy.
         *
         * <p>A row goes over as whole vectors where the arrays have room: those past the row's end
         * write into what comes after it in the copy, which is written later in this same pass (the
         * right border, the next rows, the bottom border, the zeros past the copy). Rows of 14 floats
         * took 22 ns each by System.arraycopy, a cost of calls, not of bytes.
         */
        void fill(float[] x, int at, float[] pad) {
            int plane = ph * pw;
            int bottom = top + h;
            int whole = (w + V - 1) / V * V;
            for (int c = 0, d0 = 0, s = at; c < planes; c++, d0 += plane) {
                Arrays.fill(pad, d0, d0 + top * pw, 0f);
                for (int r = 0, d = d0 + top * pw; r < h; r++, d += pw, s += w) {
                    for (int j = 0; j < left; j++) {
                        pad[d + j] = 0f;
                    }
                    if (Pointwise.VECTOR && s + whole <= x.length && d + left + whole <= pad.length) {
                        for (int j = 0; j < whole; j += V) {
                            FloatVector.fromArray(FS, x, s + j).intoArray(pad, d + left + j);
                        }
                    } else {
                        System.arraycopy(x, s, pad, d + left, w);
                    }
                    for (int j = left + w; j < pw; j++) {
                        pad[d + j] = 0f;
                    }
                }
                Arrays.fill(pad, d0 + bottom * pw, d0 + plane, 0f);
            }
            // what the dropped positions read past the copy, and the fewer than V floats the last
            // row's vectors wrote there: zeros, not an earlier call's numbers
            Arrays.fill(pad, size(), Math.min(pad.length, Math.max(readSize(), size() + V)), 0f);
        }

        /** base(i, j) = i pw + j for the rows x cols positions of the weight gradient, row-major. */
        int[] bases(int rows, int cols) {
            int[] base = new int[rows * cols];
            for (int p = 0; p < base.length; p++) {
                base[p] = p / cols * pw + p % cols;
            }
            return base;
        }

        /**
         * off(c, a, b) = c ph pw + a dh pw + b dw for k = (c, a, b) in that order, or of tap
         * (kh - 1 - a, kw - 1 - b) when {@code flipped}; at least {@code count} entries, the ones past
         * the last k repeating it.
         */
        int[] offsets(Window2d win, boolean flipped, int count) {
            int kh = win.kernelH();
            int kw = win.kernelW();
            int taps = planes * kh * kw;
            int[] off = new int[Math.max(count, taps)];
            for (int k = 0; k < off.length; k++) {
                int q = Math.min(k, taps - 1);
                int a = q / kw % kh;
                int b = q % kw;
                if (flipped) {
                    a = kh - 1 - a;
                    b = kw - 1 - b;
                }
                off[k] = q / (kh * kw) * ph * pw + a * win.dilationH() * pw + b * win.dilationW();
            }
            return off;
        }

        /** The rows (ci, a, b) of the weight gradient, padded to whole tiles. */
        int[] weightRows(Window2d win) {
            return offsets(win, false, tiled(planes * win.kernelH() * win.kernelW()));
        }
    }

    /** Wt of the forward pass: W [O, C kh kw] transposed, [C kh kw, O]. */
    static void forwardWeights(float[] w, Convolution.Geometry geo, float[] wt) {
        int out = geo.out();
        int rows = geo.groupRows();
        for (int o = 0; o < out; o++) {
            for (int r = 0; r < rows; r++) {
                wt[r * out + o] = w[o * rows + r];
            }
        }
    }

    /** Wt of the input gradient: W [O, C, kh kw] as [O kh kw, C] (the taps are flipped by where they read). */
    static void inputWeights(float[] w, Convolution.Geometry geo, float[] wt) {
        int out = geo.out();
        int c = geo.channels();
        int taps = geo.win().kernelH() * geo.win().kernelW();
        for (int o = 0; o < out; o++) {
            for (int ci = 0; ci < c; ci++) {
                for (int t = 0; t < taps; t++) {
                    wt[(o * taps + t) * c + ci] = w[(o * c + ci) * taps + t];
                }
            }
        }
    }

    // ---------------------------------------------------------------- the sums

    /**
     * t[p, c] = sum over k < depth of wt[k, c] src[p + off[k]], for p below {@code positions} (whole
     * tiles of twelve) and c below {@code channels} (a multiple of two vectors); t is [positions,
     * channels]. The sum runs in chunks of k, each tile's sums carried from one chunk to the next
     * through t: every sum is one chain of multiply-adds in the order of k.
     */
    static void products(float[] src, int positions, int[] off, int depth, float[] wt, int channels, float[] t) {
        int chunk = Math.max(1, WEIGHT_CHUNK / channels);
        for (int k0 = 0; k0 < depth; k0 += chunk) {
            int k1 = Math.min(depth, k0 + chunk);
            int c0 = 0;
            for (; c0 + 4 * V <= channels; c0 += 4 * V) {
                for (int p = 0; p < positions; p += TILE) {
                    productTile4(src, p, off, k0, k1, wt, channels, c0, t);
                }
            }
            for (; c0 < channels; c0 += 2 * V) {
                for (int p = 0; p < positions; p += 2 * TILE) {
                    productTile12(src, p, off, k0, k1, wt, channels, c0, t);
                }
            }
        }
    }

    /**
     * acc[r, c] (+)= sum over p < positions of src[base[p] + off[r]] gt[p, c], for r below
     * off.length (whole tiles) and c below {@code channels}; acc is [off.length, channels], written
     * rather than added to unless {@code accumulate}.
     */
    static void weightSums(float[] src, int[] base, int positions, int[] off, float[] gt, int channels, float[] acc,
                           boolean accumulate) {
        int c0 = 0;
        if (WIDE) {
            for (; c0 + 4 * V <= channels; c0 += 4 * V) {
                for (int r = 0; r < off.length; r += TILE) {
                    weightTile4(src, base, positions, off, r, gt, channels, c0, acc, accumulate);
                }
            }
        }
        for (; c0 < channels; c0 += 2 * V) {
            for (int r = 0; r < off.length; r += TILE) {
                weightTile2(src, base, positions, off, r, gt, channels, c0, acc, accumulate);
            }
        }
    }

    // The tiles are written out with the accumulators as separate locals, which C2 keeps in
    // registers; a helper taking vectors would box them.

    private static void productTile4(float[] src, int p, int[] off, int k0, int k1, float[] wt, int channels,
                                     int c0, float[] t) {
        int d = p * channels + c0;
        FloatVector s00 = FloatVector.zero(FS), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00, s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00, s40 = s00, s41 = s00, s42 = s00, s43 = s00, s50 = s00, s51 = s00, s52 = s00, s53 = s00;
        if (k0 > 0) { // the sums so far, from the earlier chunks of k
            s00 = FloatVector.fromArray(FS, t, d);
            s01 = FloatVector.fromArray(FS, t, d + V);
            s02 = FloatVector.fromArray(FS, t, d + 2 * V);
            s03 = FloatVector.fromArray(FS, t, d + 3 * V);
            s10 = FloatVector.fromArray(FS, t, d + channels);
            s11 = FloatVector.fromArray(FS, t, d + channels + V);
            s12 = FloatVector.fromArray(FS, t, d + channels + 2 * V);
            s13 = FloatVector.fromArray(FS, t, d + channels + 3 * V);
            s20 = FloatVector.fromArray(FS, t, d + 2 * channels);
            s21 = FloatVector.fromArray(FS, t, d + 2 * channels + V);
            s22 = FloatVector.fromArray(FS, t, d + 2 * channels + 2 * V);
            s23 = FloatVector.fromArray(FS, t, d + 2 * channels + 3 * V);
            s30 = FloatVector.fromArray(FS, t, d + 3 * channels);
            s31 = FloatVector.fromArray(FS, t, d + 3 * channels + V);
            s32 = FloatVector.fromArray(FS, t, d + 3 * channels + 2 * V);
            s33 = FloatVector.fromArray(FS, t, d + 3 * channels + 3 * V);
            s40 = FloatVector.fromArray(FS, t, d + 4 * channels);
            s41 = FloatVector.fromArray(FS, t, d + 4 * channels + V);
            s42 = FloatVector.fromArray(FS, t, d + 4 * channels + 2 * V);
            s43 = FloatVector.fromArray(FS, t, d + 4 * channels + 3 * V);
            s50 = FloatVector.fromArray(FS, t, d + 5 * channels);
            s51 = FloatVector.fromArray(FS, t, d + 5 * channels + V);
            s52 = FloatVector.fromArray(FS, t, d + 5 * channels + 2 * V);
            s53 = FloatVector.fromArray(FS, t, d + 5 * channels + 3 * V);
        }
        for (int k = k0, wk = k0 * channels + c0; k < k1; k++, wk += channels) {
            int x = p + off[k];
            FloatVector w0 = FloatVector.fromArray(FS, wt, wk);
            FloatVector w1 = FloatVector.fromArray(FS, wt, wk + V);
            FloatVector w2 = FloatVector.fromArray(FS, wt, wk + 2 * V);
            FloatVector w3 = FloatVector.fromArray(FS, wt, wk + 3 * V);
            FloatVector e = FloatVector.broadcast(FS, src[x]);
            s00 = w0.fma(e, s00);
            s01 = w1.fma(e, s01);
            s02 = w2.fma(e, s02);
            s03 = w3.fma(e, s03);
            e = FloatVector.broadcast(FS, src[x + 1]);
            s10 = w0.fma(e, s10);
            s11 = w1.fma(e, s11);
            s12 = w2.fma(e, s12);
            s13 = w3.fma(e, s13);
            e = FloatVector.broadcast(FS, src[x + 2]);
            s20 = w0.fma(e, s20);
            s21 = w1.fma(e, s21);
            s22 = w2.fma(e, s22);
            s23 = w3.fma(e, s23);
            e = FloatVector.broadcast(FS, src[x + 3]);
            s30 = w0.fma(e, s30);
            s31 = w1.fma(e, s31);
            s32 = w2.fma(e, s32);
            s33 = w3.fma(e, s33);
            e = FloatVector.broadcast(FS, src[x + 4]);
            s40 = w0.fma(e, s40);
            s41 = w1.fma(e, s41);
            s42 = w2.fma(e, s42);
            s43 = w3.fma(e, s43);
            e = FloatVector.broadcast(FS, src[x + 5]);
            s50 = w0.fma(e, s50);
            s51 = w1.fma(e, s51);
            s52 = w2.fma(e, s52);
            s53 = w3.fma(e, s53);
        }
        s00.intoArray(t, d);
        s01.intoArray(t, d + V);
        s02.intoArray(t, d + 2 * V);
        s03.intoArray(t, d + 3 * V);
        s10.intoArray(t, d + channels);
        s11.intoArray(t, d + channels + V);
        s12.intoArray(t, d + channels + 2 * V);
        s13.intoArray(t, d + channels + 3 * V);
        s20.intoArray(t, d + 2 * channels);
        s21.intoArray(t, d + 2 * channels + V);
        s22.intoArray(t, d + 2 * channels + 2 * V);
        s23.intoArray(t, d + 2 * channels + 3 * V);
        s30.intoArray(t, d + 3 * channels);
        s31.intoArray(t, d + 3 * channels + V);
        s32.intoArray(t, d + 3 * channels + 2 * V);
        s33.intoArray(t, d + 3 * channels + 3 * V);
        s40.intoArray(t, d + 4 * channels);
        s41.intoArray(t, d + 4 * channels + V);
        s42.intoArray(t, d + 4 * channels + 2 * V);
        s43.intoArray(t, d + 4 * channels + 3 * V);
        s50.intoArray(t, d + 5 * channels);
        s51.intoArray(t, d + 5 * channels + V);
        s52.intoArray(t, d + 5 * channels + 2 * V);
        s53.intoArray(t, d + 5 * channels + 3 * V);
    }

    private static void productTile12(float[] src, int p, int[] off, int k0, int k1, float[] wt, int channels,
                                      int c0, float[] t) {
        int d = p * channels + c0;
        FloatVector s000 = FloatVector.zero(FS), s001 = s000, s010 = s000, s011 = s000, s020 = s000, s021 = s000, s030 = s000, s031 = s000, s040 = s000, s041 = s000, s050 = s000, s051 = s000, s060 = s000, s061 = s000, s070 = s000, s071 = s000, s080 = s000, s081 = s000, s090 = s000, s091 = s000, s100 = s000, s101 = s000, s110 = s000, s111 = s000;
        if (k0 > 0) { // the sums so far, from the earlier chunks of k
            s000 = FloatVector.fromArray(FS, t, d);
            s001 = FloatVector.fromArray(FS, t, d + V);
            s010 = FloatVector.fromArray(FS, t, d + channels);
            s011 = FloatVector.fromArray(FS, t, d + channels + V);
            s020 = FloatVector.fromArray(FS, t, d + 2 * channels);
            s021 = FloatVector.fromArray(FS, t, d + 2 * channels + V);
            s030 = FloatVector.fromArray(FS, t, d + 3 * channels);
            s031 = FloatVector.fromArray(FS, t, d + 3 * channels + V);
            s040 = FloatVector.fromArray(FS, t, d + 4 * channels);
            s041 = FloatVector.fromArray(FS, t, d + 4 * channels + V);
            s050 = FloatVector.fromArray(FS, t, d + 5 * channels);
            s051 = FloatVector.fromArray(FS, t, d + 5 * channels + V);
            s060 = FloatVector.fromArray(FS, t, d + 6 * channels);
            s061 = FloatVector.fromArray(FS, t, d + 6 * channels + V);
            s070 = FloatVector.fromArray(FS, t, d + 7 * channels);
            s071 = FloatVector.fromArray(FS, t, d + 7 * channels + V);
            s080 = FloatVector.fromArray(FS, t, d + 8 * channels);
            s081 = FloatVector.fromArray(FS, t, d + 8 * channels + V);
            s090 = FloatVector.fromArray(FS, t, d + 9 * channels);
            s091 = FloatVector.fromArray(FS, t, d + 9 * channels + V);
            s100 = FloatVector.fromArray(FS, t, d + 10 * channels);
            s101 = FloatVector.fromArray(FS, t, d + 10 * channels + V);
            s110 = FloatVector.fromArray(FS, t, d + 11 * channels);
            s111 = FloatVector.fromArray(FS, t, d + 11 * channels + V);
        }
        for (int k = k0, wk = k0 * channels + c0; k < k1; k++, wk += channels) {
            int x = p + off[k];
            FloatVector w0 = FloatVector.fromArray(FS, wt, wk);
            FloatVector w1 = FloatVector.fromArray(FS, wt, wk + V);
            FloatVector e = FloatVector.broadcast(FS, src[x]);
            s000 = w0.fma(e, s000);
            s001 = w1.fma(e, s001);
            e = FloatVector.broadcast(FS, src[x + 1]);
            s010 = w0.fma(e, s010);
            s011 = w1.fma(e, s011);
            e = FloatVector.broadcast(FS, src[x + 2]);
            s020 = w0.fma(e, s020);
            s021 = w1.fma(e, s021);
            e = FloatVector.broadcast(FS, src[x + 3]);
            s030 = w0.fma(e, s030);
            s031 = w1.fma(e, s031);
            e = FloatVector.broadcast(FS, src[x + 4]);
            s040 = w0.fma(e, s040);
            s041 = w1.fma(e, s041);
            e = FloatVector.broadcast(FS, src[x + 5]);
            s050 = w0.fma(e, s050);
            s051 = w1.fma(e, s051);
            e = FloatVector.broadcast(FS, src[x + 6]);
            s060 = w0.fma(e, s060);
            s061 = w1.fma(e, s061);
            e = FloatVector.broadcast(FS, src[x + 7]);
            s070 = w0.fma(e, s070);
            s071 = w1.fma(e, s071);
            e = FloatVector.broadcast(FS, src[x + 8]);
            s080 = w0.fma(e, s080);
            s081 = w1.fma(e, s081);
            e = FloatVector.broadcast(FS, src[x + 9]);
            s090 = w0.fma(e, s090);
            s091 = w1.fma(e, s091);
            e = FloatVector.broadcast(FS, src[x + 10]);
            s100 = w0.fma(e, s100);
            s101 = w1.fma(e, s101);
            e = FloatVector.broadcast(FS, src[x + 11]);
            s110 = w0.fma(e, s110);
            s111 = w1.fma(e, s111);
        }
        s000.intoArray(t, d);
        s001.intoArray(t, d + V);
        s010.intoArray(t, d + channels);
        s011.intoArray(t, d + channels + V);
        s020.intoArray(t, d + 2 * channels);
        s021.intoArray(t, d + 2 * channels + V);
        s030.intoArray(t, d + 3 * channels);
        s031.intoArray(t, d + 3 * channels + V);
        s040.intoArray(t, d + 4 * channels);
        s041.intoArray(t, d + 4 * channels + V);
        s050.intoArray(t, d + 5 * channels);
        s051.intoArray(t, d + 5 * channels + V);
        s060.intoArray(t, d + 6 * channels);
        s061.intoArray(t, d + 6 * channels + V);
        s070.intoArray(t, d + 7 * channels);
        s071.intoArray(t, d + 7 * channels + V);
        s080.intoArray(t, d + 8 * channels);
        s081.intoArray(t, d + 8 * channels + V);
        s090.intoArray(t, d + 9 * channels);
        s091.intoArray(t, d + 9 * channels + V);
        s100.intoArray(t, d + 10 * channels);
        s101.intoArray(t, d + 10 * channels + V);
        s110.intoArray(t, d + 11 * channels);
        s111.intoArray(t, d + 11 * channels + V);
    }

    private static void weightTile4(float[] src, int[] base, int positions, int[] off, int r, float[] gt,
                                    int channels, int c0, float[] acc, boolean accumulate) {
        int f0 = off[r], f1 = off[r + 1], f2 = off[r + 2], f3 = off[r + 3], f4 = off[r + 4], f5 = off[r + 5];
        int d = r * channels + c0;
        FloatVector s00 = FloatVector.zero(FS), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00, s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00, s40 = s00, s41 = s00, s42 = s00, s43 = s00, s50 = s00, s51 = s00, s52 = s00, s53 = s00;
        for (int p = 0, gp = c0; p < positions; p++, gp += channels) {
            int b = base[p];
            FloatVector g0 = FloatVector.fromArray(FS, gt, gp);
            FloatVector g1 = FloatVector.fromArray(FS, gt, gp + V);
            FloatVector g2 = FloatVector.fromArray(FS, gt, gp + 2 * V);
            FloatVector g3 = FloatVector.fromArray(FS, gt, gp + 3 * V);
            FloatVector e = FloatVector.broadcast(FS, src[b + f0]);
            s00 = g0.fma(e, s00);
            s01 = g1.fma(e, s01);
            s02 = g2.fma(e, s02);
            s03 = g3.fma(e, s03);
            e = FloatVector.broadcast(FS, src[b + f1]);
            s10 = g0.fma(e, s10);
            s11 = g1.fma(e, s11);
            s12 = g2.fma(e, s12);
            s13 = g3.fma(e, s13);
            e = FloatVector.broadcast(FS, src[b + f2]);
            s20 = g0.fma(e, s20);
            s21 = g1.fma(e, s21);
            s22 = g2.fma(e, s22);
            s23 = g3.fma(e, s23);
            e = FloatVector.broadcast(FS, src[b + f3]);
            s30 = g0.fma(e, s30);
            s31 = g1.fma(e, s31);
            s32 = g2.fma(e, s32);
            s33 = g3.fma(e, s33);
            e = FloatVector.broadcast(FS, src[b + f4]);
            s40 = g0.fma(e, s40);
            s41 = g1.fma(e, s41);
            s42 = g2.fma(e, s42);
            s43 = g3.fma(e, s43);
            e = FloatVector.broadcast(FS, src[b + f5]);
            s50 = g0.fma(e, s50);
            s51 = g1.fma(e, s51);
            s52 = g2.fma(e, s52);
            s53 = g3.fma(e, s53);
        }
        if (accumulate) { // this sample's sums join the earlier samples' once, after its loop
            s00 = s00.add(FloatVector.fromArray(FS, acc, d));
            s01 = s01.add(FloatVector.fromArray(FS, acc, d + V));
            s02 = s02.add(FloatVector.fromArray(FS, acc, d + 2 * V));
            s03 = s03.add(FloatVector.fromArray(FS, acc, d + 3 * V));
            s10 = s10.add(FloatVector.fromArray(FS, acc, d + channels));
            s11 = s11.add(FloatVector.fromArray(FS, acc, d + channels + V));
            s12 = s12.add(FloatVector.fromArray(FS, acc, d + channels + 2 * V));
            s13 = s13.add(FloatVector.fromArray(FS, acc, d + channels + 3 * V));
            s20 = s20.add(FloatVector.fromArray(FS, acc, d + 2 * channels));
            s21 = s21.add(FloatVector.fromArray(FS, acc, d + 2 * channels + V));
            s22 = s22.add(FloatVector.fromArray(FS, acc, d + 2 * channels + 2 * V));
            s23 = s23.add(FloatVector.fromArray(FS, acc, d + 2 * channels + 3 * V));
            s30 = s30.add(FloatVector.fromArray(FS, acc, d + 3 * channels));
            s31 = s31.add(FloatVector.fromArray(FS, acc, d + 3 * channels + V));
            s32 = s32.add(FloatVector.fromArray(FS, acc, d + 3 * channels + 2 * V));
            s33 = s33.add(FloatVector.fromArray(FS, acc, d + 3 * channels + 3 * V));
            s40 = s40.add(FloatVector.fromArray(FS, acc, d + 4 * channels));
            s41 = s41.add(FloatVector.fromArray(FS, acc, d + 4 * channels + V));
            s42 = s42.add(FloatVector.fromArray(FS, acc, d + 4 * channels + 2 * V));
            s43 = s43.add(FloatVector.fromArray(FS, acc, d + 4 * channels + 3 * V));
            s50 = s50.add(FloatVector.fromArray(FS, acc, d + 5 * channels));
            s51 = s51.add(FloatVector.fromArray(FS, acc, d + 5 * channels + V));
            s52 = s52.add(FloatVector.fromArray(FS, acc, d + 5 * channels + 2 * V));
            s53 = s53.add(FloatVector.fromArray(FS, acc, d + 5 * channels + 3 * V));
        }
        s00.intoArray(acc, d);
        s01.intoArray(acc, d + V);
        s02.intoArray(acc, d + 2 * V);
        s03.intoArray(acc, d + 3 * V);
        s10.intoArray(acc, d + channels);
        s11.intoArray(acc, d + channels + V);
        s12.intoArray(acc, d + channels + 2 * V);
        s13.intoArray(acc, d + channels + 3 * V);
        s20.intoArray(acc, d + 2 * channels);
        s21.intoArray(acc, d + 2 * channels + V);
        s22.intoArray(acc, d + 2 * channels + 2 * V);
        s23.intoArray(acc, d + 2 * channels + 3 * V);
        s30.intoArray(acc, d + 3 * channels);
        s31.intoArray(acc, d + 3 * channels + V);
        s32.intoArray(acc, d + 3 * channels + 2 * V);
        s33.intoArray(acc, d + 3 * channels + 3 * V);
        s40.intoArray(acc, d + 4 * channels);
        s41.intoArray(acc, d + 4 * channels + V);
        s42.intoArray(acc, d + 4 * channels + 2 * V);
        s43.intoArray(acc, d + 4 * channels + 3 * V);
        s50.intoArray(acc, d + 5 * channels);
        s51.intoArray(acc, d + 5 * channels + V);
        s52.intoArray(acc, d + 5 * channels + 2 * V);
        s53.intoArray(acc, d + 5 * channels + 3 * V);
    }

    private static void weightTile2(float[] src, int[] base, int positions, int[] off, int r, float[] gt,
                                    int channels, int c0, float[] acc, boolean accumulate) {
        int f0 = off[r], f1 = off[r + 1], f2 = off[r + 2], f3 = off[r + 3], f4 = off[r + 4], f5 = off[r + 5];
        int d = r * channels + c0;
        FloatVector s00 = FloatVector.zero(FS), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00, s40 = s00, s41 = s00, s50 = s00, s51 = s00;
        for (int p = 0, gp = c0; p < positions; p++, gp += channels) {
            int b = base[p];
            FloatVector g0 = FloatVector.fromArray(FS, gt, gp);
            FloatVector g1 = FloatVector.fromArray(FS, gt, gp + V);
            FloatVector e = FloatVector.broadcast(FS, src[b + f0]);
            s00 = g0.fma(e, s00);
            s01 = g1.fma(e, s01);
            e = FloatVector.broadcast(FS, src[b + f1]);
            s10 = g0.fma(e, s10);
            s11 = g1.fma(e, s11);
            e = FloatVector.broadcast(FS, src[b + f2]);
            s20 = g0.fma(e, s20);
            s21 = g1.fma(e, s21);
            e = FloatVector.broadcast(FS, src[b + f3]);
            s30 = g0.fma(e, s30);
            s31 = g1.fma(e, s31);
            e = FloatVector.broadcast(FS, src[b + f4]);
            s40 = g0.fma(e, s40);
            s41 = g1.fma(e, s41);
            e = FloatVector.broadcast(FS, src[b + f5]);
            s50 = g0.fma(e, s50);
            s51 = g1.fma(e, s51);
        }
        if (accumulate) { // this sample's sums join the earlier samples' once, after its loop
            s00 = s00.add(FloatVector.fromArray(FS, acc, d));
            s01 = s01.add(FloatVector.fromArray(FS, acc, d + V));
            s10 = s10.add(FloatVector.fromArray(FS, acc, d + channels));
            s11 = s11.add(FloatVector.fromArray(FS, acc, d + channels + V));
            s20 = s20.add(FloatVector.fromArray(FS, acc, d + 2 * channels));
            s21 = s21.add(FloatVector.fromArray(FS, acc, d + 2 * channels + V));
            s30 = s30.add(FloatVector.fromArray(FS, acc, d + 3 * channels));
            s31 = s31.add(FloatVector.fromArray(FS, acc, d + 3 * channels + V));
            s40 = s40.add(FloatVector.fromArray(FS, acc, d + 4 * channels));
            s41 = s41.add(FloatVector.fromArray(FS, acc, d + 4 * channels + V));
            s50 = s50.add(FloatVector.fromArray(FS, acc, d + 5 * channels));
            s51 = s51.add(FloatVector.fromArray(FS, acc, d + 5 * channels + V));
        }
        s00.intoArray(acc, d);
        s01.intoArray(acc, d + V);
        s10.intoArray(acc, d + channels);
        s11.intoArray(acc, d + channels + V);
        s20.intoArray(acc, d + 2 * channels);
        s21.intoArray(acc, d + 2 * channels + V);
        s30.intoArray(acc, d + 3 * channels);
        s31.intoArray(acc, d + 3 * channels + V);
        s40.intoArray(acc, d + 4 * channels);
        s41.intoArray(acc, d + 4 * channels + V);
        s50.intoArray(acc, d + 5 * channels);
        s51.intoArray(acc, d + 5 * channels + V);
    }

    // ---------------------------------------------------------------- transposes

    /**
     * y[c, i, j] = t[i pw + j, c] (+ bias[c]) for the rows x cols outputs, into the [channels, rows,
     * cols] block at {@code at}; t's positions run over whole rows of pw.
     */
    static void transposeInto(float[] t, int rows, int cols, int pw, int channels, float[] bias, float[] y, int at) {
        int plane = rows * cols;
        int c = 0;
        // Eight channels at a time, each read of t feeding eight output streams: one channel at a
        // time, every read of t took a cache line for one float (0.6 of the time on the cnn's
        // second convolution, one thread).
        for (; c + 8 <= channels; c += 8) {
            if (bias == null) {
                transpose8(t, rows, cols, pw * channels, c, channels, y, at + c * plane, plane);
            } else {
                transpose8(t, rows, cols, pw * channels, c, channels, bias, y, at + c * plane, plane);
            }
        }
        for (int d = at + c * plane; c < channels; c++) {
            float b = bias == null ? 0f : bias[c];
            for (int i = 0; i < rows; i++) {
                for (int j = 0, s = i * pw * channels + c; j < cols; j++, s += channels, d++) {
                    y[d] = bias == null ? t[s] : t[s] + b;
                }
            }
        }
    }

    /** Channels [c, c + 8) of {@link #transposeInto}, without a bias. */
    private static void transpose8(float[] t, int rows, int cols, int rowStride, int c, int channels, float[] y,
                                   int d, int plane) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0, s = i * rowStride + c; j < cols; j++, s += channels, d++) {
                y[d] = t[s];
                y[d + plane] = t[s + 1];
                y[d + 2 * plane] = t[s + 2];
                y[d + 3 * plane] = t[s + 3];
                y[d + 4 * plane] = t[s + 4];
                y[d + 5 * plane] = t[s + 5];
                y[d + 6 * plane] = t[s + 6];
                y[d + 7 * plane] = t[s + 7];
            }
        }
    }

    /** Channels [c, c + 8) of {@link #transposeInto}, each plus its bias. */
    private static void transpose8(float[] t, int rows, int cols, int rowStride, int c, int channels, float[] bias,
                                   float[] y, int d, int plane) {
        float b0 = bias[c];
        float b1 = bias[c + 1];
        float b2 = bias[c + 2];
        float b3 = bias[c + 3];
        float b4 = bias[c + 4];
        float b5 = bias[c + 5];
        float b6 = bias[c + 6];
        float b7 = bias[c + 7];
        for (int i = 0; i < rows; i++) {
            for (int j = 0, s = i * rowStride + c; j < cols; j++, s += channels, d++) {
                y[d] = t[s] + b0;
                y[d + plane] = t[s + 1] + b1;
                y[d + 2 * plane] = t[s + 2] + b2;
                y[d + 3 * plane] = t[s + 3] + b3;
                y[d + 4 * plane] = t[s + 4] + b4;
                y[d + 5 * plane] = t[s + 5] + b5;
                y[d + 6 * plane] = t[s + 6] + b6;
                y[d + 7 * plane] = t[s + 7] + b7;
            }
        }
    }

    /** gt[p, c] = g[c, p]: the [channels, positions] block at {@code at}, transposed. */
    static void transposeFrom(float[] g, int at, int channels, int positions, float[] gt) {
        for (int c = 0; c < channels; c++) {
            for (int p = 0, s = at + c * positions, d = c; p < positions; p++, s++, d += channels) {
                gt[d] = g[s];
            }
        }
    }
}
