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

    @Test
    void jmhBuildsAndRunsTheBenchmarksWithTheJdkTheLauncherFinds() throws Exception {
        Path script = Path.of(System.getProperty("user.dir")).getParent().resolve("kobai");
        assumeTrue(Files.isRegularFile(script), "the launcher script is at the repository's root");
        Path root = Files.createDirectory(dir.resolve("repo"));
        Files.copy(script, root.resolve("kobai"));
        Path log = dir.resolve("log");
        Path jdk = loggingJdk(log);
        // A stand-in Maven that notes the JDK it was given; the JAVA_HOME of the caller names none.
        Path tools = Files.createDirectories(dir.resolve("tools"));
        executable(tools.resolve("mvn"), "#!/bin/sh\necho \"mvn JAVA_HOME=$JAVA_HOME $*\" >> '" + log + "'\n");
        launch(root, jdk, tools, "jmh", "OptimizerBench", "-p", "optimizer=adam");
        java.util.List<String> lines = Files.readAllLines(log);
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("mvn JAVA_HOME=" + jdk + " ") && lines.get(0).contains("-pl kobai-bench -am")
                && lines.get(0).endsWith(" package"), lines.get(0));
        assertEquals("java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar " + root.toRealPath()
                + "/kobai-bench/target/kobai-bench.jar OptimizerBench -p optimizer=adam", lines.get(1));
    }

    @Test
    void sparkRunsWithTheSparkModuleBesideKobaiJarAndBuildsItWhenMissing() throws Exception {
        Path script = Path.of(System.getProperty("user.dir")).getParent().resolve("kobai");
        assumeTrue(Files.isRegularFile(script), "the launcher script is at the repository's root");
        Path root = Files.createDirectory(dir.resolve("repo"));
        Files.copy(script, root.resolve("kobai"));
        Files.createDirectories(root.resolve("kobai-cli/target"));
        Files.write(root.resolve("kobai-cli/target/kobai.jar"), new byte[0]);
        Path log = dir.resolve("log");
        Path jdk = loggingJdk(log);
        // A stand-in Maven that notes its arguments and leaves what the module's package phase would.
        Path tools = Files.createDirectories(dir.resolve("tools"));
        executable(tools.resolve("mvn"), "#!/bin/sh\necho \"mvn $*\" >> '" + log + "'\n"
                + "mkdir -p kobai-spark/target/lib && touch kobai-spark/target/kobai-spark.jar\n");
        for (String[] args : new String[][] {{"train", "--spark", "local[2]"}, {"train", "--spark", "local[2]"},
                {"train", "--epochs", "1"}}) {
            launch(root, jdk, tools, args);
        }
        java.util.List<String> lines = Files.readAllLines(log);
        assertEquals(4, lines.size(), lines.toString());
        // built once, then found up to date
        assertTrue(lines.get(0).startsWith("mvn ") && lines.get(0).contains("-pl kobai-spark -am")
                && lines.get(0).endsWith(" package"), lines.get(0));
        String real = root.toRealPath().toString();
        String cp = "-cp " + real + "/kobai-cli/target/kobai.jar:" + real + "/kobai-spark/target/kobai-spark.jar:"
                + real + "/kobai-spark/target/lib/* dev.kobai.cli.Kobai train --spark local[2]";
        assertTrue(lines.get(1).startsWith("java ") && lines.get(1).endsWith(cp), lines.get(1));
        assertEquals(lines.get(1), lines.get(2));
        assertTrue(lines.get(3).endsWith(" -jar " + real + "/kobai-cli/target/kobai.jar train --epochs 1")
                && !lines.get(3).contains("kobai-spark"), lines.get(3));
    }

    @Test
    void testIsQuietAndEndsWithTheCountsOfThisRunsReports() throws Exception {
        Path script = Path.of(System.getProperty("user.dir")).getParent().resolve("kobai");
        assumeTrue(Files.isRegularFile(script), "the launcher script is at the repository's root");
        Path root = Files.createDirectory(dir.resolve("repo"));
        Files.copy(script, root.resolve("kobai"));
        Path jdk = dir.resolve("jdk");
        Path bin = Files.createDirectories(jdk.resolve("bin"));
        executable(bin.resolve("java"), "#!/bin/sh\n"
                + "if [ \"$1\" = -version ]; then echo 'openjdk version \"25\" 2025-09-16' >&2; exit 0; fi\n");
        executable(bin.resolve("javac"), "#!/bin/sh\nexit 0\n");
        // A report a previous run left, which must not be counted.
        Path reports = Files.createDirectories(root.resolve("kobai-core/target/surefire-reports"));
        Files.writeString(reports.resolve("TEST-Old.xml"), "<testsuite name=\"Old\" tests=\"100\" errors=\"0\""
                + " skipped=\"0\" failures=\"0\">\n");
        // A stand-in Maven: the forked JVMs' incubator warning, one failure's message, two reports.
        Path tools = Files.createDirectories(dir.resolve("tools"));
        executable(tools.resolve("mvn"), "#!/bin/sh\n"
                + "echo \"mvn $*\"\n"
                + "echo '" + WARNING.strip() + "' >&2\n"
                + "echo '[ERROR] Tests run: 3, Failures: 1' >&2\n"
                + "printf '<testsuite xmlns:xsi=\"x\" name=\"A\" time=\"1\" tests=\"3\" errors=\"0\" skipped=\"1\""
                + " failures=\"1\">\\n' > '" + reports.resolve("TEST-A.xml") + "'\n"
                + "mkdir -p '" + root.resolve("kobai-cli/target/surefire-reports") + "'\n"
                + "printf '<testsuite name=\"B\" tests=\"7\" errors=\"2\" skipped=\"0\" failures=\"0\">\\n' > '"
                + root.resolve("kobai-cli/target/surefire-reports/TEST-B.xml") + "'\n"
                + "exit 1\n");
        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("kobai").toString(), "test", "-Dx=y");
        pb.environment().put("JAVA_HOME", jdk.toString());
        pb.environment().put("PATH", tools + ":" + System.getenv("PATH"));
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), "the launcher exits with Maven's code: " + out);
        java.util.List<String> lines = out.lines().toList();
        assertEquals("mvn -q -B -Dstyle.color=never verify -Dx=y", lines.get(1), out);
        assertTrue(!out.contains(WARNING.strip()) && out.contains("[ERROR] Tests run: 3, Failures: 1"), out);
        assertEquals("Tests run: 10, Failures: 1, Errors: 2, Skipped: 1", lines.getLast(), out);
        assertTrue(Files.notExists(reports.resolve("TEST-Old.xml")), "the earlier run's report is gone");
    }

    /** Maven's console library wrote a colour reset (ESC[0m) on each stream at exit, even with -q and no colour. */
    @Test
    void aQuietMavenBuildPrintsNoEscapeSequences() throws Exception {
        Path repo = Path.of(System.getProperty("user.dir")).getParent();
        assumeTrue(Files.isRegularFile(repo.resolve("pom.xml")), "the parent pom is at the repository's root");
        ProcessBuilder pb = new ProcessBuilder("mvn", "-q", "-B", "-Dstyle.color=never", "-o", "-N", "validate");
        pb.directory(repo.toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        // as the launcher sets it: without, JDK 25 warns that Maven's libraries use sun.misc.Unsafe
        pb.environment().put("MAVEN_OPTS", "--sun-misc-unsafe-memory-access=allow");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertEquals("", out.replace("\u001b", "ESC"));
    }

    /**
     * Maven under a JDK older than 25 stops at once with the enforcer's message, instead of javac's
     * "invalid flag" (issue: the JMH command failed that way under JDK 17). Needs such a JDK.
     */
    @Test
    void mavenUnderAnOlderJdkStopsWithAMessageThatSaysWhatToDo() throws Exception {
        Path repo = Path.of(System.getProperty("user.dir")).getParent();
        assumeTrue(Files.isRegularFile(repo.resolve("pom.xml")), "the parent pom is at the repository's root");
        Path old = null;
        try (var jdks = Files.list(Path.of("/usr/lib/jvm"))) {
            for (Path home : jdks.sorted().toList()) {
                if (Files.isExecutable(home.resolve("bin/java")) && Files.isExecutable(home.resolve("bin/javac"))
                        && javaMajor(home) < 25) {
                    old = home;
                    break;
                }
            }
        } catch (java.io.IOException e) {
            // no /usr/lib/jvm: nothing to try
        }
        assumeTrue(old != null, "a JDK older than 25 in /usr/lib/jvm");
        ProcessBuilder pb = new ProcessBuilder("mvn", "-q", "-B", "-Dstyle.color=never", "-o", "-N", "validate");
        pb.directory(repo.toFile());
        pb.environment().put("JAVA_HOME", old.toString());
        pb.environment().remove("MAVEN_OPTS");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertTrue(p.exitValue() != 0 && out.contains("Kobai needs a JDK 25 or newer to build")
                && out.contains("./kobai test"), out);
    }

    private static int javaMajor(Path home) throws Exception {
        Process p = new ProcessBuilder(home.resolve("bin/java").toString(), "-version").redirectErrorStream(true)
                .start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("version \"(1\\.)?(\\d+)").matcher(text);
        return m.find() ? Integer.parseInt(m.group(2)) : Integer.MAX_VALUE;
    }

    /** Runs the launcher copied into {@code root} with the JDK {@code jdk} and {@code tools} first on PATH; it must succeed. */
    private static void launch(Path root, Path jdk, Path tools, String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("kobai").toString());
        pb.command().addAll(java.util.List.of(args));
        pb.environment().put("JAVA_HOME", jdk.toString());
        pb.environment().put("PATH", tools + ":" + System.getenv("PATH"));
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
    }

    /** A stand-in JDK 25 under the test's folder whose java notes its arguments in {@code log}. */
    private Path loggingJdk(Path log) throws Exception {
        Path jdk = dir.resolve("jdk");
        Path bin = Files.createDirectories(jdk.resolve("bin"));
        executable(bin.resolve("java"), "#!/bin/sh\n"
                + "if [ \"$1\" = -version ]; then echo 'openjdk version \"25\" 2025-09-16' >&2; exit 0; fi\n"
                + "echo \"java $*\" >> '" + log + "'\n");
        executable(bin.resolve("javac"), "#!/bin/sh\nexit 0\n");
        return jdk;
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
