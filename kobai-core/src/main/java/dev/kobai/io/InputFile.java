package dev.kobai.io;

import dev.kobai.UsageException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The checks Kobai makes on every file it reads (checkpoints, weights, IDX and CSV data): it must
 * be a regular file, symbolic links followed, and no more is read from it than the size it had
 * when it was opened.
 *
 * <ul>
 *   <li>A FIFO, a device such as {@code /dev/zero}, a socket or a directory is refused before it
 *       is opened, as a {@link UsageException} naming what it is: opening a FIFO for reading waits
 *       for a writer, possibly for ever, and {@code /dev/zero} never ends.</li>
 *   <li>What is read is bounded by the size: a file that turns out longer than it was (one being
 *       written, or a file of {@code /proc}, whose size reads as 0) fails with an IOException
 *       instead of being read without end.</li>
 * </ul>
 * A file replaced by a FIFO between the check and the open is not caught: Java cannot open a file
 * without blocking and then ask what it opened.
 */
public final class InputFile {
    private InputFile() {}

    /**
     * The size of {@code file}, after checking that it is a regular file.
     *
     * @throws NoSuchFileException when nothing is there (each reader words that its own way)
     * @throws UsageException      "{@code FILE is a FIFO, not a regular file; ...}"
     */
    public static long size(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        if (!a.isRegularFile()) {
            throw notRegular(file.toString(), file);
        }
        return a.size();
    }

    /**
     * Refuses, as a usage error naming {@code what} (a flag), a path that does not exist or is not
     * a regular file: for commands that check their inputs before any work starts.
     */
    public static void require(String what, Path file) {
        try {
            size(file);
        } catch (NoSuchFileException e) {
            throw new UsageException(what + ": " + file + ": no such file");
        } catch (UsageException e) {
            throw notRegular(what + ": " + file, file);
        } catch (IOException e) {
            throw new UsageException(what + ": cannot read " + file + ": " + e.getMessage());
        }
    }

    /**
     * Opens a regular file for reading; the stream ends at the size the file had when it was
     * checked, and throws an IOException if the file holds more by then.
     */
    public static InputStream open(Path file) throws IOException {
        long size = size(file);
        return new Bounded(Files.newInputStream(file), size, file);
    }

    /** All of a regular file's bytes, refusing one larger than {@code limit} before reading it. */
    public static byte[] readAllBytes(Path file, long limit) throws IOException {
        long size = size(file);
        if (size > limit) {
            throw new IOException(size + " bytes is larger than the " + limit + " bytes Kobai reads");
        }
        try (InputStream in = new Bounded(Files.newInputStream(file), size, file)) {
            byte[] bytes = in.readNBytes((int) size);
            if (bytes.length < size) {
                throw new IOException("the file shrank while it was read (" + bytes.length + " of " + size + " bytes)");
            }
            in.read(); // -1, or the IOException of a file that grew
            return bytes;
        }
    }

    private static UsageException notRegular(String shown, Path file) {
        String kind = OutputPath.special(file);
        return new UsageException(shown + " is " + (kind == null ? "not a regular file" : kind + ", not a regular file")
                + "; Kobai reads data, checkpoints and weights only from regular files");
    }

    /** Reads at most {@code size} bytes, and fails if more follow. */
    private static final class Bounded extends FilterInputStream {
        private final Path file;
        private final long size;
        private long left;

        Bounded(InputStream in, long size, Path file) {
            super(in);
            this.file = file;
            this.size = size;
            this.left = size;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (left == 0) {
                if (in.read() >= 0) {
                    throw new IOException(file + " grew while it was read: it holds more than the " + size
                            + " bytes it had when opened");
                }
                return -1;
            }
            int r = in.read(b, off, (int) Math.min(len, left));
            if (r > 0) {
                left -= r;
            }
            return r;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = in.skip(Math.min(n, left));
            left -= s;
            return s;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(in.available(), left);
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }
}
