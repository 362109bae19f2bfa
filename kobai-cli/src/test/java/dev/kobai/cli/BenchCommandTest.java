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
