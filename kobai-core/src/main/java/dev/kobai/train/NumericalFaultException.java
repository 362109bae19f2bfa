package dev.kobai.train;

import dev.kobai.KobaiException;

/**
 * Training met a loss or a gradient that is not finite. The message names the step, the parameter
 * and the last finite loss; nothing is written after the fault, so the last checkpoint stays the
 * last good one.
 */
public class NumericalFaultException extends KobaiException {
    private final long step;
    private final String parameter;

    public NumericalFaultException(String message, long step, String parameter) {
        super(message);
        this.step = step;
        this.parameter = parameter;
    }

    /** The global step (counting from 1) whose loss, gradient or update was not finite, or -1 for none. */
    public long step() {
        return step;
    }

    /** The parameter whose gradient or value was not finite, or null when none was. */
    public String parameter() {
        return parameter;
    }
}
