package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every file a command reads (--init, --resume, --data csv:FILE, the IDX files of --data idx:DIR)
 * must be a regular file: a FIFO or a device is refused at once (exit 2, one line naming the flag
 * or the file), before anything is loaded. A FIFO used to hang the run, /dev/zero to fill the heap.
 */
class InputPathsCliTest {
    @TempDir
    Path dir;

    /** Runs kobai; a run still going after 20 s is set free by opening {@code fifo} for writing, then fails. */
    private static CliUsageTest.Result kobaiWithin20s(Path fifo, String... args) throws Exception {
        CompletableFuture<CliUsageTest.Result> f = CompletableFuture.supplyAsync(() -> CliUsageTest.kobai(args));
        try {
            return f.get(20, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            if (fifo != null) {
                try (OutputStream _ = Files.newOutputStream(fifo)) {
                    // lets the blocked open() return
                }
            }
            f.get(60, TimeUnit.SECONDS);
            fail("kobai " + String.join(" ", args) + " blocked for 20 s");
            return null;
        }
    }

    private static void refused(CliUsageTest.Result r, String starts, String says) {
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith(starts) && r.err().contains(says), r.err());
    }

    @Test
    void trainRefusesAFifoForEveryFileItReads() throws Exception {
        Path fifo = dir.resolve("pipe");
        OutputPathsCliTest.mkfifo(fifo);
        refused(kobaiWithin20s(fifo, "train", "--epochs", "1", "--init", fifo.toString()),
                "kobai train: --init: " + fifo + " is a FIFO, not a regular file", "reads");
        refused(kobaiWithin20s(fifo, "train", "--resume", fifo.toString(), "--checkpoint",
                dir.resolve("c.safetensors").toString()), "kobai train: --resume: " + fifo + " is a FIFO", "regular");
        refused(kobaiWithin20s(fifo, "train", "--resume", fifo.toString()),
                "kobai train: --resume: " + fifo + " is a FIFO", "regular");
        refused(kobaiWithin20s(fifo, "train", "--epochs", "1", "--data", "csv:" + fifo),
                "kobai train: CSV file: " + fifo + " is a FIFO, not a regular file", "regular");
        Path idx = Files.createDirectory(dir.resolve("idx"));
        for (String name : new String[] {"train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
            Files.write(idx.resolve(name), new byte[0]);
        }
        Path images = idx.resolve("train-images-idx3-ubyte");
        OutputPathsCliTest.mkfifo(images);
        refused(kobaiWithin20s(images, "train", "--epochs", "1", "--data", "idx:" + idx),
                "kobai train: dataset directory " + idx + ": " + images + " is a FIFO", "regular");
        refused(kobaiWithin20s(fifo, "compare", "--epochs", "1", "--data", "csv:" + fifo, "--optimizer", "sgd:lr=0.1",
                "--out", dir.resolve("cmp").toString()), "kobai compare: CSV file: " + fifo + " is a FIFO", "regular");
    }

    @Test
    void trainRefusesDevZeroAsWeightsOrACheckpoint() throws Exception {
        Path zero = Path.of("/dev/zero");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(zero));
        refused(kobaiWithin20s(null, "train", "--epochs", "1", "--init", "/dev/zero"),
                "kobai train: --init: /dev/zero is a character device, not a regular file", "reads");
        refused(kobaiWithin20s(null, "train", "--resume", "/dev/zero", "--checkpoint",
                dir.resolve("c.safetensors").toString()), "kobai train: --resume: /dev/zero is a character device",
                "regular");
        refused(kobaiWithin20s(null, "train", "--epochs", "1", "--data", "csv:/dev/zero"),
                "kobai train: CSV file: /dev/zero is a character device", "regular");
    }

    /** An IDX data set whose test part is empty used to train and report "test_acc 0.0000" as if measured. */
    @Test
    void anEmptyTestSplitIsAUsageErrorBeforeTraining() throws Exception {
        Path idx = Files.createDirectory(dir.resolve("idx"));
        idxFile(idx.resolve("train-images-idx3-ubyte"), 4, 2, 2);
        idxFile(idx.resolve("train-labels-idx1-ubyte"), 4);
        idxFile(idx.resolve("t10k-images-idx3-ubyte"), 0, 2, 2);
        idxFile(idx.resolve("t10k-labels-idx1-ubyte"), 0);
        CliUsageTest.Result r = CliUsageTest.kobai("train", "--data", "idx:" + idx, "--model", "mlp:4-3", "--epochs", "1");
        refused(r, "kobai train: " + idx.resolve("t10k-images-idx3-ubyte") + " holds 0 images", "test set");
        assertEquals("", r.out());
    }

    /** An IDX file of unsigned bytes, all zero, with the given dimensions. */
    static void idxFile(Path file, int... dims) throws Exception {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + 4 * dims.length + n);
        b.put((byte) 0).put((byte) 0).put((byte) 8).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        Files.write(file, b.array());
    }
}
