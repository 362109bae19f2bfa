package dev.kobai.tensor;

/**
 * Element types. Float32 is what training uses; float64 is what gradient checks need, since
 * central differences in single precision drown the derivative in rounding error.
 */
public enum DType {
    FLOAT32("float32", 4),
    FLOAT64("float64", 8);

    private final String label;
    private final int bytes;

    DType(String label, int bytes) {
        this.label = label;
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** Parses "float32"/"f32"/"float" or "float64"/"f64"/"double". */
    public static DType parse(String name) {
        return switch (name.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "float32", "f32", "float" -> FLOAT32;
            case "float64", "f64", "double" -> FLOAT64;
            default -> throw new dev.kobai.UsageException(
                    "unknown dtype '" + name + "': valid are float32, float64");
        };
    }

    @Override
    public String toString() {
        return label;
    }
}
