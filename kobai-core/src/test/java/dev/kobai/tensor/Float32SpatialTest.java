package dev.kobai.tensor;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The float32 loops of convolution and pooling (the ones training takes) against their float64
 * twins, forward and backward, element by element: the golden and gradient-check tests run in
 * float64 only. The inputs are float64 values rounded to float32, so both runs see the same numbers;
 * float32 rounding leaves them within 1e-5 of each other relative to the largest value, while a
 * wrong index or a dropped term moves them apart by the size of the values themselves.
 */
class Float32SpatialTest {
    private static void compare(String what, Tensor expected, Tensor got) {
        double scale = 0;
        double gap = 0;
        for (int i = 0; i < expected.numel(); i++) {
            scale = Math.max(scale, Math.abs(expected.getFlat(i)));
            gap = Math.max(gap, Math.abs(expected.getFlat(i) - got.getFlat(i)));
        }
        assertTrue(scale > 0.1, what + ": nothing to compare");
        assertTrue(gap <= 1e-5 * scale, what + ": float32 is " + gap + " from float64 (largest value " + scale + ")");
    }

    /** Runs {@code op} on float64 leaves and on their float32 roundings; compares the outputs and every gradient. */
    private static void twins(String what, List<Tensor> inputs64, Function<List<Tensor>, Tensor> op) {
        List<Tensor> a = inputs64.stream().map(t -> t.to(DType.FLOAT32).to(DType.FLOAT64).requiresGrad(true)).toList();
        List<Tensor> b = inputs64.stream().map(t -> t.to(DType.FLOAT32).requiresGrad(true)).toList();
        Tensor ya = op.apply(a);
        Tensor yb = op.apply(b);
        compare(what + " forward", ya, yb);
        // A weighted sum, so that every output element's gradient differs.
        Tensor weights = Tensor.randn(new Rng(99), DType.FLOAT64, ya.shape());
        ya.mul(weights).sum().backward();
        yb.mul(weights.to(DType.FLOAT32)).sum().backward();
        for (int i = 0; i < a.size(); i++) {
            compare(what + " gradient of input " + i, a.get(i).grad(), b.get(i).grad());
        }
    }

    @Test
    void conv2dWithGroupsStrideAndPaddingInFloat32FollowsFloat64() {
        Rng rng = new Rng(5);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 3, 4, 9, 8);
        Tensor w = Tensor.randn(rng, DType.FLOAT64, 6, 2, 3, 3);
        Tensor bias = Tensor.randn(rng, DType.FLOAT64, 6);
        twins("conv2d stride 2, padding 1, groups 2", List.of(x, w, bias),
                in -> Spatial.conv2d(in.get(0), in.get(1), in.get(2), Window2d.square(3, 2, 1, 1), 2));
        twins("conv2d dilation 2, no bias", List.of(x, Tensor.randn(rng, DType.FLOAT64, 5, 4, 3, 3)),
                in -> Spatial.conv2d(in.get(0), in.get(1), null, Window2d.square(3, 1, 2, 2), 1));
    }

    @Test
    void conv1dAndPoolingInFloat32FollowFloat64() {
        Rng rng = new Rng(6);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 2, 4, 11);
        twins("conv1d", List.of(x, Tensor.randn(rng, DType.FLOAT64, 3, 4, 3), Tensor.randn(rng, DType.FLOAT64, 3)),
                in -> Spatial.conv1d(in.get(0), in.get(1), in.get(2), 2, 1, 1, 1, 1));
        Tensor img = Tensor.randn(rng, DType.FLOAT64, 2, 3, 7, 7);
        twins("max pool", List.of(img), in -> Spatial.maxPool2d(in.get(0), Window2d.square(3, 2, 1, 1), true));
        twins("avg pool", List.of(img),
                in -> Spatial.avgPool2d(in.get(0), Window2d.square(3, 2, 1, 1), true, false, 0));
        twins("adaptive avg pool", List.of(img), in -> Spatial.adaptiveAvgPool2d(in.get(0), 3, 2));
    }
}
