package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kobai.tensor.kernel.Kernels;
import dev.kobai.train.Checkpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint records the matrix-product kernel it was trained with; a run resumed with another
 * (here the system BLAS against the Java kernel) is told so on stderr, and goes on.
 */
class KernelResumeTest {
    @TempDir
    Path dir;

    @Test
    void resumingWithAnotherKernelSaysSoAndGoesOn() throws Exception {
        Path run = dir.resolve("run.safetensors");
        Path copy = dir.resolve("copy.safetensors");
        assertEquals("", kobai(List.of(), "train", "--data", "digits", "--model", "mlp:64-16-10", "--epochs", "1",
                "--checkpoint", run.toString()));
        assertEquals(Kernels.gemm().name(), Checkpoint.read(run).kernel(), "this JVM's kernel is the child's");
        Files.copy(run, copy);

        assertEquals("", kobai(List.of(), "train", "--resume", copy.toString(), "--epochs", "2"),
                "the same kernel: nothing to say");

        assumeTrue(libraryPresent(), "no system BLAS installed");
        String err = kobai(List.of("-Dkobai.blas=system"), "train", "--resume", run.toString(), "--epochs", "2");
        assertTrue(err.startsWith("kobai: " + run + " was trained with the " + Kernels.gemm().name()
                + " matrix-product kernel and resumes with blas("), err);
        assertEquals(1, err.lines().count(), err);
        assertTrue(Checkpoint.read(run).kernel().startsWith("blas("), "the resumed run's checkpoint names its kernel");
        assertEquals(2, Checkpoint.read(run).history().size(), "the resumed run trained its second epoch");
    }

    private static boolean libraryPresent() {
        for (String dir : List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu")) {
            if (Files.exists(Path.of(dir, "libopenblas.so.0")) || Files.exists(Path.of(dir, "libblas.so.3"))) {
                return true;
            }
        }
        return false;
    }

    /** Runs kobai ARGS in a child JVM on this test's class path; returns its stderr, after checking it exited 0. */
    private String kobai(List<String> jvmArgs, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            cmd.add("--add-modules");
            cmd.add("jdk.incubator.vector");
        }
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Kobai.class.getName());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)
                .replace("WARNING: Using incubator modules: jdk.incubator.vector" + System.lineSeparator(), "");
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "kobai did not finish");
        assertEquals(0, p.exitValue(), err);
        return err;
    }
}
