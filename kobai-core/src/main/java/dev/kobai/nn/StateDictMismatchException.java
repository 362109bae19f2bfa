package dev.kobai.nn;

import dev.kobai.KobaiException;
import java.util.ArrayList;
import java.util.List;

/**
 * A state dict that {@link Module#loadStateDict} refused, with nothing loaded: every missing and
 * unexpected key (for a strict load) and every shape mismatch, listed at once in one line, as
 * torch's "Error(s) in loading state_dict" lists them.
 */
public final class StateDictMismatchException extends KobaiException {
    private final List<String> missingKeys;
    private final List<String> unexpectedKeys;
    private final List<String> sizeMismatches;

    public StateDictMismatchException(String module, List<String> missingKeys, List<String> unexpectedKeys,
                                      List<String> sizeMismatches) {
        super(message(module, missingKeys, unexpectedKeys, sizeMismatches));
        this.missingKeys = List.copyOf(missingKeys);
        this.unexpectedKeys = List.copyOf(unexpectedKeys);
        this.sizeMismatches = List.copyOf(sizeMismatches);
    }

    /** The faults without the leading "cannot load state_dict into X: ", for callers that name the source themselves. */
    public String faults() {
        return faults(missingKeys, unexpectedKeys, sizeMismatches);
    }

    public List<String> missingKeys() {
        return missingKeys;
    }

    public List<String> unexpectedKeys() {
        return unexpectedKeys;
    }

    /** One "size mismatch for KEY: ..." line per tensor whose shape differs from the module's. */
    public List<String> sizeMismatches() {
        return sizeMismatches;
    }

    private static String message(String module, List<String> missing, List<String> unexpected, List<String> sizes) {
        return "cannot load state_dict into " + module + ": " + faults(missing, unexpected, sizes);
    }

    private static String faults(List<String> missing, List<String> unexpected, List<String> sizes) {
        List<String> parts = new ArrayList<>();
        if (!missing.isEmpty()) {
            parts.add("missing key(s) " + String.join(", ", missing));
        }
        if (!unexpected.isEmpty()) {
            parts.add("unexpected key(s) " + String.join(", ", unexpected));
        }
        parts.addAll(sizes);
        return String.join("; ", parts);
    }
}
