package dev.kobai.nn;

import java.util.List;

/**
 * What {@link Module#loadStateDict} could not match, as torch's {@code _IncompatibleKeys}: the
 * module's parameters and buffers the state dict lacked, and the state dict's keys the module does
 * not have, each in order.
 *
 * @param missingKeys    the module's keys absent from the state dict
 * @param unexpectedKeys the state dict's keys that are none of the module's
 */
public record IncompatibleKeys(List<String> missingKeys, List<String> unexpectedKeys) {
    public IncompatibleKeys {
        missingKeys = List.copyOf(missingKeys);
        unexpectedKeys = List.copyOf(unexpectedKeys);
    }

    /** Whether every key matched. */
    public boolean isEmpty() {
        return missingKeys.isEmpty() && unexpectedKeys.isEmpty();
    }
}
