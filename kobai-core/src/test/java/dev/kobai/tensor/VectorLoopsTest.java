package dev.kobai.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kobai.autograd.Autograd;
import dev.kobai.tensor.kernel.Kernels;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * ReLU's Vector API loops against the scalar loops bit for bit (signs of zero and NaN included), and
 * both against what PyTorch 1.13 gives for the special values.
 */
class VectorLoopsTest {
    private static final float[] SPECIAL = {0f, -0f, Float.NaN, Float.MIN_VALUE, -Float.MIN_VALUE,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 3f, -3f};

    private static float[] sample(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextInt(4) == 0 ? SPECIAL[r.nextInt(SPECIAL.length)] : (float) r.nextGaussian();
        }
        return x;
    }

    private static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Float.floatToRawIntBits(a[i]);
        }
        return b;
    }

    private static long[] bits(double[] a) {
        long[] b = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Double.doubleToRawLongBits(a[i]);
        }
        return b;
    }

    @Test
    void vectorLoopsMatchScalarLoops() {
        assumeTrue(Kernels.vectorAvailable(), "no Vector API in this JVM");
        Random r = new Random(5);
        for (int n : new int[] {1, 15, 16, 17, 100, 1003}) {
            float[] x = sample(r, n + 7);
            float[] g = sample(r, n + 7);
            float[] scalar = new float[n + 7];
            float[] vector = new float[n + 7];
            Pointwise.unaryKernel(Pointwise.Unary.RELU, 0, x, scalar, 2, n + 2);
            VectorLoops.forward(x, vector, 2, n + 2);
            assertArrayEquals(bits(scalar), bits(vector), "forward, n=" + n);
            // odd offsets, so lanes are not aligned with the array
            Pointwise.scalarKernel(Pointwise.Binary.RELU_GRAD, g, 1, x, 3, scalar, 5, n, false);
            VectorLoops.backward(g, 1, x, 3, vector, 5, n);
            assertArrayEquals(bits(scalar), bits(vector), "backward, n=" + n);

            double[] xd = new double[n];
            double[] gd = new double[n];
            for (int i = 0; i < n; i++) {
                xd[i] = x[i];
                gd[i] = g[i];
            }
            double[] sd = new double[n];
            double[] vd = new double[n];
            Pointwise.unaryKernel(Pointwise.Unary.RELU, 0, xd, sd, 0, n);
            VectorLoops.forward(xd, vd, 0, n);
            assertArrayEquals(bits(sd), bits(vd), "float64 forward, n=" + n);
            Pointwise.scalarKernel(Pointwise.Binary.RELU_GRAD, gd, 0, xd, 0, sd, 0, n, false);
            VectorLoops.backward(gd, 0, xd, 0, vd, 0, n);
            assertArrayEquals(bits(sd), bits(vd), "float64 backward, n=" + n);
        }
    }

    /**
     * PyTorch 1.13: {@code torch.relu(x)} for x = [nan, -0., 0., 1., -1.] is [nan, -0., 0., 1., 0.],
     * and backward with g = [1, 2, 3, inf, -inf] gives [1., 0., 0., inf, 0.] (the gradient passes
     * except where x <= 0, so it passes where x is NaN).
     */
    @Test
    void specialValuesAsPyTorch() {
        for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            Tensor x = Tensor.fromArray(new double[] {Double.NaN, -0.0, 0.0, 1, -1}, 5).to(dtype).requiresGrad(true);
            Tensor y = x.relu();
            double[] out = y.toDoubleArray();
            assertEquals(Double.NaN, out[0]);
            assertEquals(-0.0, out[1]);
            assertEquals(0.0, out[2]);
            assertEquals(1.0, out[3]);
            assertEquals(0.0, out[4]);
            Tensor g = Tensor.fromArray(new double[] {1, 2, 3, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}, 5)
                    .to(dtype);
            double[] grad = Autograd.grad(new Tensor[] {y}, new Tensor[] {g}, new Tensor[] {x}, false)[0].toDoubleArray();
            assertArrayEquals(new double[] {1, 0, 0, Double.POSITIVE_INFINITY, 0}, grad, dtype.toString());
        }
    }
}
