package dev.kobai.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.cli.Kobai;
import dev.kobai.data.Dataset;
import dev.kobai.data.Datasets;
import dev.kobai.train.ClusterProvider;
import dev.kobai.train.EpochMetrics;
import dev.kobai.train.ShardedGradient;
import dev.kobai.train.TrainSettings;
import dev.kobai.train.Training;
import dev.kobai.train.TrainingListener;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel training on Spark in local[2] (two task threads in this JVM, one SparkContext for
 * the class) ends with the same weights, bit for bit, as the single-machine run with as many shards.
 */
class SparkTrainingTest {
    private static final String MASTER = "local[2]";

    @TempDir
    Path dir;

    @BeforeAll
    static void startSpark() {
        SparkContexts.get(MASTER); // shared: the engines of the runs below leave it running
    }

    @AfterAll
    static void stopSpark() {
        SparkContexts.stop();
    }

    private static byte[] run(TrainSettings s, Path out, dev.kobai.train.GradientEngine.Factory engines)
            throws Exception {
        Training.run(s, new TrainingListener() {}, null, out, engines);
        return Files.readAllBytes(out);
    }

    private static dev.kobai.train.GradientEngine.Factory spark(Integer partitions) {
        return ClusterProvider.find("spark").engines(MASTER, partitions);
    }

    @Test
    void adamOnTwoPartitionsEqualsTwoShardsOnOneMachineBitForBit() throws Exception {
        TrainSettings s = new TrainSettings("digits", "mlp:64-64-10", "adam:lr=0.01", 2, 128, 1);
        byte[] cluster = run(s, dir.resolve("spark.safetensors"), spark(null));
        byte[] local = run(s, dir.resolve("shards.safetensors"), ShardedGradient.factory(2));
        byte[] plain = run(s, dir.resolve("plain.safetensors"), null);
        assertArrayEquals(local, cluster);
        // and the equality is not that of runs that all ignore the engine
        assertTrue(!java.util.Arrays.equals(plain, cluster), "the whole-batch mean rounds differently");
    }

    @Test
    void unevenShardsSchedulersAndClippingGiveTheSameBitsToo() throws Exception {
        TrainSettings s = new TrainSettings("digits", "mlp:64-32-10", "sgd:lr=0.2,momentum=0.9", 2, 100, 3,
                "onecycle:max_lr=0.5", 1.0, 0.05);
        assertArrayEquals(run(s, dir.resolve("shards.safetensors"), ShardedGradient.factory(3)),
                run(s, dir.resolve("spark.safetensors"), spark(3)));
    }

    @Test
    void lbfgsEvaluatesItsClosureOnTheCluster() throws Exception {
        TrainSettings s = new TrainSettings("digits", "mlp:64-16-10", "lbfgs:lr=1,max_iter=4,history_size=5", 1, 400, 2);
        List<EpochMetrics> m = Training.run(s, new TrainingListener() {}, null, dir.resolve("spark.safetensors"),
                spark(2));
        assertTrue(m.getFirst().trainLoss() < 2.3, "L-BFGS trained: " + m);
        assertArrayEquals(run(s, dir.resolve("shards.safetensors"), ShardedGradient.factory(2)),
                Files.readAllBytes(dir.resolve("spark.safetensors")));
    }

    @Test
    void aCheckpointOfASparkRunResumesOnOneMachineAndTheOtherWayRound() throws Exception {
        // K-FAC's checkpoint carries its factors and the generator of the shards' sampled targets
        for (String optimizer : new String[] {"adam:lr=0.01", "kfac:lr=0.05,factor_update_period=3,inv_update_period=4"}) {
            TrainSettings one = new TrainSettings("digits", "mlp:64-32-10", optimizer, 1, 128, 6);
            TrainSettings two = one.withEpochs(2);
            byte[] whole = run(two, dir.resolve("whole.safetensors"), ShardedGradient.factory(2));
            dev.kobai.train.GradientEngine.Factory[][] legs = {{spark(2), ShardedGradient.factory(2)},
                {ShardedGradient.factory(2), spark(2)}};
            for (int i = 0; i < legs.length; i++) {
                Path checkpoint = dir.resolve(optimizer.substring(0, 4) + "run" + i + ".safetensors");
                Path out = dir.resolve("resumed" + i + ".safetensors");
                Training.run(one, new TrainingListener() {}, new Training.Checkpointing(checkpoint, "epoch", null), null,
                        legs[i][0]);
                Training.run(two, new TrainingListener() {}, new Training.Checkpointing(checkpoint, "epoch",
                        dev.kobai.train.Checkpoint.read(checkpoint)), out, legs[i][1]);
                assertArrayEquals(whole, Files.readAllBytes(out), optimizer + ": "
                        + (i == 0 ? "Spark, then one machine" : "one machine, then Spark"));
            }
        }
    }

    @Test
    void aSetReadOnTheExecutorsGivesTheShardsTheDriverWouldShip() throws Exception {
        // A CSV of 200 rows, read by path on the executors (as a set too large to ship would be).
        StringBuilder csv = new StringBuilder("a,b,c,label\n");
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i < 200; i++) {
            csv.append(r.nextInt(10)).append(',').append(r.nextInt(10)).append(',').append(r.nextInt(10)).append(',')
                    .append(i % 3).append('\n');
        }
        Path file = Files.writeString(dir.resolve("d.csv"), csv);
        String spec = "csv:" + file.toAbsolutePath();
        Dataset train = Datasets.fromSpec(spec).train();
        JavaSparkContext sc = SparkContexts.get(MASTER);
        List<Shards.Shard> read = Shards.of(sc, spec, train, 3, 0).collect();
        List<Shards.Shard> shipped = Shards.of(sc, spec, train, 3, Long.MAX_VALUE).collect();
        assertEquals(3, read.size());
        int[] bounds = ShardedGradient.bounds(train.size(), 3);
        for (int p = 0; p < 3; p++) {
            assertEquals(p, read.get(p).index());
            assertEquals(bounds[p], read.get(p).offset());
            assertArrayEquals(shipped.get(p).features(), read.get(p).features());
            assertArrayEquals(shipped.get(p).labels(), read.get(p).labels());
            assertEquals(bounds[p + 1] - bounds[p], read.get(p).labels().length);
        }
    }

    @Test
    void theCommandLineTrainsOnSparkAndReportsWhereTheTimeWent() throws Exception {
        Path spark = dir.resolve("spark.safetensors");
        Path shards = dir.resolve("shards.safetensors");
        String[] common = {"train", "--model", "mlp:64-32-10", "--optimizer", "adam", "--epochs", "1",
            "--batch-size", "256", "--seed", "4"};
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Path metrics = dir.resolve("m.jsonl");
        int code = Kobai.execute(concat(common, "--spark", MASTER, "--partitions", "2", "--export-weights",
                spark.toString(), "--metrics", metrics.toString()), new PrintWriter(out, true),
                new PrintWriter(err, true));
        assertEquals(0, code, err.toString());
        assertTrue(out.toString().contains("Spark (local[2], 2 partitions): 6 gradients, median "), out.toString());
        com.google.gson.JsonObject g = com.google.gson.JsonParser.parseString(Files.readAllLines(metrics).getLast())
                .getAsJsonObject().getAsJsonObject("gradients");
        assertEquals("Spark (local[2], 2 partitions)", g.get("engine").getAsString());
        assertEquals(6, g.get("gradients").getAsInt());
        double wall = g.get("median_gradient_ms").getAsDouble();
        double compute = g.get("median_compute_ms").getAsDouble();
        assertTrue(compute > 0 && compute < wall && g.get("median_spark_ms").getAsDouble() > 0, g.toString());
        assertEquals(0, Kobai.execute(concat(common, "--shards", "2", "--export-weights", shards.toString()),
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true)), err.toString());
        assertArrayEquals(Files.readAllBytes(shards), Files.readAllBytes(spark));

        StringWriter bad = new StringWriter();
        assertEquals(2, Kobai.execute(new String[] {"train", "--spark", "yarn"}, new PrintWriter(new StringWriter()),
                new PrintWriter(bad, true)));
        assertTrue(bad.toString().startsWith("kobai train: --spark takes local[K] (K task threads in this JVM) or"
                + " spark://HOST:PORT"), bad.toString());
    }

    /**
     * Issue 17's Done-when, on the digits (the Fashion-MNIST command is run by hand, see
     * docs/scaling.md): the command line with --spark and with --shards gives the same weights for
     * adam, kfac (its factor sums computed on the executors), lbfgs (its closure on the cluster) and
     * hessian-free (its Gauss-Newton products and losses on the cluster).
     */
    @Test
    void adamKfacLbfgsAndHessianFreeFromTheCommandLineGiveTheSameWeightsOnSparkAndOnShards() throws Exception {
        for (String optimizer : new String[] {"adam", "kfac", "lbfgs", "hessian-free:cg_max_iters=10"}) {
            Path spark = dir.resolve(optimizer + "-spark.safetensors");
            Path shards = dir.resolve(optimizer + "-shards.safetensors");
            String[] common = {"train", "--data", "digits", "--model", "mlp:64-64-10", "--optimizer", optimizer,
                "--epochs", "1", "--batch-size", "512", "--seed", "1"};
            StringWriter err = new StringWriter();
            assertEquals(0, Kobai.execute(concat(common, "--spark", MASTER, "--export-weights", spark.toString()),
                    new PrintWriter(new StringWriter(), true), new PrintWriter(err, true)), err.toString());
            assertEquals(0, Kobai.execute(concat(common, "--shards", "2", "--export-weights", shards.toString()),
                    new PrintWriter(new StringWriter(), true), new PrintWriter(err, true)), err.toString());
            assertArrayEquals(Files.readAllBytes(shards), Files.readAllBytes(spark), optimizer);
            // and the engine did the work: the plain run (whole-batch mean, K-FAC's own factors) differs
            Path plain = dir.resolve(optimizer + "-plain.safetensors");
            assertEquals(0, Kobai.execute(concat(common, "--export-weights", plain.toString()),
                    new PrintWriter(new StringWriter(), true), new PrintWriter(err, true)), err.toString());
            assertTrue(!java.util.Arrays.equals(Files.readAllBytes(plain), Files.readAllBytes(spark)), optimizer);
        }
    }

    @Test
    void kfacWithConvolutionsTheTrueFisherAndClippingGivesTheSameBitsOnSpark() throws Exception {
        TrainSettings s = new TrainSettings("digits", "conv2d(1,4,3),relu,flatten,linear(144,10)",
                "kfac:lr=0.05,fisher=true,factor_update_period=2,inv_update_period=3,momentum=0.5", 1, 200, 2,
                null, 0.5, null);
        assertArrayEquals(run(s, dir.resolve("shards.safetensors"), ShardedGradient.factory(3)),
                run(s, dir.resolve("spark.safetensors"), spark(3)));
    }

    /**
     * The cnn preset (two batch norm layers) on Spark: per-shard statistics and the shards' mean of
     * the running buffers give the --shards run's weights and buffers bit for bit, with SGD and with
     * K-FAC (whose factor pass must leave the buffers as the gradient pass made them).
     */
    @Test
    void theCnnPresetWithBatchNormGivesTheSameWeightsAndBuffersOnSparkAndOnShards() throws Exception {
        for (String optimizer : new String[] {"sgd:lr=0.05,momentum=0.9", "kfac:lr=0.05,factor_update_period=2"}) {
            TrainSettings s = new TrainSettings("digits", "cnn", optimizer, 1, 480, 3);
            byte[] shards = run(s, dir.resolve("shards.safetensors"), ShardedGradient.factory(2));
            byte[] cluster = run(s, dir.resolve("spark.safetensors"), spark(2));
            assertArrayEquals(shards, cluster, optimizer);
            var names = dev.kobai.io.SafeTensors.read(dir.resolve("spark.safetensors")).entries().keySet();
            assertTrue(names.contains("1.running_mean") && names.contains("5.running_var"), names.toString());
        }
    }

    /**
     * Newton (exact Hessian), Hessian-free (a Gauss-Newton product per CG iteration, losses for its
     * backtracking and line search) and natural gradient (dense true Fisher; CG on Monte-Carlo
     * Fisher products with per-shard sampled targets) evaluate their curvature on the executors and
     * end with the --shards run's weights, bit for bit, with uneven shards and clipping.
     */
    @Test
    void newtonHessianFreeAndNaturalGradientGiveTheSameBitsOnSparkAndOnShards() throws Exception {
        String data = "csv:" + linearClasses(dir.resolve("classes.csv"));
        String[][] runs = {
            {"mlp:5-3", "newton:lr=0.5,damping=0.1"},
            {"mlp:5-3", "natural:lr=0.5,damping=0.01,fisher=true"},
            {"mlp:5-8-3", "hessian-free:cg_max_iters=6"},
            {"mlp:5-8-3", "natural:lr=0.5,damping=0.01,fisher=monte-carlo,solver=cg,cg_iters=6"},
        };
        for (String[] r : runs) {
            TrainSettings s = new TrainSettings(data, r[0], r[1], 1, 100, 5, null, 1.0, null);
            byte[] shards = run(s, dir.resolve("shards.safetensors"), ShardedGradient.factory(3));
            byte[] cluster = run(s, dir.resolve("spark.safetensors"), spark(3));
            assertArrayEquals(shards, cluster, r[1]);
            byte[] two = run(s, dir.resolve("two.safetensors"), ShardedGradient.factory(2));
            assertTrue(!java.util.Arrays.equals(two, cluster), r[1] + ": the shards' sums are what it stepped on");
        }
    }

    /**
     * Dropout on Spark: each partition's masks come from the driver's per-gradient seed offset by its
     * shard index, so the weights equal the --shards run's, with Adam and with Hessian-free (whose
     * products and losses reuse the gradient pass's masks); a checkpoint resumes the draws.
     */
    @Test
    void dropoutGivesTheSameBitsOnSparkAndOnShards() throws Exception {
        String model = "flatten,linear(64,16),relu,dropout(0.3),linear(16,10)";
        for (String optimizer : new String[] {"adam:lr=0.01", "hessian-free:cg_max_iters=5"}) {
            TrainSettings s = new TrainSettings("digits", model, optimizer, 1, 300, 2);
            byte[] shards = run(s, dir.resolve("shards.safetensors"), ShardedGradient.factory(2));
            assertArrayEquals(shards, run(s, dir.resolve("spark.safetensors"), spark(2)), optimizer);
        }
        TrainSettings one = new TrainSettings("digits", model, "adam:lr=0.01", 1, 300, 3);
        byte[] whole = run(one.withEpochs(2), dir.resolve("whole.safetensors"), ShardedGradient.factory(2));
        Path checkpoint = dir.resolve("dropout.safetensors");
        Training.run(one, new TrainingListener() {}, new Training.Checkpointing(checkpoint, "epoch", null), null,
                spark(2));
        Path out = dir.resolve("resumed.safetensors");
        Training.run(one.withEpochs(2), new TrainingListener() {}, new Training.Checkpointing(checkpoint, "epoch",
                dev.kobai.train.Checkpoint.read(checkpoint)), out, ShardedGradient.factory(2));
        assertArrayEquals(whole, Files.readAllBytes(out), "Spark, then one machine");
    }

    /** 300 rows of five features in [-1, 1], labelled by the largest of three fixed linear scores. */
    private Path linearClasses(Path file) throws Exception {
        java.util.Random r = new java.util.Random(23);
        double[][] w = new double[3][5];
        for (double[] row : w) {
            for (int j = 0; j < 5; j++) {
                row[j] = r.nextGaussian();
            }
        }
        StringBuilder csv = new StringBuilder("a,b,c,d,e,label\n");
        for (int i = 0; i < 300; i++) {
            double[] x = new double[5];
            for (int j = 0; j < 5; j++) {
                x[j] = Math.round((2 * r.nextDouble() - 1) * 1000) / 1000.0;
                csv.append(x[j]).append(',');
            }
            int best = 0;
            for (int c = 1; c < 3; c++) {
                double a = 0;
                double b = 0;
                for (int j = 0; j < 5; j++) {
                    a += w[c][j] * x[j];
                    b += w[best][j] * x[j];
                }
                if (a > b) {
                    best = c;
                }
            }
            csv.append(best).append('\n');
        }
        return Files.writeString(file, csv);
    }

    @Test
    void whatCannotBeSplitIsRefusedBeforeSparkWorks() {
        String many = assertThrows(UsageException.class, () -> Training.run(new TrainSettings("csv:" + tiny(),
                "mlp:1-2", "sgd:lr=0.1", 1, 2, 1), new TrainingListener() {}, null, null, spark(9))).getMessage();
        assertTrue(many.contains("cannot be cut into 9 shards"), many);
    }

    private Path tiny() throws Exception {
        return Files.writeString(dir.resolve("tiny.csv"), "a,label\n0,0\n1,1\n0,0\n1,1\n0,0\n");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
