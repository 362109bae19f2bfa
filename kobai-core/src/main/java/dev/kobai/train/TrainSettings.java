package dev.kobai.train;

/**
 * The settings of a training run as the command line gives them: specs for the data, the model and
 * the optimizer, and the loop's numbers.
 *
 * @param data      {@code digits}, {@code fashion-mnist[:DIR]}, {@code idx:DIR} or {@code csv:FILE}
 * @param model     for example {@code mlp:784-256-10} or {@code mlp:64-32-10:tanh}
 * @param optimizer {@code name[:key=value,...]} with torch.optim's argument names
 */
public record TrainSettings(String data, String model, String optimizer, int epochs, int batchSize, long seed) {}
