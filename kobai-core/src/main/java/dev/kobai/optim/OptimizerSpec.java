package dev.kobai.optim;

import dev.kobai.UsageException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An optimizer as the command line writes it: {@code name[:key=value,...]}, with torch.optim's
 * argument names and tuples written with a slash ({@code adam:lr=1e-3,betas=0.9/0.999}).
 *
 * @param name   the optimizer's name, lower case
 * @param values the raw values by key, in the order given
 */
public record OptimizerSpec(String name, Map<String, String> values) {
    public OptimizerSpec {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** Parses a spec; a malformed one gives a UsageException that quotes it and says what is wrong. */
    public static OptimizerSpec parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new UsageException("empty optimizer spec; expected name[:key=value,...], e.g. sgd:lr=0.1,momentum=0.9");
        }
        String text = spec.trim();
        int colon = text.indexOf(':');
        String name = (colon < 0 ? text : text.substring(0, colon)).trim().toLowerCase(Locale.ROOT);
        if (name.isEmpty()) {
            throw new UsageException("optimizer spec '" + spec + "' has no name before ':'");
        }
        Map<String, String> values = new LinkedHashMap<>();
        if (colon >= 0) {
            String rest = text.substring(colon + 1);
            if (rest.isBlank()) {
                throw new UsageException("optimizer spec '" + spec + "' has ':' but no key=value after it");
            }
            for (String pair : rest.split(",", -1)) {
                int eq = pair.indexOf('=');
                if (eq <= 0 || eq == pair.length() - 1) {
                    throw new UsageException("optimizer spec '" + spec + "': '" + pair
                            + "' is not key=value (separate pairs with commas, tuples with '/')");
                }
                String key = pair.substring(0, eq).trim();
                String value = pair.substring(eq + 1).trim();
                if (values.put(key, value) != null) {
                    throw new UsageException("optimizer spec '" + spec + "' gives '" + key + "' twice");
                }
            }
        }
        return new OptimizerSpec(name, values);
    }

    @Override
    public String toString() {
        if (values.isEmpty()) {
            return name;
        }
        StringBuilder sb = new StringBuilder(name).append(':');
        values.forEach((k, v) -> sb.append(sb.charAt(sb.length() - 1) == ':' ? "" : ",").append(k).append('=').append(v));
        return sb.toString();
    }
}
