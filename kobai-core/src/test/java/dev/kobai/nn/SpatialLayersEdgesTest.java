package dev.kobai.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The convolution, pooling and normalization layers at their edges (issue 19's standard applied to
 * the convolution code): torch's initialization bound 1/sqrt(fan_in) with fan_in = in/groups x
 * kernel, the smallest sizes and eps/momentum at their bounds accepted, an input of exactly the
 * normalized rank, and the accessors and text forms the model summary reads.
 */
class SpatialLayersEdgesTest {
    /** Every value within [-bound, bound], and (for enough samples) spread over both halves of it. */
    private static void uniformWithin(Tensor t, double bound, String what) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < t.numel(); i++) {
            min = Math.min(min, t.getFlat(i));
            max = Math.max(max, t.getFlat(i));
        }
        assertTrue(min >= -bound && max <= bound, what + " in [" + min + ", " + max + "], bound " + bound);
        if (t.numel() >= 50) {
            assertTrue(min < -bound / 2 && max > bound / 2, what + " spread only over [" + min + ", " + max + "]");
        } else {
            assertTrue(min < max, what + " all equal to " + min);
        }
    }

    @Test
    void convolutionsDrawWeightsAndBiasWithinTorchsBound() {
        // Conv1d(4, 6, 5, groups=2): fan_in = 4 / 2 * 5 = 10.
        Conv1d c1 = new Conv1d(4, 6, 5, 1, 0, 1, 2, true, new Rng(1), DType.FLOAT64);
        uniformWithin(c1.weight(), 1 / Math.sqrt(10), "Conv1d weight");
        assertArrayEquals(new int[] {6, 2, 5}, c1.weight().shape());
        uniformWithin(c1.bias(), 1 / Math.sqrt(10), "Conv1d bias");
        // Conv2d(4, 6, 3, groups=2): fan_in = 2 * 9 = 18; 60 weights, 6 biases.
        Conv2d c2 = Conv2d.builder(4, 6, 3).groups(2).build(new Rng(2), DType.FLOAT64);
        uniformWithin(c2.weight(), 1 / Math.sqrt(18), "Conv2d weight");
        uniformWithin(c2.bias(), 1 / Math.sqrt(18), "Conv2d bias");
        assertEquals(6, c2.outChannels());
        assertEquals(2, c2.groups());
        assertNull(new Conv1d(2, 2, 3, 1, 0, 1, 1, false, new Rng(1), DType.FLOAT64).bias());
    }

    @Test
    void theSmallestSizesAndBoundaryValuesAreAccepted() {
        Conv1d tiny = new Conv1d(1, 1, 1, 1, 0, 1, 1, false, new Rng(1), DType.FLOAT64);
        assertEquals(tiny.weight().getFlat(0), tiny.forward(Tensor.ones(DType.FLOAT64, 1, 1, 1)).getFlat(0), 1e-15);
        assertEquals(1, Conv2d.builder(1, 1, 1).build(new Rng(1), DType.FLOAT64).inChannels());
        BatchNorm2d bn = BatchNorm2d.builder(1).eps(0).momentum(0).build(DType.FLOAT64);
        assertEquals(0.0, bn.eps());
        assertEquals(0.0, bn.momentum());
        assertEquals(1.0, BatchNorm2d.builder(1).momentum(1).build(DType.FLOAT64).momentum());
        assertEquals(1, new GroupNorm(1, 1, 0.0, true, DType.FLOAT64).numGroups());
        GroupNorm gn = new GroupNorm(2, 4, 1e-3, true, DType.FLOAT64);
        assertEquals(4, gn.numChannels());
        assertEquals(1e-3, gn.eps());
        assertArrayEquals(new double[] {1, 1, 1, 1}, gn.weight().toDoubleArray());
        assertArrayEquals(new double[] {0, 0, 0, 0}, gn.bias().toDoubleArray());
        assertNull(new GroupNorm(2, 4, 0.0, false, DType.FLOAT64).weight());
        LayerNorm ln = new LayerNorm(new int[] {1}, 0.0, true, DType.FLOAT64);
        assertArrayEquals(new int[] {1}, ln.normalizedShape());
        assertEquals(0.0, ln.eps());
        assertEquals(1e-3, new LayerNorm(new int[] {2}, 1e-3, true, DType.FLOAT64).eps());
        assertEquals(1.0, ln.weight().getFlat(0));
        assertEquals(0.0, ln.bias().getFlat(0));
        // An input of exactly the normalized rank: one sample, normalized over everything.
        Tensor y = new LayerNorm(new int[] {4}, 0.0, false, DType.FLOAT64).forward(Tensor.of(1.0, 2.0, 3.0, 4.0));
        assertEquals(-1.5 / Math.sqrt(1.25), y.getFlat(0), 1e-12);
        BasicBlock b = new BasicBlock(1, 1, 1, new Rng(1), DType.FLOAT64);
        assertEquals(1, b.inplanes());
        assertEquals(1, b.planes());
        assertEquals(1, b.stride());
        assertEquals(1, b.bn1().numFeatures());
        assertSame(b.bn1(), b.bn1());
        assertNull(b.downsample());
    }

    @Test
    void batchNormReportsItsSettings() {
        BatchNorm2d bn = BatchNorm2d.builder(3).eps(1e-3).momentum(0.2).affine(false).trackRunningStats(false)
                .build(DType.FLOAT64);
        assertEquals(1e-3, bn.eps());
        assertEquals(0.2, bn.momentum());
        assertFalse(bn.affine());
        assertFalse(bn.trackRunningStats());
        assertFalse(bn.cumulativeAverage());
        BatchNorm2d cumulative = BatchNorm2d.builder(3).cumulativeAverage().build(DType.FLOAT64);
        assertTrue(cumulative.cumulativeAverage());
        assertTrue(cumulative.affine());
        assertTrue(cumulative.trackRunningStats());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bn.forward(Tensor.zeros(DType.FLOAT64, 2, 3)));
        assertTrue(e.getMessage().endsWith("laid out as [batch, 3, height, width]"), e.getMessage());
    }

    @Test
    void poolingLayersReportTheirWindowsAndPrintAsTorchDoes() {
        MaxPool2d max = new MaxPool2d(3, 2, 1, 1, true);
        assertEquals(3, max.window().kernelH());
        assertEquals(2, max.window().strideH());
        assertTrue(max.ceilMode());
        assertFalse(new MaxPool2d(2).ceilMode());
        // torch 1.13's reprs
        assertEquals("MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True)", max.toString());
        assertEquals("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
                new MaxPool2d(2).toString());
        assertEquals("AdaptiveAvgPool2d(output_size=(2, 3))", new AdaptiveAvgPool2d(2, 3).toString());
        assertEquals("AdaptiveAvgPool2d(output_size=4)", new AdaptiveAvgPool2d(4).toString());
        assertEquals(2, new AdaptiveAvgPool2d(2, 3).outputHeight());
        assertEquals(3, new AdaptiveAvgPool2d(2, 3).outputWidth());

        AvgPool2d avg = new AvgPool2d(3, 2, 1, true, false, 2);
        assertEquals(1, avg.window().padTop());
        assertTrue(avg.ceilMode());
        assertFalse(new AvgPool2d(2).ceilMode());
        // torch prints kernel, stride and padding only; Kobai adds the options that change the result.
        assertEquals("AvgPool2d(kernel_size=2, stride=2, padding=0)", new AvgPool2d(2).toString());
        assertEquals("AvgPool2d(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False, "
                + "divisor_override=2)", avg.toString());
    }

    @Test
    void conv1dPrintsTheOptionsThatDifferFromTheDefaults() {
        assertEquals("Conv1d(4, 6, kernel_size=(5,), stride=(2,), padding=(1,), dilation=(2,), groups=2, bias=False)",
                new Conv1d(4, 6, 5, 2, 1, 2, 2, false, new Rng(1), DType.FLOAT64).toString());
        assertEquals("Conv1d(4, 6, kernel_size=(5,))", new Conv1d(4, 6, 5, new Rng(1), DType.FLOAT64).toString());
        assertEquals("Conv2d(4, 6, kernel_size=(3, 3), padding='same', dilation=(2, 2))",
                Conv2d.builder(4, 6, 3).padding("same").dilation(2).build(new Rng(1), DType.FLOAT64).toString());
    }
}
