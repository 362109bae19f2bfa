package dev.kobai.train;

import java.util.List;

/** Runs a whole training job from its settings. */
public final class Training {
    private Training() {}

    /**
     * Loads the data, builds the model and optimizer from their specs, trains for the given epochs
     * and returns each epoch's metrics.
     *
     * @throws dev.kobai.UsageException      for a bad spec or setting (the message lists what is valid)
     * @throws dev.kobai.DataFormatException for data that cannot be read
     */
    public static List<EpochMetrics> run(TrainSettings settings, TrainingListener listener) {
        throw new UnsupportedOperationException("not yet implemented");
    }
}
