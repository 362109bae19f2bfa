package dev.kobai.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kobai.KobaiException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Locks and replacements give back every file descriptor they open, on every way out: a long run
 * that checkpoints thousands of times, or a server that refuses many requests, must not run out of
 * them. Counted in /proc/self/fd (Linux), around many repetitions so that the JVM's own descriptors
 * coming and going cannot pass for a leak, or hide one.
 */
class DescriptorLeakTest {
    private static final int ROUNDS = 50;

    @TempDir
    Path dir;

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private static void assertNoLeak(String what, IoAction action) throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc/self/fd");
        action.run(); // once first, so that classes and lazily opened JDK files are in place
        long before = openDescriptors();
        for (int i = 0; i < ROUNDS; i++) {
            action.run();
        }
        long after = openDescriptors();
        assertEquals(before, after, what + ": " + (after - before) + " descriptors left open after " + ROUNDS + " rounds");
    }

    interface IoAction {
        void run() throws Exception;
    }

    @Test
    void aLockTakenAndReleased() throws Exception {
        Path target = dir.resolve("c.safetensors");
        assertNoLeak("acquire and close", () -> RunLock.acquire(Map.of("--checkpoint", target)).close());
    }

    @Test
    void aLockRefusedBecauseAnotherThreadHoldsIt() throws Exception {
        Path target = dir.resolve("held.safetensors");
        try (RunLock _ = RunLock.acquire(Map.of("--checkpoint", target))) {
            assertNoLeak("a refused acquire", () -> CompletableFuture.runAsync(() -> assertThrows(KobaiException.class,
                    () -> RunLock.acquire(Map.of("--checkpoint", target)))).get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void aLockFileLeftBehindIsTakenOver() throws Exception {
        Path target = dir.resolve("left.safetensors");
        assertNoLeak("take over a leftover lock file", () -> {
            Files.writeString(dir.resolve(".left.safetensors.lock"), "pid 1\n");
            RunLock.acquire(Map.of("--checkpoint", target)).close();
        });
    }

    @Test
    void replacementsCommittedAndAbandoned() throws Exception {
        Path target = dir.resolve("f.bin");
        assertNoLeak("commit", () -> {
            try (AtomicFile.Replacement r = AtomicFile.begin(target)) {
                r.stream().write(1);
                r.commit();
            }
        });
        assertNoLeak("abandon", () -> {
            try (AtomicFile.Replacement r = AtomicFile.begin(target)) {
                r.stream().write(2);
            }
        });
        assertEquals(1, Files.readAllBytes(target)[0]);
    }
}
