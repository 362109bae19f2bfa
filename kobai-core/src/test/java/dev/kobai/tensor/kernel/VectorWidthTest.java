package dev.kobai.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorWidthTest {
    @Test
    void theWidthIsThePreferredOneUnlessForced() {
        assertEquals(512, VectorWidth.bits(null, 512));
        assertEquals(256, VectorWidth.bits(" ", 256));
        assertEquals(128, VectorWidth.bits("128", 512));
        assertEquals(512, VectorWidth.bits(" 512 ", 256));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VectorWidth.bits("64", 512));
        assertEquals("-Dkobai.vector.bits=64: the vector width must be 128, 256 or 512 bits", e.getMessage());
    }

    @Test
    void registersFollowTheCpuNotTheForcedWidth() {
        assertEquals(32, VectorWidth.registers(512, "amd64"));
        assertEquals(16, VectorWidth.registers(256, "amd64"));
        assertEquals(16, VectorWidth.registers(128, "x86_64"));
        assertEquals(32, VectorWidth.registers(128, "aarch64"));
    }

    /** The forced runs of the kernel tests (kobai-core's pom) do run at the width they claim. */
    @Test
    void thisJvmUsesTheForcedOrPreferredWidth() {
        String forced = System.getProperty(VectorWidth.PROPERTY);
        int expected = forced == null ? FloatVector.SPECIES_PREFERRED.vectorBitSize() : Integer.parseInt(forced);
        assertEquals(expected, VectorWidth.FLOAT.vectorBitSize());
        assertEquals(expected, VectorWidth.DOUBLE.vectorBitSize());
        if (Kernels.vectorAvailable()) {
            assertTrue(Kernels.gemm().describe().startsWith("vector(" + expected + "-bit): " + expected + "-bit vectors"),
                    Kernels.gemm().describe());
        }
    }
}
