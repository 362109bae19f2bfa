package dev.kobai.train;

/**
 * The settings of a training run as the command line gives them: specs for the data, the model,
 * the optimizer and an optional learning-rate scheduler, optional gradient clipping, and the
 * loop's numbers.
 *
 * @param data          {@code digits}, {@code fashion-mnist[:DIR]}, {@code idx:DIR} or {@code csv:FILE}
 * @param model         for example {@code mlp:784-256-10} or {@code mlp:64-32-10:tanh}
 * @param optimizer     {@code name[:key=value,...]} with torch.optim's argument names
 * @param scheduler     {@code name[:key=value,...]} as {@link dev.kobai.optim.scheduler.Schedulers} reads
 *                      it, or null for a constant learning rate
 * @param clipGradNorm  max_norm for clipping the gradients' joint 2-norm before each step, or null
 * @param clipGradValue clip each gradient element to [-v, v] before each step, or null
 * @param skipNonFinite skip a step whose loss or gradient is not finite (and count it) instead of
 *                      stopping the run with a {@link NumericalFaultException}
 * @param init          a safetensors file of initial weights and buffers under the model's names
 *                      (torch's state_dict names for the same architecture), or null to draw them
 *                      from the seed
 */
public record TrainSettings(String data, String model, String optimizer, int epochs, int batchSize, long seed,
                            String scheduler, Double clipGradNorm, Double clipGradValue, boolean skipNonFinite,
                            String init) {
    /** A run whose initial weights are drawn from the seed. */
    public TrainSettings(String data, String model, String optimizer, int epochs, int batchSize, long seed,
                         String scheduler, Double clipGradNorm, Double clipGradValue, boolean skipNonFinite) {
        this(data, model, optimizer, epochs, batchSize, seed, scheduler, clipGradNorm, clipGradValue, skipNonFinite,
                null);
    }

    /** The same settings starting from the weights in {@code file} (null: from the seed). */
    public TrainSettings withInit(String file) {
        return new TrainSettings(data, model, optimizer, epochs, batchSize, seed, scheduler, clipGradNorm, clipGradValue,
                skipNonFinite, file);
    }

    /** The same settings for a run of {@code n} epochs. */
    public TrainSettings withEpochs(int n) {
        return new TrainSettings(data, model, optimizer, n, batchSize, seed, scheduler, clipGradNorm, clipGradValue,
                skipNonFinite, init);
    }

    /** A run that stops on a non-finite loss or gradient. */
    public TrainSettings(String data, String model, String optimizer, int epochs, int batchSize, long seed,
                         String scheduler, Double clipGradNorm, Double clipGradValue) {
        this(data, model, optimizer, epochs, batchSize, seed, scheduler, clipGradNorm, clipGradValue, false);
    }

    /** A run without scheduler or clipping. */
    public TrainSettings(String data, String model, String optimizer, int epochs, int batchSize, long seed) {
        this(data, model, optimizer, epochs, batchSize, seed, null, null, null, false);
    }
}
