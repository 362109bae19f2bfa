package dev.kobai.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kobai.DataFormatException;
import dev.kobai.KobaiException;
import dev.kobai.UsageException;
import dev.kobai.data.CsvReader;
import dev.kobai.data.IdxReader;
import dev.kobai.train.Checkpoint;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every reader of files (safetensors checkpoints and weights, IDX, CSV) reads regular files only,
 * and no further than their size: a FIFO used to block the reader for ever in open(), /dev/zero
 * to be read until the heap ran out.
 */
class InputFileTest {
    @TempDir
    Path dir;

    /** Each reader, by name, as something that reads a path. */
    private static final List<Reader> READERS = List.of(
            new Reader("SafeTensors.read", SafeTensors::read),
            new Reader("Checkpoint.read", Checkpoint::read),
            new Reader("IdxReader.read", IdxReader::read),
            new Reader("CsvReader.read", CsvReader::read));

    private record Reader(String name, Consumer<Path> read) {}

    static void mkfifo(Path p) throws Exception {
        Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        assertTrue(mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0, "mkfifo " + p);
    }

    /**
     * What {@code read} throws within ten seconds; if it blocks, the FIFO is opened for writing to
     * set the reader free, and the test fails.
     */
    private static Throwable thrownWithin10s(Reader r, Path p, Path fifoToRelease) throws Exception {
        CompletableFuture<Throwable> f = CompletableFuture.supplyAsync(() -> {
            try {
                r.read().accept(p);
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            if (fifoToRelease != null) {
                try (OutputStream _ = Files.newOutputStream(fifoToRelease)) {
                    // opening the write end lets the blocked open() return, and closing it gives EOF
                }
            }
            f.get(10, TimeUnit.SECONDS);
            fail(r.name() + "(" + p + ") blocked for 10 s");
            return null;
        }
    }

    @Test
    void aFifoIsRefusedAtOnceByEveryReader() throws Exception {
        Path fifo = dir.resolve("pipe");
        mkfifo(fifo);
        for (Reader r : READERS) {
            Throwable t = thrownWithin10s(r, fifo, fifo);
            assertTrue(t instanceof UsageException, r.name() + ": " + t);
            assertEquals(fifo + " is a FIFO, not a regular file; Kobai reads data, checkpoints and weights only from"
                    + " regular files", t.getMessage(), r.name());
        }
    }

    @Test
    void devZeroIsRefusedBeforeAByteIsRead() throws Exception {
        Path zero = Path.of("/dev/zero");
        assumeTrue(Files.exists(zero));
        for (Reader r : READERS) {
            Throwable t = thrownWithin10s(r, zero, null);
            assertTrue(t instanceof UsageException, r.name() + ": " + t);
            assertTrue(t.getMessage().startsWith("/dev/zero is a character device, not a regular file"),
                    r.name() + ": " + t.getMessage());
        }
    }

    @Test
    void aDirectoryIsRefusedByEveryReader() throws Exception {
        for (Reader r : READERS) {
            Throwable t = thrownWithin10s(r, dir, null);
            assertTrue(t instanceof UsageException, r.name() + ": " + t);
            assertTrue(t.getMessage().startsWith(dir + " is a directory, not a regular file"), t.getMessage());
        }
    }

    /** /proc files are regular with a size of 0, yet hold text: what is read stops at the size. */
    @Test
    void aFileLongerThanItsSizeFailsInsteadOfBeingReadOn() throws Exception {
        Path status = Path.of("/proc/self/status");
        assumeTrue(Files.isRegularFile(status) && Files.size(status) == 0);
        try (InputStream in = InputFile.open(status)) {
            IOException e = assertThrows(IOException.class, in::readAllBytes);
            assertTrue(e.getMessage().contains("grew while it was read"), e.getMessage());
        }
        for (Reader r : READERS) {
            Throwable t = thrownWithin10s(r, status, null);
            assertTrue(t instanceof DataFormatException, r.name() + ": " + t);
            assertTrue(t.getMessage().contains("grew while it was read"), r.name() + ": " + t.getMessage());
        }
    }

    @Test
    void aRegularFileIsReadWhole() throws Exception {
        Path f = Files.write(dir.resolve("f"), new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, InputFile.readAllBytes(f, 10));
        try (InputStream in = InputFile.open(f)) {
            assertArrayEquals(new byte[] {1, 2, 3}, in.readAllBytes());
        }
        IOException big = assertThrows(IOException.class, () -> InputFile.readAllBytes(f, 2));
        assertEquals("3 bytes is larger than the 2 bytes Kobai reads", big.getMessage());
    }

    @Test
    void requireNamesTheFlag() throws Exception {
        Path fifo = dir.resolve("pipe");
        mkfifo(fifo);
        KobaiException e = assertThrows(UsageException.class, () -> InputFile.require("--init", fifo));
        assertTrue(e.getMessage().startsWith("--init: " + fifo + " is a FIFO, not a regular file"), e.getMessage());
        e = assertThrows(UsageException.class, () -> InputFile.require("--init", dir.resolve("none")));
        assertEquals("--init: " + dir.resolve("none") + ": no such file", e.getMessage());
        InputFile.require("--init", Files.write(dir.resolve("ok"), new byte[0]));
    }
}
