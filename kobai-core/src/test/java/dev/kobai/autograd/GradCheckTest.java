package dev.kobai.autograd;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Every differentiable operation, first and second order, against central differences in float64.
 * Inputs are drawn away from kinks (relu at 0, abs at 0, ties in max) where the derivative is
 * not defined and finite differences straddle two slopes.
 */
class GradCheckTest {
    private static Tensor rand(long seed, int... shape) {
        return Tensor.uniform(new Rng(seed), DType.FLOAT64, -1, 1, shape);
    }

    /** Uniform values with magnitude in [0.2, 1.2], random sign: away from zero. */
    private static Tensor awayFromZero(long seed, int... shape) {
        Rng rng = new Rng(seed);
        Tensor t = Tensor.zeros(DType.FLOAT64, shape);
        for (int i = 0; i < t.numel(); i++) {
            double mag = 0.2 + rng.nextDouble();
            t.setFlat(i, rng.nextDouble() < 0.5 ? -mag : mag);
        }
        return t;
    }

    private static Tensor positive(long seed, int... shape) {
        return Tensor.uniform(new Rng(seed), DType.FLOAT64, 0.5, 2.0, shape);
    }

    private static Arguments op(String name, Function<Tensor[], Tensor> f, Tensor... inputs) {
        return Arguments.of(name, f, inputs);
    }

    static Stream<Arguments> operations() {
        int[] labels = {2, 0, 3};
        int[] rows = {1, 0, 1, 2};
        return Stream.of(
                op("add", x -> x[0].add(x[1]), rand(1, 3, 4), rand(2, 3, 4)),
                op("add broadcast row", x -> x[0].add(x[1]), rand(1, 3, 4), rand(2, 4)),
                op("add broadcast both", x -> x[0].add(x[1]), rand(1, 3, 1), rand(2, 1, 4)),
                op("sub broadcast scalar", x -> x[0].sub(x[1]), rand(1, 2, 3), rand(2, 1)),
                op("mul", x -> x[0].mul(x[1]), rand(3, 2, 3), rand(4, 2, 3)),
                op("mul broadcast column", x -> x[0].mul(x[1]), rand(3, 2, 3), rand(4, 2, 1)),
                op("div", x -> x[0].div(x[1]), rand(5, 2, 3), positive(6, 2, 3)),
                op("div broadcast", x -> x[0].div(x[1]), rand(5, 2, 3), positive(6, 3)),
                op("maximum", x -> x[0].maximum(x[1]), rand(7, 3, 3), rand(8, 3, 3)),
                op("minimum", x -> x[0].minimum(x[1]), rand(7, 3, 3), rand(8, 3, 3)),
                op("scalar ops", x -> x[0].add(0.5).mul(-2.0).rsub(1.5).div(3.0).sub(0.25), rand(9, 4)),
                op("neg", x -> x[0].neg(), rand(10, 4)),
                op("exp", x -> x[0].exp(), rand(11, 2, 3)),
                op("log", x -> x[0].log(), positive(12, 2, 3)),
                op("softplus", x -> x[0].softplus(), rand(61, 2, 3).mul(5.0)),
                op("sin", x -> x[0].sin(), rand(61, 2, 3).mul(3.0)),
                op("cos", x -> x[0].cos(), rand(62, 2, 3).mul(3.0)),
                op("tanh", x -> x[0].tanh(), rand(13, 2, 3)),
                op("sigmoid", x -> x[0].sigmoid(), rand(14, 2, 3).mul(4.0)),
                op("relu", x -> x[0].relu(), awayFromZero(15, 2, 3)),
                op("sqrt", x -> x[0].sqrt(), positive(16, 2, 3)),
                op("pow 3", x -> x[0].pow(3), rand(17, 2, 3)),
                op("pow -1.5", x -> x[0].pow(-1.5), positive(18, 5)),
                op("square", x -> x[0].square(), rand(19, 5)),
                op("abs", x -> x[0].abs(), awayFromZero(20, 5)),
                op("clampMin", x -> x[0].clampMin(0.1), awayFromZero(21, 6)),
                op("clampMax", x -> x[0].clampMax(-0.1), awayFromZero(22, 6)),
                op("sum all", x -> x[0].sum(), rand(23, 2, 3)),
                op("sum axis 0", x -> x[0].sum(0, false), rand(24, 2, 3, 2)),
                op("sum axis 1 keepdim", x -> x[0].sum(1, true), rand(25, 2, 3, 2)),
                op("sum axis -1", x -> x[0].sum(-1, false), rand(26, 2, 3)),
                op("mean axis 1", x -> x[0].mean(1, false), rand(27, 3, 4)),
                op("mean all", x -> x[0].mean(), rand(28, 3, 4)),
                op("max axis 1", x -> x[0].max(1, false), rand(29, 3, 4)),
                op("max axis 0 keepdim", x -> x[0].max(0, true), rand(30, 3, 4)),
                op("min all", x -> x[0].min(), rand(31, 3, 4)),
                op("reshape", x -> x[0].reshape(3, -1).mul(x[0].reshape(3, 4)), rand(32, 2, 6)),
                op("transpose 2-D", x -> x[0].t(), rand(33, 2, 3)),
                op("transpose 3-D", x -> x[0].transpose(0, 2), rand(34, 2, 3, 4)),
                op("broadcastTo", x -> x[0].broadcastTo(2, 3, 4), rand(35, 3, 1)),
                op("slice", x -> x[0].slice(1, 1, 3), rand(36, 2, 4, 2)),
                op("concat", x -> Tensor.concat(1, x[0], x[1]), rand(37, 2, 3), rand(38, 2, 2)),
                op("gatherRows with repeats", x -> x[0].gatherRows(rows), rand(39, 3, 2)),
                op("pick", x -> x[0].pick(labels), rand(40, 3, 4)),
                op("matmul", x -> x[0].matmul(x[1]), rand(41, 3, 4), rand(42, 4, 2)),
                op("matmul A^T", x -> x[0].matmul(x[1], true, false), rand(43, 4, 3), rand(44, 4, 2)),
                op("matmul B^T", x -> x[0].matmul(x[1], false, true), rand(45, 3, 4), rand(46, 2, 4)),
                op("matmul A^T B^T", x -> x[0].matmul(x[1], true, true), rand(47, 4, 3), rand(48, 2, 4)),
                op("batched matmul", x -> x[0].matmul(x[1]), rand(49, 2, 3, 4), rand(50, 2, 4, 2)),
                op("3-D times 2-D", x -> x[0].matmul(x[1]), rand(51, 2, 3, 4), rand(52, 4, 2)),
                op("softmax last axis", x -> x[0].softmax(-1), rand(53, 3, 4).mul(3.0)),
                op("softmax axis 0", x -> x[0].softmax(0), rand(54, 3, 4)),
                op("logSoftmax", x -> x[0].logSoftmax(1), rand(55, 3, 4).mul(3.0)),
                op("logSoftmax 3-D middle axis", x -> x[0].logSoftmax(1), rand(56, 2, 3, 2)),
                op("composite mlp", x -> x[0].matmul(x[1], false, true).add(x[2]).tanh().logSoftmax(1).pick(labels).mean(),
                        rand(57, 3, 4), rand(58, 5, 4), rand(59, 5)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("operations")
    void firstOrder(String name, Function<Tensor[], Tensor> f, Tensor[] inputs) {
        GradCheck.check(name, f, copies(inputs));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("operations")
    void secondOrder(String name, Function<Tensor[], Tensor> f, Tensor[] inputs) {
        GradCheck.checkSecondOrder(name, f, copies(inputs));
    }

    private static Tensor[] copies(Tensor[] inputs) {
        Tensor[] c = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            c[i] = inputs[i].copy();
        }
        return c;
    }

    @Test
    void aWrongBackwardIsCaught() {
        // exp(x) with the gradient of x^2 spliced in: the checker must notice.
        Function<Tensor[], Tensor> wrong = x -> x[0].square().detach().requiresGrad(false).add(x[0].mul(x[0].exp().detach()));
        assertThrows(GradCheck.Mismatch.class, () -> GradCheck.check("wrong", wrong, rand(60, 3)));
    }
}
