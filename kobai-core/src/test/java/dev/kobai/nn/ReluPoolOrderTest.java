package dev.kobai.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kobai.autograd.Autograd;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sequential pools before it applies a ReLU that precedes a max pooling; the output and every
 * gradient must have the same bits as the layers applied one by one in the written order, on
 * inputs with ties, zeros and windows whose elements are all negative.
 */
class ReluPoolOrderTest {
    @ParameterizedTest
    @ValueSource(strings = {"maxpool2d(2)", "maxpool2d(3,stride=2,padding=1,ceil_mode=true)", "maxpool2d(2,stride=1,dilation=2)"})
    void poolingFirstGivesTheSameBits(String pool) {
        for (DType dtype : DType.values()) {
            Sequential m = LayerSpec.build("conv2d(2,3,3,padding=1),relu," + pool + ",flatten", new Rng(2), dtype);
            Rng rng = new Rng(7);
            Tensor x = Tensor.zeros(dtype, 2, 2, 7, 6);
            for (int i = 0; i < x.numel(); i++) {
                // coarse values: many ties after the convolution, and whole windows below zero
                x.setFlat(i, rng.nextInt(5) - 3);
            }
            x.requiresGrad(true);
            Tensor swapped = m.forward(x);
            Tensor inOrder = x;
            for (Module layer : m.layers()) {
                inOrder = layer.forward(inOrder);
            }
            assertArrayEquals(inOrder.toDoubleArray(), swapped.toDoubleArray(), pool + " " + dtype + " output");
            Tensor seed = Tensor.randn(new Rng(3), dtype, swapped.shape());
            Tensor[] wrt = {x, m.parameters().get(0), m.parameters().get(1)};
            Tensor[] a = Autograd.grad(new Tensor[] {swapped}, new Tensor[] {seed}, wrt, false);
            Tensor[] b = Autograd.grad(new Tensor[] {inOrder}, new Tensor[] {seed}, wrt, false);
            for (int i = 0; i < a.length; i++) {
                assertArrayEquals(b[i].toDoubleArray(), a[i].toDoubleArray(), pool + " " + dtype + " gradient " + i);
            }
        }
    }

    /**
     * A batch norm in front joins the pooling in one operation (tensor.BatchNormPool): the output
     * and the running statistics keep the bits of the layers applied one by one; the gradients
     * differ only through the order of batch norm's per-channel sums (float32), or not at all where
     * nothing fuses (float64, other windows).
     */
    @ParameterizedTest
    @ValueSource(strings = {"maxpool2d(2)", "maxpool2d(3,stride=2,padding=1,ceil_mode=true)"})
    void aBatchNormInFrontKeepsTheOutputAndTheRunningStatistics(String pool) {
        for (DType dtype : DType.values()) {
            String spec = "conv2d(2,3,3,padding=1),batchnorm2d(3),relu," + pool + ",flatten";
            Sequential fused = LayerSpec.build(spec, new Rng(2), dtype);
            Sequential inOrder = LayerSpec.build(spec, new Rng(2), dtype);
            Tensor x = Tensor.randn(new Rng(8), dtype, 4, 2, 8, 6).requiresGrad(true);
            Tensor a = fused.forward(x);
            Tensor b = x;
            for (Module layer : inOrder.layers()) {
                b = layer.forward(b);
            }
            String what = pool + " " + dtype;
            assertArrayEquals(b.toDoubleArray(), a.toDoubleArray(), what + " output");
            BatchNorm2d normA = (BatchNorm2d) fused.layers().get(1);
            BatchNorm2d normB = (BatchNorm2d) inOrder.layers().get(1);
            assertArrayEquals(normB.runningMean().toDoubleArray(), normA.runningMean().toDoubleArray(), what);
            assertArrayEquals(normB.runningVar().toDoubleArray(), normA.runningVar().toDoubleArray(), what);
            assertEquals(1, normA.numBatchesTracked(), what);
            Tensor seed = Tensor.randn(new Rng(3), dtype, a.shape());
            Tensor[] ga = Autograd.grad(new Tensor[] {a}, new Tensor[] {seed}, fused.parameters().toArray(Tensor[]::new),
                    false);
            Tensor[] gb = Autograd.grad(new Tensor[] {b}, new Tensor[] {seed},
                    inOrder.parameters().toArray(Tensor[]::new), false);
            boolean fuses = dtype == DType.FLOAT32 && pool.equals("maxpool2d(2)");
            for (int i = 0; i < ga.length; i++) {
                double[] expected = gb[i].toDoubleArray();
                double[] actual = ga[i].toDoubleArray();
                for (int k = 0; k < expected.length; k++) {
                    assertEquals(expected[k], actual[k], fuses ? 1e-5 * (1 + Math.abs(expected[k])) : 0,
                            what + " gradient " + i + " element " + k);
                }
            }
        }
    }
}
