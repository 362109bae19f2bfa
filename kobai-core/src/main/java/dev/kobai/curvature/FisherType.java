package dev.kobai.curvature;

import dev.kobai.UsageException;

/**
 * Which Fisher matrix a natural-gradient method uses (Kunstner, Balles and Hennig 2019).
 * <ul>
 *   <li>{@link #TRUE}: the expectation over the model's predictive distribution, computed exactly
 *       (for the losses of {@link LossKind} it equals the generalised Gauss-Newton matrix).</li>
 *   <li>{@link #MONTE_CARLO}: that expectation estimated from targets sampled from the model.</li>
 *   <li>{@link #EMPIRICAL}: outer products of the gradients at the data's own labels; cheap but in
 *       general not a curvature estimate (it vanishes at a perfect fit whatever the curvature).</li>
 * </ul>
 */
public enum FisherType {
    TRUE, MONTE_CARLO, EMPIRICAL;

    /** Parses "true" (or "exact"), "mc" (or "monte-carlo"), "empirical". */
    public static FisherType parse(String option, String value) {
        return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "exact" -> TRUE;
            case "mc", "monte-carlo", "monte_carlo" -> MONTE_CARLO;
            case "empirical" -> EMPIRICAL;
            default -> throw new UsageException("option " + option + ": '" + value
                    + "' is not a Fisher type; valid: true, mc, empirical");
        };
    }
}
