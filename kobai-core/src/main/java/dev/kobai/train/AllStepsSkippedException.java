package dev.kobai.train;

/**
 * With skip-nonfinite, every step a run took was skipped, so the run trained nothing: a failure,
 * not a result. The weights are those the run started from; nothing was exported.
 */
public class AllStepsSkippedException extends NumericalFaultException {
    public AllStepsSkippedException(String message, long step) {
        super(message, step, null);
    }
}
