package dev.kobai.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.kobai.UsageException;
import dev.kobai.data.DataLoader;
import dev.kobai.data.TrainTest;
import dev.kobai.io.AtomicFile;
import dev.kobai.nn.Models;
import dev.kobai.nn.Module;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.OptimizerSpec;
import dev.kobai.optim.Optimizers;
import dev.kobai.train.EpochMetrics;
import dev.kobai.train.TrainSettings;
import dev.kobai.train.Trainer;
import dev.kobai.train.Training;
import dev.kobai.train.TrainingListener;
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
 * {@code kobai compare}: trains one model with each of several optimizers, every run from the same
 * initial weights and over the same minibatch order (both come from the one seed, as in
 * {@code kobai train}), and writes the training-loss and test-accuracy curves as one chart, the
 * metrics as JSON Lines tagged by optimizer, and a Markdown report.
 */
@Command(
        name = "compare",
        mixinStandardHelpOptions = true,
        versionProvider = Kobai.Version.class,
        description = "Train one model with several optimizers on the same data and compare them.",
        footer = {
            "",
            "Writes DIR/curves.png (training loss per step, test accuracy per epoch),",
            "  DIR/metrics.jsonl (each line tagged with its optimizer) and DIR/report.md.",
            "SPEC is [LABEL=]name[:key=value,...], as for kobai race.",
            "Example:",
            "  kobai compare --data fashion-mnist --model mlp:784-256-10 --epochs 3 \\",
            "      --optimizer SGD=sgd:lr=0.1 --optimizer Adam=adam:lr=0.001 --out cmp"
        })
public final class CompareCommand implements Callable<Integer>, Kobai.Verbosity {
    // No HTML escaping, so that specs such as sgd:lr=0.1 read as typed.
    private static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

    /** The files a comparison writes into its directory. */
    static final String[] FILES = {"curves.png", "metrics.jsonl", "report.md"};

    /**
     * The most steps one run may take: each step's loss is kept (8 bytes, for every optimizer) and
     * drawn, so 10 million steps already cost 80 MB per optimizer and a chart of as many points.
     */
    static final long MAX_STEPS = 10_000_000;

    /** The colours of the chart's series, in the order the optimizers are given. */
    private static final Color[] COLOURS = RaceRenderer.RUNNER_COLOURS;

    @Spec
    CommandSpec spec;

    @Option(names = "--data", paramLabel = "SPEC", defaultValue = "digits",
            description = "The data set, as for kobai train (default: ${DEFAULT-VALUE}).")
    String data;

    @Option(names = "--model", paramLabel = "SPEC", defaultValue = "mlp:64-64-10",
            description = "The model, as for kobai train (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--optimizer", paramLabel = "SPEC", required = true,
            description = "An optimizer to compare, [LABEL=]SPEC; repeat for each.")
    List<String> optimizers = new ArrayList<>();

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "5",
            description = "Passes over the training set (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "64",
            description = "Examples per optimizer step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
            description = "Seeds the initial weights and the minibatch order, shared by every run (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--loss-target", paramLabel = "L", defaultValue = "0.5",
            description = "The training loss whose first crossing the report counts steps to (default: ${DEFAULT-VALUE}).")
    double lossTarget;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "compare",
            description = "The directory to write into, created if missing (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    @Override
    public boolean verbose() {
        return verbose;
    }

    /** One optimizer's run: its epochs, the loss of every step, its training time. */
    record Run(RacePresets.Entry optimizer, List<EpochMetrics> epochs, double[] stepLosses, double seconds) {
        double finalAccuracy() {
            return epochs.getLast().testAccuracy();
        }

        double bestAccuracy() {
            return epochs.stream().mapToDouble(EpochMetrics::testAccuracy).max().orElse(Double.NaN);
        }
    }

    /** What a comparison wrote and found. */
    record Result(List<Run> runs, int window, double lossTarget, Path dir) {}

    @Override
    public Integer call() throws IOException {
        if (epochs < 1) {
            throw usage("--epochs must be at least 1, got " + epochs);
        }
        if (batchSize < 1) {
            throw usage("--batch-size must be at least 1, got " + batchSize);
        }
        if (!(lossTarget > 0) || !Double.isFinite(lossTarget)) {
            throw usage("--loss-target must be a positive number, got " + lossTarget);
        }
        List<RacePresets.Entry> entries = new ArrayList<>();
        for (String text : optimizers) {
            entries.add(entry(text));
        }
        entries = RacePresets.distinctLabels(entries);
        if (entries.size() > COLOURS.length) {
            throw usage("at most " + COLOURS.length + " optimizers fit in one comparison, got " + entries.size());
        }
        try {
            Models.checkSpec(model);
        } catch (UsageException e) {
            throw usage("--model: " + e.getMessage());
        }
        Outputs outputs = new Outputs();
        outputs.directory("--out", out, FILES);
        outputs.data("--data", data);
        outputs.requireDistinct();
        PrintWriter o = spec.commandLine().getOut();
        run(data, model, entries, epochs, batchSize, seed, lossTarget, out, o);
        return 0;
    }

    /**
     * Trains with each optimizer in turn and writes curves.png, metrics.jsonl and report.md into
     * {@code dir}; progress goes to {@code o}. Each file is replaced atomically once every run has
     * finished, so a comparison that fails or is killed leaves the earlier files as they were.
     */
    static Result run(String data, String model, List<RacePresets.Entry> entries, int epochs, int batchSize, long seed,
                      double lossTarget, Path dir, PrintWriter o) throws IOException {
        // Check every spec and the model against the data before the first long run.
        for (RacePresets.Entry e : entries) {
            Optimizers.options(OptimizerSpec.parse(e.spec()));
        }
        TrainTest set = Training.load(new TrainSettings(data, model, entries.getFirst().spec(), epochs, batchSize,
                seed));
        // Training.load checked the first optimizer's run against the heap; the others before any trains.
        for (RacePresets.Entry e : entries.subList(1, entries.size())) {
            Training.requireMemory(new TrainSettings(data, model, e.spec(), epochs, batchSize, seed), set);
        }
        long steps = (long) epochs * DataLoader.batchesPerEpoch(set.train().size(), batchSize);
        if (steps > MAX_STEPS) {
            throw new UsageException("--epochs " + epochs + " of " + DataLoader.batchesPerEpoch(set.train().size(),
                    batchSize) + " batches make " + steps + " steps; compare records the loss of each step and takes"
                    + " at most " + MAX_STEPS);
        }
        Files.createDirectories(dir);
        warmUp(set, data, model, entries, batchSize, seed);
        List<Run> runs = new ArrayList<>();
        try (AtomicFile.Replacement file = AtomicFile.begin(dir.resolve("metrics.jsonl"))) {
            Writer metrics = new OutputStreamWriter(file.stream(), StandardCharsets.UTF_8);
            for (RacePresets.Entry e : entries) {
                o.printf("%s (%s):%n", e.label(), e.spec());
                o.flush();
                Run r = train(set, new TrainSettings(data, model, e.spec(), epochs, batchSize, seed), e, o, metrics);
                runs.add(r);
                JsonObject summary = new JsonObject();
                summary.addProperty("summary", true);
                summary.addProperty("optimizer", e.label());
                summary.addProperty("spec", e.spec());
                summary.addProperty("data", data);
                summary.addProperty("model", model);
                summary.addProperty("seed", seed);
                summary.addProperty("batch_size", batchSize);
                summary.addProperty("epochs", epochs);
                number(summary, "final_test_accuracy", r.finalAccuracy());
                number(summary, "best_test_accuracy", r.bestAccuracy());
                number(summary, "final_train_loss", r.epochs().getLast().trainLoss());
                number(summary, "train_seconds", r.seconds());
                metrics.write(GSON.toJson(summary) + "\n");
                metrics.flush();
            }
            file.commit();
        }
        int window = smoothingWindow(runs.getFirst().stepLosses().length);
        BufferedImage chart = chart(runs, window, data, model);
        Outputs.writePng(dir.resolve("curves.png"), chart);
        Outputs.writeString(dir.resolve("report.md"), report(runs, window, lossTarget, data, model, epochs, batchSize,
                seed));
        o.printf("wrote %s, %s and %s%n", dir.resolve("curves.png"), dir.resolve("metrics.jsonl"),
                dir.resolve("report.md"));
        o.flush();
        return new Result(List.copyOf(runs), window, lossTarget, dir);
    }

    /**
     * The steps each optimizer takes, untimed, before the timed runs. The JVM compiles the model's and
     * the optimizers' code while it first runs it; without this the first run's seconds included that
     * compilation (1.4 s against 0.2 s for the same SGD run second, 3 epochs of digits), so the
     * {@code seconds} column favoured every optimizer but the first.
     */
    static final int WARM_UP_STEPS = 50;

    /**
     * Trains each optimizer for at most {@link #WARM_UP_STEPS} steps on the first examples and
     * evaluates it on as many test examples, on its own fresh model, whose results are dropped: the
     * timed runs build their models and loaders anew from the seed, so their losses do not change.
     * Returns the steps each optimizer took.
     */
    static int[] warmUp(TrainTest set, String data, String model, List<RacePresets.Entry> entries, int batchSize,
                        long seed) {
        int limit = (int) Math.min(Integer.MAX_VALUE, (long) WARM_UP_STEPS * batchSize);
        TrainTest few = new TrainTest(first(set.train(), limit), first(set.test(), limit));
        int[] steps = new int[entries.size()];
        for (int i = 0; i < steps.length; i++) {
            Training.Setup setup = Training.build(new TrainSettings(data, model, entries.get(i).spec(), 1, batchSize,
                    seed), few);
            int k = i;
            try {
                new Trainer(setup.model(), setup.optimizer()).fit(setup.loader(), few.test(), 1,
                        new TrainingListener() {
                            @Override
                            public void onBatchEnd(int epoch, int batch, double loss) {
                                steps[k]++;
                            }
                        });
            } catch (dev.kobai.train.NumericalFaultException ignored) {
                // A run that diverges does so in its timed run too, and says so there.
            }
        }
        return steps;
    }

    private static dev.kobai.data.Dataset first(dev.kobai.data.Dataset d, int n) {
        return n >= d.size() ? d : d.subset(java.util.stream.IntStream.range(0, n).toArray());
    }

    /** One run, built by {@link Training#build} on data already loaded. */
    private static Run train(TrainTest set, TrainSettings settings, RacePresets.Entry e, PrintWriter o, Writer metrics) {
        Training.Setup setup = Training.build(settings, set);
        Module net = setup.model();
        Optimizer opt = setup.optimizer();
        DataLoader loader = setup.loader();
        int epochs = settings.epochs();
        int perEpoch = loader.batchesPerEpoch();
        double[] losses = new double[Math.toIntExact((long) perEpoch * epochs)];
        TrainingListener record = new TrainingListener() {
            @Override
            public void onBatchEnd(int epoch, int batch, double loss) {
                losses[(int) ((long) (epoch - 1) * perEpoch + (batch - 1))] = loss;
            }

            @Override
            public void onEpochEnd(EpochMetrics m) {
                JsonObject line = new JsonObject();
                line.addProperty("optimizer", e.label());
                line.addProperty("spec", e.spec());
                line.addProperty("epoch", m.epoch());
                line.addProperty("step", (long) m.epoch() * perEpoch);
                number(line, "train_loss", m.trainLoss());
                number(line, "test_loss", m.testLoss());
                number(line, "test_accuracy", m.testAccuracy());
                number(line, "seconds", m.seconds());
                number(line, "lr", m.lr());
                try {
                    metrics.write(GSON.toJson(line) + "\n");
                    metrics.flush();
                } catch (IOException ex) {
                    throw new java.io.UncheckedIOException(ex);
                }
            }
        };
        long start = System.nanoTime();
        List<EpochMetrics> result;
        try (Progress.Reporter progress = Progress.choose(o, epochs)) {
            result = new Trainer(net, opt).fit(loader, set.test(), epochs, TrainingRun.both(progress, record));
        }
        return new Run(e, List.copyOf(result), losses, (System.nanoTime() - start) / 1e9);
    }

    /** How many steps the loss curve and the steps-to-target count average over: a 30th of the run, 5 to 50. */
    static int smoothingWindow(int steps) {
        return Math.max(1, Math.min(steps, Math.clamp(steps / 30, 5, 50)));
    }

    /** The running mean of the last {@code window} values at each step (fewer at the start). */
    static double[] runningMean(double[] v, int window) {
        double[] out = new double[v.length];
        double sum = 0;
        for (int i = 0; i < v.length; i++) {
            sum += v[i];
            if (i >= window) {
                sum -= v[i - window];
            }
            out[i] = sum / Math.min(i + 1, window);
        }
        return out;
    }

    /** The first step (counting from 1) whose running mean loss is at most {@code target}, or -1. */
    static int stepsToTarget(double[] losses, int window, double target) {
        double[] mean = runningMean(losses, window);
        for (int i = window - 1; i < mean.length; i++) {
            if (mean[i] <= target) {
                return i + 1;
            }
        }
        return -1;
    }

    private static BufferedImage chart(List<Run> runs, int window, String data, String model) {
        int w = 640;
        int h = 440;
        int epochs = runs.getFirst().epochs().size();
        // Each loss curve up to its first loss that is not a positive, finite number (a log scale
        // takes no other; a diverged run stops there).
        List<double[]> curves = new ArrayList<>();
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (Run r : runs) {
            double[] mean = Charts.movingAverage(r.stepLosses(), window);
            int n = 0;
            while (n < mean.length && Double.isFinite(mean[n]) && mean[n] > 0) {
                lo = Math.min(lo, mean[n]);
                hi = Math.max(hi, mean[n]);
                n++;
            }
            curves.add(java.util.Arrays.copyOf(mean, n));
        }
        boolean anyLoss = hi > 0;
        // A log scale helps once the losses span more than a factor of ten. It is drawn as the
        // logarithms on a linear axis, labelled with the numbers: XChart's own log axis labels the
        // decades alone, or every digit of them, and the ticks here carry 1, 2 and 5 of each decade.
        boolean log = anyLoss && hi / lo > 10;
        XYChart loss = new XYChartBuilder().width(w).height(h)
                .title("Training loss (moving average over about " + window + " steps)")
                .xAxisTitle("epoch (each step plotted)").yAxisTitle(log ? "cross-entropy (log scale)" : "cross-entropy")
                .build();
        XYChart acc = new XYChartBuilder().width(w).height(h)
                .title("Test accuracy, " + data + ", " + model)
                .xAxisTitle("epoch").yAxisTitle("accuracy (%)").build();
        for (XYChart c : List.of(loss, acc)) {
            var s = c.getStyler();
            s.setChartBackgroundColor(Color.WHITE);
            s.setPlotBackgroundColor(Color.WHITE);
            s.setLegendPosition(Styler.LegendPosition.InsideNE);
            s.setPlotGridLinesColor(new Color(0xDDDDDD));
            s.setAntiAlias(true);
        }
        // Ticks at whole epochs only: about one per epoch when they fit, fewer (still whole) when not.
        loss.getStyler().setXAxisMin(0.0);
        loss.getStyler().setXAxisMax((double) epochs);
        loss.getStyler().setXAxisTickMarkSpacingHint(Math.clamp(540 / epochs, 40, 200));
        loss.setCustomXAxisTickLabelsFormatter(Charts::wholeEpoch);
        if (log) {
            // About 30 pixels apart: a tick every 0.1 decade when the losses span a decade or so.
            loss.getStyler().setYAxisTickMarkSpacingHint(30);
            loss.setCustomYAxisTickLabelsFormatter(Charts::logLabel);
        }
        acc.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        acc.getStyler().setXAxisDecimalPattern("0");
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            double[] mean = curves.get(i);
            int n = mean.length;
            if (n > 0) {
                double[] xs = new double[n];
                double[] ys = new double[n];
                double perEpoch = r.stepLosses().length / (double) r.epochs().size();
                for (int k = 0; k < n; k++) {
                    xs[k] = (k + 1) / perEpoch;
                    ys[k] = log ? Math.log10(mean[k]) : mean[k];
                }
                XYSeries s = loss.addSeries(r.optimizer().label(), xs, ys);
                s.setMarker(SeriesMarkers.NONE);
                s.setLineColor(COLOURS[i]);
                s.setLineStyle(Charts.lineStyle(i, 1.6f));
            }
            double[] ex = new double[r.epochs().size()];
            double[] ey = new double[ex.length];
            for (int k = 0; k < ex.length; k++) {
                ex[k] = r.epochs().get(k).epoch();
                double a = r.epochs().get(k).testAccuracy();
                ey[k] = Double.isFinite(a) ? 100 * a : 0;
            }
            XYSeries s = acc.addSeries(r.optimizer().label(), ex, ey);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setLineColor(COLOURS[i]);
            s.setMarkerColor(COLOURS[i]);
            s.setLineStyle(Charts.lineStyle(i, 1.6f));
        }
        if (!anyLoss) {
            loss.addSeries("no finite loss", new double[] {1}, new double[] {0});
        }
        BufferedImage left = BitmapEncoder.getBufferedImage(loss);
        BufferedImage right = BitmapEncoder.getBufferedImage(acc);
        BufferedImage both = new BufferedImage(w * 2, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = both.createGraphics();
        g.drawImage(left, 0, 0, null);
        g.drawImage(right, w, 0, null);
        g.dispose();
        return both;
    }

    static String report(List<Run> runs, int window, double target, String data, String model, int epochs,
                         int batchSize, long seed) {
        StringBuilder md = new StringBuilder();
        md.append("# Optimizer comparison\n\n");
        md.append(String.format(Locale.ROOT,
                "`%s` on `%s`, %d epoch%s, batch size %d, seed %d: every optimizer starts from the same initial"
                        + " weights and sees the same minibatches in the same order.%n%n",
                model, data, epochs, epochs == 1 ? "" : "s", batchSize, seed));
        md.append(String.format(Locale.ROOT,
                "| optimizer | settings | final test accuracy | best test accuracy | final training loss | seconds"
                        + " | steps to loss %s |%n", trim(target)));
        md.append("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
        for (Run r : runs) {
            int reach = stepsToTarget(r.stepLosses(), window, target);
            md.append(String.format(Locale.ROOT, "| %s | `%s` | %s | %s | %s | %.1f | %s |%n", r.optimizer().label(),
                    r.optimizer().spec(), percent(r.finalAccuracy()), percent(r.bestAccuracy()),
                    fixed(r.epochs().getLast().trainLoss()), r.seconds(), reach < 0 ? "not reached" : reach));
        }
        md.append(String.format(Locale.ROOT,
                "%nFinal training loss is the mean over the last epoch's minibatches. \"Steps to loss %s\" is the"
                        + " first optimizer step at which the mean training loss of the last %d minibatches is at"
                        + " most %s. Seconds are training and evaluation time, without loading the data, measured after every"
                        + " optimizer has taken " + WARM_UP_STEPS + " untimed steps to warm up the JVM.%n",
                trim(target), window, trim(target)));
        md.append("\n![training loss and test accuracy](curves.png)\n");
        return md.toString();
    }

    private static String percent(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f%%", 100 * v) : "n/a";
    }

    private static String fixed(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "diverged";
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static void number(JsonObject o, String key, double value) {
        if (Double.isFinite(value)) {
            o.addProperty(key, value);
        } else {
            o.add(key, JsonNull.INSTANCE);
        }
    }

    private RacePresets.Entry entry(String text) {
        try {
            return RacePresets.parseEntry(text);
        } catch (UsageException e) {
            throw usage("--optimizer '" + text + "': " + e.getMessage());
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
