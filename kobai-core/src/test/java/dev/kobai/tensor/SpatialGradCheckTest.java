package dev.kobai.tensor;

import dev.kobai.autograd.GradCheck;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Convolution and pooling, first and second order, against central differences in float64
 * (torch's gradcheck and gradgradcheck), over strides, paddings (even and odd, asymmetric),
 * dilations and groups. Max pooling's inputs are a shuffled ramp, so no two elements of a window
 * tie and a small step does not change which one is largest.
 */
class SpatialGradCheckTest {
    private static Tensor rand(long seed, int... shape) {
        return Tensor.uniform(new Rng(seed), DType.FLOAT64, -1, 1, shape);
    }

    /** Distinct values 0.1 apart in random order: no ties, and a 1e-6 step changes no maximum. */
    private static Tensor ramp(long seed, int... shape) {
        Tensor t = Tensor.zeros(DType.FLOAT64, shape);
        int[] order = new Rng(seed).permutation(t.numel());
        for (int i = 0; i < order.length; i++) {
            t.setFlat(i, 0.1 * order[i] - 0.05 * order.length);
        }
        return t;
    }

    private static Arguments op(String name, Function<Tensor[], Tensor> f, Tensor... inputs) {
        return Arguments.of(name, f, inputs);
    }

    static Stream<Arguments> operations() {
        return Stream.of(
                op("conv2d 3x3", x -> Spatial.conv2d(x[0], x[1], x[2], Window2d.square(3, 1, 0, 1), 1),
                        rand(1, 2, 2, 5, 5), rand(2, 3, 2, 3, 3), rand(3, 3)),
                op("conv2d stride 2 padding 1", x -> Spatial.conv2d(x[0], x[1], x[2], Window2d.square(3, 2, 1, 1), 1),
                        rand(4, 2, 3, 6, 5), rand(5, 2, 3, 3, 3), rand(6, 2)),
                op("conv2d dilation 2 no bias", x -> Spatial.conv2d(x[0], x[1], null, Window2d.square(2, 1, 1, 2), 1),
                        rand(7, 1, 2, 5, 6), rand(8, 2, 2, 2, 2)),
                op("conv2d groups 2, 2x3 kernel, stride 2x1", x -> Spatial.conv2d(x[0], x[1], x[2],
                        new Window2d(2, 3, 2, 1, 0, 0, 1, 1, 1, 1), 2), rand(9, 2, 4, 5, 4), rand(10, 4, 2, 2, 3), rand(11, 4)),
                op("conv2d asymmetric padding (same, even kernel)", x -> Spatial.conv2d(x[0], x[1], x[2],
                        new Window2d(2, 4, 1, 1, 0, 1, 1, 2, 1, 1), 1), rand(12, 1, 2, 3, 4), rand(13, 2, 2, 2, 4), rand(14, 2)),
                op("conv1d", x -> Spatial.conv1d(x[0], x[1], x[2], 2, 1, 1, 1, 1), rand(15, 2, 2, 7), rand(16, 3, 2, 3),
                        rand(17, 3)),
                op("unfold", x -> Spatial.unfold(x[0], Window2d.square(2, 1, 1, 1)), rand(18, 2, 2, 3, 3)),
                op("unfold stride 2 dilation 2", x -> Spatial.unfold(x[0], new Window2d(2, 3, 2, 2, 1, 0, 1, 2, 2, 1)), rand(35, 1, 2, 5, 6)),
                op("max pool 2", x -> Spatial.maxPool2d(x[0], Window2d.square(2, 2, 0, 1), false), ramp(19, 2, 2, 4, 4)),
                op("max pool 3 stride 2 padding 1 ceil", x -> Spatial.maxPool2d(x[0], Window2d.square(3, 2, 1, 1), true),
                        ramp(20, 1, 2, 6, 5)),
                op("max pool dilation 2", x -> Spatial.maxPool2d(x[0], Window2d.square(2, 1, 0, 2), false),
                        ramp(21, 1, 1, 5, 5)),
                op("avg pool 2", x -> Spatial.avgPool2d(x[0], Window2d.square(2, 2, 0, 1), false, true, 0),
                        rand(22, 2, 2, 4, 4)),
                op("avg pool 3 stride 2 padding 1 ceil", x -> Spatial.avgPool2d(x[0], Window2d.square(3, 2, 1, 1), true,
                        true, 0), rand(23, 1, 2, 6, 5)),
                op("avg pool without padding count", x -> Spatial.avgPool2d(x[0], Window2d.square(3, 2, 1, 1), true,
                        false, 0), rand(24, 1, 1, 5, 5)),
                op("avg pool divisor override", x -> Spatial.avgPool2d(x[0], Window2d.square(2, 1, 0, 1), false, true, 3),
                        rand(25, 1, 1, 3, 3)),
                op("adaptive avg pool 3x2", x -> Spatial.adaptiveAvgPool2d(x[0], 3, 2), rand(26, 2, 2, 5, 7)),
                op("adaptive avg pool global", x -> Spatial.adaptiveAvgPool2d(x[0], 1, 1), rand(27, 2, 3, 3, 4)),
                op("channelSum", x -> Spatial.channelSum(x[0]), rand(28, 2, 3, 4)),
                // the non-linear compositions exercise second derivatives that do not vanish
                op("conv2d then tanh", x -> Spatial.conv2d(x[0], x[1], x[2], Window2d.square(3, 1, 1, 1), 1).tanh(),
                        rand(29, 1, 2, 4, 4), rand(30, 2, 2, 3, 3), rand(31, 2)),
                op("conv2d squared", x -> Spatial.conv2d(x[0], x[1], null, Window2d.square(2, 2, 0, 1), 1).square(),
                        rand(32, 2, 1, 4, 4), rand(33, 2, 1, 2, 2)),
                op("max pool of squares", x -> Spatial.maxPool2d(x[0].mul(x[0].add(20)), Window2d.square(2, 2, 0, 1), false),
                        ramp(34, 1, 2, 4, 4)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("operations")
    void firstDerivatives(String name, Function<Tensor[], Tensor> f, Tensor[] inputs) {
        GradCheck.check(name, f, inputs);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("operations")
    void secondDerivatives(String name, Function<Tensor[], Tensor> f, Tensor[] inputs) {
        GradCheck.checkSecondOrder(name, f, inputs);
    }
}
