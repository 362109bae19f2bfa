package dev.kobai.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.kobai.io.AtomicFile;
import dev.kobai.io.OutputPath;
import dev.kobai.train.EpochMetrics;
import dev.kobai.train.TrainSettings;
import dev.kobai.train.TrainingListener;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Writes a run's metrics as JSON Lines: one object per epoch ({@code epoch}, {@code train_loss},
 * {@code test_loss}, {@code test_accuracy}, {@code seconds}, and {@code lr}, the first parameter
 * group's learning rate when the epoch began), then one summary object with {@code "summary": true}
 * (including the scheduler spec and clipping bounds, null when not used). With skip-nonfinite,
 * an epoch that skipped steps carries {@code skipped_steps}, and the summary their total. Each line is flushed as it is written, so a run that fails midway keeps
 * the epochs it finished. A non-finite number (a diverged loss) is written as {@code null}, which
 * keeps every line valid JSON.
 *
 * <p>A file is replaced atomically ({@link AtomicFile}): the lines go to a temporary file beside it
 * (where they can be watched as the run goes), renamed over the file when the writer closes, if it
 * wrote any line; a killed run leaves the old file whole. A FIFO or a character device (such as
 * /dev/stdout) is written into directly, as {@code tee} does.
 */
public final class MetricsWriter implements TrainingListener, Closeable {
    private final Writer out;
    /** The file being replaced, or null when writing into a stream given or opened in place. */
    private final AtomicFile.Replacement file;
    private boolean wroteLine;
    // Nulls kept: every line carries every key, even when a number is missing. No HTML escaping:
    // specs such as sgd:lr=0.1 should read as typed, not as sgd:lr\u003d0.1.
    private final Gson gson = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

    /** Writes to {@code out}; closing this writer closes it. */
    public MetricsWriter(Writer out) {
        this(out, null);
    }

    private MetricsWriter(Writer out, AtomicFile.Replacement file) {
        this.out = out;
        this.file = file;
    }

    /**
     * Starts writing {@code path}, so that a path that cannot be written fails here rather than after
     * an epoch: a FIFO or character device is opened for writing (waiting for a FIFO's reader), a file
     * is replaced when the writer closes.
     *
     * @throws dev.kobai.UsageException for a path that is a directory, a socket or a block device
     */
    public static MetricsWriter open(Path path) throws IOException {
        if (OutputPath.inPlace("--metrics", path)) {
            return new MetricsWriter(Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND));
        }
        AtomicFile.Replacement file = AtomicFile.begin(path);
        return new MetricsWriter(new OutputStreamWriter(file.stream(), StandardCharsets.UTF_8), file);
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
        writeSummary(settings, epochs, totalSeconds, null, java.util.Map.of());
    }

    /**
     * As above, for a run whose gradients came from {@code engine} (its description; null for the
     * plain trainer): a "gradients" object names it and holds its {@code timings}.
     */
    public void writeSummary(TrainSettings settings, List<EpochMetrics> epochs, double totalSeconds, String engine,
                             java.util.Map<String, Number> timings) {
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
        if (engine != null) {
            JsonObject g = new JsonObject();
            g.addProperty("engine", engine);
            timings.forEach((k, v) -> {
                if (v instanceof Double d) {
                    number(g, k, d);
                } else {
                    g.addProperty(k, v);
                }
            });
            o.add("gradients", g);
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
            wroteLine = true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Closes the stream; a file that got any line is renamed over the old one, else left as it was. */
    @Override
    public void close() throws IOException {
        try {
            out.close();
            if (file != null && wroteLine) {
                file.commit();
            }
        } finally {
            if (file != null) {
                file.close();
            }
        }
    }
}
