/**
 * Datasets for training: an in-memory {@link dev.kobai.data.Dataset}, readers for IDX
 * (MNIST, Fashion-MNIST) and CSV files, the embedded UCI digits set, {@link dev.kobai.data.Datasets#fromSpec}
 * to pick one by name, and {@link dev.kobai.data.DataLoader} to draw seeded minibatches.
 *
 * <p>Pixel values are scaled to [0, 1] when loaded so that every image dataset reaches a model on the
 * same scale. Bad files raise {@link dev.kobai.DataFormatException}; bad user input such as an unknown
 * dataset name raises {@link dev.kobai.UsageException}.
 */
package dev.kobai.data;
