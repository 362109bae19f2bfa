package dev.kobai.nn;

import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;

/**
 * Batch normalisation over images [N, C, H, W], torch.nn.BatchNorm2d (Ioffe and Szegedy 2015):
 * per channel c,
 * <pre>
 *   y = (x - mean_c) / sqrt(var_c + eps) * weight[c] + bias[c]
 * </pre>
 * with the mean and biased variance of channel c over the batch and every position in training
 * mode, and the running statistics in evaluation mode; see {@link BatchNorm} for their update.
 *
 * <p>Shapes: input [N, C, H, W], output the same; weight, bias, running_mean and running_var [C];
 * num_batches_tracked a whole number (I64 [] in files). Training needs more than one value per
 * channel (N H W &gt; 1).
 *
 * <p>Arguments as torch's, with its defaults: num_features C; eps 1e-5; momentum 0.1
 * ({@code cumulativeAverage()} for torch's None); affine true; track_running_stats true.
 *
 * <p>Initialisation as torch's: weight ones, bias zeros, running_mean zeros, running_var ones.
 *
 * {@snippet :
 * Conv2d conv = Conv2d.builder(3, 32, 3).padding(1).bias(false).build(rng, DType.FLOAT32);
 * BatchNorm2d bn = new BatchNorm2d(32, DType.FLOAT32);
 * Tensor y = bn.forward(conv.forward(images)).relu(); // [N, 3, H, W] -> [N, 32, H, W]
 * }
 */
public final class BatchNorm2d extends BatchNorm {
    /** A layer with torch's defaults. */
    public BatchNorm2d(int numFeatures, DType dtype) {
        this(builder(numFeatures), dtype);
    }

    private BatchNorm2d(Builder<BatchNorm2d> b, DType dtype) {
        super(b, dtype);
    }

    /** A layer over {@code numFeatures} channels; set torch's other arguments, then build. */
    public static Builder<BatchNorm2d> builder(int numFeatures) {
        return new Builder<>("BatchNorm2d", numFeatures, BatchNorm2d::new);
    }

    @Override
    void checkRank(Tensor x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(this + ": expected 4D input (got " + x.rank() + "D input "
                    + x.describe() + "), laid out as " + layout());
        }
    }

    @Override
    String layout() {
        return "[batch, " + numFeatures() + ", height, width]";
    }
}
