package dev.kobai.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.autograd.Autograd;
import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void broadcastingFollowsNumPyRules() {
        Tensor a = Tensor.fromArray(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor row = Tensor.of(10, 20, 30);
        Tensor col = Tensor.fromArray(new double[] {100, 200}, 2, 1);
        assertArrayEquals(new double[] {11, 22, 33, 14, 25, 36}, a.add(row).toDoubleArray());
        assertArrayEquals(new double[] {101, 102, 103, 204, 205, 206}, a.add(col).toDoubleArray());
        assertArrayEquals(new int[] {2, 3}, row.reshape(1, 3).add(col).shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.add(Tensor.of(1, 2)));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[2]"), e.getMessage());
    }

    /** Transposes and broadcasts of every axis pair against index arithmetic, and full and axis sums against plain loops. */
    @Test
    void stridedCopiesAndSumsMatchIndexArithmetic() {
        for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            Tensor x = Tensor.randn(new Rng(8), DType.FLOAT64, 3, 4, 5).to(dtype);
            for (int a0 = 0; a0 < 3; a0++) {
                for (int a1 = 0; a1 < 3; a1++) {
                    Tensor t = x.transpose(a0, a1);
                    int[] idx = new int[3];
                    for (idx[0] = 0; idx[0] < t.size(0); idx[0]++) {
                        for (idx[1] = 0; idx[1] < t.size(1); idx[1]++) {
                            for (idx[2] = 0; idx[2] < t.size(2); idx[2]++) {
                                int[] src = idx.clone();
                                src[a0] = idx[a1];
                                src[a1] = idx[a0];
                                assertEquals(x.get(src), t.get(idx), "transpose(" + a0 + ", " + a1 + ")");
                            }
                        }
                    }
                }
            }
            Tensor col = Tensor.randn(new Rng(9), DType.FLOAT64, 4, 1).to(dtype);
            Tensor wide = col.broadcastTo(2, 4, 6);
            Tensor one = Tensor.of(2.5).to(dtype).broadcastTo(7);
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 4; j++) {
                    for (int k = 0; k < 6; k++) {
                        assertEquals(col.get(j, 0), wide.get(i, j, k));
                    }
                }
            }
            for (int i = 0; i < 7; i++) {
                assertEquals(2.5, one.get(i));
            }
            double total = 0;
            double[] lastAxis = new double[12];
            double[] v = x.toDoubleArray();
            for (int i = 0; i < v.length; i++) {
                total += v[i];
                lastAxis[i / 5] += v[i];
            }
            double tol = dtype == DType.FLOAT32 ? 1e-5 : 1e-12;
            assertEquals(total, x.sum().item(), tol);
            double[] rows = x.sum(2, false).toDoubleArray();
            for (int r = 0; r < 12; r++) {
                assertEquals(lastAxis[r], rows[r], tol);
            }
        }
    }

    @Test
    void mixingDtypesIsRefusedWithBothNamed() {
        Tensor f = Tensor.zeros(DType.FLOAT32, 2);
        Tensor d = Tensor.zeros(DType.FLOAT64, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.mul(d));
        assertTrue(e.getMessage().contains("float32[2]") && e.getMessage().contains("float64[2]"), e.getMessage());
    }

    @Test
    void reductionsAlongAxes() {
        Tensor a = Tensor.fromArray(new double[] {1, 5, 3, 4, 2, 6}, 2, 3);
        assertArrayEquals(new double[] {5, 7, 9}, a.sum(0, false).toDoubleArray());
        assertArrayEquals(new int[] {2, 1}, a.sum(1, true).shape());
        assertArrayEquals(new double[] {3, 4}, a.mean(-1, false).toDoubleArray());
        assertArrayEquals(new double[] {5, 6}, a.max(1, false).toDoubleArray());
        assertArrayEquals(new double[] {1, 2, 3}, a.min(0, false).toDoubleArray());
        assertEquals(21, a.sum().item());
        assertEquals(0, a.sum().rank());
        assertArrayEquals(new int[] {1, 2}, Tensor.fromArray(new float[] {1, 5, 3, 4, 2, 6}, 2, 3).argmaxRows());
    }

    @Test
    void shapeOperations() {
        Tensor a = Tensor.fromArray(new double[] {0, 1, 2, 3, 4, 5}, 2, 3);
        assertArrayEquals(new double[] {0, 3, 1, 4, 2, 5}, a.t().toDoubleArray());
        assertArrayEquals(new int[] {3, 2}, a.reshape(-1, 2).shape());
        assertArrayEquals(new double[] {1, 2, 4, 5}, a.slice(1, 1, 3).toDoubleArray());
        assertArrayEquals(new double[] {3, 4, 5, 0, 1, 2, 3, 4, 5}, a.gatherRows(new int[] {1, 0, 1}).toDoubleArray());
        assertArrayEquals(new double[] {2, 3}, a.pick(new int[] {2, 0}).toDoubleArray());
        assertArrayEquals(new double[] {0, 1, 2, 9, 3, 4, 5, 9}, Tensor.concat(1, a, Tensor.full(DType.FLOAT64, 9, 2, 1))
                .toDoubleArray());
        assertThrows(IllegalArgumentException.class, () -> a.reshape(4, -1));
        assertThrows(IllegalArgumentException.class, () -> a.slice(1, 2, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> a.gatherRows(new int[] {2}));
        assertThrows(IndexOutOfBoundsException.class, () -> a.pick(new int[] {0, 3}));
    }

    @Test
    void matmulWithTransposeFlagsAgreesWithExplicitTransposes() {
        Rng rng = new Rng(3);
        Tensor a = Tensor.randn(rng, DType.FLOAT64, 4, 3);
        Tensor b = Tensor.randn(rng, DType.FLOAT64, 5, 4);
        Tensor viaFlags = a.matmul(b, true, true);
        Tensor viaCopies = a.t().matmul(b.t());
        assertArrayEquals(viaCopies.toDoubleArray(), viaFlags.toDoubleArray(), 1e-12);
        assertArrayEquals(new int[] {3, 5}, viaFlags.shape());
        double expected00 = 0;
        for (int k = 0; k < 4; k++) {
            expected00 += a.get(k, 0) * b.get(0, k);
        }
        assertEquals(expected00, viaFlags.get(0, 0), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> a.matmul(b));
    }

    @Test
    void softmaxIsStableForHugeLogits() {
        Tensor x = Tensor.fromArray(new float[] {1000, 1001, 1002, -1000, 0, 1000}, 2, 3);
        Tensor p = x.softmax(1);
        Tensor lp = x.logSoftmax(1);
        for (int i = 0; i < 6; i++) {
            assertTrue(Double.isFinite(p.getFlat(i)) && Double.isFinite(lp.getFlat(i)));
        }
        assertEquals(1.0, p.sum(1, false).getFlat(0), 1e-6);
        assertEquals(-2.4076059, lp.get(0, 0), 1e-5);
        assertEquals(0.0, lp.get(1, 2), 1e-6);
    }

    @Test
    void float32AndFloat64Agree() {
        Rng rng = new Rng(5);
        Tensor a = Tensor.randn(rng, DType.FLOAT64, 7, 9);
        Tensor b = Tensor.randn(rng, DType.FLOAT64, 9, 4);
        Tensor d = a.matmul(b).tanh().softmax(1).log();
        Tensor f = a.to(DType.FLOAT32).matmul(b.to(DType.FLOAT32)).tanh().softmax(1).log();
        assertEquals(DType.FLOAT32, f.dtype());
        assertArrayEquals(d.toDoubleArray(), f.toDoubleArray(), 1e-5);
    }

    @Test
    void gradientsAccumulateUntilZeroed() {
        Tensor w = Tensor.of(1, 2, 3).requiresGrad(true);
        w.mul(w).sum().backward();
        assertArrayEquals(new double[] {2, 4, 6}, w.grad().toDoubleArray());
        w.mul(3.0).sum().backward();
        assertArrayEquals(new double[] {5, 7, 9}, w.grad().toDoubleArray());
        w.setGrad(null);
        w.sum().backward();
        assertArrayEquals(new double[] {1, 1, 1}, w.grad().toDoubleArray());
    }

    @Test
    void aTensorUsedTwiceGetsBothContributions() {
        Tensor x = Tensor.of(2).requiresGrad(true);
        Tensor y = x.add(x).mul(x); // 2x^2: derivative 4x
        y.sum().backward();
        assertEquals(8, x.grad().item(), 1e-12);
    }

    @Test
    void noGradRecordsNothing() {
        Tensor w = Tensor.of(1, 2).requiresGrad(true);
        Tensor y;
        try (GradMode.Scope _ = GradMode.noGrad()) {
            y = w.mul(2.0);
            assertFalse(GradMode.isEnabled());
        }
        assertTrue(GradMode.isEnabled());
        assertFalse(y.requiresGrad());
        assertNull(y.gradFn());
        assertThrows(IllegalStateException.class, () -> y.sum().backward());
    }

    @Test
    void createGraphGivesDifferentiableGradients() {
        Tensor x = Tensor.of(1.5).requiresGrad(true);
        Tensor[] g = Autograd.grad(x.pow(4).sum(), new Tensor[] {x}, true);
        assertEquals(4 * Math.pow(1.5, 3), g[0].item(), 1e-12);
        assertTrue(g[0].requiresGrad());
        Tensor[] gg = Autograd.grad(g[0].sum(), new Tensor[] {x}, false);
        assertEquals(12 * 1.5 * 1.5, gg[0].item(), 1e-12);
        assertNull(x.grad(), "grad() as a function must not touch .grad");
    }

    @Test
    void hessianVectorProductOfAQuadraticIsAv() {
        // f(w) = 1/2 w^T A w with A symmetric: H = A, so Hv = A v.
        double[] aData = {4, 1, 0, 1, 3, 2, 0, 2, 5};
        Tensor a = Tensor.fromArray(aData, 3, 3);
        Tensor w = Tensor.of(0.3, -1.2, 2.0).requiresGrad(true);
        Tensor f = w.reshape(1, 3).matmul(a).matmul(w.reshape(3, 1)).sum().mul(0.5);
        Tensor v = Tensor.of(1, -2, 0.5);
        Tensor hv = Autograd.hessianVectorProduct(f, new Tensor[] {w}, new Tensor[] {v})[0];
        assertArrayEquals(new double[] {4 - 2, 1 - 6 + 1, -4 + 2.5}, hv.toDoubleArray(), 1e-12);
    }

    @Test
    void reshapeSharesStorageAndCopyDoesNot() {
        Tensor a = Tensor.of(1, 2, 3, 4);
        Tensor r = a.reshape(2, 2);
        Tensor c = a.copy();
        a.setFlat(0, 42);
        assertEquals(42, r.get(0, 0));
        assertEquals(1, c.getFlat(0));
        assertSame(a, a.to(DType.FLOAT64));
    }
}
