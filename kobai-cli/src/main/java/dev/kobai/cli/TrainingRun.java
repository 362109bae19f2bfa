package dev.kobai.cli;

import dev.kobai.train.EpochMetrics;
import dev.kobai.train.GradientEngine;
import dev.kobai.train.TrainSettings;
import dev.kobai.train.Training;
import dev.kobai.train.TrainingListener;
import java.io.PrintWriter;
import java.util.List;

/** What {@code train} and {@code demo} share: wiring progress and metrics to one call of {@link Training#run}. */
final class TrainingRun {
    private TrainingRun() {}

    /**
     * The epochs a run went through and its wall-clock time, data loading included; with a gradient
     * engine, what it was and its {@link GradientEngine#timings} (else null and empty).
     */
    record Outcome(List<EpochMetrics> epochs, double totalSeconds, String engine, java.util.Map<String, Number> timings) {
        Outcome(List<EpochMetrics> epochs, double totalSeconds) {
            this(epochs, totalSeconds, null, java.util.Map.of());
        }

        EpochMetrics last() {
            return epochs.getLast();
        }

        double bestAccuracy() {
            return epochs.stream().mapToDouble(EpochMetrics::testAccuracy).max().orElse(Double.NaN);
        }
    }

    /**
     * Trains with progress shown on {@code out} and, when {@code metrics} is not null, each epoch
     * written there as it ends.
     */
    static Outcome run(TrainSettings settings, PrintWriter out, MetricsWriter metrics) {
        return run(settings, out, metrics, null, null);
    }

    /** As above, checkpointing or resuming as {@code checkpointing} says, and exporting weights when asked. */
    static Outcome run(TrainSettings settings, PrintWriter out, MetricsWriter metrics,
                       Training.Checkpointing checkpointing, java.nio.file.Path exportWeights) {
        return run(settings, out, metrics, checkpointing, exportWeights, null);
    }

    /**
     * As above, with each batch's gradient from the engine {@code engines} opens (null: the whole
     * batch at once); the engine's {@link GradientEngine#summary} is printed after the run.
     */
    static Outcome run(TrainSettings settings, PrintWriter out, MetricsWriter metrics,
                       Training.Checkpointing checkpointing, java.nio.file.Path exportWeights,
                       GradientEngine.Factory engines) {
        GradientEngine[] opened = new GradientEngine[1];
        GradientEngine.Factory kept = engines == null ? null : (s, setup) -> opened[0] = engines.open(s, setup);
        Outcome outcome = progressRun(settings, out, metrics, checkpointing, exportWeights, kept);
        if (opened[0] == null) {
            return outcome;
        }
        String summary = opened[0].summary();
        if (summary != null) {
            out.println(summary);
            out.flush();
        }
        return new Outcome(outcome.epochs(), outcome.totalSeconds(), opened[0].describe(), opened[0].timings());
    }

    private static Outcome progressRun(TrainSettings settings, PrintWriter out, MetricsWriter metrics,
                                       Training.Checkpointing checkpointing, java.nio.file.Path exportWeights,
                                       GradientEngine.Factory engines) {
        try (Progress.Reporter progress = Progress.choose(out, settings.epochs(), settings.skipNonFinite())) {
            TrainingListener listener = metrics == null ? progress : both(progress, metrics);
            long start = System.nanoTime();
            List<EpochMetrics> epochs = Training.run(settings, listener, checkpointing, exportWeights, engines);
            return new Outcome(List.copyOf(epochs), (System.nanoTime() - start) / 1e9);
        }
    }

    static TrainingListener both(TrainingListener first, TrainingListener second) {
        return new TrainingListener() {
            @Override
            public void onEpochStart(int epoch, int totalBatches) {
                first.onEpochStart(epoch, totalBatches);
                second.onEpochStart(epoch, totalBatches);
            }

            @Override
            public void onBatchEnd(int epoch, int batch, double loss) {
                first.onBatchEnd(epoch, batch, loss);
                second.onBatchEnd(epoch, batch, loss);
            }

            @Override
            public void onEpochEnd(EpochMetrics metrics) {
                first.onEpochEnd(metrics);
                second.onEpochEnd(metrics);
            }
        };
    }
}
