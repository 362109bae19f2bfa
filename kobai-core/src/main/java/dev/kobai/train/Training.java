package dev.kobai.train;

import dev.kobai.UsageException;
import dev.kobai.data.DataLoader;
import dev.kobai.data.Datasets;
import dev.kobai.data.TrainTest;
import dev.kobai.nn.Models;
import dev.kobai.nn.Module;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.Optimizers;
import dev.kobai.optim.scheduler.LRScheduler;
import dev.kobai.optim.scheduler.Schedulers;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import java.util.List;

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
        Setup setup = prepare(settings);
        Trainer trainer = new Trainer(setup.model(), setup.optimizer(), scheduler(settings, setup),
                settings.clipGradNorm(), settings.clipGradValue());
        return trainer.fit(setup.loader(), setup.data().test(), settings.epochs(), listener);
    }

    /** Checks the settings, loads the data and builds the model, optimizer and loader. */
    public static Setup prepare(TrainSettings settings) {
        if (settings.epochs() < 1) {
            throw new UsageException("epochs must be at least 1, got " + settings.epochs());
        }
        if (settings.batchSize() < 1) {
            throw new UsageException("batch size must be at least 1, got " + settings.batchSize());
        }
        // Parse the cheap specs first, so a typo is reported before a large dataset is read.
        int[] sizes = Models.parseSizes(settings.model());
        Optimizers.options(dev.kobai.optim.OptimizerSpec.parse(settings.optimizer()));
        if (settings.scheduler() != null) {
            Schedulers.parse(settings.scheduler());
        }
        requirePositive("gradient-norm clipping", settings.clipGradNorm());
        requirePositive("gradient-value clipping", settings.clipGradValue());
        // Compile the matrix kernel on another core while the data loads (see Kernels.warmUp).
        dev.kobai.tensor.kernel.Kernels.warmUpInBackground();
        TrainTest data = Datasets.fromSpec(settings.data());
        int features = data.train().featureCount();
        int classes = data.train().numClasses();
        if (sizes[0] != features) {
            throw new UsageException("model " + settings.model() + " takes " + sizes[0] + " inputs but " + settings.data()
                    + " has " + features + " features per sample; start the model with " + features
                    + " (e.g. mlp:" + features + "-128-" + classes + ")");
        }
        if (sizes[sizes.length - 1] < classes) {
            throw new UsageException("model " + settings.model() + " has " + sizes[sizes.length - 1] + " outputs but "
                    + settings.data() + " has " + classes + " classes; end the model with " + classes);
        }
        Rng seeds = new Rng(settings.seed());
        Rng init = seeds.fork();
        Rng shuffle = seeds.fork();
        Module model = Models.fromSpec(settings.model(), init, DType.FLOAT32);
        Optimizer optimizer = Optimizers.create(settings.optimizer(), model.parameters());
        DataLoader loader = new DataLoader(data.train(), settings.batchSize(), shuffle);
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
