package dev.kobai.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.data.Dataset;
import dev.kobai.data.Datasets;
import dev.kobai.data.TrainTest;
import dev.kobai.nn.Models;
import dev.kobai.nn.Module;
import dev.kobai.nn.Parameter;
import dev.kobai.optim.ShardedCurvature;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.StepMemory;
import dev.kobai.tensor.kernel.Kernels;
import dev.kobai.train.ShardedGradient;
import dev.kobai.train.ShardedGradient.ShardSum;
import dev.kobai.train.TrainSettings;
import dev.kobai.train.Training;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark module's parts one by one, in seconds (SparkTrainingTest trains whole runs): the
 * master's syntax and the context's configuration, the shards and where they are read, one
 * partition's task called directly, the engine's sums against {@link ShardedGradient}'s, and its
 * step times.
 */
class SparkPartsTest {
    private static final String MASTER = "local[2]";
    /** Dropout and batch norm: the task must seed the one and carry the other's buffers. */
    private static final String MODEL = "flatten,linear(64,12),batchnorm1d(12),relu,dropout(0.25),linear(12,10)";

    @TempDir
    Path dir;

    @AfterAll
    static void stopSpark() {
        SparkContexts.stop();
    }

    // ---- StepTimes

    @Test
    void stepTimesGiveMediansOfOddAndEvenCounts() {
        StepTimes t = new StepTimes();
        assertEquals(0, t.count());
        assertTrue(Double.isNaN(t.medianWallMs()) && Double.isNaN(t.medianComputeMs())
                && Double.isNaN(t.medianCombineMs()));
        t.add(9_000_000, 2_000_000, 500_000);
        t.add(5_000_000, 4_000_000, 100_000);
        t.add(7_000_000, 1_000_000, 300_000);
        assertEquals(3, t.count());
        assertEquals(7.0, t.medianWallMs());
        assertEquals(2.0, t.medianComputeMs());
        assertEquals(0.3, t.medianCombineMs(), 1e-15);
        assertEquals("3 gradients, median 7.0 ms each: 2.0 ms computing (slowest partition), 0.3 ms combining on"
                + " the driver, 4.7 ms in Spark (scheduling, serialization, transfer)", t.toString());
        t.add(6_000_000, 8_000_000, 200_000);
        assertEquals(6.5, t.medianWallMs());
        assertEquals(3.0, t.medianComputeMs());
        assertEquals(0.25, t.medianCombineMs(), 1e-15);
        // compute and combine over the wall's median: Spark's share is 0, not negative
        StepTimes over = new StepTimes();
        over.add(1_000_000, 3_000_000, 0);
        assertTrue(over.toString().endsWith(", 0.0 ms in Spark (scheduling, serialization, transfer)"), over.toString());
    }

    @Test
    void stepTimesKeepEveryStepPastTheirFirstCapacity() {
        StepTimes t = new StepTimes();
        for (int i = 1; i <= 201; i++) {
            t.add(i * 1_000_000L, 2 * i * 1_000_000L, 3 * i * 1_000_000L);
        }
        assertEquals(201, t.count());
        assertEquals(101.0, t.medianWallMs());
        assertEquals(202.0, t.medianComputeMs());
        assertEquals(303.0, t.medianCombineMs());
    }

    // ---- SparkContexts and SparkProvider

    @Test
    void theMasterIsLocalOrAStandaloneCluster() {
        for (String ok : new String[] {"local", "local[1]", "local[12]", "local[*]", "local[2,3]", "spark://h:7077",
            "spark://a:1,b:2"}) {
            SparkContexts.requireMaster(ok);
        }
        for (String bad : new String[] {null, "", "yarn", "local[0]", "local[02]", "local[]", "local[x]", "local[2,x]",
            "spark://h", "spark://:7077", "spark://h:7077/x", "spark://h:p", "mesos://h:5050"}) {
            UsageException e = assertThrows(UsageException.class, () -> SparkContexts.requireMaster(bad), bad);
            assertEquals("--spark takes local[K] (K task threads in this JVM) or spark://HOST:PORT (a standalone"
                    + " cluster's master), got '" + bad + "'", e.getMessage());
        }
    }

    /** The UI off and the driver on the loopback address for local runs and a master on it; jars for a cluster. */
    @Test
    void aContextsConfigurationFollowsItsMaster() {
        SparkConf local = SparkContexts.conf("local[3]");
        assertEquals("local[3]", local.get("spark.master"));
        assertEquals("kobai train", local.get("spark.app.name"));
        assertEquals("false", local.get("spark.ui.enabled"));
        assertEquals("127.0.0.1", local.get("spark.driver.host"));
        assertEquals("127.0.0.1", local.get("spark.driver.bindAddress"));
        assertFalse(local.contains("spark.jars"), "local[K] runs on this JVM's class path");

        for (String loop : new String[] {"spark://localhost:7077", "spark://127.0.0.2:7077"}) {
            SparkConf c = SparkContexts.conf(loop);
            assertEquals("127.0.0.1", c.get("spark.driver.host"), loop);
            assertEquals("127.0.0.1", c.get("spark.driver.bindAddress"), loop);
        }
        SparkConf remote = SparkContexts.conf("spark://10.1.2.3:7077");
        assertFalse(remote.contains("spark.driver.host"), "a remote master reaches the driver by its own address");
        assertFalse(remote.contains("spark.driver.bindAddress"));
        // Kobai's jars where it runs from jars (here, from class directories: none); each one a jar
        String jars = remote.get("spark.jars");
        for (String jar : jars.isEmpty() ? new String[0] : jars.split(",")) {
            assertTrue(jar.endsWith(".jar") && Files.isRegularFile(Path.of(jar)), jars);
        }
        // what the user gave is kept, after Kobai's own
        String before = System.getProperty("spark.jars");
        System.setProperty("spark.jars", "extra.jar");
        try {
            String given = SparkContexts.conf("spark://10.1.2.3:7077").get("spark.jars");
            assertEquals(jars.isEmpty() ? "extra.jar" : jars + ",extra.jar", given);
            assertFalse(SparkContexts.conf("local[2]").get("spark.jars").contains(","), "local: as given");
        } finally {
            if (before == null) {
                System.clearProperty("spark.jars");
            } else {
                System.setProperty("spark.jars", before);
            }
        }
    }

    @Test
    void oneContextPerJvmForOneMaster() {
        JavaSparkContext sc = SparkContexts.get(MASTER);
        assertTrue(SparkContexts.running());
        assertSame(sc, SparkContexts.get(MASTER));
        UsageException e = assertThrows(UsageException.class, () -> SparkContexts.get("local[3]"));
        assertEquals("this JVM already runs Spark on local[2], not local[3]", e.getMessage());
        assertThrows(UsageException.class, () -> SparkContexts.get("yarn"));
    }

    @Test
    void theProviderChecksItsArgumentsBeforeSparkStarts() {
        SparkProvider p = new SparkProvider();
        assertEquals("spark", p.name());
        assertThrows(UsageException.class, () -> p.engines("yarn", 2));
        for (int bad : new int[] {0, -1}) {
            UsageException e = assertThrows(UsageException.class, () -> p.engines(MASTER, bad));
            assertEquals("--partitions must be at least 1, got " + bad, e.getMessage());
        }
        assertTrue(p.engines(MASTER, 1) != null && p.engines(MASTER, null) != null);
    }

    /** The provider's engines refuse augmented data before they touch Spark. */
    @Test
    void theProvidersEnginesRefuseAugmentedData() {
        TrainTest data = Datasets.digits();
        TrainSettings plain = new TrainSettings("digits", "mlp:64-10", "sgd:lr=0.1", 1, 32, 1);
        Training.Setup setup = Training.build(plain, data);
        TrainSettings s = new TrainSettings("digits,flip", "mlp:64-10", "sgd:lr=0.1", 1, 32, 1);
        UsageException e = assertThrows(UsageException.class,
                () -> new SparkProvider().engines(MASTER, 2).open(s, setup));
        assertTrue(e.getMessage().contains("augmentation"), e.getMessage());
        // and open an engine on the context for plain data
        SparkContexts.get(MASTER);
        try (var engine = new SparkProvider().engines(MASTER, 2).open(plain, setup)) {
            assertEquals("Spark (local[2], 2 partitions)", engine.describe());
        }
    }

    // ---- Shards

    private static Dataset rows(int n, int d, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] x = new float[n * d];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(10);
        }
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
        }
        return new Dataset("rows", x, y, new int[] {d}, 3, List.of());
    }

    /** The set as a CSV file Datasets reads back to the same rows. */
    private Path csv(String name, Dataset set) throws Exception {
        StringBuilder b = new StringBuilder();
        int d = set.featureCount();
        for (int j = 0; j < d; j++) {
            b.append('f').append(j).append(',');
        }
        b.append("label\n");
        for (int i = 0; i < set.size(); i++) {
            for (int j = 0; j < d; j++) {
                b.append((int) set.features()[i * d + j]).append(',');
            }
            b.append(set.labels()[i]).append('\n');
        }
        return Files.writeString(dir.resolve(name), b);
    }

    @Test
    void aShardIsItsRowsAndLabels() {
        Dataset set = rows(7, 3, 1);
        Shards.Shard s = Shards.slice(set, 1, 2, 5);
        assertEquals(1, s.index());
        assertEquals(2, s.offset());
        assertArrayEquals(java.util.Arrays.copyOfRange(set.features(), 6, 15), s.features());
        assertArrayEquals(new int[] {2, 0, 1}, s.labels());
    }

    /**
     * A source either hands over its shipped shard or reads the set, checks its size against the
     * driver's, and keeps the last set it read for the next partition of the same spec.
     */
    @Test
    void aSourceReadsTheSetOnceAndRefusesOneOfAnotherSize() throws Exception {
        Shards.Shard shipped = Shards.slice(rows(4, 2, 2), 0, 0, 4);
        assertSame(shipped, new Shards.Source(0, 0, 4, "never-read", 4, shipped).load());

        Dataset first = rows(30, 3, 3);
        Path file = csv("source-a.csv", first);
        String spec = "csv:" + file;
        Dataset train = Datasets.fromSpec(spec).train();
        Shards.Shard read = new Shards.Source(1, 10, 20, spec, train.size(), null).load();
        Shards.Shard expected = Shards.slice(train, 1, 10, 20);
        assertEquals(1, read.index());
        assertEquals(10, read.offset());
        assertArrayEquals(expected.features(), read.features());
        assertArrayEquals(expected.labels(), read.labels());

        // the file changes: the same spec is not read again (the partitions of one job share a read) ...
        csv("source-a.csv", rows(30, 3, 4));
        assertArrayEquals(expected.features(), new Shards.Source(2, 10, 20, spec, train.size(), null).load().features());
        // ... another spec is
        Path other = csv("source-b.csv", rows(30, 3, 4));
        String otherSpec = "csv:" + other;
        Dataset otherTrain = Datasets.fromSpec(otherSpec).train();
        assertArrayEquals(Shards.slice(otherTrain, 0, 0, 5).features(),
                new Shards.Source(0, 0, 5, otherSpec, otherTrain.size(), null).load().features());

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Shards.Source(0, 0, 5, otherSpec, otherTrain.size() + 1, null).load());
        assertEquals("the executor read " + otherTrain.size() + " training samples from " + otherSpec + ", the driver "
                + (otherTrain.size() + 1) + ": every executor must see the driver's data", e.getMessage());
    }

    /** Sets of up to shipBytes bytes of features travel from the driver; a larger one is read where it is. */
    @Test
    void setsUpToTheLimitAreShippedAndLargerOnesRead() throws Exception {
        Path file = csv("ship.csv", rows(40, 5, 6));
        String spec = "csv:" + file;
        Dataset train = Datasets.fromSpec(spec).train();
        long bytes = 4L * train.features().length;
        JavaSparkContext sc = SparkContexts.get(MASTER);
        JavaRDD<Shards.Shard> shipped = Shards.of(sc, spec, train, 3, bytes);
        JavaRDD<Shards.Shard> read = Shards.of(sc, spec, train, 3, bytes - 1);
        assertEquals(3, shipped.getNumPartitions());
        Files.delete(file); // a shipped set needs no file; a read one does
        List<Shards.Shard> got = shipped.collect();
        int[] bounds = ShardedGradient.bounds(train.size(), 3);
        for (int p = 0; p < 3; p++) {
            Shards.Shard want = Shards.slice(train, p, bounds[p], bounds[p + 1]);
            assertEquals(p, got.get(p).index());
            assertEquals(want.offset(), got.get(p).offset());
            assertArrayEquals(want.features(), got.get(p).features());
            assertArrayEquals(want.labels(), got.get(p).labels());
        }
        Exception e = assertThrows(Exception.class, read::collect);
        assertTrue(String.valueOf(e.getMessage()).contains("ship.csv"), e.toString());
    }

    // ---- ShardTask

    private static float[] weights(Module m) {
        List<Float> out = new ArrayList<>();
        for (Parameter p : m.parameters()) {
            for (float v : p.floatData()) {
                out.add(v);
            }
        }
        float[] w = new float[out.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = out.get(i);
        }
        return w;
    }

    private static void setWeights(Module m, float[] w) {
        int at = 0;
        for (Parameter p : m.parameters()) {
            System.arraycopy(w, at, p.floatData(), 0, p.numel());
            at += p.numel();
        }
    }

    private static List<ShardTask.Result> call(ShardTask.Model model, ShardTask.Step step, Shards.Shard... shards) {
        JavaSparkContext sc = SparkContexts.get(MASTER);
        var broadcast = sc.broadcast(step);
        try {
            List<ShardTask.Result> out = new ArrayList<>();
            Iterator<ShardTask.Result> it = new ShardTask(model, broadcast).call(List.of(shards).iterator());
            it.forEachRemaining(out::add);
            return out;
        } finally {
            broadcast.destroy();
        }
    }

    /** What one partition computes: the shard's part of the batch, at the step's weights, buffers and dropout seed. */
    @Test
    void aTaskSumsItsShardsPartAtTheBroadcastWeights() {
        Dataset train = Datasets.digits().train();
        int[] shape = train.sampleShape();
        Module source = Models.fromSpec(MODEL, shape, 10, new Rng(11), DType.FLOAT32);
        float[] w = weights(source);
        double[] buffers = ShardedGradient.readBuffers(source);
        for (int i = 0; i < buffers.length; i++) {
            buffers[i] = 0.01 * (i % 7) + (i % 2); // not the initial buffers
        }
        ShardTask.Model model = new ShardTask.Model(MODEL, shape, 10, Kernels.gemm().describe(), w.length);
        Shards.Shard a = Shards.slice(train, 0, 0, 100);
        Shards.Shard b = Shards.slice(train, 1, 100, 200);
        Shards.Shard none = Shards.slice(train, 2, 200, 300);
        int[] indices = {150, 3, 99, 7, 101, 42, 199, 0, 120};
        long seed = 77;
        List<ShardTask.Result> results = call(model, new ShardTask.Step(w, indices, null, buffers, null, seed), a, b,
                none);
        assertEquals(3, results.size());
        for (int p = 0; p < 2; p++) {
            Shards.Shard s = p == 0 ? a : b;
            Module ref = Models.fromSpec(MODEL, shape, 10, new Rng(99), DType.FLOAT32);
            setWeights(ref, w);
            ShardedGradient.writeBuffers(ref, buffers);
            ShardedGradient.seedDropouts(ShardedGradient.dropouts(ref), seed, p);
            int[] rows = ShardedGradient.part(indices, s.offset(), s.offset() + s.labels().length);
            ShardSum want = ShardedGradient.shardSum(p, ref, s.features(), s.labels(), shape, s.offset(), rows,
                    new StepMemory());
            ShardSum got = results.get(p).sum();
            assertNull(results.get(p).curvature());
            assertEquals(p, got.shard());
            assertEquals(rows.length, got.count());
            assertEquals(want.loss(), got.loss(), "shard " + p);
            assertArrayEquals(want.gradient(), got.gradient(), "shard " + p);
            assertArrayEquals(want.buffers(), got.buffers(), "shard " + p);
            assertTrue(results.get(p).nanos() > 0 && results.get(p).nanos() < 60_000_000_000L);
        }
        ShardSum empty = results.get(2).sum();
        assertEquals(2, empty.shard());
        assertEquals(0, empty.count());
        assertEquals(0.0, empty.loss());
        assertNull(empty.gradient());

        // a curvature request gives the shard's curvature sum instead
        ShardedCurvature.Request loss = ShardedCurvature.Request.loss();
        List<ShardTask.Result> c = call(model, new ShardTask.Step(w, indices, null, null, loss, seed), b);
        Module ref = Models.fromSpec(MODEL, shape, 10, new Rng(99), DType.FLOAT32);
        setWeights(ref, w);
        ShardedGradient.seedDropouts(ShardedGradient.dropouts(ref), seed, 1);
        ShardedCurvature.Sum want = ShardedGradient.curvatureSum(1, ref, b.features(), b.labels(), shape, b.offset(),
                ShardedGradient.part(indices, 100, 200), loss);
        assertNull(c.getFirst().sum());
        assertTrue(c.getFirst().nanos() > 0 && c.getFirst().nanos() < 60_000_000_000L, "" + c.getFirst().nanos());
        assertEquals(want.count(), c.getFirst().curvature().count());
        assertEquals(want.loss(), c.getFirst().curvature().loss());
    }

    /** A task thread keeps its model for the next task of the same model and builds another for another. */
    @Test
    void aTaskThreadBuildsTheModelItIsAskedFor() {
        Dataset train = Datasets.digits().train();
        int[] shape = train.sampleShape();
        Shards.Shard s = Shards.slice(train, 0, 0, 50);
        int[] indices = {1, 2, 3, 40};
        for (String spec : new String[] {"mlp:64-8-10", "mlp:64-5-10", "mlp:64-8-10"}) {
            Module ref = Models.fromSpec(spec, shape, 10, new Rng(5), DType.FLOAT32);
            float[] w = weights(ref);
            ShardTask.Model model = new ShardTask.Model(spec, shape, 10, Kernels.gemm().describe(), w.length);
            ShardSum got = call(model, new ShardTask.Step(w, indices, null, null, null, 0), s).getFirst().sum();
            ShardSum want = ShardedGradient.shardSum(0, ref, s.features(), s.labels(), shape, 0, indices,
                    new StepMemory());
            assertEquals(want.loss(), got.loss(), spec);
            assertArrayEquals(want.gradient(), got.gradient(), spec);
        }
        assertEquals("mlp:64-8-10[64]10", new ShardTask.Model("mlp:64-8-10", new int[] {64}, 10, "k", 1).key());
    }

    @Test
    void anExecutorRefusesAnotherKernelOrAnotherModel() {
        int[] shape = {64};
        Shards.Shard s = Shards.slice(Datasets.digits().train(), 0, 0, 10);
        ShardTask.Step step = new ShardTask.Step(new float[650], new int[] {1}, null, null, null, 0);
        String here = Kernels.gemm().describe();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> call(new ShardTask.Model("mlp:64-10", shape, 10, "scalar", 650), step, s));
        assertEquals("this executor's matrix kernel (" + here + ") differs from the driver's (scalar): run executors"
                + " on the driver's kind of CPU with --add-modules jdk.incubator.vector", e.getMessage());
        e = assertThrows(IllegalStateException.class,
                () -> call(new ShardTask.Model("mlp:64-10", shape, 10, here, 651), step, s));
        assertEquals("the executor built 650 weights for mlp:64-10, the driver has 651", e.getMessage());
    }

    // ---- SparkGradient

    private static void assertSameGradients(Module a, Module b, String what) {
        for (int i = 0; i < a.parameters().size(); i++) {
            assertArrayEquals(a.parameters().get(i).grad().floatData(), b.parameters().get(i).grad().floatData(),
                    what + ": parameter " + i);
        }
    }

    /**
     * The engine's gradient, buffers and curvature requests equal ShardedGradient's with as many
     * shards, bit for bit; its description, summary and timings count what it did.
     */
    @Test
    void theEngineEqualsShardsOnOneMachineAndCountsItsSteps() {
        TrainTest data = Datasets.digits();
        TrainSettings s = new TrainSettings("digits", MODEL, "sgd:lr=0.1", 1, 64, 3);
        Training.Setup onSpark = Training.build(s, data);
        Training.Setup onShards = Training.build(s, data);
        SparkContexts.get(MASTER);
        int n = data.train().size();
        int[] indices = new int[64];
        for (int i = 0; i < indices.length; i++) {
            indices[i] = (int) ((i * 7919L) % n);
        }
        try (SparkGradient spark = SparkGradient.open(MASTER, 3, s, onSpark)) {
            ShardedGradient local = new ShardedGradient(onShards.model(), data.train(), 3);
            assertEquals("Spark (local[2], 3 partitions)", spark.describe());
            assertNull(spark.summary());
            assertEquals(List.of("partitions", "gradients"), List.copyOf(spark.timings().keySet()));
            for (int step = 0; step < 2; step++) {
                assertEquals(local.compute(indices, null), spark.compute(indices, null), "loss, step " + step);
                assertSameGradients(onShards.model(), onSpark.model(), "step " + step);
                assertArrayEquals(ShardedGradient.readBuffers(onShards.model()),
                        ShardedGradient.readBuffers(onSpark.model()), "buffers, step " + step);
            }
            double[] v = new double[weights(onSpark.model()).length];
            for (int i = 0; i < v.length; i++) {
                v[i] = Math.sin(i);
            }
            for (ShardedCurvature.Request r : new ShardedCurvature.Request[] {ShardedCurvature.Request.loss(),
                ShardedCurvature.Request.product(ShardedCurvature.Kind.GAUSS_NEWTON, v)}) {
                ShardedCurvature.Mean want = local.curvature(indices, null, r);
                ShardedCurvature.Mean got = spark.curvature(indices, null, r);
                assertEquals(want.loss(), got.loss(), r.op().toString());
                assertArrayEquals(want.values(), got.values(), r.op().toString());
            }

            assertEquals(2, spark.times().count());
            assertTrue(spark.summary().startsWith("Spark (local[2], 3 partitions): 2 gradients, median "),
                    spark.summary());
            assertTrue(spark.summary().endsWith("; 2 curvature jobs"), spark.summary());
            var t = spark.timings();
            assertEquals(List.of("partitions", "gradients", "curvature_jobs", "median_gradient_ms", "median_compute_ms",
                    "median_combine_ms", "median_spark_ms"), List.copyOf(t.keySet()));
            assertEquals(3, t.get("partitions"));
            assertEquals(2, t.get("gradients"));
            assertEquals(2L, t.get("curvature_jobs"));
            double wall = t.get("median_gradient_ms").doubleValue();
            double compute = t.get("median_compute_ms").doubleValue();
            double combine = t.get("median_combine_ms").doubleValue();
            assertTrue(compute > 0 && compute < wall && wall < 600_000 && combine >= 0 && combine < wall, t.toString());
            assertEquals(Math.max(0, wall - compute - combine), t.get("median_spark_ms").doubleValue());
        }
        assertTrue(SparkContexts.running(), "an engine leaves a context it did not start running");
    }

    /** An engine that started the context stops it when closed, or when it cannot be opened. */
    @Test
    void anEngineStopsTheContextItStarted() {
        TrainTest data = Datasets.digits();
        TrainSettings s = new TrainSettings("digits", "mlp:64-10", "sgd:lr=0.1", 1, 64, 3);
        Training.Setup setup = Training.build(s, data);
        SparkContexts.stop();
        try (SparkGradient spark = SparkGradient.open(MASTER, null, s, setup)) {
            assertEquals("Spark (local[2], 2 partitions)", spark.describe(), "local[2]'s default parallelism");
            assertTrue(SparkContexts.running());
        }
        assertFalse(SparkContexts.running());
        int tooMany = data.train().size() + 1;
        assertThrows(UsageException.class, () -> SparkGradient.open(MASTER, tooMany, s, setup));
        assertFalse(SparkContexts.running(), "the context started for the refused engine");
        SparkContexts.get(MASTER);
        assertThrows(UsageException.class, () -> SparkGradient.open(MASTER, tooMany, s, setup));
        assertTrue(SparkContexts.running(), "a shared context stays");
    }

    /** A module with buffers of its own (not batch norm's) cannot be split: its buffers would go unsynchronised. */
    @Test
    void aModelWithOtherBuffersIsRefused() {
        TrainTest data = Datasets.digits();
        TrainSettings s = new TrainSettings("digits", "mlp:64-10", "sgd:lr=0.1", 1, 64, 3);
        Module counting = new Module() {
            {
                registerModule("0", Models.fromSpec("mlp:64-10", data.train().sampleShape(), 10, new Rng(1),
                        DType.FLOAT32));
                registerModule("1", new Module() {
                    {
                        registerBuffer("calls", new dev.kobai.nn.Buffer(dev.kobai.tensor.Tensor.zeros(DType.FLOAT32, 1)));
                    }

                    @Override
                    public dev.kobai.tensor.Tensor forward(dev.kobai.tensor.Tensor input) {
                        return input;
                    }
                });
            }

            @Override
            public dev.kobai.tensor.Tensor forward(dev.kobai.tensor.Tensor input) {
                return input;
            }
        };
        SparkContexts.get(MASTER);
        UsageException e = assertThrows(UsageException.class,
                () -> SparkGradient.open(MASTER, 2, s, new Training.Setup(data, counting, null, null)));
        assertEquals("data-parallel training splits each batch into shards and knows how to combine batch norm's"
                + " buffers only; 1 keeps others", e.getMessage());
    }

    @Test
    void onlyFloat32ModelsAreTrained() {
        TrainTest data = Datasets.digits();
        TrainSettings s = new TrainSettings("digits", "mlp:64-10", "sgd:lr=0.1", 1, 64, 3);
        Module doubles = Models.fromSpec("mlp:64-10", data.train().sampleShape(), 10, new Rng(1), DType.FLOAT64);
        SparkContexts.get(MASTER);
        UsageException e = assertThrows(UsageException.class,
                () -> SparkGradient.open(MASTER, 2, s, new Training.Setup(data, doubles, null, null)));
        String name = doubles.parameters().getFirst().name();
        assertEquals("--spark trains float32 models; parameter " + name + " is " + DType.FLOAT64, e.getMessage());
    }
}
