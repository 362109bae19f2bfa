package dev.kobai.spark;

import dev.kobai.train.EpochMetrics;
import dev.kobai.train.GradientEngine;
import dev.kobai.train.ShardedGradient;
import dev.kobai.train.TrainSettings;
import dev.kobai.train.Trainer;
import dev.kobai.train.Training;
import dev.kobai.train.TrainingListener;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The per-step overhead of Spark local[2] over one machine, for mlp:784-256-10 with Adam at global
 * batch 512 on Fashion-MNIST (issue 17: at most 40 ms). Not a test: it runs only when asked,
 * {@code -Dkobai.spark.bench=true}, and prints the medians of one epoch's step times (the first
 * ten steps left out) for the plain trainer, --shards 2 and Spark, and of an empty Spark job.
 * {@code -Dkobai.spark.bench.model=cnn} (and {@code .optimizer}) times another model;
 * {@code -Dkobai.spark.bench.steps=N} stops each timed run after N steps instead of an epoch.
 */
@EnabledIfSystemProperty(named = "kobai.spark.bench", matches = "true")
class SparkOverheadBench {
    private static final int STEPS = Integer.getInteger("kobai.spark.bench.steps", Integer.MAX_VALUE);

    private static TrainSettings settings(int batch) {
        return new TrainSettings("fashion-mnist", System.getProperty("kobai.spark.bench.model", "mlp:784-256-10"),
                System.getProperty("kobai.spark.bench.optimizer", "adam"), 1, batch, 1);
    }

    /** Thrown by the timer to end a run after {@link #STEPS} steps. */
    private static final class Enough extends RuntimeException {
        Enough() {
            super(null, null, false, false);
        }
    }

    /** Median milliseconds between consecutive steps of one epoch, past the tenth. */
    private static double medianStepMs(TrainSettings settings, GradientEngine.Factory engines) {
        Training.Setup setup = Training.prepare(settings);
        Trainer trainer = new Trainer(setup.model(), setup.optimizer());
        int batches = Math.min(setup.loader().batchesPerEpoch(), STEPS + 1);
        long[] at = new long[batches + 1];
        TrainingListener timer = new TrainingListener() {
            @Override
            public void onBatchEnd(int epoch, int batch, double loss) {
                at[batch] = System.nanoTime();
                if (batch == batches && batches < setup.loader().batchesPerEpoch()) {
                    throw new Enough();
                }
            }
        };
        try (GradientEngine engine = engines == null ? null : engines.open(settings, setup)) {
            trainer.gradientEngine(engine);
            try {
                List<EpochMetrics> m = trainer.fit(setup.loader(), setup.data().test(), 1, timer);
                System.out.printf(Locale.ROOT, "  (test accuracy %.4f)%n", m.getFirst().testAccuracy());
            } catch (Enough e) {
                System.out.printf(Locale.ROOT, "  (stopped after %d steps)%n", batches);
            }
            if (engine != null && engine.summary() != null) {
                System.out.println("  " + engine.summary());
            }
        }
        // the last batch of an epoch is smaller (or the run's last one the stopping one): left out with the first ten
        double[] d = new double[at.length - 13];
        for (int i = 0; i < d.length; i++) {
            d[i] = (at[i + 12] - at[i + 11]) / 1e6;
        }
        Arrays.sort(d);
        return d[d.length / 2];
    }

    @Test
    void stepTimes() {
        System.out.printf(Locale.ROOT, "load average %s%n", loadAverage());
        JavaSparkContext sc = SparkContexts.get("local[2]");
        double[] empty = new double[40];
        for (int i = 0; i < empty.length; i++) {
            long t = System.nanoTime();
            sc.parallelize(List.of(1, 2), 2).count();
            empty[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(empty);
        System.out.printf(Locale.ROOT, "empty Spark job (2 tasks) median %.1f ms%n", empty[empty.length / 2]);
        // One epoch first to compile Spark's own code paths, which a step's timing should not include.
        medianStepMs(settings(512), new SparkProvider().engines("local[2]", 2));
        for (String b : System.getProperty("kobai.spark.bench.batches", "512,512").split(",")) {
            TrainSettings settings = settings(Integer.parseInt(b.trim()));
            double plain = medianStepMs(settings, null);
            double shards = medianStepMs(settings, ShardedGradient.factory(2));
            double spark = medianStepMs(settings, new SparkProvider().engines("local[2]", 2));
            System.out.printf(Locale.ROOT, "batch %d: step median plain %.1f ms, --shards 2 %.1f ms, Spark local[2]"
                    + " %.1f ms: overhead over plain %.1f ms, over --shards 2 %.1f ms (load %s)%n",
                    settings.batchSize(), plain, shards, spark, spark - plain, spark - shards, loadAverage());
        }
        System.out.printf(Locale.ROOT, "load average %s%n", loadAverage());
        SparkContexts.stop();
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
