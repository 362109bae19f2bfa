package dev.kobai.cli;

import dev.kobai.surface.Surfaces;
import dev.kobai.surface.Trace;
import dev.kobai.train.EpochMetrics;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kobai demo}: the lecture in one command, needing no files. It draws the three races of
 * the lecture's animations (Beale's function, a long valley, a saddle), then trains a small MLP on
 * the embedded 8x8 digits with each of the lecture's optimizers from the same start, and writes it
 * all with an index.html into one directory. It ends in one sentence on the accuracy reached.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        versionProvider = Kobai.Version.class,
        description = "The lecture's optimizer races and a comparison on the built-in digits, as a web page.")
public final class DemoCommand implements Callable<Integer>, Kobai.Verbosity {
    static final String DATA = "digits";
    static final String MODEL = "mlp:64-64-10";
    static final int BATCH_SIZE = 32;
    /** The lecture's optimizers, each with a learning rate that suits this network. */
    static final List<RacePresets.Entry> OPTIMIZERS = List.of(
            new RacePresets.Entry("SGD", "sgd:lr=0.1"),
            new RacePresets.Entry("Momentum", "sgd:lr=0.05,momentum=0.9"),
            new RacePresets.Entry("Adagrad", "adagrad:lr=0.05"),
            new RacePresets.Entry("Adadelta", "adadelta:lr=1"),
            new RacePresets.Entry("RMSprop", "rmsprop:lr=0.001"),
            new RacePresets.Entry("Adam", "adam:lr=0.003"));

    /** The demo's last line: where the same races and more can be played with. */
    static final String SERVE_HINT = "To move the start, change the settings and watch the paths live, and to read the"
            + " lecture with its figures: ./kobai serve (then open the URL it prints).";

    @Spec
    CommandSpec spec;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "8",
            description = "Passes over the digits for each optimizer, at least 1 (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
            description = "Seed for initialisation and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "kobai-demo",
            description = "Where to write the pictures and index.html (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    @Override
    public boolean verbose() {
        return verbose;
    }

    @Override
    public Integer call() throws IOException {
        if (epochs < 1) {
            throw new ParameterException(spec.commandLine(), "--epochs must be at least 1, got " + epochs);
        }
        long start = System.nanoTime();
        PrintWriter o = spec.commandLine().getOut();
        Outputs outputs = new Outputs();
        List<String> files = new ArrayList<>(List.of("index.html"));
        for (String name : RacePresets.names()) {
            files.add(name + ".gif");
            files.add(name + ".csv");
        }
        outputs.directory("--out", out, files.toArray(String[]::new));
        outputs.directory("--out", out.resolve("compare"), CompareCommand.FILES);
        outputs.requireDistinct();
        Files.createDirectories(out);
        List<RacePresets.Preset> races = new ArrayList<>();
        List<String> outcomes = new ArrayList<>();
        for (String name : RacePresets.names()) {
            RacePresets.Preset p = RacePresets.byName(name);
            races.add(p);
            o.printf("Racing %d optimizers on %s...%n", p.runners().size(), p.surface());
            o.flush();
            RaceCommand.Result raced = RaceCommand.run(new RaceCommand.Job(Surfaces.byName(p.surface()), p.domain(),
                    p.start(), p.steps(), p.runners(), 760, 480, 1, 5, 200, 0, out.resolve(name + ".gif"), null,
                    out.resolve(name + ".csv")));
            outcomes.add(outcome(raced, p.steps(), Surfaces.byName(p.surface()).minimumValue()));
        }
        o.printf("Training %s on %s with %d optimizers, batch size %d, for %d epoch%s each:%n", MODEL, DATA,
                OPTIMIZERS.size(), BATCH_SIZE, epochs, epochs == 1 ? "" : "s");
        o.flush();
        // Per-epoch lines of six runs would bury the comparison; the table below sums them up.
        CompareCommand.Result result = CompareCommand.run(DATA, MODEL, OPTIMIZERS, epochs, BATCH_SIZE, seed, 0.5,
                out.resolve("compare"), new PrintWriter(Writer.nullWriter()));
        o.print(table(result));
        Outputs.writeString(out.resolve("index.html"), page(races, outcomes, result));
        o.println("wrote " + out.resolve("index.html"));
        o.println(sentence(result, (System.nanoTime() - start) / 1e9));
        o.println(SERVE_HINT);
        return 0;
    }

    /** One row per optimizer: its settings, final test accuracy, final training loss and seconds. */
    static String table(CompareCommand.Result result) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-10s %-26s %9s %11s %8s%n", "optimizer", "settings", "test acc",
                "train loss", "seconds"));
        for (CompareCommand.Run r : result.runs()) {
            EpochMetrics last = r.epochs().getLast();
            sb.append(String.format(Locale.ROOT, "%-10s %-26s %9.4f %11.4f %8.2f%n", r.optimizer().label(),
                    r.optimizer().spec(), last.testAccuracy(), last.trainLoss(), r.seconds()));
        }
        return sb.toString();
    }

    /** The closing sentence: the best optimizer's accuracy on the held-out digits. */
    static String sentence(CompareCommand.Result result, double seconds) {
        CompareCommand.Run best = result.runs().stream()
                .max(Comparator.comparingDouble(r -> nanToLow(r.finalAccuracy()))).orElseThrow();
        EpochMetrics last = best.epochs().getLast();
        return String.format(Locale.ROOT,
                "After %d epoch%s the network classifies %.1f%% of the held-out digits correctly with %s, the best of"
                        + " %d optimizers (best %.1f%%, test loss %.4f); the whole demo took %.1fs.",
                last.epoch(), last.epoch() == 1 ? "" : "s", 100 * last.testAccuracy(), best.optimizer().label(),
                result.runs().size(), 100 * best.bestAccuracy(), last.testLoss(), seconds);
    }

    private static double nanToLow(double v) {
        return Double.isNaN(v) ? -1 : v;
    }

    /**
     * What a race ended with, from its own numbers, so that a caption cannot claim what the picture
     * does not show: each runner's value of f after the last step, best first, beside the minimum
     * value, and where a runner left the plot or diverged.
     */
    static String outcome(RaceCommand.Result raced, int steps, double minimum) {
        record End(String label, double f, int left, boolean finite) {}
        List<End> ends = new ArrayList<>();
        for (RaceRenderer.Runner r : raced.runners()) {
            Trace.Sample last = r.path().getLast();
            boolean finite = Double.isFinite(last.loss()) && Double.isFinite(last.x()) && Double.isFinite(last.y());
            ends.add(new End(r.label(), last.loss(), r.leftAt(raced.domain()), finite));
        }
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "After %d steps f is (%s): ", steps,
                Double.isFinite(minimum) ? "minimum " + number(minimum) : "unbounded below"));
        List<String> parts = new ArrayList<>();
        ends.stream().filter(e -> e.finite() && e.left() < 0).sorted(Comparator.comparingDouble(End::f))
                .forEach(e -> parts.add(e.label() + " " + number(e.f())));
        ends.stream().filter(e -> e.finite() && e.left() >= 0)
                .forEach(e -> parts.add(e.label() + " left the plot at step " + e.left()));
        ends.stream().filter(e -> !e.finite()).forEach(e -> parts.add(e.label() + " diverged"));
        return sb.append(String.join(", ", parts)).append('.').toString();
    }

    private static String number(double v) {
        return v != 0 && Math.abs(v) < 1e-3 ? String.format(Locale.ROOT, "%.1e", v) : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String page(List<RacePresets.Preset> races, List<String> outcomes, CompareCommand.Result result)
            throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("""
                <!DOCTYPE html>
                <html lang="en">
                <head>
                <meta charset="utf-8">
                <title>Kobai: the optimizers of the lecture</title>
                <style>
                  body { font-family: sans-serif; margin: 1.5em; color: #222; }
                  .grid { display: flex; flex-wrap: wrap; gap: 1.5em; }
                  /* The races in one row, to be compared side by side; each picture opens full size. */
                  .races { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 1em; }
                  .races figure { max-width: none; }
                  figure { margin: 0; max-width: 780px; }
                  figcaption { font-size: 0.95em; margin-top: 0.4em; }
                  img { max-width: 100%; border: 1px solid #ccc; }
                  table { border-collapse: collapse; font-size: 0.9em; }
                  td, th { border: 1px solid #ccc; padding: 0.25em 0.6em; }
                  td.n { text-align: right; }
                  code { font-size: 0.95em; }
                </style>
                </head>
                <body>
                <h1>The optimizers of the lecture, drawn by Kobai</h1>
                <p>Each race runs Kobai's own optimizers from one start; the legend gives every setting. A path that
                leaves the picture is marked with the step at which it left; one whose numbers turn NaN or
                infinite is marked as diverged, in red.</p>
                <div class="races">
                """);
        for (int i = 0; i < races.size(); i++) {
            RacePresets.Preset p = races.get(i);
            h.append("<figure><a href=\"").append(p.name()).append(".gif\"><img src=\"").append(p.name())
                    .append(".gif\" alt=\"").append(p.name()).append(" race\"></a><figcaption><b>").append(escape(p.surface())).append(".</b> ")
                    .append(escape(p.caption())).append(' ').append(escape(outcomes.get(i)))
                    .append(" (paths: <a href=\"").append(p.name())
                    .append(".csv\">").append(p.name()).append(".csv</a>)</figcaption></figure>\n");
        }
        h.append("</div>\n<h2>The same optimizers training a network</h2>\n<div class=\"grid\">\n");
        h.append("<figure><img src=\"compare/curves.png\" alt=\"training loss and test accuracy\"><figcaption>")
                .append("An MLP (").append(MODEL).append(") on the 8x8 digits: every optimizer starts from the same")
                .append(" weights and sees the same minibatches. On the left the training loss per step (a moving")
                .append(" average over about ").append(result.window()).append(" steps), on the right the test accuracy after")
                .append(" each epoch. See which methods drop the loss fastest early, and whether the fastest start")
                .append(" also ends best.</figcaption></figure>\n");
        h.append("<figure><table><tr><th>optimizer</th><th>settings</th><th>final test accuracy</th>")
                .append("<th>best test accuracy</th><th>final training loss</th><th>seconds</th><th>steps to loss ")
                .append(result.lossTarget()).append("</th></tr>\n");
        for (CompareCommand.Run r : result.runs()) {
            int reach = CompareCommand.stepsToTarget(r.stepLosses(), result.window(), result.lossTarget());
            h.append(String.format(Locale.ROOT,
                    "<tr><td>%s</td><td><code>%s</code></td><td class=\"n\">%.2f%%</td><td class=\"n\">%.2f%%</td>"
                            + "<td class=\"n\">%.4f</td><td class=\"n\">%.1f</td><td class=\"n\">%s</td></tr>%n",
                    escape(r.optimizer().label()), escape(r.optimizer().spec()), 100 * r.finalAccuracy(),
                    100 * r.bestAccuracy(), r.epochs().getLast().trainLoss(), r.seconds(),
                    reach < 0 ? "not reached" : Integer.toString(reach)));
        }
        h.append("</table><figcaption>The table of <a href=\"compare/report.md\">compare/report.md</a>: \"steps to")
                .append(" loss\" counts optimizer steps until the running mean of the training loss first reaches")
                .append(" the target. Metrics per epoch: <a href=\"compare/metrics.jsonl\">compare/metrics.jsonl")
                .append("</a>.</figcaption></figure>\n</div>\n</body>\n</html>\n");
        return h.toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
