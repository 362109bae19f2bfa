package dev.kobai.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.kobai.train.EpochMetrics;
import dev.kobai.train.TrainSettings;
import dev.kobai.train.TrainingListener;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a run's metrics as JSON Lines: one object per epoch ({@code epoch}, {@code train_loss},
 * {@code test_loss}, {@code test_accuracy}, {@code seconds}, and {@code lr}, the first parameter
 * group's learning rate when the epoch began), then one summary object with {@code "summary": true}
 * (including the scheduler spec and clipping bounds, null when not used). With skip-nonfinite,
 * an epoch that skipped steps carries {@code skipped_steps}, and the summary their total. Each line is flushed as it is written, so a run that fails midway keeps
 * the epochs it finished. A non-finite number (a diverged loss) is written as {@code null}, which
 * keeps every line valid JSON.
 */
public final class MetricsWriter implements TrainingListener, Closeable {
    private final Writer out;
    // Nulls kept: every line carries every key, even when a number is missing. No HTML escaping:
    // specs such as sgd:lr=0.1 should read as typed, not as sgd:lr\u003d0.1.
    private final Gson gson = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

    /** Writes to {@code out}; closing this writer closes it. */
    public MetricsWriter(Writer out) {
        this.out = out;
    }

    /** Creates or truncates the file, so that an unwritable path fails here rather than after an epoch. */
    public static MetricsWriter open(Path path) throws IOException {
        return new MetricsWriter(Files.newBufferedWriter(path, StandardCharsets.UTF_8));
    }

    @Override
    public void onEpochEnd(EpochMetrics m) {
        JsonObject o = new JsonObject();
        o.addProperty("epoch", m.epoch());
        number(o, "train_loss", m.trainLoss());
        number(o, "test_loss", m.testLoss());
        number(o, "test_accuracy", m.testAccuracy());
        number(o, "seconds", m.seconds());
        number(o, "lr", m.lr());
        if (m.skippedSteps() > 0) {
            o.addProperty("skipped_steps", m.skippedSteps());
        }
        writeLine(o);
    }

    /** Writes the closing summary line of a run that went through {@code epochs}. */
    public void writeSummary(TrainSettings settings, List<EpochMetrics> epochs, double totalSeconds) {
        JsonObject o = new JsonObject();
        o.addProperty("summary", true);
        o.addProperty("data", settings.data());
        o.addProperty("model", settings.model());
        o.addProperty("optimizer", settings.optimizer());
        o.addProperty("scheduler", settings.scheduler());
        o.addProperty("clip_grad_norm", settings.clipGradNorm());
        o.addProperty("clip_grad_value", settings.clipGradValue());
        o.addProperty("seed", settings.seed());
        o.addProperty("epochs", epochs.size());
        number(o, "final_test_accuracy", epochs.isEmpty() ? Double.NaN : epochs.getLast().testAccuracy());
        number(o, "best_test_accuracy",
                epochs.stream().mapToDouble(EpochMetrics::testAccuracy).max().orElse(Double.NaN));
        number(o, "total_seconds", totalSeconds);
        if (settings.skipNonFinite()) {
            o.addProperty("skip_nonfinite", true);
            o.addProperty("skipped_steps", epochs.stream().mapToLong(EpochMetrics::skippedSteps).sum());
        }
        writeLine(o);
    }

    private static void number(JsonObject o, String key, double value) {
        if (Double.isFinite(value)) {
            o.addProperty(key, value);
        } else {
            o.add(key, com.google.gson.JsonNull.INSTANCE);
        }
    }

    private void writeLine(JsonObject o) {
        try {
            out.write(gson.toJson(o));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
