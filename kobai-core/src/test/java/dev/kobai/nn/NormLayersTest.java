package dev.kobai.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.autograd.Autograd;
import dev.kobai.autograd.GradCheck;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The normalisation layers' contracts beyond the golden values: torch's names, initialisation,
 * reprs and messages, the modes, the running statistics' bookkeeping, and second derivatives
 * through the layers and the basic block.
 */
class NormLayersTest {
    private static Tensor randn(long seed, int... shape) {
        return Tensor.randn(new Rng(seed), DType.FLOAT64, shape);
    }

    @Test
    void batchNormHasTorchsParametersBuffersAndInitialValues() {
        BatchNorm2d bn = new BatchNorm2d(3, DType.FLOAT32);
        assertEquals(List.of("weight", "bias"), List.copyOf(bn.namedParameters().keySet()));
        assertEquals(List.of("running_mean", "running_var", "num_batches_tracked"),
                List.copyOf(bn.namedBuffers().keySet()));
        assertArrayEquals(new float[] {1, 1, 1}, bn.weight().floatData());
        assertArrayEquals(new float[] {0, 0, 0}, bn.bias().floatData());
        assertArrayEquals(new float[] {0, 0, 0}, bn.runningMean().floatData());
        assertArrayEquals(new float[] {1, 1, 1}, bn.runningVar().floatData());
        Buffer count = bn.namedBuffers().get("num_batches_tracked");
        assertTrue(count.integral());
        assertFalse(bn.runningMean().integral());
        assertEquals(0, count.rank(), "num_batches_tracked is a scalar, as torch's");
        assertEquals(0, bn.numBatchesTracked());

        Sequential model = new Sequential(new Linear(2, 3, true, new Rng(1), DType.FLOAT32),
                new BatchNorm1d(3, DType.FLOAT32));
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias"), List.copyOf(model.namedParameters().keySet()));
        assertEquals(List.of("1.running_mean", "1.running_var", "1.num_batches_tracked"),
                List.copyOf(model.namedBuffers().keySet()));

        BatchNorm1d bare = BatchNorm1d.builder(4).affine(false).trackRunningStats(false).build(DType.FLOAT64);
        assertTrue(bare.namedParameters().isEmpty());
        assertTrue(bare.namedBuffers().isEmpty());
        assertNull(bare.weight());
        assertNull(bare.runningMean());
    }

    @Test
    void reprsAreTorchs() {
        assertEquals("BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)",
                new BatchNorm2d(32, DType.FLOAT32).toString());
        assertEquals("BatchNorm1d(4, eps=1e-05, momentum=None, affine=False, track_running_stats=False)",
                BatchNorm1d.builder(4).cumulativeAverage().affine(false).trackRunningStats(false).build(DType.FLOAT32)
                        .toString());
        assertEquals("BatchNorm2d(3, eps=0.001, momentum=0.01, affine=True, track_running_stats=True)",
                BatchNorm2d.builder(3).eps(1e-3).momentum(0.01).build(DType.FLOAT32).toString());
        assertEquals("LayerNorm((4,), eps=1e-05, elementwise_affine=True)", new LayerNorm(4, DType.FLOAT32).toString());
        assertEquals("LayerNorm((3, 4), eps=1e-05, elementwise_affine=False)",
                new LayerNorm(new int[] {3, 4}, 1e-5, false, DType.FLOAT32).toString());
        assertEquals("GroupNorm(2, 4, eps=1e-05, affine=True)", new GroupNorm(2, 4, DType.FLOAT32).toString());
        assertEquals(List.of("1e-05", "0.0001", "0.1", "1.0", "1e-10", "2.5e+16", "123.5", "-0.001", "0.0"),
                List.of(Repr.number(1e-5), Repr.number(1e-4), Repr.number(0.1), Repr.number(1), Repr.number(1e-10),
                        Repr.number(2.5e16), Repr.number(123.5), Repr.number(-1e-3), Repr.number(0)));
    }

    @Test
    void messagesNameTheLayerAndTheShapes() {
        BatchNorm1d bn = new BatchNorm1d(3, DType.FLOAT64);
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class, () -> bn.forward(randn(1, 1, 3)));
        assertEquals("BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True): Expected more "
                + "than 1 value per channel when training, got input size [1, 3]", one.getMessage());
        assertEquals(0, bn.numBatchesTracked(), "a refused batch is not counted");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> bn.forward(randn(1, 1, 3, 1))).getMessage()
                .endsWith("got input size [1, 3, 1]"));
        bn.eval();
        assertEquals(3, bn.forward(randn(1, 1, 3)).numel(), "evaluation takes a single sample");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> bn.forward(randn(1, 2, 3, 4, 5))).getMessage()
                .contains("expected 2D or 3D input (got 4D input float64[2, 3, 4, 5])"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> bn.forward(randn(1, 2, 4))).getMessage()
                .contains("got input float64[2, 4] with 4 channels; expected [batch, 3] or [batch, 3, length]"));
        BatchNorm2d bn2 = new BatchNorm2d(3, DType.FLOAT64);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> bn2.forward(randn(1, 2, 3, 4))).getMessage()
                .contains("expected 4D input (got 3D input float64[2, 3, 4])"));
        assertEquals("GroupNorm: num_channels must be divisible by num_groups, got 4 channels and 3 groups",
                assertThrows(IllegalArgumentException.class, () -> new GroupNorm(3, 4, DType.FLOAT32)).getMessage());
        assertEquals("LayerNorm((4,), eps=1e-05, elementwise_affine=True): Given normalized_shape=[4], expected input "
                + "with shape [*, 4], but got input of size[2, 3]", assertThrows(IllegalArgumentException.class,
                        () -> new LayerNorm(4, DType.FLOAT64).forward(randn(1, 2, 3))).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new GroupNorm(2, 4, DType.FLOAT64).forward(randn(1, 2, 6, 3))).getMessage()
                .endsWith("got input float64[2, 6, 3]; expected [batch, 4, *]"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> BatchNorm2d.builder(3).momentum(1.5).build(DType.FLOAT32)).getMessage()
                .contains("momentum must be in [0, 1], got 1.5"));
    }

    @Test
    void emptyInputsGiveEmptyOutputsAsInTorch() {
        BatchNorm1d bn = new BatchNorm1d(3, DType.FLOAT64);
        Tensor x = Tensor.zeros(DType.FLOAT64, 0, 3).requiresGrad(true);
        Tensor y = bn.forward(x);
        assertArrayEquals(new int[] {0, 3}, y.shape());
        Tensor[] g = Autograd.grad(new Tensor[] {y}, new Tensor[] {Tensor.zeros(DType.FLOAT64, 0, 3)},
                new Tensor[] {x, bn.weight()}, false);
        assertArrayEquals(new double[] {0, 0, 0}, g[1].toDoubleArray());
        assertArrayEquals(new double[] {0, 0, 0}, bn.runningMean().toDoubleArray(), "no statistics from no values");
        assertArrayEquals(new double[] {1, 1, 1}, bn.runningVar().toDoubleArray());
        assertEquals(1, bn.numBatchesTracked(), "counted, as torch counts it");
        assertArrayEquals(new int[] {2, 4, 0}, new GroupNorm(2, 4, DType.FLOAT64).forward(Tensor.zeros(DType.FLOAT64,
                2, 4, 0)).shape());
        assertArrayEquals(new int[] {0, 5}, new LayerNorm(5, DType.FLOAT64).forward(Tensor.zeros(DType.FLOAT64, 0, 5))
                .shape());
    }

    @Test
    void trainingUpdatesTheRunningStatisticsAndEvaluationUsesThem() {
        BatchNorm1d bn = BatchNorm1d.builder(2).momentum(0.5).build(DType.FLOAT64);
        Tensor x = Tensor.fromArray(new double[] {1, 10, 3, 20, 5, 30}, 3, 2);
        Tensor y = bn.forward(x);
        // batch means 3 and 20, biased variances 8/3 and 200/3, unbiased 4 and 100
        assertArrayEquals(new double[] {1.5, 10}, bn.runningMean().toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {0.5 + 2, 0.5 + 50}, bn.runningVar().toDoubleArray(), 1e-12);
        assertEquals(1, bn.numBatchesTracked());
        assertEquals(-2 / Math.sqrt(8.0 / 3 + 1e-5), y.get(0, 0), 1e-12);
        assertFalse(bn.runningMean().requiresGrad());
        assertNull(bn.runningMean().gradFn(), "the update is not recorded");

        bn.eval();
        Tensor e = bn.forward(x);
        assertEquals((1 - 1.5) / Math.sqrt(2.5 + 1e-5), e.get(0, 0), 1e-12);
        assertEquals((30 - 10) / Math.sqrt(50.5 + 1e-5), e.get(2, 1), 1e-12);
        assertEquals(1, bn.numBatchesTracked(), "evaluation does not count batches");
        assertArrayEquals(new double[] {1.5, 10}, bn.runningMean().toDoubleArray(), 1e-12);

        bn.resetRunningStats();
        assertArrayEquals(new double[] {0, 0}, bn.runningMean().toDoubleArray());
        assertArrayEquals(new double[] {1, 1}, bn.runningVar().toDoubleArray());
        assertEquals(0, bn.numBatchesTracked());
    }

    @Test
    void cumulativeAverageWeighsEveryBatchEqually() {
        BatchNorm2d bn = BatchNorm2d.builder(2).cumulativeAverage().build(DType.FLOAT64);
        double[] sum = new double[2];
        for (int k = 0; k < 4; k++) {
            Tensor x = randn(10 + k, 3, 2, 2, 2).mul(k + 1).add(k);
            bn.forward(x);
            for (int c = 0; c < 2; c++) {
                double s = 0;
                for (int n = 0; n < 3; n++) {
                    for (int i = 0; i < 4; i++) {
                        s += x.get(n, c, i / 2, i % 2);
                    }
                }
                sum[c] += s / 12;
            }
        }
        assertEquals(4, bn.numBatchesTracked());
        assertArrayEquals(new double[] {sum[0] / 4, sum[1] / 4}, bn.runningMean().toDoubleArray(), 1e-12);
    }

    @Test
    void withoutRunningStatisticsBothModesUseTheBatch() {
        BatchNorm2d bn = BatchNorm2d.builder(2).trackRunningStats(false).build(DType.FLOAT64);
        Tensor x = randn(20, 3, 2, 2, 2).add(5);
        Tensor train = bn.forward(x);
        bn.eval();
        Tensor eval = bn.forward(x);
        assertArrayEquals(train.toDoubleArray(), eval.toDoubleArray());
        assertEquals(0, eval.sum().item(), 1e-10);
    }

    @Test
    void modeReachesEveryLayerOfAModel() {
        Dropout drop = new Dropout(0.5, new Rng(1));
        BatchNorm1d bn = new BatchNorm1d(4, DType.FLOAT64);
        Sequential model = new Sequential(drop, bn);
        Tensor x = randn(21, 8, 4);
        model.eval();
        assertFalse(drop.isTraining());
        assertFalse(bn.isTraining());
        Tensor y = model.forward(x);
        assertEquals(0, bn.numBatchesTracked());
        double[] expected = x.toDoubleArray();
        for (int i = 0; i < expected.length; i++) {
            expected[i] /= Math.sqrt(1 + 1e-5); // running statistics 0 and 1, no dropout
        }
        assertArrayEquals(expected, y.toDoubleArray(), 1e-12);
        model.train();
        assertTrue(drop.isTraining() && bn.isTraining());
        model.forward(x);
        assertEquals(1, bn.numBatchesTracked());
    }

    @Test
    void layerNormAndGroupNormAreTheSameInBothModes() {
        LayerNorm ln = new LayerNorm(new int[] {3, 4}, DType.FLOAT64);
        GroupNorm gn = new GroupNorm(2, 4, DType.FLOAT64);
        Tensor x = randn(22, 2, 4, 3, 4);
        Tensor a = ln.forward(x);
        Tensor b = gn.forward(x);
        ln.eval();
        gn.eval();
        assertArrayEquals(a.toDoubleArray(), ln.forward(x).toDoubleArray());
        assertArrayEquals(b.toDoubleArray(), gn.forward(x).toDoubleArray());
        assertTrue(ln.namedBuffers().isEmpty() && gn.namedBuffers().isEmpty());
        // group norm with one group per channel is instance norm: each (sample, channel) plane has mean 0
        Tensor inst = new GroupNorm(4, 4, DType.FLOAT64).forward(x);
        for (int p = 0; p < 8; p++) {
            double s = 0;
            for (int i = 0; i < 12; i++) {
                s += inst.getFlat(p * 12 + i);
            }
            assertEquals(0, s, 1e-12);
        }
    }

    @Test
    void secondDerivativesFlowThroughTheLayers() {
        BatchNorm2d bn = new BatchNorm2d(2, DType.FLOAT64);
        bn.weight().copyFrom(Tensor.of(0.7, -1.3));
        GradCheck.checkSecondOrder("BatchNorm2d training, tanh", x -> bn.forward(x[0]).tanh(), randn(30, 2, 2, 2, 2));
        bn.eval();
        GradCheck.checkSecondOrder("BatchNorm2d evaluation, tanh", x -> bn.forward(x[0]).tanh(), randn(31, 2, 2, 2, 2));
        LayerNorm ln = new LayerNorm(3, DType.FLOAT64);
        GradCheck.checkSecondOrder("LayerNorm, square", x -> ln.forward(x[0]).square(), randn(32, 2, 3));
    }

    // ---------------------------------------------------------------- basic block

    @Test
    void basicBlockHasTorchvisionsNamesAndShortcuts() {
        BasicBlock same = new BasicBlock(4, 4, new Rng(1), DType.FLOAT32);
        assertNull(same.downsample());
        assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias"),
                List.copyOf(same.namedParameters().keySet()));
        BasicBlock down = new BasicBlock(3, 8, 2, new Rng(1), DType.FLOAT32);
        assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias",
                "downsample.0.weight", "downsample.1.weight", "downsample.1.bias"),
                List.copyOf(down.namedParameters().keySet()));
        assertEquals(List.of("bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked", "bn2.running_mean",
                "bn2.running_var", "bn2.num_batches_tracked", "downsample.1.running_mean", "downsample.1.running_var",
                "downsample.1.num_batches_tracked"), List.copyOf(down.namedBuffers().keySet()));
        assertArrayEquals(new int[] {2, 8, 4, 4}, down.forward(Tensor.randn(new Rng(2), DType.FLOAT32, 2, 3, 7, 7))
                .shape());
        assertTrue(new BasicBlock(4, 4, 2, new Rng(1), DType.FLOAT32).downsample() != null, "stride 2 downsamples");
        assertTrue(new BasicBlock(4, 6, 1, new Rng(1), DType.FLOAT32).downsample() != null, "a new width downsamples");
        assertTrue(down.toString().startsWith("BasicBlock(\n  (conv1): Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2)"),
                down.toString());
        assertTrue(down.toString().contains("\n  (downsample): Sequential(Conv2d(3, 8, kernel_size=(1, 1), stride=(2, 2), "
                + "bias=False), BatchNorm2d(8, "), down.toString());
    }

    @Test
    void basicBlockDrawsTorchsDefaultInitInRegistrationOrder() {
        BasicBlock block = new BasicBlock(3, 4, 2, new Rng(7), DType.FLOAT64);
        Rng rng = new Rng(7);
        Conv2d conv1 = Conv2d.builder(3, 4, 3).stride(2).padding(1).bias(false).build(rng, DType.FLOAT64);
        Conv2d conv2 = Conv2d.builder(4, 4, 3).padding(1).bias(false).build(rng, DType.FLOAT64);
        Conv2d down = Conv2d.builder(3, 4, 1).stride(2).bias(false).build(rng, DType.FLOAT64);
        assertArrayEquals(conv1.weight().toDoubleArray(), block.conv1().weight().toDoubleArray());
        assertArrayEquals(conv2.weight().toDoubleArray(), block.conv2().weight().toDoubleArray());
        assertArrayEquals(down.weight().toDoubleArray(),
                block.namedParameters().get("downsample.0.weight").toDoubleArray());
        double bound = 1 / Math.sqrt(3 * 9);
        for (double w : block.conv1().weight().toDoubleArray()) {
            assertTrue(Math.abs(w) <= bound);
        }
        assertArrayEquals(new double[] {1, 1, 1, 1}, block.bn2().weight().toDoubleArray());
    }

    /**
     * A Hessian-vector product through the block in training mode (batch statistics: the
     * curvature Newton and natural gradient see) against central differences of the gradient.
     */
    @Test
    void hessianVectorProductsThroughTheBlockMatchDifferencesOfGradients() {
        BasicBlock block = new BasicBlock(2, 3, 2, new Rng(3), DType.FLOAT64);
        for (Parameter p : block.parameters()) {
            if (p.rank() == 1) {
                p.copyFrom(Tensor.uniform(new Rng(p.numel() + 40L), DType.FLOAT64, 0.5, 1.5, p.shape()));
            }
        }
        Tensor x = randn(41, 3, 2, 5, 5);
        Tensor target = randn(42, 3, 3, 3, 3);
        Parameter[] params = block.parameters().toArray(new Parameter[0]);
        Tensor[] v = new Tensor[params.length];
        for (int i = 0; i < params.length; i++) {
            v[i] = randn(50 + i, params[i].shape());
        }
        java.util.function.Supplier<Tensor> loss = () -> block.forward(x).sub(target).square().sum();
        Tensor[] hv = Autograd.hessianVectorProduct(loss.get(), params, v);
        double h = 1e-5;
        Tensor[] plus = shifted(params, v, h, loss);
        Tensor[] minus = shifted(params, v, -h, loss);
        for (int i = 0; i < params.length; i++) {
            for (int j = 0; j < params[i].numel(); j++) {
                double numerical = (plus[i].getFlat(j) - minus[i].getFlat(j)) / (2 * h);
                assertEquals(numerical, hv[i].getFlat(j), 1e-5 * Math.max(1, Math.abs(numerical)),
                        block.namedParameters().keySet().toArray()[i] + "[" + j + "]");
            }
        }
    }

    /** The gradient at params + step v, params restored after. */
    private static Tensor[] shifted(Parameter[] params, Tensor[] v, double step, java.util.function.Supplier<Tensor> loss) {
        Tensor[] saved = new Tensor[params.length];
        try (GradMode.Scope _ = GradMode.noGrad()) {
            for (int i = 0; i < params.length; i++) {
                saved[i] = params[i].copy();
                params[i].copyFrom(params[i].add(v[i].mul(step)));
            }
        }
        try {
            return Autograd.grad(loss.get(), params, false);
        } finally {
            for (int i = 0; i < params.length; i++) {
                params[i].copyFrom(saved[i]);
            }
        }
    }
}
