package dev.kobai.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * Nested-array factories, and {@code toString} against what PyTorch 1.13 prints for the same
 * tensors ({@code str(t)}, default print options; the expected strings were printed by torch, with
 * its {@code dtype=torch.float64} written as Kobai names the dtype).
 */
class TensorPrintTest {
    private static float[] range(int n, float divisor) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = i / divisor;
        }
        return out;
    }

    @Test
    void nestedArraysMakeTensorsOfTheirShape() {
        Tensor f = Tensor.of(new float[][] {{1, 2, 3}, {4, 5, 6}});
        assertEquals("float32[2, 3]", f.describe());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, f.floatData());
        Tensor d = Tensor.of(new double[][] {{1, 2}, {3, 4}, {5, 6}});
        assertEquals("float64[3, 2]", d.describe());
        assertEquals(4.0, d.getFlat(3));
        Tensor cube = Tensor.of(new double[][][] {{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}});
        assertEquals("float64[2, 2, 2]", cube.describe());
        assertEquals(7.0, cube.getFlat(6));
        assertEquals("float32[3]", Tensor.of(new float[] {1, 2, 3}).describe());
        assertEquals("float64[2]", Tensor.of(1, 2).describe(), "Tensor.of(ints) stays float64");
        assertEquals("Tensor.of: row 1 has 1 values, row 0 has 2; rows must have one length",
                assertThrows(IllegalArgumentException.class, () -> Tensor.of(new double[][] {{1, 2}, {3}})).getMessage());
        assertEquals("Tensor.of: row 1 of block 0 has 3 values, row 0 of block 0 has 2", assertThrows(
                IllegalArgumentException.class, () -> Tensor.of(new double[][][] {{{1, 2}, {3, 4, 5}}})).getMessage());
        float[] row = {1, 2};
        Tensor copied = Tensor.of(new float[][] {row});
        row[0] = 9;
        assertEquals(1.0, copied.getFlat(0), "the rows are copied");
    }

    @Test
    void printsAsTorchPrints() {
        assertEquals("tensor([[1., 2.],\n        [3., 4.]])", Tensor.of(new float[][] {{1, 2}, {3, 4}}).toString());
        assertEquals("tensor([ 0.1000,  2.5000, -3.2500])", Tensor.of(new float[] {0.1f, 2.5f, -3.25f}).toString());
        assertEquals("tensor([1.5000, 2.0000], dtype=float64)", Tensor.of(1.5, 2.0).toString());
        assertEquals("tensor([1.0000e-05, 1.0000e+00, 3.0000e+02])", Tensor.of(new float[] {1e-5f, 1, 300}).toString());
        assertEquals("tensor([1.0000e+00, 1.0000e+09])", Tensor.of(new float[] {1, 1e9f}).toString());
        assertEquals("tensor(3.)", Tensor.scalar(3, DType.FLOAT32).toString());
        assertEquals("tensor(0.5000)", Tensor.scalar(0.5, DType.FLOAT32).toString());
        assertEquals("tensor([nan, inf, -1.,  0.])",
                Tensor.of(new float[] {Float.NaN, Float.POSITIVE_INFINITY, -1, 0}).toString());
        assertEquals("tensor([[0., 0., 0.],\n        [0., 0., 0.]])", Tensor.zeros(DType.FLOAT32, 2, 3).toString());
        assertEquals("tensor([[[ 0.,  1.,  2.],\n         [ 3.,  4.,  5.]],\n\n        [[ 6.,  7.,  8.],\n"
                + "         [ 9., 10., 11.]]])", Tensor.fromArray(range(12, 1), 2, 2, 3).toString());
        assertEquals("tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,\n"
                + "        3.0000, 3.3333, 3.6667, 4.0000, 4.3333, 4.6667, 5.0000, 5.3333, 5.6667,\n"
                + "        6.0000, 6.3333, 6.6667, 7.0000, 7.3333, 7.6667, 8.0000, 8.3333, 8.6667,\n"
                + "        9.0000, 9.3333, 9.6667])", Tensor.fromArray(range(30, 3), 30).toString());
        assertEquals("tensor([], size=(0, 3))", Tensor.zeros(DType.FLOAT32, 0, 3).toString());
        assertEquals("tensor([])", Tensor.zeros(DType.FLOAT32, 0).toString());
        Tensor w = Tensor.ones(DType.FLOAT32, 2);
        w.requiresGrad(true);
        assertEquals("tensor([1., 1.], requires_grad=True)", w.toString());
        // torch says grad_fn=<MulBackward0>; Kobai names its own operation
        assertEquals("tensor([2., 2.], grad_fn=<mulBackward>)", w.mul(Tensor.full(DType.FLOAT32, 2, 2)).toString());
    }

    @Test
    void largeTensorsAreSummarisedAsTorchSummarisesThem() {
        assertEquals("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])",
                Tensor.fromArray(range(2000, 1), 2000).toString());
        assertEquals("tensor([[0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 3.8571e+00, 4.0000e+00,\n"
                + "         4.1429e+00],\n"
                + "        [4.2857e+00, 4.4286e+00, 4.5714e+00,  ..., 8.1429e+00, 8.2857e+00,\n"
                + "         8.4286e+00],\n"
                + "        [8.5714e+00, 8.7143e+00, 8.8571e+00,  ..., 1.2429e+01, 1.2571e+01,\n"
                + "         1.2714e+01],\n"
                + "        ...,\n"
                + "        [1.5857e+02, 1.5871e+02, 1.5886e+02,  ..., 1.6243e+02, 1.6257e+02,\n"
                + "         1.6271e+02],\n"
                + "        [1.6286e+02, 1.6300e+02, 1.6314e+02,  ..., 1.6671e+02, 1.6686e+02,\n"
                + "         1.6700e+02],\n"
                + "        [1.6714e+02, 1.6729e+02, 1.6743e+02,  ..., 1.7100e+02, 1.7114e+02,\n"
                + "         1.7129e+02]])", Tensor.fromArray(range(1200, 7), 40, 30).toString());
    }
}
