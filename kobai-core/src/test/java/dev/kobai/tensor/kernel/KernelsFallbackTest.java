package dev.kobai.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Starts a second JVM on the same class path to check the choice {@link Kernels} makes at start-up,
 * which a test inside this JVM (started with the incubator module) cannot observe.
 */
class KernelsFallbackTest {

    /** Prints the chosen kernel's name and one product computed with it. */
    public static final class Probe {
        public static void main(String[] args) {
            Gemm g = Kernels.gemm();
            float[] c = new float[1];
            g.sgemm(false, false, 1, 1, 2, new float[] {1, 2}, 0, 2, new float[] {3, 4}, 0, 1, c, 0, 1, false);
            System.out.print(g.name() + " " + c[0]);
        }
    }

    private static String probe(String... jvmArgs) throws IOException, InterruptedException {
        return run(false, jvmArgs);
    }

    private static String probeErr(String... jvmArgs) throws IOException, InterruptedException {
        return run(true, jvmArgs);
    }

    private static String run(boolean stderr, String... jvmArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmArgs));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Probe.class.getName());
        Process p = stderr ? new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
                : new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String((stderr ? p.getErrorStream() : p.getInputStream()).readAllBytes(),
                StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("probe JVM did not finish");
        }
        assertEquals(0, p.exitValue(), "probe JVM exit status, output: " + out);
        return out;
    }

    @Test
    void withoutTheVectorModuleTheScalarKernelIsUsed() throws Exception {
        assertEquals("scalar 11.0", probe());
    }

    @Test
    void withTheVectorModuleTheVectorKernelIsUsedUnlessDisabled() throws Exception {
        String name = "vector(" + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit) 11.0";
        assertEquals(name, probe("--add-modules", "jdk.incubator.vector"));
        assertEquals("scalar 11.0", probe("--add-modules", "jdk.incubator.vector", "-Dkobai.simd=false"));
    }

    /** Without the module, one line on stderr says why it is slow and what to do; not when scalar was asked for. */
    @Test
    void theScalarFallbackIsAnnouncedOnceUnlessChosen() throws Exception {
        assertEquals(Kernels.SCALAR_NOTICE + System.lineSeparator(), probeErr());
        assertEquals("", probeErr("-Dkobai.simd=false"));
        String withModule = probeErr("--add-modules", "jdk.incubator.vector");
        assertEquals(false, withModule.contains("scalar kernels"), withModule);
        // A kernel that fails to set up says why instead of blaming the module.
        assertEquals(Kernels.setupNotice("-Dkobai.vector.bits=64: the vector width must be 128, 256 or 512 bits")
                + System.lineSeparator(), probeErr("--add-modules", "jdk.incubator.vector", "-Dkobai.vector.bits=64")
                .replace("WARNING: Using incubator modules: jdk.incubator.vector" + System.lineSeparator(), ""));
    }

    /** -Dkobai.blas=system takes the system's library; one that cannot be loaded is named on stderr, and the Java kernel runs. */
    @Test
    void theSystemBlasIsUsedOnlyWhenAskedFor() throws Exception {
        String vector = "vector(" + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit) 11.0";
        String[] flags = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"};
        assertEquals(vector, probe(flags));
        String missing = "/nonexistent/libnoblas.so";
        String[] withMissing = {flags[0], flags[1], flags[2], "-Dkobai.blas=system", "-Dkobai.blas.library=" + missing};
        assertEquals(vector, probe(withMissing));
        assertEquals(Kernels.blasNotice("-Dkobai.blas=system: no BLAS library with cblas_sgemm and cblas_dgemm ("
                + missing + ": not found); name one with -Dkobai.blas.library=FILE") + System.lineSeparator(),
                probeErr(withMissing).replace("WARNING: Using incubator modules: jdk.incubator.vector"
                        + System.lineSeparator(), ""));
        if (TestKernels.BLAS != null) {
            assertEquals(TestKernels.BLAS.name() + " 11.0",
                    probe(flags[0], flags[1], flags[2], "-Dkobai.blas=system"));
        }
    }

    @Test
    void noticeRule() {
        assertEquals(true, Kernels.noticeNeeded(null, true));
        assertEquals(false, Kernels.noticeNeeded(" FALSE ", true));
        assertEquals(false, Kernels.noticeNeeded(null, false));
    }
}
