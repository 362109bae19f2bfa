package dev.kobai.optim;

/**
 * Shared settings of the optimizers' element loops.
 *
 * <p>Every optimizer updates a parameter in one loop over its elements, split across cores by
 * {@link dev.kobai.tensor.kernel.Parallel#forRange} into contiguous ranges. Each element's
 * arithmetic is the same whichever thread runs it and however the range is cut, so a parallel step
 * gives exactly the numbers of a serial one. The loops for the default options (no maximize, no
 * L2 weight decay, no AMSGrad, ...) are written out without branches so that C2 vectorises them;
 * the general loops keep the branches.
 */
final class ElementLoops {
    /**
     * Below this many elements a parameter is updated on the calling thread: a step over 64K
     * floats takes some 10 microseconds, about what waking a second thread costs.
     */
    static final int GRAIN = 1 << 16;

    private ElementLoops() {}
}
