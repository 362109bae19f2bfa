package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher script passes the JVM's stderr through untouched but for the one incubator-module
 * warning line. Run from a copy beside a stand-in JDK whose java writes known bytes, and a jar
 * newer than any source, so that nothing is built.
 */
class LauncherTest {
    @TempDir
    Path dir;

    private static final String WARNING = "WARNING: Using incubator modules: jdk.incubator.vector\n";

    @Test
    void stderrPassesThroughByteForByteButTheIncubatorWarning() throws Exception {
        Path script = Path.of(System.getProperty("user.dir")).getParent().resolve("kobai");
        assumeTrue(Files.isRegularFile(script), "the launcher script is at the repository's root");
        Path root = Files.createDirectory(dir.resolve("repo"));
        Files.copy(script, root.resolve("kobai"));
        Files.createDirectories(root.resolve("kobai-cli/target"));
        Files.write(root.resolve("kobai-cli/target/kobai.jar"), new byte[0]);
        Path bin = Files.createDirectories(dir.resolve("jdk/bin"));
        // A line with a NUL byte, an escape sequence and bytes that are not UTF-8, then more lines;
        // the warning in the middle too, as it is the only line to go.
        byte[] said = ("kobai train: --data csv:a\0b: no such file\n" + WARNING + "\u001b[31mred\u001b[0m\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        byte[] tail = {(byte) 0xff, (byte) 0xfe, '\n', 'l', 'a', 's', 't', '\n'};
        Files.write(dir.resolve("err.bin"), concat(WARNING.getBytes(StandardCharsets.US_ASCII), said, tail));
        executable(bin.resolve("java"), "#!/bin/sh\n"
                + "if [ \"$1\" = -version ]; then echo 'openjdk version \"25\" 2025-09-16' >&2; exit 0; fi\n"
                + "cat '" + dir.resolve("err.bin") + "' >&2\n"
                + "echo out\n"
                + "exit 3\n");
        executable(bin.resolve("javac"), "#!/bin/sh\nexit 0\n");
        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("kobai").toString(), "train");
        pb.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
        Process p = pb.start();
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(3, p.exitValue(), "the launcher exits with java's code");
        assertEquals("out\n", out);
        String expected = new String(concat(said, tail), StandardCharsets.ISO_8859_1).replace(WARNING, "");
        assertArrayEquals(expected.getBytes(StandardCharsets.ISO_8859_1), err.get(60, TimeUnit.SECONDS),
                new String(err.get(), StandardCharsets.ISO_8859_1));
    }

    private static void executable(Path p, String text) throws Exception {
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            b.writeBytes(part);
        }
        return b.toByteArray();
    }
}
