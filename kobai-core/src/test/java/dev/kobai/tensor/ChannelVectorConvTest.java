package dev.kobai.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.tensor.kernel.VectorWidth;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The channel-vector convolution kernels against the general path (unfold, matrix product, fold)
 * on the same float32 operands, and both against float64. Channel counts are in vectors of the
 * running width, so that blocks of four vectors, of two, and both in one convolution occur at every
 * width; positions and weight rows that do not fill the last tile of six, padding on some sides
 * only, dilation and non-square kernels are among the geometries. Run again at 128, 256 and 512
 * bits by the kernel executions of the pom.
 */
class ChannelVectorConvTest {
    private static final int V = VectorWidth.FLOAT.length();

    /** n, in channels, out channels, height, width, window. */
    static Stream<Object[]> geometries() {
        return Stream.of(
                new Object[] {3, 32, 64, 14, 14, Window2d.square(3, 1, 1, 1)},          // the cnn preset's second layer
                new Object[] {2, 2 * V, 2 * V, 7, 5, Window2d.square(3, 1, 0, 1)},        // 15 positions: a part tile
                // four and two vectors; four samples, so that each thread's weight sums add a second sample
                new Object[] {4, 4 * V, 6 * V, 9, 8, Window2d.square(5, 1, 2, 1)},
                new Object[] {3, 2 * V, 8 * V, 5, 6, Window2d.square(3, 1, 1, 1)},         // two blocks of four vectors
                new Object[] {1, 2 * V, 4 * V, 12, 11, Window2d.square(3, 1, 2, 2)},      // dilation 2
                new Object[] {2, 3, 2 * V, 10, 9, new Window2d(2, 3, 1, 1, 0, 1, 2, 0, 1, 1)}, // 18 rows of dW, one-sided pads
                new Object[] {2, 2 * V, 2 * V, 6, 7, new Window2d(4, 4, 1, 1, 1, 2, 1, 2, 1, 1)}, // "same", even kernel
                new Object[] {2, 5, 4 * V, 8, 8, new Window2d(2, 2, 1, 1, 0, 0, 0, 0, 1, 1)});  // 20 rows of dW
    }

    @ParameterizedTest
    @MethodSource("geometries")
    void forwardAgreesWithTheGeneralPath(int n, int in, int out, int height, int width, Window2d win) {
        Convolution.Geometry geo = geometry(n, in, out, height, width, win);
        // where the CPU has 16 vector registers the general path runs; the kernel is checked all the same
        assertEquals(ChannelVectorConv.APPLIES, Convolution.channelVector(Tensor.zeros(DType.FLOAT32, 1), geo),
                "the kernel takes " + geo);
        Rng rng = new Rng(height * 31L + width + in);
        Tensor x = Tensor.randn(rng, DType.FLOAT32, geo.inputShape());
        Tensor w = Tensor.randn(rng, DType.FLOAT32, geo.weightShape());
        Tensor bias = Tensor.randn(rng, DType.FLOAT32, out);

        Tensor direct = Tensor.zeros(DType.FLOAT32, geo.outputShape());
        Convolution.forwardChannelVector(x, w, bias, direct, geo);
        Tensor general = Tensor.zeros(DType.FLOAT32, geo.outputShape());
        Convolution.forwardUnfolded(x, w, general, geo);
        Tensor exact = Tensor.zeros(DType.FLOAT64, geo.outputShape());
        Convolution.forwardUnfolded(x.to(DType.FLOAT64), w.to(DType.FLOAT64), exact, geo);
        double bound = 1e-6 * geo.groupRows();
        for (int i = 0; i < exact.numel(); i++) {
            double b = bias.getFlat(i / geo.positions() % out);
            assertEquals(exact.getFlat(i) + b, direct.getFlat(i), bound, "output " + i + " of " + geo);
            assertEquals((float) (general.getFlat(i) + b), direct.getFlat(i), bound, "output " + i + " of " + geo);
        }
        assertLarge(exact, bound);
    }

    @ParameterizedTest
    @MethodSource("geometries")
    void inputGradientAgreesWithTheGeneralPath(int n, int in, int out, int height, int width, Window2d win) {
        // the input gradient runs across the input channels, which must then be whole pairs of vectors
        int channels = in % (2 * V) == 0 ? in : 2 * V;
        Convolution.Geometry geo = geometry(n, channels, out, height, width, win);
        assertEquals(ChannelVectorConv.APPLIES, Convolution.channelVectorInput(Tensor.zeros(DType.FLOAT32, 1), geo),
                "the kernel takes " + geo);
        Rng rng = new Rng(height * 13L + width + out);
        Tensor g = Tensor.randn(rng, DType.FLOAT32, geo.outputShape());
        Tensor w = Tensor.randn(rng, DType.FLOAT32, geo.weightShape());

        Tensor direct = Tensor.zeros(DType.FLOAT32, geo.inputShape());
        Convolution.backwardInput(g, w, direct, geo, true);
        Tensor general = Tensor.zeros(DType.FLOAT32, geo.inputShape());
        Convolution.backwardInput(g, w, general, geo, false);
        Tensor exact = Tensor.zeros(DType.FLOAT64, geo.inputShape());
        Convolution.backwardInput(g.to(DType.FLOAT64), w.to(DType.FLOAT64), exact, geo, false);
        double bound = 1e-6 * out * win.kernelH() * win.kernelW();
        for (int i = 0; i < exact.numel(); i++) {
            assertEquals(exact.getFlat(i), direct.getFlat(i), bound, "element " + i + " of " + geo);
            assertEquals(general.getFlat(i), direct.getFlat(i), bound, "element " + i + " of " + geo);
        }
        assertLarge(exact, bound);
    }

    @ParameterizedTest
    @MethodSource("geometries")
    void weightGradientGivesTheGeneralPathsBits(int n, int in, int out, int height, int width, Window2d win) {
        Convolution.Geometry geo = geometry(n, in, out, height, width, win);
        Rng rng = new Rng(height * 17L + width + in);
        Tensor x = Tensor.randn(rng, DType.FLOAT32, geo.inputShape());
        Tensor g = Tensor.randn(rng, DType.FLOAT32, geo.outputShape());

        Tensor direct = Tensor.zeros(DType.FLOAT32, geo.weightShape());
        Convolution.backwardWeight(x, g, direct, geo, false, true);
        Tensor exact = Tensor.zeros(DType.FLOAT64, geo.weightShape());
        Convolution.backwardWeight(x.to(DType.FLOAT64), g.to(DType.FLOAT64), exact, geo, false, false);
        double bound = 1e-6 * n * geo.positions();
        for (int i = 0; i < exact.numel(); i++) {
            assertEquals(exact.getFlat(i), direct.getFlat(i), bound, "element " + i + " of " + geo);
        }
        assertLarge(exact, bound);
        // Each sum runs over the positions in order, sample after sample, as the matrix product's
        // packing-free path does: on products that path takes, the same bits.
        if ((long) in * win.kernelH() * win.kernelW() * out * geo.positions() < 1 << 18) {
            Tensor general = Tensor.zeros(DType.FLOAT32, geo.weightShape());
            Convolution.backwardWeight(x, g, general, geo, false, false);
            for (int i = 0; i < general.numel(); i++) {
                assertEquals(general.getFlat(i), direct.getFlat(i), 0.0, "element " + i + " of " + geo);
            }
        }
    }

    /**
     * Through the recorded operation: the kernels are the ones a float32 convolution takes (where the
     * CPU has 32 vector registers), and its gradients agree with float64's.
     */
    @Test
    void aRecordedConvolutionTakesTheKernelsAndItsGradientsAgreeWithFloat64() {
        Convolution.Geometry geo = geometry(2, 2 * V, 4 * V, 6, 6, Window2d.square(3, 1, 1, 1));
        Rng rng = new Rng(5);
        Tensor x64 = Tensor.randn(rng, DType.FLOAT64, geo.inputShape());
        Tensor w64 = Tensor.randn(rng, DType.FLOAT64, geo.weightShape());
        Tensor b64 = Tensor.randn(rng, DType.FLOAT64, geo.out());
        Tensor[] grads32 = gradients(x64.to(DType.FLOAT32), w64.to(DType.FLOAT32), b64.to(DType.FLOAT32), geo);
        Tensor[] grads64 = gradients(x64, w64, b64, geo);
        for (int t = 0; t < grads64.length; t++) {
            // float32 sums of terms as large as the largest element, which cancel in the small ones
            double scale = 0;
            for (int i = 0; i < grads64[t].numel(); i++) {
                scale = Math.max(scale, Math.abs(grads64[t].getFlat(i)));
            }
            for (int i = 0; i < grads64[t].numel(); i++) {
                assertEquals(grads64[t].getFlat(i), grads32[t].getFlat(i), 1e-5 * scale, "gradient " + t + " element " + i);
            }
        }
    }

    private static Tensor[] gradients(Tensor x, Tensor w, Tensor b, Convolution.Geometry geo) {
        Tensor xs = x.requiresGrad(true);
        Tensor ws = w.requiresGrad(true);
        Tensor bs = b.requiresGrad(true);
        Tensor y = Convolution.conv(xs, ws, bs, geo);
        y.mul(y).sum().backward();
        return new Tensor[] {y.detach(), xs.grad(), ws.grad(), bs.grad()};
    }

    @Test
    void otherConvolutionsKeepTheGeneralPath() {
        Tensor f32 = Tensor.zeros(DType.FLOAT32, 1);
        Window2d same = Window2d.square(3, 1, 1, 1);
        assertFalse(Convolution.channelVector(f32, geometry(2, 2 * V, 2 * V, 8, 8, Window2d.square(3, 2, 1, 1))),
                "stride 2");
        assertFalse(Convolution.channelVector(f32, new Convolution.Geometry(2, 2 * V, 8, 8, 2 * V, 8, 8, 2, same)),
                "two groups");
        assertFalse(Convolution.channelVector(f32, geometry(2, 2 * V, 2 * V + 1, 8, 8, same)),
                "output channels not in whole pairs of vectors");
        assertFalse(Convolution.channelVector(Tensor.zeros(DType.FLOAT64, 1), geometry(2, 2 * V, 2 * V, 8, 8, same)),
                "float64");
        assertFalse(Convolution.channelVector(f32, geometry(2, 1, 2 * V, 8, 8, same)), "one input channel");
        assertFalse(Convolution.channelVectorInput(f32, geometry(2, 3, 2 * V, 8, 8, same)),
                "input channels not in whole pairs of vectors");
        assertFalse(Convolution.channelVectorInput(f32, geometry(2, 2 * V, 2 * V, 8, 8, Window2d.square(3, 1, 3, 1))),
                "padding beyond the window's reach");
        assertEquals(ChannelVectorConv.APPLIES, Convolution.channelVectorInput(f32,
                geometry(2, 2 * V, 2 * V, 8, 8, Window2d.square(3, 1, 2, 1))), "padding of exactly the window's reach");
    }

    @Test
    void borderedCopiesHoldTheImageAndItsBorderAndNothingMore() {
        Convolution.Geometry geo = geometry(2, 3, 2 * V, 9, 20, new Window2d(2, 3, 1, 1, 1, 0, 2, 1, 1, 1));
        ChannelVectorConv.Bordered input = ChannelVectorConv.Bordered.input(geo);
        assertEquals(3 * (9 + 1) * (20 + 3), input.size());
        // the gradient's border is the window's reach (1 and 2) less the padding on each side
        ChannelVectorConv.Bordered grad = ChannelVectorConv.Bordered.gradient(geo);
        assertEquals(2 * V * (9 + 1) * (20 + 2), grad.size());
        assertEquals(0, grad.top());
        assertEquals(0, grad.left());

        float[] x = new float[3 * 9 * 20];
        for (int i = 0; i < x.length; i++) {
            x[i] = i + 1;
        }
        float[] pad = new float[input.size()];
        java.util.Arrays.fill(pad, Float.NaN);
        input.fill(x, 0, pad);
        for (int c = 0, k = 0; c < 3; c++) {
            for (int r = 0; r < 10; r++) {
                for (int col = 0; col < 23; col++, k++) {
                    boolean inside = r >= 1 && col >= 2 && col < 22;
                    float expected = inside ? x[(c * 9 + r - 1) * 20 + col - 2] : 0f;
                    assertEquals(expected, pad[k], 0f, "plane " + c + " row " + r + " column " + col);
                }
            }
        }
    }

    @Test
    void theInputGradientNeedsThePaddingWithinTheReachOnEachSide() {
        Tensor f32 = Tensor.zeros(DType.FLOAT32, 1);
        // a 3x1 window reaches two rows and no column: one column of padding is beyond it
        assertFalse(Convolution.channelVectorInput(f32, geometry(2, 2 * V, 2 * V, 8, 8,
                new Window2d(3, 1, 1, 1, 1, 1, 1, 0, 1, 1))), "padding left beyond the reach");
        assertFalse(Convolution.channelVectorInput(f32, geometry(2, 2 * V, 2 * V, 8, 8,
                new Window2d(3, 1, 1, 1, 1, 1, 0, 1, 1, 1))), "padding right beyond the reach");
        assertFalse(Convolution.channelVectorInput(f32, geometry(2, 2 * V, 2 * V, 8, 8,
                new Window2d(1, 3, 1, 1, 1, 0, 1, 1, 1, 1))), "padding on top beyond the reach");
        assertFalse(Convolution.channelVectorInput(f32, geometry(2, 2 * V, 2 * V, 8, 8,
                new Window2d(1, 3, 1, 1, 0, 1, 1, 1, 1, 1))), "padding below beyond the reach");
        assertEquals(ChannelVectorConv.APPLIES, Convolution.channelVectorInput(f32, geometry(2, 2 * V, 2 * V, 8, 8,
                new Window2d(3, 1, 1, 1, 2, 2, 0, 0, 1, 1))), "padding of the whole reach, rows only");
    }

    private static void assertLarge(Tensor exact, double bound) {
        double norm = 0;
        for (int i = 0; i < exact.numel(); i++) {
            norm += Math.abs(exact.getFlat(i));
        }
        assertTrue(norm / exact.numel() > 100 * bound, "values large against the bound");
    }

    /**
     * The transpose from the tiles' [positions, channels] to [channels, rows, cols]: eight channels
     * at a time and the rest one by one, with a bias added or none (which leaves -0 alone), against
     * its definition, into a block that starts past the array's beginning.
     */
    @Test
    void transposeIntoWritesEachChannelPlane() {
        for (int channels : new int[] {3, 8, 13, 24}) {
            for (boolean withBias : new boolean[] {false, true}) {
                int rows = 3;
                int cols = 5;
                int pw = 7;
                float[] t = new float[rows * pw * channels];
                for (int k = 0; k < t.length; k++) {
                    t[k] = k % 5 == 0 ? -0f : k * 0.25f;
                }
                float[] bias = withBias ? new float[channels] : null;
                for (int c = 0; withBias && c < channels; c++) {
                    bias[c] = c - 2.5f;
                }
                int at = 11;
                float[] y = new float[at + channels * rows * cols + 4];
                java.util.Arrays.fill(y, Float.NaN);
                ChannelVectorConv.transposeInto(t, rows, cols, pw, channels, bias, y, at);
                for (int c = 0; c < channels; c++) {
                    for (int i = 0; i < rows; i++) {
                        for (int j = 0; j < cols; j++) {
                            float v = t[(i * pw + j) * channels + c];
                            float expected = withBias ? v + bias[c] : v;
                            assertEquals(Float.floatToRawIntBits(expected),
                                    Float.floatToRawIntBits(y[at + (c * rows + i) * cols + j]),
                                    channels + " channels, bias " + withBias + ", (" + c + ", " + i + ", " + j + ")");
                        }
                    }
                }
                assertTrue(Float.isNaN(y[at - 1]) && Float.isNaN(y[at + channels * rows * cols]), "only the block");
            }
        }
    }

    /**
     * The bordered copy over a scratch full of NaN (an earlier call's numbers): the image where it
     * belongs, zeros in every border and past the copy as far as the products read, whatever the
     * row width against the vector (rows copied as whole vectors write past their end), and for the
     * last sample of x, whose last row has no room for a whole vector.
     */
    @Test
    void theBorderedCopyLeavesNothingOfAnEarlierCall() {
        for (int w : new int[] {1, V - 1, V, V + 3, 2 * V + 1}) {
            ChannelVectorConv.Bordered copy = new ChannelVectorConv.Bordered(3, 4, w, 1, 2, 7, w + 3);
            int sample = 3 * 4 * w;
            float[] x = new float[2 * sample];
            for (int k = 0; k < x.length; k++) {
                x[k] = k + 1;
            }
            for (int at : new int[] {0, sample}) {
                float[] pad = new float[copy.readSize() + 5];
                java.util.Arrays.fill(pad, Float.NaN);
                copy.fill(x, at, pad);
                for (int c = 0; c < 3; c++) {
                    for (int i = 0; i < 7; i++) {
                        for (int j = 0; j < w + 3; j++) {
                            boolean inside = i >= 1 && i < 5 && j >= 2 && j < w + 2;
                            float expected = inside ? x[at + (c * 4 + i - 1) * w + j - 2] : 0f;
                            assertEquals(expected, pad[(c * 7 + i) * (w + 3) + j],
                                    "width " + w + ", sample at " + at + ", (" + c + ", " + i + ", " + j + ")");
                        }
                    }
                }
                for (int k = copy.size(); k < copy.readSize(); k++) {
                    assertEquals(0f, pad[k], "width " + w + ": past the copy at " + k);
                }
            }
        }
    }

    private static Convolution.Geometry geometry(int n, int in, int out, int height, int width, Window2d win) {
        return new Convolution.Geometry(n, in, height, width, out, win.outputHeight(height), win.outputWidth(width), 1,
                win);
    }
}
