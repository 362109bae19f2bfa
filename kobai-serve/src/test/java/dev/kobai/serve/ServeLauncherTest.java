package dev.kobai.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher puts kobai-serve's jar on the class path for {@code kobai serve} and for nothing
 * else: run against a copy of the script with a stand-in java that prints its arguments.
 */
class ServeLauncherTest {
    @TempDir
    Path dir;

    private List<String> javaArguments(String... command) throws Exception {
        Path script = Path.of(System.getProperty("user.dir")).getParent().resolve("kobai");
        assumeTrue(Files.isRegularFile(script), "the launcher script is at the repository's root");
        Path root = Files.createDirectory(dir.resolve("repo"));
        Files.copy(script, root.resolve("kobai"));
        // Both jars and the module's libraries exist and no source is newer, so nothing is built.
        for (String jar : List.of("kobai-cli/target/kobai.jar", "kobai-serve/target/kobai-serve.jar")) {
            Files.createDirectories(root.resolve(jar).getParent());
            Files.write(root.resolve(jar), new byte[0]);
        }
        Files.createDirectories(root.resolve("kobai-serve/target/lib"));
        Path bin = Files.createDirectories(dir.resolve("jdk/bin"));
        executable(bin.resolve("java"), "#!/bin/sh\n"
                + "if [ \"$1\" = -version ]; then echo 'openjdk version \"25\" 2025-09-16' >&2; exit 0; fi\n"
                + "for a in \"$@\"; do echo \"$a\"; done\n");
        executable(bin.resolve("javac"), "#!/bin/sh\nexit 0\n");
        List<String> args = new java.util.ArrayList<>(List.of("bash", root.resolve("kobai").toString()));
        args.addAll(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(args).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
        pb.environment().remove("KOBAI_JAVA_OPTS");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        Files.delete(root.resolve("kobai"));
        return out.lines().toList();
    }

    @Test
    void serveRunsWithItsJarBesideKobaiJar() throws Exception {
        List<String> args = javaArguments("serve", "--port", "0");
        int cp = args.indexOf("-cp");
        assertTrue(cp > 0, args.toString());
        Path repo = dir.resolve("repo");
        assertEquals(repo + "/kobai-cli/target/kobai.jar:" + repo + "/kobai-serve/target/kobai-serve.jar:" + repo
                + "/kobai-serve/target/lib/*", args.get(cp + 1));
        assertEquals(List.of("dev.kobai.cli.Kobai", "serve", "--port", "0"), args.subList(cp + 2, args.size()));
        assertTrue(args.contains("--enable-native-access=ALL-UNNAMED"), args.toString());
    }

    @Test
    void otherCommandsRunKobaiJarAlone() throws Exception {
        List<String> args = javaArguments("train", "--epochs", "1");
        int jar = args.indexOf("-jar");
        assertTrue(jar > 0, args.toString());
        assertTrue(args.get(jar + 1).endsWith("kobai-cli/target/kobai.jar"), args.get(jar + 1));
        assertFalse(args.stream().anyMatch(a -> a.contains("kobai-serve")), args.toString());
    }

    private static void executable(Path p, String text) throws Exception {
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
