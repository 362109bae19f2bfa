package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class MachineInfoTest {
    private static final String X86 = """
            processor\t: 0
            vendor_id\t: GenuineIntel
            cpu family\t: 6
            model\t\t: 143
            model name\t: Intel(R) Xeon(R) Processor
            flags\t\t: fpu sse4_2 avx fma avx2 avx512f avx512bw avx512vl avx512_vnni avx512_bf16 amx_tile

            processor\t: 1
            model name\t: Something Else
            flags\t\t: fpu sse4_2
            """;

    private static final String ARM = """
            processor\t: 0
            BogoMIPS\t: 243.75
            Features\t: fp asimd evtstrm aes sve sve2
            """;

    @Test
    void readsTheFirstProcessorsModelAndVectorExtensions() {
        assertEquals("Intel(R) Xeon(R) Processor (family 6, model 143)", MachineInfo.cpuModel(X86));
        assertEquals(List.of("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
                "avx512_bf16", "amx_tile"), MachineInfo.vectorExtensions(X86));
        assertEquals(List.of("asimd", "sve", "sve2"), MachineInfo.vectorExtensions(ARM));
        assertEquals(List.of(), MachineInfo.vectorExtensions(""));
    }

    @Test
    void anUnknownCpuIsSaidSo() {
        assertEquals("unknown CPU (" + System.getProperty("os.arch") + ")", MachineInfo.cpuModel(ARM));
    }

    @Test
    void theLineNamesEverything() {
        MachineInfo info = new MachineInfo("X (family 6, model 1)", List.of("avx2", "fma"), "2", "vector(256-bit)");
        assertEquals("X (family 6, model 1); avx2 fma; HotSpot UseAVX=2; gemm vector(256-bit)", info.line());
        assertEquals("X; no AVX or NEON; HotSpot UseAVX=n/a; gemm scalar",
                new MachineInfo("X", List.of(), "n/a", "scalar").line());
    }
}
