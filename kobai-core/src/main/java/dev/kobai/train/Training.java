package dev.kobai.train;

import dev.kobai.UsageException;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.LossKind;
import dev.kobai.data.DataLoader;
import dev.kobai.data.Datasets;
import dev.kobai.data.TrainTest;
import dev.kobai.data.Augmentation;
import dev.kobai.io.InputFile;
import dev.kobai.io.OutputPath;
import dev.kobai.io.RunLock;
import dev.kobai.nn.Models;
import dev.kobai.nn.Module;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.Optimizers;
import dev.kobai.optim.scheduler.LRScheduler;
import dev.kobai.optim.scheduler.Schedulers;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a whole training job from its settings, as {@code kobai train} does.
 *
 * <p>One seed drives everything, through independent streams forked from it in a fixed order:
 * the initial weights, then the minibatch order. Two runs with the same settings are identical.
 */
public final class Training {
    private Training() {}

    /** Everything a run is built from, before it trains. */
    public record Setup(TrainTest data, Module model, Optimizer optimizer, DataLoader loader) {}

    /**
     * Loads the data, builds the model and optimizer from their specs, trains for the given epochs
     * and returns each epoch's metrics.
     *
     * @throws UsageException                for a bad spec or setting (the message lists what is valid)
     * @throws dev.kobai.DataFormatException for data that cannot be read
     */
    public static List<EpochMetrics> run(TrainSettings settings, TrainingListener listener) {
        return run(settings, listener, null);
    }

    /**
     * How a run keeps checkpoints: the file to write (or null for none), how often ({@code "epoch"}
     * or a number of steps; the end of the run is always saved), and a checkpoint read with
     * {@link Checkpoint#read} to resume from (or null for a fresh run).
     */
    public record Checkpointing(Path file, String every, Checkpoint.Saved resume) {
        public Checkpointing {
            everySteps(every);
        }
    }

    /** 0 for "epoch", else the positive step count {@code every} names; UsageException otherwise. */
    public static int everySteps(String every) {
        if (every == null || every.equals("epoch")) {
            return 0;
        }
        try {
            int n = Integer.parseInt(every.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("--every takes 'epoch' or a positive number of steps, got '" + every + "'");
    }

    /**
     * As {@link #run(TrainSettings, TrainingListener)}, saving checkpoints and resuming as
     * {@code checkpointing} says (null for neither). A resumed run takes its settings from the
     * checkpoint, continues at the saved batch and returns the whole run's history, earlier epochs
     * included; it ends with the same weights, bit for bit, as a run never interrupted.
     *
     * @throws NumericalFaultException when a loss or gradient is not finite (unless skipped); the
     *                                 message says which checkpoint is the last good one
     */
    public static List<EpochMetrics> run(TrainSettings settings, TrainingListener listener,
                                         Checkpointing checkpointing) {
        return run(settings, listener, checkpointing, null);
    }

    /**
     * As above, then writes the trained model's weights alone to {@code exportWeights} when it is not
     * null. The checkpoint and the weights file are locked for the run ({@link RunLock}): a second
     * run that would write either while this one runs is refused at once.
     *
     * @throws dev.kobai.KobaiException when another run holds the checkpoint or the weights file
     */
    public static List<EpochMetrics> run(TrainSettings settings, TrainingListener listener,
                                         Checkpointing checkpointing, Path exportWeights) {
        return run(settings, listener, checkpointing, exportWeights, null);
    }

    /**
     * As above, with each minibatch's gradient computed by the engine {@code engines} opens (null:
     * the whole batch at once, on this machine): {@link ShardedGradient#factory} or a cluster's.
     * The engine is closed when the run ends.
     */
    public static List<EpochMetrics> run(TrainSettings settings, TrainingListener listener,
                                         Checkpointing checkpointing, Path exportWeights,
                                         GradientEngine.Factory engines) {
        Checkpoint.Saved saved = checkpointing == null ? null : checkpointing.resume();
        if (saved != null && !saved.settings().equals(settings)) {
            if (!saved.settings().withEpochs(settings.epochs()).equals(settings)) {
                throw new UsageException("the settings differ from those saved in " + saved.file()
                        + "; a resumed run takes the checkpoint's own settings");
            }
            extended(saved, settings.epochs()); // more epochs: only where the schedule allows
        }
        checkOutputs(settings, checkpointing, exportWeights);
        Map<String, Path> written = new LinkedHashMap<>();
        written.put("--checkpoint", checkpointing == null ? null : checkpointing.file());
        written.put("--export-weights", exportWeights);
        try (RunLock _ = RunLock.acquire(written)) {
            return train(settings, listener, checkpointing, exportWeights, saved, engines);
        }
    }

    private static List<EpochMetrics> train(TrainSettings settings, TrainingListener listener,
                                            Checkpointing checkpointing, Path exportWeights, Checkpoint.Saved saved,
                                            GradientEngine.Factory engines) {
        Setup setup = prepare(settings);
        if (saved != null && saved.position().batch() > setup.loader().batchesPerEpoch()) {
            throw new dev.kobai.DataFormatException(saved.file() + ": position epoch " + saved.position().epoch()
                    + ", batch " + saved.position().batch() + " lies past the end of the epoch: the data give "
                    + setup.loader().batchesPerEpoch() + " batches of " + settings.batchSize());
        }
        LRScheduler scheduler = scheduler(settings, setup);
        Trainer trainer = new Trainer(setup.model(), setup.optimizer(), scheduler, settings.clipGradNorm(),
                settings.clipGradValue()).skipNonFinite(settings.skipNonFinite());
        Trainer.Position from = Trainer.Position.start();
        List<EpochMetrics> history = List.of();
        if (saved != null) {
            Checkpoint.restore(saved, setup.model(), setup.optimizer(), scheduler);
            from = saved.position();
            history = saved.history();
        }
        Path file = checkpointing == null ? null : checkpointing.file();
        long[] lastSaved = {saved == null ? -1 : from.step()};
        if (file != null) {
            int every = everySteps(checkpointing.every());
            String everyText = every == 0 ? "epoch" : Integer.toString(every);
            trainer.stepHook(new Trainer.StepHook() {
                @Override
                public void afterStep(Trainer.Position next, List<EpochMetrics> done) {
                    if (every > 0 && next.step() % every == 0) {
                        save(next, done);
                    }
                }

                @Override
                public void afterEpoch(Trainer.Position next, List<EpochMetrics> done) {
                    if (every == 0 || next.epoch() > settings.epochs()) {
                        save(next, done);
                    }
                }

                private void save(Trainer.Position next, List<EpochMetrics> done) {
                    Checkpoint.save(file, settings, trainer, setup.loader(), next, done, everyText);
                    lastSaved[0] = next.step();
                }
            });
        }
        try (GradientEngine engine = engines == null ? null : engines.open(settings, setup)) {
            trainer.gradientEngine(engine);
            List<EpochMetrics> done = trainer.fit(setup.loader(), setup.data().test(), settings.epochs(), listener,
                    from, history);
            if (exportWeights != null) {
                Checkpoint.exportWeights(exportWeights, setup.model());
            }
            return done;
        } catch (AllStepsSkippedException e) {
            if (file == null && exportWeights == null) {
                throw e;
            }
            AllStepsSkippedException told = new AllStepsSkippedException(e.getMessage() + "."
                    + (exportWeights == null ? "" : " No weights were exported.")
                    + (file == null ? "" : " The checkpoint " + file + " holds weights no step changed."), e.step());
            told.initCause(e);
            throw told;
        } catch (NumericalFaultException e) {
            if (file == null) {
                throw e;
            }
            String kept = lastSaved[0] < 0 ? " No checkpoint was written before the fault."
                    : " The last good checkpoint, " + file + " (step " + lastSaved[0] + "), is kept: resume with"
                    + " --resume " + file + ".";
            NumericalFaultException withFile = new NumericalFaultException(e.getMessage() + "." + kept, e.step(),
                    e.parameter());
            withFile.initCause(e);
            throw withFile;
        }
    }

    /**
     * The settings of the run saved in {@code saved} with {@code epochs} epochs in all, to resume it
     * and train on past the end it was given (a finished run included). The extended run ends bit
     * for bit as a run given that many epochs from the start would, which needs a schedule that does
     * not depend on the run's length (see {@link Schedulers#extensionRefusal}).
     *
     * @throws UsageException for fewer epochs than the saved run has, or a schedule that cannot be
     *                        extended, saying why
     */
    public static TrainSettings extended(Checkpoint.Saved saved, int epochs) {
        TrainSettings s = saved.settings();
        if (epochs < s.epochs()) {
            throw new UsageException("--epochs " + epochs + " with --resume would shorten the run saved in "
                    + saved.file() + ", which has " + s.epochs() + " epochs; --epochs can only extend a run");
        }
        if (epochs > s.epochs() && s.scheduler() != null) {
            String why = Schedulers.extensionRefusal(s.scheduler(), s.epochs());
            if (why != null) {
                throw new UsageException("cannot extend the run saved in " + saved.file() + " to " + epochs
                        + " epochs: " + why);
            }
        }
        return s.withEpochs(epochs);
    }

    /** Whether the run saved in {@code saved} has trained all its epochs. */
    public static boolean finished(Checkpoint.Saved saved) {
        return saved.position().epoch() > saved.settings().epochs();
    }

    /**
     * Refuses, before anything is loaded, an output that is not a regular file (or new) in a
     * writable directory, two outputs on one file, or an output on a file the run reads: the data
     * or the checkpoint it resumes (see {@link OutputPath}).
     */
    private static void checkOutputs(TrainSettings settings, Checkpointing checkpointing, Path exportWeights) {
        List<OutputPath.Use> uses = new ArrayList<>();
        Path checkpoint = checkpointing == null ? null : checkpointing.file();
        if (checkpoint != null) {
            uses.add(OutputPath.Use.output("--checkpoint", OutputPath.file("--checkpoint", checkpoint)));
        }
        Checkpoint.Saved saved = checkpointing == null ? null : checkpointing.resume();
        if (saved != null && (checkpoint == null || !OutputPath.sameFile(saved.file().toAbsolutePath(),
                checkpoint.toAbsolutePath()))) {
            uses.add(OutputPath.Use.input("--resume", saved.file()));
        }
        if (exportWeights != null) {
            uses.add(OutputPath.Use.output("--export-weights", OutputPath.file("--export-weights", exportWeights)));
        }
        for (Path p : Datasets.files(settings.data())) {
            uses.add(OutputPath.Use.input("--data", p));
        }
        OutputPath.requireDistinct(uses);
    }

    /** Checks the settings, loads the data and builds the model, optimizer and loader. */
    public static Setup prepare(TrainSettings settings) {
        return build(settings, load(settings));
    }

    /**
     * Checks the settings and loads the data they name, with the model's input and output sizes
     * checked against it: everything of {@link #prepare} but building the run. For a model that
     * takes images, the data comes back as images [C, H, W] (one channel for IDX files and the
     * digits), so that its minibatches are [b, C, H, W].
     */
    public static TrainTest load(TrainSettings settings) {
        if (settings.epochs() < 1) {
            throw new UsageException("epochs must be at least 1, got " + settings.epochs());
        }
        if (settings.batchSize() < 1) {
            throw new UsageException("batch size must be at least 1, got " + settings.batchSize());
        }
        // Parse the cheap specs first, so a typo is reported before a large dataset is read.
        Models.checkSpec(settings.model());
        Datasets.Spec dataSpec = Datasets.parse(settings.data());
        Optimizers.options(dev.kobai.optim.OptimizerSpec.parse(settings.optimizer()));
        if (settings.scheduler() != null) {
            Schedulers.parse(settings.scheduler());
        }
        requirePositive("gradient-norm clipping", settings.clipGradNorm());
        requirePositive("gradient-value clipping", settings.clipGradValue());
        if (settings.init() != null) {
            try {
                InputFile.require("--init", Path.of(settings.init()));
            } catch (java.nio.file.InvalidPathException e) {
                throw new UsageException("--init: " + e.getMessage());
            }
        }
        // Compile the matrix kernel on another core while the data loads (see Kernels.warmUp).
        dev.kobai.tensor.kernel.Kernels.warmUpInBackground();
        TrainTest data = Datasets.fromSpec(dataSpec.dataset());
        Trainer.requireSamples(settings.data(), data.train(), data.test());
        if (settings.scheduler() != null) {
            // Schedulers count the run's steps in an int (torch's total_steps).
            long steps = (long) settings.epochs() * DataLoader.batchesPerEpoch(data.train().size(), settings.batchSize());
            if (steps > Integer.MAX_VALUE) {
                throw new UsageException(settings.epochs() + " epochs of " + DataLoader.batchesPerEpoch(
                        data.train().size(), settings.batchSize()) + " batches make " + steps + " steps, more than"
                        + " a scheduler counts (" + Integer.MAX_VALUE + ")");
            }
        }
        return fitted(settings, data, dataSpec.augmentation().active());
    }

    /**
     * The data seen as the model takes it (rows or images), after checking that the model fits it and
     * that the run fits the heap ({@link MemoryEstimate}). The model is looked at one layer at a time
     * ({@link ModelShapes}); it is built once, by {@link #build}, and only when it fits.
     */
    private static TrainTest fitted(TrainSettings settings, TrainTest data, boolean augmented) {
        String spec = settings.model();
        int classes = data.train().numClasses();
        boolean rowsModel = !Models.isPreset(spec) && !dev.kobai.nn.LayerSpec.isLayerList(spec);
        int[] image = imageShape(data.train());
        int[] sample;
        List<String> texts;
        if (rowsModel) {
            if (augmented) {
                throw new UsageException("data " + settings.data() + " asks for augmentation, which needs a model that "
                        + "takes images (one starting with a convolution, such as cnn); " + spec + " takes rows");
            }
            int[] sizes = Models.parseSizes(spec);
            int features = data.train().featureCount();
            if (sizes[0] != features) {
                throw new UsageException("model " + spec + " takes " + sizes[0] + " inputs but " + settings.data()
                        + " has " + features + " features per sample; start the model with " + features
                        + " (e.g. mlp:" + features + "-128-" + classes + ")");
            }
            if (sizes[sizes.length - 1] < classes) {
                throw new UsageException("model " + spec + " has " + sizes[sizes.length - 1] + " outputs but "
                        + settings.data() + " has " + classes + " classes; end the model with " + classes);
            }
            // an mlp takes rows [b, d], as the loader gives any data set that is not images
            sample = new int[] {features};
            data = new TrainTest(data.train().withSampleShape(sample), data.test().withSampleShape(sample));
            texts = Models.layerTexts(spec, sample, classes);
        } else {
            if (image == null && Models.isPreset(spec)) {
                throw new UsageException("model " + spec + " takes images [C, H, W] but " + settings.data()
                        + " holds rows of " + data.train().featureCount() + " numbers; use an image data set "
                        + "(digits, fashion-mnist, idx:DIR)");
            }
            texts = Models.layerTexts(spec, image != null ? image : data.train().sampleShape(), classes);
            if (Models.takesImages(ModelShapes.first(texts))) {
                if (image == null) {
                    throw new UsageException("model " + spec + " takes images [C, H, W] but " + settings.data()
                            + " holds rows of " + data.train().featureCount() + " numbers; use an image data set "
                            + "(digits, fashion-mnist, idx:DIR)");
                }
                data = new TrainTest(data.train().withSampleShape(image), data.test().withSampleShape(image));
                sample = image;
            } else {
                if (augmented) {
                    throw new UsageException("data " + settings.data() + " asks for augmentation, which needs a model "
                            + "that takes images; " + spec + " starts with " + ModelShapes.first(texts).layers().getFirst());
                }
                sample = data.train().sampleShape();
            }
        }
        String run = "model " + spec + " with " + settings.optimizer() + " on " + settings.data();
        long limit = MemoryEstimate.limit(data);
        long dataBytes = MemoryEstimate.dataBytes(data);
        // Parameters first, counted from the layers' arguments: a model too large to build is refused unbuilt.
        MemoryEstimate.requireParameters(run, ModelShapes.parameterCount(texts), limit, dataBytes);
        ModelShapes shapes;
        try {
            shapes = ModelShapes.of(texts, sample);
        } catch (UsageException e) {
            throw new UsageException("model " + spec + " on " + settings.data() + " " + java.util.Arrays.toString(sample)
                    + ": " + e.getMessage());
        }
        if (!rowsModel) {
            int[] out = shapes.outputShape();
            if (out.length != 1) {
                throw new UsageException("model " + spec + " gives outputs of shape " + java.util.Arrays.toString(out)
                        + " per sample, not one score per class; end it with flatten and linear(..., " + classes + ")");
            }
            if (out[0] < classes) {
                throw new UsageException("model " + spec + " has " + out[0] + " outputs but " + settings.data() + " has "
                        + classes + " classes; end the model with " + classes);
            }
        }
        MemoryEstimate.of(shapes, settings.optimizer(), settings.batchSize(), data)
                .require(run + ", batch " + settings.batchSize(), limit, dataBytes);
        return data;
    }

    /**
     * Refuses a run that would not fit the heap ({@link MemoryEstimate}), on data {@link #load}
     * returned for the same model: {@code kobai compare} checks each optimizer's run this way
     * before the first one trains. The model is looked at one layer at a time, not built.
     */
    public static void requireMemory(TrainSettings settings, TrainTest data) {
        int classes = data.train().numClasses();
        List<String> texts = Models.layerTexts(settings.model(), data.train().sampleShape(), classes);
        String run = "model " + settings.model() + " with " + settings.optimizer() + " on " + settings.data();
        long limit = MemoryEstimate.limit(data);
        long dataBytes = MemoryEstimate.dataBytes(data);
        MemoryEstimate.requireParameters(run, ModelShapes.parameterCount(texts), limit, dataBytes);
        MemoryEstimate.of(ModelShapes.of(texts, data.train().sampleShape()), settings.optimizer(), settings.batchSize(),
                data).require(run + ", batch " + settings.batchSize(), limit, dataBytes);
    }

    /** [C, H, W] for a data set of images ([H, W] samples get one channel), or null for rows. */
    static int[] imageShape(dev.kobai.data.Dataset d) {
        int[] s = d.sampleShape();
        return s.length == 3 ? s : s.length == 2 ? new int[] {1, s[0], s[1]} : null;
    }

    /**
     * The optimizer of a classifier trained with cross-entropy. Second-order methods see the
     * model's outputs and its softmax distribution through a curvature problem; the trainer sets
     * each minibatch on it before stepping, and {@code firstBatch} (asked for only then) initialises it.
     */
    public static Optimizer classifierOptimizer(String spec, Module model,
                                                java.util.function.Supplier<dev.kobai.data.Batch> firstBatch) {
        if (Optimizers.usesCurvatureProblem(spec)) {
            dev.kobai.data.Batch first = firstBatch.get();
            return Optimizers.create(spec, CurvatureProblem.of(model, LossKind.CROSS_ENTROPY, first.features(),
                    first.labels()));
        }
        return Optimizers.create(spec, model.parameters());
    }

    /**
     * Builds the model, optimizer and loader of a run on data already loaded by {@link #load}. One
     * seed gives the same initial weights and minibatch order whatever the optimizer, which is what
     * lets {@code kobai compare} race several from one start.
     */
    public static Setup build(TrainSettings settings, TrainTest data) {
        Rng seeds = new Rng(settings.seed());
        Rng init = seeds.fork();
        Rng shuffle = seeds.fork();
        Module model = Models.fromSpec(settings.model(), data.train().sampleShape(), data.train().numClasses(), init,
                DType.FLOAT32);
        if (settings.init() != null) {
            Checkpoint.initialWeights(Path.of(settings.init()), model);
        }
        Optimizer optimizer = classifierOptimizer(settings.optimizer(), model,
                () -> DataLoader.unshuffled(data.train(), settings.batchSize()).nextEpoch().batch(0));
        Augmentation augmentation = Datasets.parse(settings.data()).augmentation();
        DataLoader loader = new DataLoader(data.train(), settings.batchSize(), shuffle,
                augmentation.active() ? augmentation : null);
        return new Setup(data, model, optimizer, loader);
    }

    /**
     * The scheduler the settings name over the set-up optimizer, or null when they name none; its
     * run length is the settings' epochs times the loader's batches per epoch. Making it sets the
     * optimizer's initial learning rates, so make it once, just before training.
     */
    public static LRScheduler scheduler(TrainSettings settings, Setup setup) {
        if (settings.scheduler() == null) {
            return null;
        }
        return Schedulers.create(settings.scheduler(), setup.optimizer(), setup.loader().batchesPerEpoch(),
                settings.epochs());
    }

    private static void requirePositive(String what, Double value) {
        if (value != null && !(value > 0 && Double.isFinite(value))) {
            throw new UsageException(what + " needs a positive finite bound, got " + value);
        }
    }
}
