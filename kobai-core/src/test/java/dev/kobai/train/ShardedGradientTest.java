package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.curvature.FlatMatrices;
import dev.kobai.data.Batch;
import dev.kobai.data.DataLoader;
import dev.kobai.data.Dataset;
import dev.kobai.data.Datasets;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Models;
import dev.kobai.nn.Module;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Parallel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardedGradientTest {
    private static final Dataset DIGITS = Datasets.fromSpec("digits").train();

    private static Module mlp() {
        return Models.fromSpec("mlp:64-32-10", DIGITS.sampleShape(), 10, new Rng(3), DType.FLOAT32);
    }

    private static float[] flatGrads(Module m) {
        List<Parameter> ps = m.parameters();
        float[] out = new float[(int) m.parameterCount()];
        int at = 0;
        for (Parameter p : ps) {
            System.arraycopy(p.grad().floatData(), 0, out, at, p.numel());
            at += p.numel();
        }
        return out;
    }

    /** A shuffled batch of {@code b} samples: its indices and the loader's batch. */
    private static Object[] batch(int b, long seed) {
        DataLoader loader = new DataLoader(DIGITS, b, new Rng(seed));
        DataLoader.Epoch epoch = loader.nextEpoch();
        return new Object[] {Arrays.copyOf(epoch.order(), b), epoch.batch(0)};
    }

    @Test
    void shardsCutTheSetIntoContiguousRangesAndABatchIntoItsParts() {
        assertArrayEquals(new int[] {0, 3, 6, 10}, ShardedGradient.bounds(10, 3));
        assertArrayEquals(new int[] {0, 10}, ShardedGradient.bounds(10, 1));
        assertArrayEquals(new int[] {7, 2, 5}, ShardedGradient.part(new int[] {7, 9, 2, 5}, 0, 8));
        assertArrayEquals(new int[] {9}, ShardedGradient.part(new int[] {7, 9, 2, 5}, 8, 10));
        String e = assertThrows(UsageException.class, () -> ShardedGradient.bounds(10, 11)).getMessage();
        assertEquals("the training set's 10 samples cannot be cut into 11 shards; use 1 to 10", e);
        assertThrows(UsageException.class, () -> ShardedGradient.bounds(10, 0));
    }

    @Test
    void theShardedGradientIsTheBatchMeanGradientUpToRounding() {
        Object[] ib = batch(256, 5);
        int[] indices = (int[]) ib[0];
        Batch b = (Batch) ib[1];
        Module m = mlp();
        m.zeroGrad();
        Tensor loss = Losses.crossEntropy(m.forward(b.features()), b.labels());
        loss.backward();
        float[] whole = flatGrads(m);
        for (int shards : new int[] {1, 2, 5}) {
            m.zeroGrad();
            double mean = new ShardedGradient(m, DIGITS, shards).compute(indices, b);
            assertEquals(loss.item(), mean, 1e-6, shards + " shards");
            float[] sharded = flatGrads(m);
            double worst = 0;
            for (int i = 0; i < whole.length; i++) {
                worst = Math.max(worst, Math.abs(whole[i] - sharded[i]));
            }
            // float32 sums of up to 256 terms: a few units in the last place of gradients of order 0.1
            assertTrue(worst < 1e-6, shards + " shards: largest difference " + worst);
        }
    }

    @Test
    void aShardsSumDoesNotDependOnWhatElseHoldsTheCores() throws Exception {
        Object[] ib = batch(512, 9);
        int[] indices = (int[]) ib[0];
        Batch b = (Batch) ib[1];
        Module m = Models.fromSpec("mlp:64-512-512-10", DIGITS.sampleShape(), 10, new Rng(4), DType.FLOAT32);
        ShardedGradient g = new ShardedGradient(m, DIGITS, 2);
        g.compute(indices, b);
        float[] alone = flatGrads(m);
        // another thread keeps the helper threads busy with large loops meanwhile
        Thread other = new Thread(() -> {
            float[] big = new float[1 << 22];
            for (int r = 0; r < 200; r++) {
                Parallel.forRange(big.length, 1 << 12, (lo, hi) -> {
                    for (int i = lo; i < hi; i++) {
                        big[i] += 1;
                    }
                });
            }
        });
        other.start();
        for (int r = 0; r < 5; r++) {
            g.compute(indices, b);
            assertArrayEquals(alone, flatGrads(m));
        }
        other.join();
    }

    @Test
    void aShardedRunIsReproducibleAndClosesOnThePlainRun(@TempDir Path dir) throws Exception {
        TrainSettings s = new TrainSettings("digits", "mlp:64-32-10", "adam:lr=0.01", 2, 100, 7);
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        Path plain = dir.resolve("plain.safetensors");
        List<EpochMetrics> ma = Training.run(s, new TrainingListener() {}, null, a, ShardedGradient.factory(3));
        Training.run(s, new TrainingListener() {}, null, b, ShardedGradient.factory(3));
        List<EpochMetrics> mp = Training.run(s, new TrainingListener() {}, null, plain);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        // the same training up to float rounding, which Adam's normalisation amplifies only a little in 36 steps
        assertNotEquals(Arrays.toString(Files.readAllBytes(a)), Arrays.toString(Files.readAllBytes(plain)));
        assertEquals(mp.getLast().testAccuracy(), ma.getLast().testAccuracy(), 0.01);
        assertEquals(mp.getLast().trainLoss(), ma.getLast().trainLoss(), 1e-3);
    }

    /**
     * K-FAC's factors from the shards' sums (A = sum a / rows, G = sum g / examples) are the factors
     * K-FAC computes from the whole batch, up to float rounding: for a Linear and a Conv2d layer,
     * with the data's labels and with the exact expectation (no sampling to differ by).
     */
    @Test
    void kfacFactorsFromShardSumsAreTheWholeBatchFactors() {
        int[] bounds = ShardedGradient.bounds(DIGITS.size(), 3);
        for (String spec : new String[] {"mlp:64-32-10", "conv2d(1,4,3),relu,flatten,linear(144,10)"}) {
            Dataset data = spec.startsWith("conv") ? DIGITS.withSampleShape(new int[] {1, 8, 8}) : DIGITS;
            DataLoader.Epoch epoch = new DataLoader(data, 120, new Rng(11)).nextEpoch();
            int[] indices = Arrays.copyOf(epoch.order(), 120);
            Batch b = epoch.batch(0);
            for (String fisher : new String[] {"empirical", "true"}) {
                Module m = Models.fromSpec(spec, data.sampleShape(), 10, new Rng(3), DType.FLOAT32);
                dev.kobai.optim.KFAC kfac = dev.kobai.optim.KFAC.builder().fisher(fisher).build(
                        dev.kobai.curvature.CurvatureProblem.of(m, dev.kobai.curvature.LossKind.CROSS_ENTROPY,
                                b.features(), b.labels()));
                kfac.updateFactors();
                List<dev.kobai.optim.KFAC.FactorSums> parts = new java.util.ArrayList<>();
                for (int p = 0; p < 3; p++) {
                    int[] rows = ShardedGradient.part(indices, bounds[p], bounds[p + 1]);
                    ShardedGradient.ShardSum s = ShardedGradient.shardSum(p, m, data.features(), data.labels(),
                            data.sampleShape(), 0, rows, new dev.kobai.tensor.StepMemory(),
                            new dev.kobai.optim.KFAC.FactorRequest(dev.kobai.curvature.FisherType.parse("fisher",
                                    fisher), 0));
                    parts.add(s.factors());
                }
                dev.kobai.optim.KFAC.FactorSums sum = dev.kobai.optim.KFAC.FactorSums.sum(parts);
                assertEquals(120, sum.examples());
                for (int i = 0; i < 2; i++) {
                    String where = spec + ", fisher=" + fisher + ", layer " + i;
                    assertClose(kfac.factorA(i), sum.a()[i], sum.rows()[i], where + ", A");
                    assertClose(kfac.factorG(i), sum.g()[i], sum.examples(), where + ", G");
                }
                assertEquals(spec.startsWith("conv") ? 120 * 36 : 120, sum.rows()[0]);
            }
        }
    }

    private static void assertClose(double[][] expected, double[] sum, double count, String where) {
        int n = expected.length;
        assertEquals(n * n, sum.length, where);
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                scale = Math.max(scale, Math.abs(expected[i][j]));
                worst = Math.max(worst, Math.abs(expected[i][j] - sum[i * n + j] / count));
            }
        }
        assertTrue(scale > 0 && worst <= 1e-5 * scale, where + ": largest difference " + worst + " of " + scale);
    }

    @Test
    void kfacTrainsOnShardsReproduciblyAndClosesOnThePlainRun(@TempDir Path dir) throws Exception {
        TrainSettings s = new TrainSettings("digits", "mlp:64-32-10", "kfac:lr=0.05,factor_update_period=3,"
                + "inv_update_period=5", 2, 100, 7);
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        List<EpochMetrics> ma = Training.run(s, new TrainingListener() {}, null, a, ShardedGradient.factory(3));
        Training.run(s, new TrainingListener() {}, null, b, ShardedGradient.factory(3));
        List<EpochMetrics> mp = Training.run(s, new TrainingListener() {}, null, dir.resolve("plain.safetensors"));
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        // the sampled targets differ from the plain run's (per shard), so the runs agree in what they learn only
        assertTrue(ma.getLast().testAccuracy() > 0.85, "sharded K-FAC learned: " + ma);
        assertEquals(mp.getLast().testAccuracy(), ma.getLast().testAccuracy(), 0.05);
        Path c = dir.resolve("c.safetensors");
        Training.run(s, new TrainingListener() {}, null, c, ShardedGradient.factory(2));
        assertNotEquals(Arrays.toString(Files.readAllBytes(a)), Arrays.toString(Files.readAllBytes(c)),
                "another shard count samples other targets and sums in another order");
    }

    /**
     * Ghost batch norm: each shard normalises with its own part's statistics, so the engine's
     * gradient is the shards' per-part gradients added (not the whole batch's), and the running
     * buffers become the mean of what each shard made of the step's buffers.
     */
    @Test
    void batchNormIsPerShardAndItsBuffersBecomeTheShardsMean() {
        Dataset images = DIGITS.withSampleShape(new int[] {1, 8, 8});
        String spec = "conv2d(1,4,3),batchnorm2d(4),relu,flatten,linear(144,10)";
        DataLoader.Epoch epoch = new DataLoader(images, 100, new Rng(12)).nextEpoch();
        int[] indices = Arrays.copyOf(epoch.order(), 100);
        Batch b = epoch.batch(0);
        int[] bounds = ShardedGradient.bounds(images.size(), 2);
        Module m = Models.fromSpec(spec, images.sampleShape(), 10, new Rng(5), DType.FLOAT32);
        // a step already taken, so the buffers the shards start from are not the initial ones
        m.forward(b.features());
        double[] before = ShardedGradient.readBuffers(m);
        new ShardedGradient(m, images, 2).compute(indices, b);
        float[] sharded = flatGrads(m);
        double[] buffers = ShardedGradient.readBuffers(m);

        float[] expected = new float[sharded.length];
        double[] meanBuffers = new double[buffers.length];
        for (int p = 0; p < 2; p++) {
            int[] rows = ShardedGradient.part(indices, bounds[p], bounds[p + 1]);
            Module alone = Models.fromSpec(spec, images.sampleShape(), 10, new Rng(5), DType.FLOAT32);
            ShardedGradient.writeBuffers(alone, before);
            float[] x = new float[rows.length * 64];
            int[] y = new int[rows.length];
            for (int r = 0; r < rows.length; r++) {
                System.arraycopy(images.features(), rows[r] * 64, x, r * 64, 64);
                y[r] = images.labels()[rows[r]];
            }
            alone.zeroGrad();
            Losses.crossEntropy(alone.forward(Tensor.fromArray(x, new int[] {rows.length, 1, 8, 8})), y).backward();
            float[] g = flatGrads(alone);
            for (int i = 0; i < g.length; i++) {
                expected[i] += g[i] * rows.length / 100f;
            }
            double[] own = ShardedGradient.readBuffers(alone);
            for (int i = 0; i < own.length; i++) {
                meanBuffers[i] += own[i] / 2;
            }
        }
        for (int i = 0; i < sharded.length; i++) {
            assertEquals(expected[i], sharded[i], 1e-5, "gradient element " + i);
        }
        for (int i = 0; i < buffers.length; i++) {
            assertEquals(meanBuffers[i], buffers[i], 1e-6, "buffer element " + i);
        }
        assertEquals(2.0, buffers[buffers.length - 1], "num_batches_tracked counts the step once");
        // and the whole batch's statistics would give another gradient
        Module whole = Models.fromSpec(spec, images.sampleShape(), 10, new Rng(5), DType.FLOAT32);
        ShardedGradient.writeBuffers(whole, before);
        whole.zeroGrad();
        Losses.crossEntropy(whole.forward(b.features()), b.labels()).backward();
        float[] g = flatGrads(whole);
        double worst = 0;
        for (int i = 0; i < g.length; i++) {
            worst = Math.max(worst, Math.abs(g[i] - sharded[i]));
        }
        assertTrue(worst > 1e-4, "ghost batch norm differs from the whole batch's: " + worst);
    }

    @Test
    void aShardWithoutSamplesOfTheBatchLeavesTheBuffersToTheOthers() {
        Dataset images = DIGITS.withSampleShape(new int[] {1, 8, 8});
        String spec = "conv2d(1,4,3),batchnorm2d(4),relu,flatten,linear(144,10)";
        int[] bounds = ShardedGradient.bounds(images.size(), 2);
        int[] indices = {3, 17, 5, 40, 11, 28}; // all in shard 0
        assertTrue(indices.length == ShardedGradient.part(indices, bounds[0], bounds[1]).length);
        float[] x = new float[indices.length * 64];
        int[] y = new int[indices.length];
        for (int r = 0; r < indices.length; r++) {
            System.arraycopy(images.features(), indices[r] * 64, x, r * 64, 64);
            y[r] = images.labels()[indices[r]];
        }
        Tensor input = Tensor.fromArray(x, new int[] {indices.length, 1, 8, 8});
        Module m = Models.fromSpec(spec, images.sampleShape(), 10, new Rng(5), DType.FLOAT32);
        new ShardedGradient(m, images, 2).compute(indices, new Batch(input, y));
        Module alone = Models.fromSpec(spec, images.sampleShape(), 10, new Rng(5), DType.FLOAT32);
        alone.forward(input);
        double[] expected = ShardedGradient.readBuffers(alone);
        double[] got = ShardedGradient.readBuffers(m);
        for (int i = 0; i < got.length; i++) {
            assertEquals(expected[i], got[i], 1e-6, "buffer element " + i);
        }
    }

    /**
     * The shards' curvature sums, added and divided by the batch size, are the whole batch's mean
     * curvature up to float rounding: the loss, Hessian-, Gauss-Newton- and Fisher-vector products
     * and the dense matrices, with shards of unequal parts of the batch.
     */
    @Test
    void curvatureFromShardSumsIsTheWholeBatchCurvature() {
        Object[] ib = batch(90, 21);
        int[] indices = (int[]) ib[0];
        Batch b = (Batch) ib[1];
        Module m = Models.fromSpec("mlp:64-6-10", DIGITS.sampleShape(), 10, new Rng(8), DType.FLOAT32);
        dev.kobai.curvature.CurvatureProblem whole = dev.kobai.curvature.CurvatureProblem.of(m,
                dev.kobai.curvature.LossKind.CROSS_ENTROPY, b.features(), b.labels());
        ShardedGradient engine = new ShardedGradient(m, DIGITS, 3);
        int p = whole.parameterCount();
        double[] v = new double[p];
        Rng r = new Rng(2);
        for (int i = 0; i < p; i++) {
            v[i] = r.nextDouble() - 0.5;
        }
        assertEquals(whole.lossValue(), engine.curvature(indices, b,
                dev.kobai.optim.ShardedCurvature.Request.loss()).loss(), 1e-6);
        var fisher = dev.kobai.curvature.FisherType.EMPIRICAL;
        Object[][] cases = {
            {"Hessian", dev.kobai.optim.ShardedCurvature.Request.product(
                    dev.kobai.optim.ShardedCurvature.Kind.HESSIAN, v), whole.hessianVector(v)},
            {"Gauss-Newton", dev.kobai.optim.ShardedCurvature.Request.product(
                    dev.kobai.optim.ShardedCurvature.Kind.GAUSS_NEWTON, v), whole.gaussNewtonVector(v)},
            {"empirical Fisher", dev.kobai.optim.ShardedCurvature.Request.fisherProduct(fisher, 0, v),
                whole.fisherVector(whole.outputs(), fisher, null, v)},
            {"Hessian matrix", dev.kobai.optim.ShardedCurvature.Request.matrix(
                    dev.kobai.optim.ShardedCurvature.Kind.HESSIAN), FlatMatrices.flatten(whole.hessian())},
            {"true Fisher matrix", dev.kobai.optim.ShardedCurvature.Request.fisherMatrix(
                    dev.kobai.curvature.FisherType.TRUE, 0, 1),
                FlatMatrices.flatten(whole.fisher(dev.kobai.curvature.FisherType.TRUE, null, 1))},
        };
        for (Object[] c : cases) {
            double[] expected = (double[]) c[2];
            double[] got = engine.curvature(indices, b, (dev.kobai.optim.ShardedCurvature.Request) c[1]).values();
            double scale = 0;
            double worst = 0;
            for (int i = 0; i < expected.length; i++) {
                scale = Math.max(scale, Math.abs(expected[i]));
                worst = Math.max(worst, Math.abs(expected[i] - got[i]));
            }
            assertEquals(expected.length, got.length, (String) c[0]);
            // float32 forward passes over different rows: relative differences of float rounding
            assertTrue(scale > 0 && worst <= 1e-4 * scale, c[0] + ": largest difference " + worst + " of " + scale);
        }
    }

    /**
     * Newton, Hessian-free and natural gradient train on shards: a run is reproducible, learns as
     * the plain run does, and its bits depend on the shard count (the shards' sums are what it
     * stepped on).
     */
    @Test
    void secondOrderMethodsTrainOnShardsReproducibly(@TempDir Path dir) throws Exception {
        String data = "csv:" + linearClasses(dir.resolve("classes.csv"), 500, 5, 3);
        String[][] runs = {
            {"mlp:5-3", "newton:lr=0.5,damping=0.1"},
            {"mlp:5-3", "natural:lr=0.5,damping=0.01,fisher=true"},
            {"mlp:5-8-3", "hessian-free:cg_max_iters=8"},
            {"mlp:5-8-3", "natural:lr=0.5,damping=0.01,fisher=monte-carlo,solver=cg,cg_iters=8"},
        };
        for (String[] run : runs) {
            TrainSettings s = new TrainSettings(data, run[0], run[1], 2, 100, 7);
            Path a = dir.resolve("a.safetensors");
            Path b = dir.resolve("b.safetensors");
            Path c = dir.resolve("c.safetensors");
            List<EpochMetrics> ma = Training.run(s, new TrainingListener() {}, null, a, ShardedGradient.factory(3));
            Training.run(s, new TrainingListener() {}, null, b, ShardedGradient.factory(3));
            Training.run(s, new TrainingListener() {}, null, c, ShardedGradient.factory(2));
            List<EpochMetrics> mp = Training.run(s, new TrainingListener() {}, null, dir.resolve("p.safetensors"));
            String what = run[1];
            assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), what);
            assertNotEquals(Arrays.toString(Files.readAllBytes(a)), Arrays.toString(Files.readAllBytes(c)), what);
            assertTrue(ma.getLast().testAccuracy() > 0.75, what + " learned on shards: " + ma);
            if (!what.contains("monte-carlo")) { // the shards sample other targets than the plain run
                assertEquals(mp.getLast().testAccuracy(), ma.getLast().testAccuracy(), 0.05, what);
            }
        }
    }

    /**
     * A CSV of {@code rows} samples of {@code features} uniform features in [-1, 1] whose label is
     * the class of the largest of {@code classes} fixed linear scores (a set that exact second-order
     * methods on small models learn in a few steps); returns its path.
     */
    static Path linearClasses(Path file, int rows, int features, int classes) throws java.io.IOException {
        java.util.Random r = new java.util.Random(17);
        double[][] w = new double[classes][features];
        for (double[] row : w) {
            for (int j = 0; j < features; j++) {
                row[j] = r.nextGaussian();
            }
        }
        StringBuilder csv = new StringBuilder();
        for (int j = 0; j < features; j++) {
            csv.append('x').append(j).append(',');
        }
        csv.append("label\n");
        for (int i = 0; i < rows; i++) {
            double[] x = new double[features];
            for (int j = 0; j < features; j++) {
                x[j] = Math.round((2 * r.nextDouble() - 1) * 1000) / 1000.0;
                csv.append(x[j]).append(',');
            }
            int best = 0;
            double top = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                double score = 0;
                for (int j = 0; j < features; j++) {
                    score += w[c][j] * x[j];
                }
                if (score > top) {
                    top = score;
                    best = c;
                }
            }
            csv.append(best).append('\n');
        }
        return Files.writeString(file, csv);
    }

    /**
     * Dropout on shards: each gradient's masks come from one seed drawn from the driver's generator,
     * so the same generator state gives the same gradient, the next draw another one, and the
     * driver's generator moves by exactly that one draw; the shards' masks differ (shard s's seed
     * is offset by s).
     */
    @Test
    void dropoutMasksComeFromOneDriverDrawPerGradient() {
        Object[] ib = batch(200, 4);
        int[] indices = (int[]) ib[0];
        Batch b = (Batch) ib[1];
        Module m = Models.fromSpec("flatten,linear(64,32),relu,dropout(0.5),linear(32,10)", DIGITS.sampleShape(),
                10, new Rng(6), DType.FLOAT32);
        m.train(true);
        dev.kobai.nn.Dropout dropout = ShardedGradient.dropouts(m).getFirst();
        long[] before = dropout.generator().state();
        ShardedGradient engine = new ShardedGradient(m, DIGITS, 2);
        engine.compute(indices, b);
        float[] first = flatGrads(m);
        Rng expected = new Rng(0);
        expected.setState(before);
        expected.nextLong();
        assertArrayEquals(expected.state(), dropout.generator().state(), "one draw on the driver");
        engine.compute(indices, b);
        assertNotEquals(Arrays.toString(first), Arrays.toString(flatGrads(m)), "the next gradient's masks differ");
        dropout.generator().setState(before);
        engine.compute(indices, b);
        assertArrayEquals(first, flatGrads(m), "the same draw gives the same masks");
        // the shards' sums rebuilt from the seed that draw gave and the per-shard offsets
        Rng draw = new Rng(0);
        draw.setState(before);
        long seed = draw.nextLong();
        Module alone = Models.fromSpec("flatten,linear(64,32),relu,dropout(0.5),linear(32,10)", DIGITS.sampleShape(),
                10, new Rng(6), DType.FLOAT32);
        alone.train(true);
        List<dev.kobai.nn.Dropout> ds = ShardedGradient.dropouts(alone);
        int[] bounds = ShardedGradient.bounds(DIGITS.size(), 2);
        float[] sum = null;
        for (int p = 0; p < 2; p++) {
            ShardedGradient.seedDropouts(ds, seed, p);
            float[] g = ShardedGradient.shardSum(p, alone, DIGITS.features(), DIGITS.labels(), DIGITS.sampleShape(),
                    0, ShardedGradient.part(indices, bounds[p], bounds[p + 1]), new dev.kobai.tensor.StepMemory())
                    .gradient();
            if (sum == null) {
                sum = g;
            } else {
                for (int i = 0; i < sum.length; i++) {
                    sum[i] = (sum[i] + g[i]) / 200f;
                }
            }
        }
        assertArrayEquals(first, sum, "shard p's masks from seed + 65537 p");
    }

    @Test
    void dropoutModelsTrainOnShardsReproducibly(@TempDir Path dir) throws Exception {
        TrainSettings s = new TrainSettings("digits", "flatten,linear(64,32),relu,dropout(0.3),linear(32,10)",
                "adam:lr=0.01", 2, 100, 7);
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        List<EpochMetrics> ma = Training.run(s, new TrainingListener() {}, null, a, ShardedGradient.factory(3));
        Training.run(s, new TrainingListener() {}, null, b, ShardedGradient.factory(3));
        List<EpochMetrics> mp = Training.run(s, new TrainingListener() {}, null, dir.resolve("p.safetensors"));
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertTrue(ma.getLast().testAccuracy() > 0.75, "learned with dropout on shards: " + ma);
        assertEquals(mp.getLast().testAccuracy(), ma.getLast().testAccuracy(), 0.05);
    }

    @Test
    void modelsAndOptimizersThatCannotBeSplitAreRefused() {
        String augmented = assertThrows(UsageException.class, () -> Training.run(new TrainSettings(
                "digits,flip", "conv2d(1,4,3),relu,flatten,linear(144,10)", "sgd:lr=0.1", 1, 64, 1),
                new TrainingListener() {}, null, null, ShardedGradient.factory(2))).getMessage();
        assertTrue(augmented.contains("augmentation"), augmented);
    }
}
