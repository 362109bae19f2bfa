package dev.kobai.tensor.kernel;

import java.util.Locale;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector width and register count that every Vector API kernel of Kobai is built for, chosen
 * once per JVM. Only classes that use the Vector API refer to it, so it is loaded only when the
 * {@code jdk.incubator.vector} module is present.
 *
 * <p>The width is the Vector API's preferred one (512 bits on AVX-512, 256 on AVX2 or under
 * HotSpot's {@code -XX:UseAVX=2}, 128 on NEON), unless the system property
 * {@value #PROPERTY} forces 128, 256 or 512 bits. Forcing exists so that the tests can run every
 * kernel at every width on one machine: a width the CPU lacks is computed by the Vector API's
 * Java fallback, slowly but with the same results.
 *
 * <p>The register count decides the register tiles: AVX-512 and AArch64 have 32 vector registers,
 * AVX and AVX2 16. It follows the CPU, not a forced width, since a narrower species on an AVX-512
 * CPU still has all 32 registers.
 */
public final class VectorWidth {
    /** The system property that forces a width in bits: 128, 256 or 512. */
    public static final String PROPERTY = "kobai.vector.bits";

    /** The species of float kernels. */
    public static final VectorSpecies<Float> FLOAT;
    /** The species of double kernels: the same width in bits as {@link #FLOAT}. */
    public static final VectorSpecies<Double> DOUBLE;
    /** The CPU's vector registers, which a register tile may fill. */
    public static final int REGISTERS;

    static {
        int bits = bits(System.getProperty(PROPERTY), FloatVector.SPECIES_PREFERRED.vectorBitSize());
        FLOAT = VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
        DOUBLE = VectorSpecies.of(double.class, VectorShape.forBitSize(bits));
        REGISTERS = registers(FloatVector.SPECIES_PREFERRED.vectorBitSize(), System.getProperty("os.arch", ""));
    }

    private VectorWidth() {}

    /**
     * The width to use: {@code preferred} when the property is unset or blank, else the forced
     * width, which must be 128, 256 or 512.
     */
    static int bits(String property, int preferred) {
        if (property == null || property.isBlank()) {
            return preferred;
        }
        return switch (property.strip()) {
            case "128" -> 128;
            case "256" -> 256;
            case "512" -> 512;
            default -> throw new IllegalArgumentException(
                    "-D" + PROPERTY + "=" + property + ": the vector width must be 128, 256 or 512 bits");
        };
    }

    /** 32 registers with 512-bit vectors (AVX-512) or on AArch64, 16 otherwise (AVX, AVX2, SSE). */
    static int registers(int preferredBits, String arch) {
        String a = arch.toLowerCase(Locale.ROOT);
        return preferredBits >= 512 || a.equals("aarch64") || a.equals("arm64") ? 32 : 16;
    }

    /** For reports: e.g. "512-bit vectors, 32 registers", with "(forced)" when the property set it. */
    public static String describe() {
        boolean forced = FLOAT.vectorBitSize() != FloatVector.SPECIES_PREFERRED.vectorBitSize();
        return FLOAT.vectorBitSize() + "-bit vectors" + (forced ? " (forced; preferred "
                + FloatVector.SPECIES_PREFERRED.vectorBitSize() + ")" : "") + ", " + REGISTERS + " registers";
    }
}
