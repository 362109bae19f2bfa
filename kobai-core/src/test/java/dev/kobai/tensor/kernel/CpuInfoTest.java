package dev.kobai.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** The first processor's fields and flags, from x86 and ARM texts. */
class CpuInfoTest {
    private static final String X86 = "processor\t: 0\nmodel name\t: Xeon\nflags\t\t: fpu avx2 avx512f fpu\n\n"
            + "processor\t: 1\nmodel name\t: Other\nflags\t\t: sse2\n";

    @Test
    void firstProcessorOnly() {
        assertEquals("Xeon", CpuInfo.firstProcessor(X86).get("model name"));
        assertEquals(Set.of("fpu", "avx2", "avx512f"), CpuInfo.flags(X86), "a repeated flag counts once");
    }

    @Test
    void armFeaturesAndNothing() {
        assertEquals(Set.of("fp", "asimd", "sve"), CpuInfo.flags("processor : 0\nFeatures : fp asimd sve\n"));
        assertEquals(Set.of(), CpuInfo.flags(""));
        assertEquals(Set.of(), CpuInfo.flags("processor : 0\nflags :   \n"));
    }
}
