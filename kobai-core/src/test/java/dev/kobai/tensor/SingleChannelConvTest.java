package dev.kobai.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.tensor.kernel.VectorWidth;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import java.util.stream.Stream;

/**
 * The one-channel convolution kernels against the general path (unfold, matrix product, bias) on
 * the same float32 operands: the forward pass bit for bit, the weight gradient to rounding and
 * against float64. The geometries put the last vector of a row on a lane boundary and off it, the
 * output channels in and out of blocks of four, and padding, dilation and kernel sizes apart.
 * Run again at 128, 256 and 512 bits by the kernel executions of the pom.
 */
class SingleChannelConvTest {
    private static final int V = VectorWidth.FLOAT.length();

    /** n, out, height, width, window, bias. */
    static Stream<Object[]> geometries() {
        return Stream.of(
                new Object[] {3, 32, 28, 28, Window2d.square(3, 1, 1, 1), true},   // the cnn preset's first layer
                new Object[] {2, 6, 28, 28, Window2d.square(5, 1, 2, 1), true},    // lenet5's
                new Object[] {2, 5, 19, 2 * V + 3, Window2d.square(3, 1, 0, 1), false},
                new Object[] {2, 7, 9, V, new Window2d(4, 4, 1, 1, 1, 2, 1, 2, 1, 1), true}, // "same", even kernel
                new Object[] {1, 4, 12, V + 4, Window2d.square(3, 1, 2, 2), true},  // dilation 2
                new Object[] {2, 9, 7, 3 * V + 2, new Window2d(2, 3, 1, 1, 0, 1, 2, 0, 1, 1), false},
                // rows of more than two vector pairs, so the weight gradient's pair loop runs twice
                new Object[] {1, 4, 5, 4 * V + 5, Window2d.square(3, 1, 0, 1), true},
                // a 2x4 kernel at dilation 2: taps of a block start in other columns than the first
                new Object[] {2, 3, 9, V + 9, new Window2d(2, 4, 1, 1, 1, 0, 0, 1, 2, 2), true});
    }

    @ParameterizedTest
    @MethodSource("geometries")
    void forwardGivesTheGeneralPathsBits(int n, int out, int height, int width, Window2d win, boolean withBias) {
        Convolution.Geometry geo = geometry(n, out, height, width, win);
        assertTrue(Convolution.singleChannel(Tensor.zeros(DType.FLOAT32, 1), geo), "the kernel takes " + geo);
        Rng rng = new Rng(height * 31L + width);
        Tensor x = Tensor.randn(rng, DType.FLOAT32, geo.inputShape());
        Tensor w = Tensor.randn(rng, DType.FLOAT32, geo.weightShape());
        Tensor bias = withBias ? Tensor.randn(rng, DType.FLOAT32, out) : null;

        Tensor direct = Tensor.zeros(DType.FLOAT32, geo.outputShape());
        Convolution.forwardSingleChannel(x, w, bias, direct, geo);
        Tensor general = Tensor.zeros(DType.FLOAT32, geo.outputShape());
        Convolution.forwardUnfolded(x, w, general, geo);
        for (int i = 0; i < general.numel(); i++) {
            double expected = general.getFlat(i) + (withBias ? bias.getFlat(i / geo.positions() % out) : 0);
            assertEquals((float) expected, direct.getFlat(i), 0.0, "output " + i + " of " + geo);
        }
    }

    @ParameterizedTest
    @MethodSource("geometries")
    void weightGradientAgreesWithTheGeneralPathAndWithFloat64(int n, int out, int height, int width, Window2d win,
                                                              boolean withBias) {
        Convolution.Geometry geo = geometry(n, out, height, width, win);
        Rng rng = new Rng(height * 17L + width);
        Tensor x = Tensor.randn(rng, DType.FLOAT32, geo.inputShape());
        Tensor g = Tensor.randn(rng, DType.FLOAT32, geo.outputShape());

        Tensor direct = Tensor.zeros(DType.FLOAT32, geo.weightShape());
        Convolution.backwardWeight(x, g, direct, geo, true, false);
        Tensor general = Tensor.zeros(DType.FLOAT32, geo.weightShape());
        Convolution.backwardWeight(x, g, general, geo, false, false);
        Tensor exact = Tensor.zeros(DType.FLOAT64, geo.weightShape());
        Convolution.backwardWeight(x.to(DType.FLOAT64), g.to(DType.FLOAT64), exact, geo, false, false);
        // each element sums n OH OW products of standard normals: rounding grows with that count
        double bound = 1e-6 * n * geo.positions();
        for (int i = 0; i < exact.numel(); i++) {
            assertEquals(exact.getFlat(i), direct.getFlat(i), bound, "element " + i + " of " + geo);
            assertEquals(general.getFlat(i), direct.getFlat(i), bound, "element " + i + " of " + geo);
        }
        // and the sum is not trivially small: a wrong tap or a doubly counted lane would show
        double norm = 0;
        for (int i = 0; i < exact.numel(); i++) {
            norm += Math.abs(exact.getFlat(i));
        }
        assertTrue(norm / exact.numel() > 100 * bound, "a gradient large against the bound");
    }

    /** The zero-bordered copy holds the image and its padding on every side, and nothing more. */
    @Test
    void scratchHoldsThePaddedImage() {
        assertEquals(30 * 30, SingleChannelConv.scratchSize(geometry(1, 1, 28, 28, Window2d.square(3, 1, 1, 1))));
        assertEquals((9 + 1 + 2) * (20 + 3 + 0), SingleChannelConv.scratchSize(
                geometry(1, 1, 9, 20, new Window2d(2, 2, 1, 1, 1, 2, 3, 0, 1, 1))));
    }

    @Test
    void otherConvolutionsKeepTheGeneralPath() {
        Tensor f32 = Tensor.zeros(DType.FLOAT32, 1);
        assertFalse(Convolution.singleChannel(f32, geometry(2, 8, 28, 28, Window2d.square(3, 2, 1, 1))), "stride 2");
        assertFalse(Convolution.singleChannel(f32, new Convolution.Geometry(2, 2, 28, 28, 8, 28, 28, 1,
                Window2d.square(3, 1, 1, 1))), "two channels");
        assertFalse(Convolution.singleChannel(Tensor.zeros(DType.FLOAT64, 1),
                geometry(2, 8, 28, 28, Window2d.square(3, 1, 1, 1))), "float64");
        Window2d narrow = Window2d.square(3, 1, 0, 1);
        assertFalse(Convolution.singleChannel(f32, geometry(2, 8, 8, V + 1, narrow)), "rows narrower than a vector");
        assertTrue(Convolution.singleChannel(f32, geometry(2, 8, 8, V + 2, narrow)), "rows of exactly a vector");
    }

    private static Convolution.Geometry geometry(int n, int out, int height, int width, Window2d win) {
        return new Convolution.Geometry(n, 1, height, width, out, win.outputHeight(height), win.outputWidth(width), 1,
                win);
    }
}
