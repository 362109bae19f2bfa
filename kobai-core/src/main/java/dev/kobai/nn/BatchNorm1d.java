package dev.kobai.nn;

import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;

/**
 * Batch normalisation over [N, C] or [N, C, L], torch.nn.BatchNorm1d (Ioffe and Szegedy 2015):
 * per channel c,
 * <pre>
 *   y = (x - mean_c) / sqrt(var_c + eps) * weight[c] + bias[c]
 * </pre>
 * with the mean and biased variance of channel c over the batch (and the length) in training mode,
 * and the running statistics in evaluation mode; see {@link BatchNorm} for their update.
 *
 * <p>Shapes: input [N, C] or [N, C, L], output the same; weight, bias, running_mean and
 * running_var [C]; num_batches_tracked a whole number (I64 [] in files). Training needs more than
 * one value per channel (N L &gt; 1).
 *
 * <p>Arguments as torch's, with its defaults: num_features C; eps 1e-5; momentum 0.1
 * ({@code cumulativeAverage()} for torch's None); affine true; track_running_stats true.
 *
 * <p>Initialisation as torch's: weight ones, bias zeros, running_mean zeros, running_var ones.
 *
 * {@snippet :
 * BatchNorm1d bn = new BatchNorm1d(64, DType.FLOAT32);
 * Tensor y = bn.forward(hidden); // [N, 64] -> [N, 64], batch statistics while training
 * bn.eval();                     // now the running statistics
 * BatchNorm1d plain = BatchNorm1d.builder(64).momentum(0.01).affine(false).build(DType.FLOAT32);
 * }
 */
public final class BatchNorm1d extends BatchNorm {
    /** A layer with torch's defaults. */
    public BatchNorm1d(int numFeatures, DType dtype) {
        this(builder(numFeatures), dtype);
    }

    private BatchNorm1d(Builder<BatchNorm1d> b, DType dtype) {
        super(b, dtype);
    }

    /** A layer over {@code numFeatures} channels; set torch's other arguments, then build. */
    public static Builder<BatchNorm1d> builder(int numFeatures) {
        return new Builder<>("BatchNorm1d", numFeatures, BatchNorm1d::new);
    }

    @Override
    void checkRank(Tensor x) {
        if (x.rank() != 2 && x.rank() != 3) {
            throw new IllegalArgumentException(this + ": expected 2D or 3D input (got " + x.rank() + "D input "
                    + x.describe() + "), laid out as " + layout());
        }
    }

    @Override
    String layout() {
        return "[batch, " + numFeatures() + "] or [batch, " + numFeatures() + ", length]";
    }
}
