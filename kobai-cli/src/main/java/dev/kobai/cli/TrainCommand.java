package dev.kobai.cli;

import dev.kobai.UsageException;
import dev.kobai.io.InputFile;
import dev.kobai.io.OutputPath;
import dev.kobai.io.RunLock;
import dev.kobai.train.Checkpoint;
import dev.kobai.train.ClusterProvider;
import dev.kobai.train.GradientEngine;
import dev.kobai.train.ShardedGradient;
import dev.kobai.train.EpochMetrics;
import dev.kobai.train.TrainSettings;
import dev.kobai.train.Training;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code kobai train}: one training run from specs for the data, the model and the optimizer. */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        versionProvider = Kobai.Version.class,
        description = "Train a model and report each epoch's loss and test accuracy.",
        footer = {
            "",
            "SPEC is name[:key=value,...], e.g. sgd:lr=0.1,momentum=0.9;",
            "  a tuple value is written with '/', as in betas=0.9/0.999",
            "Scheduler: steplr:step_size=N[,gamma=G], multistep:milestones=2/5/8,",
            "  exponential:gamma=G, linear, constant, poly, cosine:T_max=N,",
            "  sgdr:T_0=N[,T_mult=M], onecycle:max_lr=X, plateau[:patience=N];",
            "  torch's class names (lower-cased) work too. Per epoch, except onecycle",
            "  and sgdr (per batch); plateau watches the test loss.",
            "Data: digits, fashion-mnist[:DIR], idx:DIR, csv:FILE; images may be",
            "  augmented for models that take them: fashion-mnist,crop=4,flip",
            "Checkpoints: --checkpoint run.safetensors [--every 100|epoch], then",
            "  --resume run.safetensors continues bit for bit where it stopped",
            "Model: mlp:IN-HIDDEN...-OUT[:ACTIVATION], ACTIVATION relu (default),",
            "  tanh or sigmoid; a preset: cnn, lenet5, resnet8, resnet20; or layers",
            "  as torch.nn calls: conv2d(1,32,3,padding=1),relu,maxpool2d(2),",
            "  flatten,linear(6272,10) (kobai model SPEC shows the shapes)",
            "Example:",
            "  kobai train --data fashion-mnist --model mlp:784-256-10 \\",
            "      --optimizer sgd:lr=0.1,momentum=0.9 --epochs 3 --metrics m.jsonl"
        })
public final class TrainCommand implements Callable<Integer>, Kobai.Verbosity {
    @Spec
    CommandSpec spec;

    @Option(names = "--data", paramLabel = "SPEC", defaultValue = "digits",
            description = "Dataset (default: ${DEFAULT-VALUE}).")
    String data;

    @Option(names = "--model", paramLabel = "SPEC", defaultValue = "mlp:64-64-10",
            description = "Model, e.g. mlp:784-256-10 or mlp:64-32-10:tanh (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--optimizer", paramLabel = "SPEC", defaultValue = "sgd:lr=0.1",
            description = "Optimizer with torch.optim's argument names (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "10",
            description = "Passes over the training set, at least 1 (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "64",
            description = "Examples per optimizer step, at least 1 (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
            description = "Seed for initialisation and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--scheduler", paramLabel = "SPEC",
            description = "Learning-rate scheduler with torch's argument names, e.g. steplr:step_size=2,gamma=0.5"
                    + " or cosine:T_max=10 (default: none, a constant learning rate).")
    String scheduler;

    @Option(names = "--clip-grad-norm", paramLabel = "X",
            description = "Scale the gradients before each step so that their joint 2-norm is at most X.")
    Double clipGradNorm;

    @Option(names = "--clip-grad-value", paramLabel = "X",
            description = "Clamp every gradient element to [-X, X] before each step (before any norm clipping).")
    Double clipGradValue;

    @Option(names = "--metrics", paramLabel = "FILE",
            description = "Write one JSON object per epoch, then a summary, to this file (JSON Lines).")
    Path metrics;

    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "Save the run (weights, optimizer, scheduler, data order, position) to this safetensors"
                    + " file, replaced atomically; the end of the run is always saved.")
    Path checkpoint;

    @Option(names = "--every", paramLabel = "N|epoch",
            description = "Checkpoint after every N steps, or after every epoch (default: epoch, or what the"
                    + " resumed checkpoint used).")
    String every;

    @Option(names = "--resume", paramLabel = "FILE",
            description = "Continue the run saved in FILE with its own settings; it keeps checkpointing to FILE"
                    + " unless --checkpoint names another. With --epochs N, train on to N epochs in all (a finished"
                    + " run too), where the schedule allows.")
    Path resume;

    @Option(names = "--skip-nonfinite",
            description = "Skip a step whose loss or gradient is NaN or infinite (counted on each epoch's line and in"
                    + " the metrics) instead of stopping.")
    boolean skipNonFinite;

    @Option(names = "--init", paramLabel = "FILE",
            description = "Start from the weights and buffers in this safetensors file (exported by Kobai, or a"
                    + " PyTorch state_dict of the same architecture under torch's names) instead of drawing them.")
    Path init;

    @Option(names = "--export-weights", paramLabel = "FILE",
            description = "At the end, write the model's weights alone to this safetensors file.")
    Path exportWeights;

    @Option(names = "--spark", paramLabel = "MASTER",
            description = "Train data-parallel on Apache Spark: local[K] or spark://HOST:PORT. Each step's gradient is"
                    + " the sum of fixed shards of the training set, one per partition, combined in shard order:"
                    + " the same bits as --shards N on one machine. Needs the kobai-spark module (the launcher adds it).")
    String spark;

    @Option(names = "--partitions", paramLabel = "N",
            description = "With --spark: shards of the training set, one Spark task each per step (default: the"
                    + " cluster's default parallelism, K for local[K]).")
    Integer partitions;

    @Option(names = "--shards", paramLabel = "N",
            description = "On this machine: compute each step's gradient as --spark does with N partitions (sums over"
                    + " N fixed shards of the training set, added in shard order, divided by the batch size once),"
                    + " so that the run equals a Spark run bit for bit.")
    Integer shards;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    @Override
    public boolean verbose() {
        return verbose;
    }

    @Override
    public Integer call() throws IOException {
        requireAtLeastOne("--epochs", epochs);
        requireAtLeastOne("--batch-size", batchSize);
        requirePositive("--clip-grad-norm", clipGradNorm);
        GradientEngine.Factory engines = engines();
        requirePositive("--clip-grad-value", clipGradValue);
        if (every != null) {
            try {
                Training.everySteps(every);
            } catch (UsageException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            if (checkpoint == null && resume == null) {
                throw new ParameterException(spec.commandLine(), "--every needs --checkpoint FILE (or --resume FILE)");
            }
        }
        if (resume != null) {
            // --epochs stays: with --resume it extends the run (Training.extended says where it cannot).
            for (String flag : List.of("--data", "--model", "--optimizer", "--batch-size", "--seed",
                    "--scheduler", "--clip-grad-norm", "--clip-grad-value", "--skip-nonfinite", "--init")) {
                if (spec.commandLine().getParseResult().hasMatchedOption(flag)) {
                    throw new ParameterException(spec.commandLine(), "--resume continues the run with the settings"
                            + " saved in " + resume + "; drop " + flag);
                }
            }
        }
        Outputs outputs = new Outputs();
        // With --resume alone the run keeps checkpointing to the file it resumes.
        Path checkpointFile = checkpoint != null ? checkpoint : resume;
        outputs.file(checkpoint != null ? "--checkpoint" : "--resume", checkpointFile);
        if (checkpoint != null && resume != null
                && !OutputPath.sameFile(checkpoint.toAbsolutePath(), resume.toAbsolutePath())) {
            outputs.input("--resume", resume);
        }
        outputs.file("--export-weights", exportWeights);
        boolean metricsInPlace = metrics != null && outputs.stream("--metrics", metrics);
        if (resume == null) {
            outputs.data("--data", data);
            if (init != null) {
                outputs.input("--init", init);
            }
        }
        outputs.requireDistinct();
        // The files read are regular files (a FIFO would hang the run, /dev/zero never end).
        if (resume != null) {
            InputFile.require("--resume", resume);
        }
        if (init != null) {
            InputFile.require("--init", init);
        }
        // Locked before the resumed checkpoint is read, so that no other run can replace it meanwhile.
        Map<String, Path> written = new LinkedHashMap<>();
        written.put(checkpoint != null ? "--checkpoint" : "--resume", checkpointFile);
        written.put("--export-weights", exportWeights);
        written.put("--metrics", metricsInPlace ? null : metrics);
        try (RunLock _ = RunLock.acquire(written)) {
            train(outputs, checkpointFile, engines);
        }
        return 0;
    }

    /**
     * The gradient engine the options ask for, or null for the default: the cluster module is
     * looked up by name, so that this command never links to Spark.
     */
    private GradientEngine.Factory engines() {
        if (partitions != null && spark == null) {
            throw new ParameterException(spec.commandLine(), "--partitions needs --spark MASTER");
        }
        if (shards != null && spark != null) {
            throw new ParameterException(spec.commandLine(), "--shards is for a run on this machine; with --spark,"
                    + " give the shard count as --partitions");
        }
        if (shards != null) {
            requireAtLeastOne("--shards", shards);
            return ShardedGradient.factory(shards);
        }
        if (spark == null) {
            return null;
        }
        if (partitions != null) {
            requireAtLeastOne("--partitions", partitions);
        }
        ClusterProvider provider = ClusterProvider.find("spark");
        if (provider == null) {
            throw new UsageException("--spark needs the kobai-spark module on the class path: run kobai through the"
                    + " ./kobai launcher, which builds it and adds it (a Spark 4.2 cluster on JDK 25.0.3 or newer)");
        }
        return provider.engines(spark, partitions);
    }

    private void train(Outputs outputs, Path checkpointFile, GradientEngine.Factory engines) throws IOException {
        TrainSettings settings = new TrainSettings(data, model, optimizer, epochs, batchSize, seed, scheduler,
                clipGradNorm, clipGradValue, skipNonFinite, init == null ? null : init.toString());
        Training.Checkpointing checkpointing = null;
        if (resume != null) {
            Checkpoint.Saved saved = Checkpoint.read(resume);
            String kernel = dev.kobai.tensor.kernel.Kernels.gemm().name();
            if (saved.kernel() != null && !saved.kernel().equals(kernel)) {
                spec.commandLine().getErr().println(kernelNotice(resume, saved.kernel(), kernel));
            }
            boolean extend = spec.commandLine().getParseResult().hasMatchedOption("--epochs");
            settings = extend ? Training.extended(saved, epochs) : saved.settings();
            if (Training.finished(saved) && settings.epochs() == saved.settings().epochs()) {
                finishedRun = saved;
            }
            outputs.data("--data saved in " + resume, settings.data());
            outputs.requireDistinct();
            checkpointing = new Training.Checkpointing(checkpointFile, every != null ? every : saved.every(), saved);
        } else if (checkpoint != null) {
            checkpointing = new Training.Checkpointing(checkpoint, every != null ? every : "epoch", null);
        }
        // Opened before training so that a path we cannot write is refused before any time is spent.
        try (MetricsWriter writer = metrics == null ? null : openMetrics(metrics)) {
            TrainingRun.Outcome outcome = TrainingRun.run(settings, spec.commandLine().getOut(), writer,
                    checkpointing, exportWeights, engines);
            if (writer != null) {
                writer.writeSummary(settings, outcome.epochs(), outcome.totalSeconds(), outcome.engine(),
                        outcome.timings());
            }
        }
        if (finishedRun != null) {
            // Nothing was left to train: say so, rather than end silently as if something had happened.
            PrintWriter out = spec.commandLine().getOut();
            List<EpochMetrics> history = finishedRun.history();
            out.printf(Locale.ROOT, "the run saved in %s is complete: %d of %d epochs%s. Its weights are in %s"
                            + " (--export-weights FILE writes them alone); --resume %s --epochs N trains on to N"
                            + " epochs.%n", resume, finishedRun.settings().epochs(), finishedRun.settings().epochs(),
                    history.isEmpty() ? "" : String.format(Locale.ROOT, ", final test accuracy %.4f",
                            history.getLast().testAccuracy()),
                    exportWeights != null ? resume + " and now " + exportWeights : resume, resume);
            out.flush();
        }
    }

    /** The checkpoint being resumed when its run had already trained all its epochs, else null. */
    private Checkpoint.Saved finishedRun;

    /** Said when a run resumes on another matrix-product kernel than it was trained with. */
    static String kernelNotice(Path resume, String saved, String now) {
        return "kobai: " + resume + " was trained with the " + saved + " matrix-product kernel and resumes with " + now
                + ": it goes on, but not to the bits of an uninterrupted run; resume with the same kernel"
                + " (-Dkobai.blas=system or java in KOBAI_JAVA_OPTS, on a CPU of the same vector width) to continue"
                + " exactly";
    }

    private void requireAtLeastOne(String flag, int value) {
        if (value < 1) {
            throw new ParameterException(spec.commandLine(), flag + " must be at least 1, got " + value);
        }
    }

    private void requirePositive(String flag, Double value) {
        if (value != null && !(value > 0 && Double.isFinite(value))) {
            throw new ParameterException(spec.commandLine(), flag + " must be a positive number, got " + value);
        }
    }

    private MetricsWriter openMetrics(Path path) {
        try {
            return MetricsWriter.open(path);
        } catch (IOException e) {
            throw new UsageException("--metrics: cannot write " + Kobai.describeIo(e));
        }
    }
}
