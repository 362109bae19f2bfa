package dev.kobai.tensor.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Linux's {@code /proc/cpuinfo}, read for what decides kernels: the first processor's fields (its
 * model, family and flags). One reader for the benchmarks' machine reports and for the system
 * BLAS's choice of OpenBLAS kernel.
 */
public final class CpuInfo {
    private CpuInfo() {}

    /** The text of {@code /proc/cpuinfo}, or "" where there is none (not Linux) or it cannot be read. */
    public static String read() {
        try {
            Path p = Path.of("/proc/cpuinfo");
            return Files.isReadable(p) ? Files.readString(p) : "";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** The first processor's fields, name to value, in their order; empty for "". */
    public static Map<String, String> firstProcessor(String cpuinfo) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : cpuinfo.split("\n")) {
            if (line.isBlank()) {
                if (!fields.isEmpty()) {
                    break;
                }
                continue;
            }
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
            }
        }
        return fields;
    }

    /** The first processor's flags ("flags" on x86, "Features" on ARM); empty where there are none. */
    public static Set<String> flags(String cpuinfo) {
        Map<String, String> first = firstProcessor(cpuinfo);
        String flags = first.getOrDefault("flags", first.getOrDefault("Features", "")).trim();
        return flags.isEmpty() ? Set.of() : Set.copyOf(java.util.Arrays.asList(flags.split("\\s+"))); // copyOf takes repeats
    }
}
