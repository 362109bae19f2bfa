package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kobai.train.EpochMetrics;
import dev.kobai.train.TrainSettings;
import dev.kobai.train.Training;
import dev.kobai.train.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two runs writing one checkpoint: the second is refused at once (exit 1) naming the first's PID
 * and start time, whether the first runs in another JVM or in this one; a killed first run leaves
 * no lock that blocks the next.
 */
class CheckpointLockTest {
    @TempDir
    Path dir;

    private static void refusedNaming(CliUsageTest.Result r, String flag, Path file, String holder) {
        assertEquals(1, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("kobai train: " + flag + ": " + file + " is in use by another run")
                && r.err().contains(holder), r.err());
    }

    /** Fails, with what the run printed, unless the run in {@code child} is still going. */
    private static void assertRunning(Process child, Path errors) throws Exception {
        if (!child.isAlive()) {
            fail("the first run ended (exit " + child.exitValue() + "): " + Files.readString(errors));
        }
    }

    /** Waits until {@code file} exists, written by the run in {@code child}. */
    private static void await(Path file, Process child) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(file)) {
            assertTrue(child.isAlive(), "the first run ended before writing " + file);
            assertTrue(System.nanoTime() < deadline, file + " did not appear");
            Thread.sleep(10);
        }
    }

    @Test
    void aSecondProcessIsRefusedAtOnceAndAKilledFirstBlocksNobody() throws Exception {
        Path ckpt = dir.resolve("run.safetensors");
        Path lock = dir.resolve(".run.safetensors.lock");
        Path errors = dir.resolve("first.err");
        Process first = KillResumeTest.start(List.of("train", "--model", "mlp:64-12-10", "--epochs", "2000",
                "--batch-size", "32", "--checkpoint", ckpt.toString(), "--every", "1"), errors);
        try {
            await(ckpt, first); // the first run is well under way: it has saved a checkpoint
            String holder = "pid " + first.pid() + ", started ";
            long start = System.nanoTime();
            assertRunning(first, errors);
            refusedNaming(CliUsageTest.kobai("train", "--epochs", "1", "--checkpoint", ckpt.toString()),
                    "--checkpoint", ckpt, holder);
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "refused at once");
            // Resuming the running checkpoint, or writing weights over it, is refused too. Were the
            // first run gone, the resumed one would go on for its 2000 epochs: check it is there.
            assertRunning(first, errors);
            refusedNaming(CliUsageTest.kobai("train", "--resume", ckpt.toString()), "--resume", ckpt, holder);
            assertRunning(first, errors);
            refusedNaming(CliUsageTest.kobai("train", "--epochs", "1", "--export-weights", ckpt.toString()),
                    "--export-weights", ckpt, holder);
        } finally {
            first.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        assertTrue(Files.exists(lock), "the kill left the lock file");
        CliUsageTest.Result next = CliUsageTest.kobai("train", "--model", "mlp:64-12-10", "--epochs", "1",
                "--checkpoint", ckpt.toString());
        assertEquals(0, next.code(), next.err());
        assertFalse(Files.exists(lock), "the run that took it over removed it at its end");
    }

    @Test
    void aSecondRunInTheSameJvmIsRefusedToo() throws Exception {
        Path ckpt = dir.resolve("run.safetensors");
        Files.createDirectory(dir.resolve("sub"));
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        TrainingListener paused = new TrainingListener() {
            @Override
            public void onEpochStart(int epoch, int totalBatches) {
                running.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        CompletableFuture<List<EpochMetrics>> first = CompletableFuture.supplyAsync(() -> Training.run(
                new TrainSettings("digits", "mlp:64-8-10", "sgd:lr=0.1", 1, 64, 1), paused,
                new Training.Checkpointing(ckpt, "epoch", null)));
        try {
            assertTrue(running.await(60, TimeUnit.SECONDS));
            Path spelled = dir.resolve("sub/../run.safetensors");
            refusedNaming(CliUsageTest.kobai("train", "--epochs", "1", "--checkpoint", spelled.toString()),
                    "--checkpoint", spelled, "in this process (pid " + ProcessHandle.current().pid());
        } finally {
            release.countDown();
        }
        assertEquals(1, first.get(60, TimeUnit.SECONDS).size());
        assertFalse(Files.exists(dir.resolve(".run.safetensors.lock")));
    }
}
