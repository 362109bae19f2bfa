package dev.kobai.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.KobaiException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One run per file: across processes by the OS lock, within one JVM by the table of held locks. */
class RunLockTest {
    @TempDir
    Path dir;

    /** A child JVM that takes the run lock of a file and holds it until it is killed. */
    static final class Holder {
        public static void main(String[] args) throws Exception {
            try (RunLock _ = RunLock.acquire(Map.of("--checkpoint", Path.of(args[0])))) {
                System.out.println("locked");
                System.out.flush();
                Thread.sleep(Long.MAX_VALUE);
            }
        }

        static Process start(Path file) throws Exception {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Holder.class.getName(), file.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            assertEquals("locked", new String(p.getInputStream().readNBytes(6), StandardCharsets.UTF_8));
            return p;
        }
    }

    @Test
    void aSecondProcessIsRefusedNamingTheHolderAndAKilledHolderBlocksNobody() throws Exception {
        Path ckpt = dir.resolve("run.safetensors");
        Path lockFile = dir.resolve(".run.safetensors.lock");
        Process holder = Holder.start(ckpt);
        try {
            KobaiException e = assertThrows(KobaiException.class,
                    () -> RunLock.acquire(Map.of("--checkpoint", ckpt)));
            assertTrue(e.getMessage().startsWith("--checkpoint: " + ckpt + " is in use by another run (pid "
                    + holder.pid() + ", started "), e.getMessage());
            assertTrue(e.getMessage().contains("lock " + lockFile), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
            // Through a link to it, the file is the same and so is its lock.
            Path link = Files.createSymbolicLink(dir.resolve("link"), ckpt.getFileName());
            assertThrows(KobaiException.class, () -> RunLock.acquire(Map.of("--export-weights", link)));
        } finally {
            holder.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        assertTrue(Files.exists(lockFile), "a kill leaves the lock file");
        assertTrue(Files.readString(lockFile).contains("pid " + holder.pid()));
        try (RunLock _ = RunLock.acquire(Map.of("--checkpoint", ckpt))) {
            assertTrue(Files.readString(lockFile).startsWith("pid " + ProcessHandle.current().pid() + ", started "));
        }
        assertFalse(Files.exists(lockFile), "a run that ends removes its lock file");
    }

    @Test
    void withinOneJvmAnotherThreadIsRefusedAndTheHolderMayTakeItAgain() throws Exception {
        Path ckpt = dir.resolve("c.safetensors");
        try (RunLock _ = RunLock.acquire(Map.of("--checkpoint", ckpt))) {
            try (RunLock _ = RunLock.acquire(Map.of("--checkpoint", dir.resolve("./c.safetensors")))) {
                assertTrue(Files.exists(dir.resolve(".c.safetensors.lock")));
            }
            assertTrue(Files.exists(dir.resolve(".c.safetensors.lock")), "held until the outer claim ends");
            String message = CompletableFuture.supplyAsync(() -> assertThrows(KobaiException.class,
                    () -> RunLock.acquire(Map.of("--resume", ckpt))).getMessage()).get(30, TimeUnit.SECONDS);
            assertTrue(message.startsWith("--resume: " + ckpt + " is in use by another run in this process (pid "
                    + ProcessHandle.current().pid()), message);
        }
        assertFalse(Files.exists(dir.resolve(".c.safetensors.lock")));
        CompletableFuture.runAsync(() -> RunLock.acquire(Map.of("--checkpoint", ckpt)).close()).get(30,
                TimeUnit.SECONDS);
    }

    @Test
    void aLeftoverLockFileThatNoOneHoldsIsTakenOver() throws Exception {
        Path ckpt = dir.resolve("r.safetensors");
        Path lockFile = Files.writeString(dir.resolve(".r.safetensors.lock"), "pid 1, started 1970-01-01T00:00:00Z\n");
        try (RunLock _ = RunLock.acquire(Map.of("--checkpoint", ckpt, "--export-weights", dir.resolve("w")))) {
            assertTrue(Files.readString(lockFile).startsWith("pid " + ProcessHandle.current().pid()));
            assertTrue(Files.exists(dir.resolve(".w.lock")));
        }
        assertFalse(Files.exists(lockFile));
        assertFalse(Files.exists(dir.resolve(".w.lock")));
    }

    @Test
    void whenOneFileIsHeldNoneIsTaken() throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Map<String, Path> both = new LinkedHashMap<>();
        both.put("--export-weights", a);
        both.put("--checkpoint", b);
        try (RunLock _ = RunLock.acquire(Map.of("--checkpoint", b))) {
            CompletableFuture.runAsync(() -> assertThrows(KobaiException.class, () -> RunLock.acquire(both)))
                    .get(30, TimeUnit.SECONDS);
            assertFalse(Files.exists(dir.resolve(".a.lock")), "the lock of a is let go again");
        }
    }

    @Test
    void aLockFileThatIsAFifoIsRefusedNamingIt() throws Exception {
        Path fifo = dir.resolve(".r.safetensors.lock");
        InputFileTest.mkfifo(fifo);
        KobaiException e = assertThrows(KobaiException.class,
                () -> RunLock.acquire(Map.of("--checkpoint", dir.resolve("r.safetensors"))));
        assertTrue(e.getMessage().endsWith(fifo + " is a FIFO, not a regular file; remove it"), e.getMessage());
    }
}
