package dev.kobai.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.autograd.Autograd;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Batch norm and 2x2 max pooling in one operation against the two in turn: the same output bits
 * and running statistics, the same gradients up to the order of the per-channel sums (checked
 * against float64 too), and, when the backward pass is recorded, the same second derivatives.
 */
class BatchNormPoolTest {
    private static final Window2d PAIRS = Window2d.square(2, 2, 0, 1);

    /** One case: input, affine parameters (or null), running statistics (or null). */
    private record Case(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar) {
        static Case of(int[] shape, long seed, boolean affine, boolean running, DType dtype) {
            Rng rng = new Rng(seed);
            int c = shape[1];
            Tensor x = Tensor.randn(rng, DType.FLOAT64, shape).mul(1.5).add(0.25).to(dtype).detach();
            Tensor w = affine ? Tensor.randn(rng, DType.FLOAT64, c).to(dtype).detach() : null;
            Tensor b = affine ? Tensor.randn(rng, DType.FLOAT64, c).to(dtype).detach() : null;
            Tensor rm = running ? Tensor.randn(rng, DType.FLOAT64, c).to(dtype).detach() : null;
            Tensor rv = running ? Tensor.randn(rng, DType.FLOAT64, c).square().add(0.5).to(dtype).detach() : null;
            return new Case(x, w, b, rm, rv);
        }

        Case copy(DType dtype) {
            return new Case(x.to(dtype).detach(), copyOf(weight, dtype), copyOf(bias, dtype), copyOf(runningMean, dtype),
                    copyOf(runningVar, dtype));
        }

        private static Tensor copyOf(Tensor t, DType dtype) {
            return t == null ? null : t.to(dtype).detach();
        }

        Tensor[] leaves() {
            List<Tensor> out = new ArrayList<>(List.of(x));
            if (weight != null) {
                out.add(weight);
                out.add(bias);
            }
            for (Tensor t : out) {
                t.requiresGrad(true);
            }
            return out.toArray(Tensor[]::new);
        }

        Tensor fused(boolean training) {
            return BatchNormPool.batchNormMaxPool(x, runningMean, runningVar, weight, bias, training, 0.1, 1e-5, PAIRS,
                    false);
        }

        Tensor separate(boolean training) {
            return Spatial.maxPool2d(Normalization.batchNorm(x, runningMean, runningVar, weight, bias, training, 0.1,
                    1e-5), PAIRS, false);
        }
    }

    private static void sameBits(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what);
        for (int i = 0; i < expected.numel(); i++) {
            assertEquals(Float.floatToRawIntBits((float) expected.getFlat(i)),
                    Float.floatToRawIntBits((float) actual.getFlat(i)), what + " element " + i);
        }
    }

    /** |a - e| within {@code tol} relative to the largest |e|. */
    private static void close(Tensor expected, Tensor actual, double tol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what);
        double scale = 0;
        for (int i = 0; i < expected.numel(); i++) {
            scale = Math.max(scale, Math.abs(expected.getFlat(i)));
        }
        assertTrue(scale > 0, what + " is not all zero");
        for (int i = 0; i < expected.numel(); i++) {
            assertEquals(expected.getFlat(i), actual.getFlat(i), tol * scale, what + " element " + i);
        }
    }

    /**
     * Shapes whose rows take the vector loop, the narrow-row loop and the scalar tail of the
     * pooling, odd sizes whose last row and column no window reads (their dx comes from the
     * statistics alone), a single sample, with and without affine parameters and running statistics.
     */
    private static List<Case> cases(DType dtype) {
        return List.of(
                Case.of(new int[] {4, 3, 28, 28}, 1, true, true, dtype),
                Case.of(new int[] {3, 2, 14, 14}, 2, true, true, dtype),
                Case.of(new int[] {2, 5, 7, 9}, 3, true, false, dtype),
                Case.of(new int[] {1, 2, 6, 71}, 4, false, true, dtype),
                Case.of(new int[] {5, 1, 2, 2}, 5, false, false, dtype));
    }

    @Test
    void forwardGivesTheSeparateOperationsBitsAndRunningStatistics() {
        for (boolean training : new boolean[] {true, false}) {
            for (Case fusedCase : cases(DType.FLOAT32)) {
                if (!training && fusedCase.runningMean() == null) {
                    continue;
                }
                Case separateCase = fusedCase.copy(DType.FLOAT32);
                assertTrue(BatchNormPool.fuses(fusedCase.x(), PAIRS, false));
                Tensor fused = fusedCase.fused(training);
                Tensor separate = separateCase.separate(training);
                String what = "training " + training + " " + java.util.Arrays.toString(fusedCase.x().shape());
                sameBits(separate, fused, what);
                if (fusedCase.runningMean() != null) {
                    sameBits(separateCase.runningMean(), fusedCase.runningMean(), what + " running_mean");
                    sameBits(separateCase.runningVar(), fusedCase.runningVar(), what + " running_var");
                }
            }
        }
    }

    @Test
    void gradientsAgreeWithTheSeparateOperationsAndWithFloat64() {
        for (boolean training : new boolean[] {true, false}) {
            List<Case> cases = cases(DType.FLOAT32);
            for (int k = 0; k < cases.size(); k++) {
                Case fusedCase = cases.get(k);
                if (!training && fusedCase.runningMean() == null) {
                    continue;
                }
                Case separateCase = fusedCase.copy(DType.FLOAT32);
                Case exactCase = fusedCase.copy(DType.FLOAT64);
                Tensor[] fusedLeaves = fusedCase.leaves();
                Tensor fused = fusedCase.fused(training);
                Tensor g64 = Tensor.randn(new Rng(100 + k), DType.FLOAT64, fused.shape());
                Tensor g32 = g64.to(DType.FLOAT32).detach();
                Tensor[] fusedGrads = Autograd.grad(new Tensor[] {fused}, new Tensor[] {g32}, fusedLeaves, false);
                Tensor[] separateLeaves = separateCase.leaves();
                Tensor[] separateGrads = Autograd.grad(new Tensor[] {separateCase.separate(training)},
                        new Tensor[] {g32}, separateLeaves, false);
                Tensor[] exactLeaves = exactCase.leaves();
                Tensor[] exactGrads = Autograd.grad(new Tensor[] {exactCase.separate(training)}, new Tensor[] {g64},
                        exactLeaves, false);
                String what = "training " + training + " " + java.util.Arrays.toString(fusedCase.x().shape());
                for (int i = 0; i < fusedGrads.length; i++) {
                    String name = what + " " + new String[] {"dx", "dweight", "dbias"}[i];
                    close(separateGrads[i], fusedGrads[i], 1e-5, name + " against the separate float32 operations");
                    close(exactGrads[i], fusedGrads[i], 1e-5, name + " against float64");
                }
                if (!training) {
                    // Evaluation: an affine map, whose dx is exactly the separate operations' (no sums).
                    sameBits(separateGrads[0], fusedGrads[0], what + " dx");
                }
            }
        }
    }

    /**
     * A recorded backward pass (Hessian-vector products) routes through the pooling's adjoint and
     * batch norm's recorded backward: second derivatives as the separate operations give them.
     */
    @Test
    void secondDerivativesAgreeWithTheSeparateOperations() {
        Case fusedCase = Case.of(new int[] {3, 2, 6, 8}, 7, true, true, DType.FLOAT32);
        Case separateCase = fusedCase.copy(DType.FLOAT32);
        Tensor[] fusedLeaves = fusedCase.leaves();
        Tensor[] hvFused = hessianVector(fusedCase.fused(true), fusedLeaves);
        Tensor[] separateLeaves = separateCase.leaves();
        Tensor[] hvSeparate = hessianVector(separateCase.separate(true), separateLeaves);
        for (int i = 0; i < hvFused.length; i++) {
            close(hvSeparate[i], hvFused[i], 1e-5, "Hessian-vector product " + i);
        }
    }

    /** The product of the Hessian of sum(y^3) / 3 with a fixed direction. */
    private static Tensor[] hessianVector(Tensor y, Tensor[] leaves) {
        Tensor loss = y.square().mul(y).sum().mul(1.0 / 3);
        Tensor[] v = new Tensor[leaves.length];
        Rng rng = new Rng(42);
        for (int i = 0; i < leaves.length; i++) {
            v[i] = Tensor.randn(rng, DType.FLOAT64, leaves[i].shape()).to(DType.FLOAT32).detach();
        }
        return Autograd.hessianVectorProduct(loss, leaves, v);
    }

    /** Other dtypes, windows and ceil-mode overhangs run the two operations in turn, to the same bits. */
    @Test
    void whatDoesNotFuseRunsTheSeparateOperations() {
        Case odd = Case.of(new int[] {2, 2, 7, 7}, 8, true, true, DType.FLOAT32);
        assertFalse(BatchNormPool.fuses(odd.x(), PAIRS, true));
        Case doubles = Case.of(new int[] {2, 2, 8, 8}, 9, true, true, DType.FLOAT64);
        assertFalse(BatchNormPool.fuses(doubles.x(), PAIRS, false));
        assertFalse(BatchNormPool.fuses(odd.x(), Window2d.square(3, 2, 0, 1), false));
        assertFalse(BatchNormPool.fuses(odd.x(), Window2d.square(2, 1, 0, 1), false));
        assertTrue(BatchNormPool.fuses(odd.x(), PAIRS, false));
        Case oddCopy = odd.copy(DType.FLOAT32);
        Tensor separate = Spatial.maxPool2d(Normalization.batchNorm(oddCopy.x(), oddCopy.runningMean(),
                oddCopy.runningVar(), oddCopy.weight(), oddCopy.bias(), true, 0.1, 1e-5), PAIRS, true);
        sameBits(separate, BatchNormPool.batchNormMaxPool(odd.x(), odd.runningMean(),
                odd.runningVar(), odd.weight(), odd.bias(), true, 0.1, 1e-5, PAIRS, true), "ceil mode");
        assertEquals(4, BatchNormPool.batchNormMaxPool(doubles.x(), null, null, null, null, true, 0.1, 1e-5, PAIRS,
                false).shape()[2]);
    }

    /** Nothing recorded (no_grad, or inputs without gradients): no winners kept, the same output. */
    @Test
    void withoutGradientsTheOutputIsTheSame() {
        Case c = Case.of(new int[] {2, 3, 10, 10}, 10, true, false, DType.FLOAT32);
        Tensor y = c.fused(true);
        assertFalse(y.requiresGrad());
        assertNull(y.gradFn());
        sameBits(c.copy(DType.FLOAT32).separate(true), y, "output");
    }

    /**
     * The scalar loops, which a JVM without the Vector API runs, against the vector loops: the same
     * output bits, and gradients to rounding (the sums add in another order) and the same dx bits in
     * evaluation, where no sum enters it.
     */
    @Test
    void theScalarLoopsAgreeWithTheVectorLoops() {
        for (boolean training : new boolean[] {true, false}) {
            Case vectorCase = Case.of(new int[] {3, 4, 10, 12}, 11, true, true, DType.FLOAT32);
            Case scalarCase = vectorCase.copy(DType.FLOAT32);
            Tensor[] vectorLeaves = vectorCase.leaves();
            Tensor vectorOut = vectorCase.fused(training);
            Tensor g = Tensor.randn(new Rng(12), DType.FLOAT64, vectorOut.shape()).to(DType.FLOAT32).detach();
            Tensor[] vectorGrads = Autograd.grad(new Tensor[] {vectorOut}, new Tensor[] {g}, vectorLeaves, false);
            boolean before = BatchNormPool.vectorLoops;
            BatchNormPool.vectorLoops = false;
            try {
                Tensor[] scalarLeaves = scalarCase.leaves();
                Tensor scalarOut = scalarCase.fused(training);
                Tensor[] scalarGrads = Autograd.grad(new Tensor[] {scalarOut}, new Tensor[] {g}, scalarLeaves, false);
                sameBits(vectorOut, scalarOut, "output, training " + training);
                for (int i = 0; i < scalarGrads.length; i++) {
                    close(vectorGrads[i], scalarGrads[i], 1e-6, "gradient " + i + ", training " + training);
                }
                if (!training) {
                    sameBits(vectorGrads[0], scalarGrads[0], "dx in evaluation");
                }
            } finally {
                BatchNormPool.vectorLoops = before;
            }
        }
    }
}
