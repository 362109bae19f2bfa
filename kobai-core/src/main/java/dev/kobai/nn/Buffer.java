package dev.kobai.nn;

import dev.kobai.tensor.Tensor;

/**
 * State a module keeps that is not learned by gradient: batch norm's running mean and variance and
 * its count of batches. Optimizers never see buffers; checkpoints and exported weights carry them
 * under torch's state_dict names. A buffer's values change in place (it is never replaced), so a
 * reference to one stays valid.
 *
 * <p>An integral buffer (torch's int64 {@code num_batches_tracked}) holds whole numbers in a
 * float64 tensor, exact up to 2^53, and is written to files as I64.
 */
public final class Buffer extends Tensor {
    private final boolean integral;

    public Buffer(Tensor initial, boolean integral) {
        super(initial);
        this.integral = integral;
    }

    /** A float buffer. */
    public Buffer(Tensor initial) {
        this(initial, false);
    }

    /** Whether the buffer holds whole numbers, saved as I64. */
    public boolean integral() {
        return integral;
    }

    /** {@link #integral()}: an integral buffer stands for torch's int64 tensor. */
    @Override
    public boolean holdsInt64() {
        return integral;
    }
}
