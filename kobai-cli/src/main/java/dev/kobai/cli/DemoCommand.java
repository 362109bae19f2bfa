package dev.kobai.cli;

import dev.kobai.train.EpochMetrics;
import dev.kobai.train.TrainSettings;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kobai demo}: a first run that needs no files, a small MLP trained on the embedded 8x8
 * digits with SGD and momentum, ending in one sentence on what it reached.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        versionProvider = Kobai.Version.class,
        description = "Train a small network on the built-in digits and say how well it did.")
public final class DemoCommand implements Callable<Integer>, Kobai.Verbosity {
    static final String DATA = "digits";
    static final String MODEL = "mlp:64-64-10";
    static final String OPTIMIZER = "sgd:lr=0.05,momentum=0.9";
    static final int BATCH_SIZE = 32;

    @Spec
    CommandSpec spec;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "5",
            description = "Passes over the digits, at least 1 (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
            description = "Seed for initialisation and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    @Override
    public boolean verbose() {
        return verbose;
    }

    @Override
    public Integer call() {
        if (epochs < 1) {
            throw new ParameterException(spec.commandLine(), "--epochs must be at least 1, got " + epochs);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("Training %s on %s with %s, batch size %d, for %d epochs:%n",
                MODEL, DATA, OPTIMIZER, BATCH_SIZE, epochs);
        out.flush();
        TrainSettings settings = new TrainSettings(DATA, MODEL, OPTIMIZER, epochs, BATCH_SIZE, seed);
        TrainingRun.Outcome outcome = TrainingRun.run(settings, out, null);
        out.println(sentence(outcome));
        return 0;
    }

    static String sentence(TrainingRun.Outcome outcome) {
        EpochMetrics last = outcome.last();
        return String.format(Locale.ROOT,
                "After %d epoch%s the network classifies %.1f%% of the held-out digits correctly"
                        + " (best %.1f%%, test loss %.4f) in %.1fs.",
                last.epoch(), last.epoch() == 1 ? "" : "s", 100 * last.testAccuracy(), 100 * outcome.bestAccuracy(), last.testLoss(),
                outcome.totalSeconds());
    }
}
