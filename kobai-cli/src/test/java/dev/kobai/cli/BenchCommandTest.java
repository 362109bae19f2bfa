package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cheap sections of {@code kobai bench}, and its usage errors; the 10M-parameter sections are left to real runs. */
class BenchCommandTest {
    @Test
    void hvpAndKfacSectionsPrintAndWriteJson(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("bench.json");
        CliUsageTest.Result r = CliUsageTest.kobai("bench", "--quick", "--only", "hvp,kfac", "--threads", "1",
                "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Hessian-vector product"), r.out());
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals(1, o.getAsJsonObject("machine").get("threads").getAsInt());
        double ratio = o.getAsJsonObject("hvp").get("ratio").getAsDouble();
        assertTrue(ratio > 0 && Double.isFinite(ratio), "ratio " + ratio);
        JsonObject kfac = o.getAsJsonObject("kfac");
        assertTrue(kfac.get("adam_step_seconds").getAsDouble() > 0, kfac.toString());
        assertTrue(kfac.get("kfac_step_seconds").getAsDouble() > 0, kfac.toString());
        assertTrue(r.out().contains("kfac") && r.out().contains("ratio"), r.out());
    }

    /**
     * Every report names what it ran on, and --isa avx2 measures in a JVM held to AVX2 code: its
     * kernel then has 256-bit vectors and the 16 registers of AVX2, whatever this CPU has.
     */
    @Test
    void reportsNameTheMachineAndAvx2ModeRunsOnAvx2Code(@TempDir Path dir) throws Exception {
        Path nativeJson = dir.resolve("native.json");
        CliUsageTest.Result r = CliUsageTest.kobai("bench", "--quick", "--only", "matmul", "--threads", "1",
                "--json", nativeJson.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject report = JsonParser.parseString(Files.readString(nativeJson)).getAsJsonObject();
        JsonObject machine = report.getAsJsonObject("machine");
        var products = report.getAsJsonArray("matmul");
        assertEquals(2 * dev.kobai.bench.Workloads.TRAINING_SHAPES.size(), products.size());
        assertEquals("float32", products.get(0).getAsJsonObject().get("dtype").getAsString());
        assertEquals("float64", products.get(products.size() - 1).getAsJsonObject().get("dtype").getAsString());
        assertEquals(MachineInfo.current().cpuModel(), machine.get("cpu").getAsString());
        assertTrue(r.out().contains("gemm " + dev.kobai.tensor.kernel.Kernels.gemm().describe()), r.out());
        if (MachineInfo.hotSpotOption("UseAVX").isEmpty()) {
            return; // not an x86 JVM: no AVX2 mode to check
        }
        Path avx2Json = dir.resolve("avx2.json");
        CliUsageTest.Result avx2 = CliUsageTest.kobai("bench", "--quick", "--only", "matmul", "--threads", "1",
                "--isa", "avx2", "--json", avx2Json.toString());
        assertEquals(0, avx2.code(), avx2.err() + avx2.out());
        JsonObject m2 = JsonParser.parseString(Files.readString(avx2Json)).getAsJsonObject().getAsJsonObject("machine");
        assertEquals("2", m2.get("use_avx").getAsString());
        assertEquals("avx2", m2.get("isa_mode").getAsString());
        assertTrue(m2.get("kernel").getAsString().startsWith("vector(256-bit): 256-bit vectors, 16 registers"),
                m2.toString());
        assertTrue(avx2.out().contains("Matrix products"), avx2.out());
    }

    @Test
    void unknownIsaModeIsAUsageError() {
        CliUsageTest.Result r = CliUsageTest.kobai("bench", "--isa", "sse");
        assertEquals(Kobai.EXIT_USAGE, r.code());
        assertEquals("kobai bench: --isa: unknown mode 'sse'; valid: native, avx2", r.err().strip());
    }

    @Test
    void unknownSectionIsAUsageError() {
        CliUsageTest.Result r = CliUsageTest.kobai("bench", "--only", "bogus");
        assertEquals(Kobai.EXIT_USAGE, r.code());
        assertTrue(r.err().contains("unknown section 'bogus'"), r.err());
    }

    @Test
    void zeroThreadsIsAUsageError() {
        CliUsageTest.Result r = CliUsageTest.kobai("bench", "--threads", "0");
        assertEquals(Kobai.EXIT_USAGE, r.code());
    }
}
