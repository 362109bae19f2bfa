package dev.kobai.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.autograd.Autograd;
import dev.kobai.autograd.GradCheck;
import java.util.Arrays;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Batch, layer and group normalisation, first and second order, against central differences in
 * float64 (torch's gradcheck and gradgradcheck), with and without the affine parameters, batch norm
 * in training and in evaluation, over each of the kernels' three layouts (runs: spatial inputs;
 * rows: layer norm and group norm over [N, C]; columns: batch norm over [N, C]). The first-order
 * check runs the fused backward (nothing recorded); the second-order one differentiates the
 * recorded backward; {@link #fusedAndRecordedBackwardsAgree} ties the two together.
 */
class NormalizationGradCheckTest {
    private static final double EPS = 1e-5;

    private static Tensor rand(long seed, int... shape) {
        return Tensor.uniform(new Rng(seed), DType.FLOAT64, -1, 1, shape);
    }

    /** Running variances: positive, away from zero. */
    private static Tensor positive(long seed, int n) {
        return Tensor.uniform(new Rng(seed), DType.FLOAT64, 0.5, 2, n);
    }

    /** A constant in the dtype of the input it goes with (the float32 twin test reruns every case in float32). */
    private static Tensor as(Tensor constant, Tensor input) {
        return constant.to(input.dtype());
    }

    private static Arguments op(String name, Function<Tensor[], Tensor> f, Tensor... inputs) {
        return Arguments.of(name, f, inputs);
    }

    static Stream<Arguments> operations() {
        Tensor mean3 = rand(90, 3);
        Tensor var3 = positive(91, 3);
        Tensor mean5 = rand(92, 5);
        Tensor var5 = positive(93, 5);
        return Stream.of(
                op("batch norm 2d", x -> Normalization.batchNorm(x[0], null, null, x[1], x[2], true, 0.1, EPS),
                        rand(1, 2, 3, 3, 2), rand(2, 3), rand(3, 3)),
                op("batch norm 2d without affine", x -> Normalization.batchNorm(x[0], null, null, null, null, true, 0.1,
                        EPS), rand(4, 3, 2, 2, 2)),
                op("batch norm 2d weight only", x -> Normalization.batchNorm(x[0], null, null, x[1], null, true, 0.1,
                        EPS), rand(5, 2, 3, 2, 2), rand(6, 3)),
                op("batch norm 1d over [N, C, L]", x -> Normalization.batchNorm(x[0], null, null, x[1], x[2], true, 0.1,
                        EPS), rand(7, 3, 3, 4), rand(8, 3), rand(9, 3)),
                op("batch norm 1d over [N, C]", x -> Normalization.batchNorm(x[0], null, null, x[1], x[2], true, 0.1,
                        EPS), rand(10, 4, 5), rand(11, 5), rand(12, 5)),
                op("batch norm 1d over [N, C] without affine", x -> Normalization.batchNorm(x[0], null, null, null,
                        null, true, 0.1, EPS), rand(13, 3, 4)),
                op("batch norm 2d evaluation", x -> Normalization.batchNorm(x[0], as(mean3, x[0]), as(var3, x[0]),
                        x[1], x[2], false, 0.1, EPS), rand(14, 2, 3, 2, 3), rand(15, 3), rand(16, 3)),
                op("batch norm 2d evaluation without affine", x -> Normalization.batchNorm(x[0], as(mean3, x[0]),
                        as(var3, x[0]), null, null, false, 0.1, EPS), rand(17, 2, 3, 2, 2)),
                op("batch norm 1d evaluation over [N, C]", x -> Normalization.batchNorm(x[0], as(mean5, x[0]),
                        as(var5, x[0]), x[1], x[2], false, 0.1, EPS), rand(18, 3, 5), rand(19, 5), rand(20, 5)),
                op("layer norm over the last dimension", x -> Normalization.layerNorm(x[0], new int[] {5}, x[1], x[2],
                        EPS), rand(21, 2, 3, 5), rand(22, 5), rand(23, 5)),
                op("layer norm over the last two dimensions", x -> Normalization.layerNorm(x[0], new int[] {2, 3},
                        x[1], x[2], EPS), rand(24, 3, 2, 3), rand(25, 2, 3), rand(26, 2, 3)),
                op("layer norm without affine", x -> Normalization.layerNorm(x[0], new int[] {4}, null, null, EPS),
                        rand(27, 3, 4)),
                op("group norm, 2 groups", x -> Normalization.groupNorm(x[0], 2, x[1], x[2], EPS),
                        rand(28, 2, 4, 2, 3), rand(29, 4), rand(30, 4)),
                op("group norm, 1 group", x -> Normalization.groupNorm(x[0], 1, x[1], x[2], EPS),
                        rand(31, 2, 3, 2, 2), rand(32, 3), rand(33, 3)),
                op("group norm, a group per channel", x -> Normalization.groupNorm(x[0], 3, x[1], x[2], EPS),
                        rand(34, 2, 3, 2, 2), rand(35, 3), rand(36, 3)),
                op("group norm without affine", x -> Normalization.groupNorm(x[0], 2, null, null, EPS),
                        rand(37, 2, 4, 3)),
                op("group norm over [N, C]", x -> Normalization.groupNorm(x[0], 2, x[1], x[2], EPS),
                        rand(38, 3, 6), rand(39, 6), rand(40, 6)),
                // composed with a non-linearity, so every second derivative of the normalisation meets a non-zero curvature
                op("batch norm 2d then tanh", x -> Normalization.batchNorm(x[0], null, null, x[1], x[2], true, 0.1, EPS)
                        .tanh(), rand(41, 2, 2, 2, 3), rand(42, 2), rand(43, 2)),
                op("layer norm squared", x -> Normalization.layerNorm(x[0], new int[] {4}, x[1], x[2], EPS).square(),
                        rand(44, 3, 4), rand(45, 4), rand(46, 4)),
                op("group norm of squares", x -> Normalization.groupNorm(x[0].mul(x[0].add(2)), 2, x[1], x[2], EPS),
                        rand(47, 2, 4, 2, 2), rand(48, 4), rand(49, 4)));
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

    /**
     * The fused backward (createGraph false) and the recorded one (createGraph true) give the same
     * gradients, to rounding: the second-order check above differentiates the recorded one, so
     * this is what makes it vouch for the fused one too.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("operations")
    void fusedAndRecordedBackwardsAgree(String name, Function<Tensor[], Tensor> f, Tensor[] inputs) {
        for (Tensor x : inputs) {
            x.requiresGrad(true);
        }
        Tensor y = f.apply(inputs);
        Tensor seed = rand(7, y.shape());
        Tensor[] fused = Autograd.grad(new Tensor[] {y}, new Tensor[] {seed}, inputs, false);
        // a seed that requires a gradient makes every gradient a recorded function of it
        Tensor[] recorded = Autograd.grad(new Tensor[] {y}, new Tensor[] {seed.requiresGrad(true)}, inputs, true);
        for (int i = 0; i < inputs.length; i++) {
            assertTrue(recorded[i].requiresGrad(), name + ": input " + i + "'s gradient is recorded");
            assertClose(recorded[i], fused[i], 1e-12, name + ", input " + i);
        }
    }

    /** The float32 loops give the float64 loops' results to float32 rounding, in every layout and both passes. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("operations")
    void float32TracksFloat64(String name, Function<Tensor[], Tensor> f, Tensor[] inputs) {
        Tensor[] wide = new Tensor[inputs.length];
        Tensor[] narrow = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            wide[i] = inputs[i].copy().requiresGrad(true);
            narrow[i] = inputs[i].to(DType.FLOAT32).detach().requiresGrad(true);
        }
        Tensor y64 = f.apply(wide);
        Tensor y32 = f.apply(narrow);
        assertEquals(DType.FLOAT32, y32.dtype());
        assertClose(y64, y32, 1e-5, name + " output");
        Tensor seed = rand(8, y64.shape());
        Tensor[] g64 = Autograd.grad(new Tensor[] {y64}, new Tensor[] {seed}, wide, false);
        Tensor[] g32 = Autograd.grad(new Tensor[] {y32}, new Tensor[] {seed.to(DType.FLOAT32)}, narrow, false);
        for (int i = 0; i < inputs.length; i++) {
            assertClose(g64[i], g32[i], 1e-4, name + " gradient " + i);
        }
    }

    private static void assertClose(Tensor expected, Tensor actual, double tol, String what) {
        assertEquals(Arrays.toString(expected.shape()), Arrays.toString(actual.shape()), what + " shape");
        double scale = 1;
        for (int i = 0; i < expected.numel(); i++) {
            scale = Math.max(scale, Math.abs(expected.getFlat(i)));
        }
        for (int i = 0; i < expected.numel(); i++) {
            double e = expected.getFlat(i);
            double a = actual.getFlat(i);
            assertTrue(Math.abs(e - a) <= tol * scale, what + "[" + i + "]: " + e + " vs " + a);
        }
    }

    // ---------------------------------------------------------------- values and contracts

    @Test
    void trainingBatchNormGivesZeroMeanUnitVariancePerChannelAndUpdatesTheRunningStatistics() {
        Tensor x = Tensor.randn(new Rng(3), DType.FLOAT64, 4, 2, 3, 3).mul(3).add(10);
        Tensor runningMean = Tensor.zeros(DType.FLOAT64, 2);
        Tensor runningVar = Tensor.ones(DType.FLOAT64, 2);
        Tensor y = Normalization.batchNorm(x, runningMean, runningVar, null, null, true, 0.25, 0);
        for (int c = 0; c < 2; c++) {
            double sum = 0;
            double sq = 0;
            double xs = 0;
            double xsq = 0;
            int n = 0;
            for (int s = 0; s < 4; s++) {
                for (int i = 0; i < 9; i++) {
                    double v = y.get(s, c, i / 3, i % 3);
                    sum += v;
                    sq += v * v;
                    double xv = x.get(s, c, i / 3, i % 3);
                    xs += xv;
                    xsq += xv * xv;
                    n++;
                }
            }
            assertEquals(0, sum / n, 1e-12);
            assertEquals(1, sq / n, 1e-12);
            double mean = xs / n;
            double unbiased = (xsq - n * mean * mean) / (n - 1);
            assertEquals(0.25 * mean, runningMean.getFlat(c), 1e-12);
            assertEquals(0.75 + 0.25 * unbiased, runningVar.getFlat(c), 1e-10);
        }
    }

    @Test
    void evaluationBatchNormIsTheAffineMapOfTheRunningStatistics() {
        Tensor x = rand(4, 2, 3, 2);
        Tensor mean = Tensor.of(0.5, -1, 2);
        Tensor var = Tensor.of(4, 0.25, 1);
        Tensor w = Tensor.of(2, 3, -1);
        Tensor b = Tensor.of(0, 1, 0.5);
        Tensor y = Normalization.batchNorm(x, mean, var, w, b, false, 0.1, 0);
        for (int i = 0; i < x.numel(); i++) {
            int c = (i / 2) % 3;
            double expected = (x.getFlat(i) - mean.getFlat(c)) / Math.sqrt(var.getFlat(c)) * w.getFlat(c) + b.getFlat(c);
            assertEquals(expected, y.getFlat(i), 1e-14);
        }
        assertEquals(0.5, mean.getFlat(0), "evaluation leaves the running statistics alone");
    }

    @Test
    void largeMeansCostNoDigits() {
        // one-pass moments about the first element: a mean of 1e4 against a spread of 1e-3 keeps float32's digits
        Tensor x = Tensor.zeros(DType.FLOAT32, 8, 3);
        for (int i = 0; i < x.numel(); i++) {
            x.setFlat(i, 1e4 + 1e-3 * ((i * 7) % 5));
        }
        Tensor y = Normalization.batchNorm(x, null, null, null, null, true, 0.1, 0);
        Tensor exact = Normalization.batchNorm(x.to(DType.FLOAT64), null, null, null, null, true, 0.1, 0);
        assertClose(exact, y, 1e-5, "float32 batch norm of large values");
        Tensor row = Normalization.layerNorm(x.to(DType.FLOAT64).sub(1e4).mul(1e7), new int[] {3}, null, null, 0);
        assertClose(row, Normalization.layerNorm(x.to(DType.FLOAT64).mul(1e7), new int[] {3}, null, null, 0), 1e-6,
                "layer norm shifted by 1e11");
    }

    @Test
    void gradientsAreTheSameBitsWhateverTheThreadCount() {
        Tensor x = rand(50, 64, 64, 6, 6).requiresGrad(true);
        Tensor w = rand(51, 64).requiresGrad(true);
        Tensor b = rand(52, 64).requiresGrad(true);
        Tensor seed = rand(53, 64, 64, 6, 6);
        int threads = dev.kobai.tensor.kernel.Parallel.threads();
        Tensor[] one;
        try {
            dev.kobai.tensor.kernel.Parallel.setThreads(1);
            one = Autograd.grad(new Tensor[] {Normalization.groupNorm(x, 4, w, b, EPS)}, new Tensor[] {seed},
                    new Tensor[] {x, w, b}, false);
        } finally {
            dev.kobai.tensor.kernel.Parallel.setThreads(threads);
        }
        Tensor[] many = Autograd.grad(new Tensor[] {Normalization.groupNorm(x, 4, w, b, EPS)}, new Tensor[] {seed},
                new Tensor[] {x, w, b}, false);
        for (int i = 0; i < 3; i++) {
            assertTrue(Arrays.equals(one[i].toDoubleArray(), many[i].toDoubleArray()), "gradient " + i);
        }
    }

    @Test
    void onlyWhatRequiresAGradientGetsOne() {
        Tensor x = rand(60, 3, 2, 2);
        Tensor w = rand(61, 2).requiresGrad(true);
        Tensor b = rand(62, 2);
        Tensor y = Normalization.batchNorm(x, null, null, w, b, true, 0.1, EPS);
        Tensor[] g = dev.kobai.tensor.Backprop.run(new Tensor[] {y}, new Tensor[] {rand(63, 3, 2, 2)},
                new Tensor[] {x, w, b}, false);
        assertNull(g[0]);
        assertNull(g[2]);
        assertEquals(2, g[1].numel());
    }

    @Test
    void badArgumentsSayWhatIsWrong() {
        Tensor x = rand(70, 1, 3);
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class,
                () -> Normalization.batchNorm(x, null, null, null, null, true, 0.1, EPS));
        assertEquals("Expected more than 1 value per channel when training, got input size [1, 3]", one.getMessage());
        Normalization.batchNorm(x, Tensor.zeros(DType.FLOAT64, 3), Tensor.ones(DType.FLOAT64, 3), null, null, false,
                0.1, EPS); // evaluation takes a single sample
        IllegalArgumentException weight = assertThrows(IllegalArgumentException.class,
                () -> Normalization.batchNorm(rand(71, 2, 3), null, null, rand(72, 4), null, true, 0.1, EPS));
        assertEquals("batchNorm: weight float64[4] should have shape [3] for input float64[2, 3]", weight.getMessage());
        IllegalArgumentException layer = assertThrows(IllegalArgumentException.class,
                () -> Normalization.layerNorm(rand(73, 2, 3), new int[] {4}, null, null, EPS));
        assertEquals("layerNorm: Given normalized_shape=[4], expected input with shape [*, 4], but got input of "
                + "size[2, 3]", layer.getMessage());
        IllegalArgumentException groups = assertThrows(IllegalArgumentException.class,
                () -> Normalization.groupNorm(rand(74, 2, 4, 3), 3, null, null, EPS));
        assertTrue(groups.getMessage().startsWith("groupNorm: num_channels must be divisible by num_groups"),
                groups.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Normalization.batchNorm(rand(75, 2, 3), null, null, null, null, false, 0.1, EPS));
    }
}
