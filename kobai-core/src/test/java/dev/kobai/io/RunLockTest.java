package dev.kobai.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.KobaiException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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

    /** A child JVM that tries to take the run lock of a file once: "locked" or "refused: MESSAGE". */
    static final class Prober {
        public static void main(String[] args) {
            try (RunLock _ = RunLock.acquire(Map.of("--checkpoint", Path.of(args[0])))) {
                System.out.println("locked");
            } catch (KobaiException e) {
                System.out.println("refused: " + e.getMessage());
            }
        }

        static String run(Path file) throws Exception {
            return AtomicFileTest.output(Prober.class, file);
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

    /**
     * A run that ends deletes its lock file, at any moment for one about to take it: the newcomer
     * takes a new one, rather than fail with "... is null, not a regular file".
     */
    @Test
    void aLockFileDeletedAsItsHolderEndsIsMadeAnewAndTaken() throws Exception {
        Path ckpt = dir.resolve("r.safetensors");
        Path lockFile = Files.writeString(dir.resolve(".r.safetensors.lock"), "pid 1, started 1970-01-01T00:00:00Z\n");
        int[] deleted = {0};
        RunLock.beforeOpen = file -> {
            if (deleted[0]++ == 0) {
                Files.delete(file);
            }
        };
        try (RunLock _ = RunLock.acquire(Map.of("--checkpoint", ckpt))) {
            assertTrue(Files.readString(lockFile).startsWith("pid " + ProcessHandle.current().pid()));
        } finally {
            RunLock.beforeOpen = null;
        }
        assertEquals(2, deleted[0], "looked at twice: the deleted file, then the new one");
        assertFalse(Files.exists(lockFile));
    }

    /**
     * The OS lock is the process's: had this JVM opened a lock file it holds a second time, under
     * another name, closing that descriptor would drop the lock and let another process in while the
     * run goes on. A hard link is such a second name; the holder's thread takes it as the same file,
     * another thread is refused, and another process is still refused after both.
     */
    @Test
    void aLockFileHeldUnderAnotherNameIsNeverOpenedAgain() throws Exception {
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        try (RunLock _ = RunLock.acquire(Map.of("--checkpoint", a))) {
            Files.createLink(dir.resolve(".b.safetensors.lock"), dir.resolve(".a.safetensors.lock"));
            String message = CompletableFuture.supplyAsync(() -> assertThrows(KobaiException.class,
                    () -> RunLock.acquire(Map.of("--export-weights", b))).getMessage()).get(30, TimeUnit.SECONDS);
            assertTrue(message.startsWith("--export-weights: " + b + " is in use by another run in this process (pid "
                    + ProcessHandle.current().pid()), message);
            RunLock.acquire(Map.of("--export-weights", b)).close();
            String probe = Prober.run(a);
            assertTrue(probe.startsWith("refused: --checkpoint: " + a + " is in use by another run (pid "
                    + ProcessHandle.current().pid()), probe);
        }
        assertEquals("locked", Prober.run(a));
    }

    /**
     * A lock file this JVM has locked outside RunLock (a test, a library) refuses a run as another
     * run's would, and the refusal leaves that lock in place: the channel it opened stays open.
     */
    @Test
    void aLockFileLockedElsewhereInThisJvmIsRefusedAndStaysLocked() throws Exception {
        Path ckpt = dir.resolve("c.safetensors");
        Path lockFile = Files.createFile(dir.resolve(".c.safetensors.lock"));
        try (FileChannel other = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            other.lock();
            KobaiException e = assertThrows(KobaiException.class, () -> RunLock.acquire(Map.of("--checkpoint", ckpt)));
            assertTrue(e.getMessage().startsWith("--checkpoint: " + ckpt + " is in use by another run in this process"),
                    e.getMessage());
            String probe = Prober.run(ckpt);
            // No holder wrote a PID into it: "it is just starting".
            assertTrue(probe.startsWith("refused: --checkpoint: " + ckpt + " is in use by another run (it is just"
                    + " starting; lock " + lockFile + ")"), probe);
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
