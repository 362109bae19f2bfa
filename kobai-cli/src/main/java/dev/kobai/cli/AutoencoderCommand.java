package dev.kobai.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.kobai.UsageException;
import dev.kobai.data.Datasets;
import dev.kobai.data.TrainTest;
import dev.kobai.io.AtomicFile;
import dev.kobai.nn.Models;
import dev.kobai.tensor.Tensor;
import dev.kobai.train.AutoencoderTraining;
import dev.kobai.train.MemoryEstimate;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kobai autoencoder}: trains a deep autoencoder (logistic units, linear code layer,
 * BCE-with-logits on the pixels) with each of several optimizers from the same initial weights and
 * reports the iterations and seconds each needs to bring the training loss down to a target, as in
 * the Hessian-free and K-FAC papers. Writes curves.png (loss against iterations and against
 * seconds), metrics.jsonl and report.md.
 */
@Command(
        name = "autoencoder",
        mixinStandardHelpOptions = true,
        versionProvider = Kobai.Version.class,
        description = "Train a deep autoencoder with several optimizers; count iterations and seconds to a training loss.",
        footer = {
            "",
            "SPEC is [LABEL=]name[:key=value,...][@BATCH]; @BATCH overrides --batch-size",
            "  for that run.",
            "The loss is the mean binary cross-entropy per pixel on the first --eval-size",
            "  training images, recorded at iterations 1, 2, ... then about every 5%%;",
            "  seconds count optimizer steps only.",
            "Writes DIR/curves.png, DIR/metrics.jsonl and DIR/report.md.",
            "Example:",
            "  kobai autoencoder --optimizer Adam=adam:lr=0.003 \\",
            "      --optimizer K-FAC=kfac:fisher=mc@1000 --target-loss 0.3 --out ae"
        })
public final class AutoencoderCommand implements Callable<Integer>, Kobai.Verbosity {
    private static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();
    private static final Color[] COLOURS = RaceRenderer.RUNNER_COLOURS;

    @Spec
    CommandSpec spec;

    @Option(names = "--data", paramLabel = "SPEC", defaultValue = "fashion-mnist",
            description = "The images, pixel values in [0, 1] (default: ${DEFAULT-VALUE}).")
    String data;

    @Option(names = "--model", paramLabel = "SPEC", defaultValue = "autoencoder:784-256-64-16",
            description = "The encoder's sizes, mirrored by the decoder: " + Models.AUTOENCODER_HELP
                    + " (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--optimizer", paramLabel = "SPEC", required = true,
            description = "An optimizer, [LABEL=]SPEC[@BATCH]; repeat for each.")
    List<String> optimizers = new ArrayList<>();

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "500",
            description = "Examples per step unless a SPEC says @BATCH (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--train-size", paramLabel = "N", defaultValue = "20000",
            description = "Train on the first N training images; 0 for all (default: ${DEFAULT-VALUE}).")
    int trainSize;

    @Option(names = "--eval-size", paramLabel = "N", defaultValue = "2000",
            description = "Measure the training loss on the first N training images (default: ${DEFAULT-VALUE}).")
    int evalSize;

    @Option(names = "--target-loss", paramLabel = "L", defaultValue = "0.3",
            description = "Stop a run when the loss reaches L (default: ${DEFAULT-VALUE}).")
    double targetLoss;

    @Option(names = "--max-iters", paramLabel = "N", defaultValue = "20000",
            description = "Stop a run after N iterations (default: ${DEFAULT-VALUE}).")
    int maxIterations;

    @Option(names = "--max-seconds", paramLabel = "S", defaultValue = "300",
            description = "Stop a run after S seconds of optimizer steps (default: ${DEFAULT-VALUE}).")
    double maxSeconds;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
            description = "Seeds the initial weights and the minibatch order, shared by every run (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "autoencoder",
            description = "The directory to write into, created if missing (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    @Override
    public boolean verbose() {
        return verbose;
    }

    /** One optimizer to run: its label, spec and batch size. */
    record Entry(String label, String spec, int batchSize) {}

    /** Parses [LABEL=]SPEC[@BATCH]. */
    static Entry parseEntry(String text, int defaultBatch) {
        String body = text;
        int batch = defaultBatch;
        int at = text.lastIndexOf('@');
        if (at >= 0) {
            String b = text.substring(at + 1).trim();
            try {
                batch = Integer.parseInt(b);
            } catch (NumberFormatException e) {
                throw new UsageException("batch size '" + b + "' after @ is not a whole number");
            }
            if (batch < 1) {
                throw new UsageException("batch size after @ must be at least 1, got " + batch);
            }
            body = text.substring(0, at);
        }
        RacePresets.Entry e = RacePresets.parseEntry(body);
        return new Entry(e.label(), e.spec(), batch);
    }

    @Override
    public Integer call() throws IOException {
        if (batchSize < 1) {
            throw usage("--batch-size must be at least 1, got " + batchSize);
        }
        if (evalSize < 1) {
            throw usage("--eval-size must be at least 1, got " + evalSize);
        }
        if (trainSize < 0) {
            throw usage("--train-size must be 0 (all) or more, got " + trainSize);
        }
        AutoencoderTraining.Settings settings;
        try {
            settings = new AutoencoderTraining.Settings(model, targetLoss, maxIterations, maxSeconds, seed);
            Models.parseAutoencoderSizes(model);
        } catch (UsageException e) {
            throw usage(e.getMessage());
        }
        List<Entry> entries = new ArrayList<>();
        for (String text : optimizers) {
            try {
                entries.add(parseEntry(text, batchSize));
            } catch (UsageException e) {
                throw usage("--optimizer '" + text + "': " + e.getMessage());
            }
        }
        if (entries.size() > COLOURS.length) {
            throw usage("at most " + COLOURS.length + " optimizers fit in one comparison, got " + entries.size());
        }
        Outputs outputs = new Outputs();
        outputs.directory("--out", out, CompareCommand.FILES);
        outputs.data("--data", data);
        outputs.requireDistinct();
        TrainTest set = Datasets.fromSpec(data);
        Tensor train = AutoencoderTraining.images(set.train(), trainSize);
        Tensor eval = AutoencoderTraining.images(set.train(), evalSize);
        run(entries, train, eval, settings, data, out, spec.commandLine().getOut(),
                MemoryEstimate.dataBytes(set) + 4L * (train.numel() + eval.numel()));
        return 0;
    }

    /**
     * Runs every entry in turn and writes the chart, metrics and report into {@code dir}, each
     * replaced atomically once every run has finished.
     */
    static List<AutoencoderTraining.Result> run(List<Entry> entries, Tensor train, Tensor eval,
                                                AutoencoderTraining.Settings s, String data, Path dir, PrintWriter o)
            throws IOException {
        return run(entries, train, eval, s, data, dir, o, 4L * (train.numel() + eval.numel()));
    }

    /** As above; {@code dataBytes} is what the data already take of the heap, for the memory estimate. */
    static List<AutoencoderTraining.Result> run(List<Entry> entries, Tensor train, Tensor eval,
                                                AutoencoderTraining.Settings s, String data, Path dir, PrintWriter o,
                                                long dataBytes) throws IOException {
        AutoencoderTraining.requireInputs(s.model(), train.size(1)); // checks the sizes before any run
        // Each run's batch size is checked before the first run starts, not when its turn comes
        // (the specs were checked when parsed).
        int n = train.size(0);
        if (n == 0) {
            throw new UsageException("data " + data + ": the training set holds no images; there is nothing to train on");
        }
        for (Entry e : entries) {
            if (e.batchSize() > n) {
                throw new UsageException(e.label() + ": batch size " + e.batchSize() + " is larger than the " + n
                        + " training images (--train-size)");
            }
            AutoencoderTraining.requireMemory(s.model(), e.label(), e.spec(), e.batchSize(), train, eval, dataBytes);
        }
        Files.createDirectories(dir);
        List<AutoencoderTraining.Result> results = new ArrayList<>();
        try (AtomicFile.Replacement file = AtomicFile.begin(dir.resolve("metrics.jsonl"))) {
            Writer metrics = new OutputStreamWriter(file.stream(), StandardCharsets.UTF_8);
            for (Entry e : entries) {
                o.printf("%s (%s, batch %d):%n", e.label(), e.spec(), e.batchSize());
                o.flush();
                AutoencoderTraining.Result r = AutoencoderTraining.run(e.label(), e.spec(), e.batchSize(), train, eval,
                        s, p -> {
                            JsonObject line = new JsonObject();
                            line.addProperty("optimizer", e.label());
                            line.addProperty("iteration", p.iteration());
                            line.addProperty("seconds", p.seconds());
                            line.addProperty("loss", p.loss());
                            try {
                                metrics.write(GSON.toJson(line) + "\n");
                                metrics.flush();
                            } catch (IOException ex) {
                                throw new java.io.UncheckedIOException(ex);
                            }
                        });
                results.add(r);
                o.printf(Locale.ROOT, "  %s after %d iterations, %.1f s: loss %.4f%n",
                        r.reached() ? "reached " + s.targetLoss() : "stopped (" + r.stopReason() + ")",
                        r.last().iteration(), r.last().seconds(), r.last().loss());
                o.flush();
                JsonObject summary = new JsonObject();
                summary.addProperty("summary", true);
                summary.addProperty("optimizer", e.label());
                summary.addProperty("spec", e.spec());
                summary.addProperty("batch_size", e.batchSize());
                summary.addProperty("target_loss", s.targetLoss());
                summary.addProperty("iterations_to_target", r.iterationsToTarget());
                summary.addProperty("seconds_to_target", r.reached() ? r.secondsToTarget() : null);
                summary.addProperty("final_loss", r.last().loss());
                summary.addProperty("stop", r.stopReason());
                metrics.write(GSON.toJson(summary) + "\n");
                metrics.flush();
            }
            file.commit();
        }
        Outputs.writePng(dir.resolve("curves.png"), chart(results, s, data));
        Outputs.writeString(dir.resolve("report.md"), report(results, s, data, train.size(0), eval.size(0)));
        o.print(table(results, s));
        o.printf("wrote %s, %s and %s%n", dir.resolve("curves.png"), dir.resolve("metrics.jsonl"),
                dir.resolve("report.md"));
        o.flush();
        return results;
    }

    static String table(List<AutoencoderTraining.Result> results, AutoencoderTraining.Settings s) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "| optimizer | settings | batch | iterations to %s | seconds to %s |"
                + " final loss | iterations run | seconds run |%n", trim(s.targetLoss()), trim(s.targetLoss())));
        md.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (AutoencoderTraining.Result r : results) {
            md.append(String.format(Locale.ROOT, "| %s | `%s` | %d | %s | %s | %.4f | %d | %.1f |%n", r.label(), r.spec(),
                    r.batchSize(), r.reached() ? String.valueOf(r.iterationsToTarget()) : "not reached",
                    r.reached() ? String.format(Locale.ROOT, "%.1f", r.secondsToTarget()) : "-", r.last().loss(),
                    r.last().iteration(), r.last().seconds()));
        }
        return md.toString();
    }

    static String report(List<AutoencoderTraining.Result> results, AutoencoderTraining.Settings s, String data,
                         int trainSize, int evalSize) {
        StringBuilder md = new StringBuilder();
        md.append("# Deep autoencoder: iterations and seconds to a training loss\n\n");
        md.append(String.format(Locale.ROOT, "`%s` (logistic units, linear code layer, BCE-with-logits on the pixels,"
                        + " sparse initialisation) on the first %d training images of `%s`, seed %d: every run starts"
                        + " from the same weights. The loss is the mean BCE per pixel on the first %d training images;"
                        + " a run stops at loss %s, after %d iterations or after %s seconds of steps.%n%n",
                s.model(), trainSize, data, s.seed(), evalSize, trim(s.targetLoss()), s.maxIterations(),
                trim(s.maxSeconds())));
        md.append(table(results, s));
        md.append("\nIterations are counted at the recorded points (every iteration at first, then about every 5%),"
                + " so a count is at most 5% late. Seconds are optimizer steps only; loss evaluations are not"
                + " timed, and the first row's also include the JVM compiling the code all runs share (no"
                + " untimed warm-up run precedes it), which only short runs notice.\n\n![loss against iterations and seconds](curves.png)\n");
        return md.toString();
    }

    private static BufferedImage chart(List<AutoencoderTraining.Result> results, AutoencoderTraining.Settings s,
                                       String data) {
        int w = 640;
        int h = 440;
        XYChart byIter = new XYChartBuilder().width(w).height(h)
                .title("Training loss, " + s.model() + ", " + data)
                .xAxisTitle("iteration (log scale)").yAxisTitle("BCE per pixel").build();
        XYChart bySec = new XYChartBuilder().width(w).height(h)
                .title("Training loss against time")
                .xAxisTitle("seconds of optimizer steps (log scale)").yAxisTitle("BCE per pixel").build();
        double lo = Double.POSITIVE_INFINITY;
        for (AutoencoderTraining.Result r : results) {
            for (AutoencoderTraining.Point p : r.curve()) {
                lo = Math.min(lo, p.loss());
            }
        }
        for (XYChart c : List.of(byIter, bySec)) {
            var st = c.getStyler();
            st.setChartBackgroundColor(Color.WHITE);
            st.setPlotBackgroundColor(Color.WHITE);
            st.setLegendPosition(Styler.LegendPosition.InsideNE);
            st.setPlotGridLinesColor(new Color(0xDDDDDD));
            st.setAntiAlias(true);
            st.setXAxisLogarithmic(true);
            st.setYAxisDecimalPattern("0.00");
        }
        for (int i = 0; i < results.size(); i++) {
            AutoencoderTraining.Result r = results.get(i);
            List<AutoencoderTraining.Point> pts = r.curve().stream()
                    .filter(p -> p.iteration() > 0 && Double.isFinite(p.loss())).toList();
            if (pts.isEmpty()) {
                continue;
            }
            double[] it = pts.stream().mapToDouble(AutoencoderTraining.Point::iteration).toArray();
            double[] sec = pts.stream().mapToDouble(p -> Math.max(p.seconds(), 1e-3)).toArray();
            double[] loss = pts.stream().mapToDouble(AutoencoderTraining.Point::loss).toArray();
            String name = r.label() + " (batch " + r.batchSize() + ")";
            for (XYChart c : List.of(byIter, bySec)) {
                XYSeries series = c.addSeries(name, c == byIter ? it : sec, loss);
                series.setMarker(SeriesMarkers.NONE);
                series.setLineColor(COLOURS[i]);
                series.setLineStyle(Charts.lineStyle(i, 1.6f));
            }
        }
        for (XYChart c : List.of(byIter, bySec)) {
            if (c.getSeriesMap().isEmpty()) {
                c.getStyler().setXAxisLogarithmic(false);
                c.addSeries("no finite loss", new double[] {1}, new double[] {0});
                continue;
            }
            double xmin = Double.POSITIVE_INFINITY;
            double xmax = 0;
            for (XYSeries series : c.getSeriesMap().values()) {
                xmin = Math.min(xmin, series.getXMin());
                xmax = Math.max(xmax, series.getXMax());
            }
            XYSeries target = c.addSeries("target " + trim(s.targetLoss()), new double[] {xmin, xmax},
                    new double[] {s.targetLoss(), s.targetLoss()});
            target.setMarker(SeriesMarkers.NONE);
            target.setLineColor(new Color(0x888888));
            target.setLineStyle(new java.awt.BasicStroke(1f, java.awt.BasicStroke.CAP_BUTT,
                    java.awt.BasicStroke.JOIN_MITER, 10f, new float[] {5f, 4f}, 0f));
        }
        BufferedImage left = BitmapEncoder.getBufferedImage(byIter);
        BufferedImage right = BitmapEncoder.getBufferedImage(bySec);
        BufferedImage both = new BufferedImage(w * 2, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = both.createGraphics();
        g.drawImage(left, 0, 0, null);
        g.drawImage(right, w, 0, null);
        g.dispose();
        return both;
    }

    private static String trim(double v) {
        String t = String.format(Locale.ROOT, "%.6g", v);
        if (t.contains(".") && !t.contains("e")) {
            t = t.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return t;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
