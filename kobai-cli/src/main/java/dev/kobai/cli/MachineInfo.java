package dev.kobai.cli;

import com.sun.management.HotSpotDiagnosticMXBean;
import dev.kobai.tensor.kernel.CpuInfo;
import dev.kobai.tensor.kernel.Kernels;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a benchmark figure was measured on: the CPU model, its vector extensions, what HotSpot was
 * allowed to emit ({@code -XX:UseAVX}), and the kernel (width, registers, tiles) that ran. Every
 * figure in the docs names these, since the same command gives other figures on an AVX2 CPU than
 * on an AVX-512 one.
 */
record MachineInfo(String cpuModel, List<String> vectorExtensions, String useAvx, String kernel) {
    /** The extensions that decide which kernels a CPU can run, in the order reports list them. */
    private static final List<String> VECTOR_FLAGS = List.of("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw",
            "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "asimd", "sve", "sve2");

    /** This machine, from /proc/cpuinfo where there is one (Linux), else os.arch alone. */
    static MachineInfo current() {
        // without /proc/cpuinfo the report says "unknown" rather than failing a benchmark
        String cpuinfo = CpuInfo.read();
        return new MachineInfo(cpuModel(cpuinfo), vectorExtensions(cpuinfo), hotSpotOption("UseAVX").orElse("n/a"),
                Kernels.gemm().describe());
    }

    /**
     * The first processor's model name, with its family and model numbers, which tell CPUs apart
     * where a virtual machine reports only "Intel(R) Xeon(R) Processor".
     */
    static String cpuModel(String cpuinfo) {
        Map<String, String> first = CpuInfo.firstProcessor(cpuinfo);
        String name = first.getOrDefault("model name", first.getOrDefault("Processor", ""));
        if (name.isEmpty()) {
            return "unknown CPU (" + System.getProperty("os.arch") + ")";
        }
        String family = first.get("cpu family");
        String model = first.get("model");
        return family != null && model != null ? name + " (family " + family + ", model " + model + ")" : name;
    }

    /** The vector extensions among the first processor's flags ("flags" on x86, "Features" on ARM). */
    static List<String> vectorExtensions(String cpuinfo) {
        Set<String> have = CpuInfo.flags(cpuinfo);
        List<String> out = new ArrayList<>();
        for (String f : VECTOR_FLAGS) {
            if (have.contains(f)) {
                out.add(f);
            }
        }
        return out;
    }

    /** A HotSpot flag's value, or empty where the flag does not exist (UseAVX is x86 only). */
    static Optional<String> hotSpotOption(String name) {
        try {
            return Optional.of(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption(name)
                    .getValue());
        } catch (IllegalArgumentException | UnsupportedOperationException | NullPointerException e) {
            return Optional.empty();
        }
    }

    /** One line for a report's header. */
    String line() {
        return cpuModel + "; " + (vectorExtensions.isEmpty() ? "no AVX or NEON" : String.join(" ", vectorExtensions))
                + "; HotSpot UseAVX=" + useAvx + "; gemm " + kernel;
    }

    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpuModel);
        m.put("vector_extensions", vectorExtensions);
        m.put("use_avx", useAvx);
        m.put("kernel", kernel);
        return m;
    }
}
