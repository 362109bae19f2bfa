package dev.kobai.io;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Replaces a file so that a crash at any moment leaves either the old contents or the new ones
 * whole, never a mixture: the bytes go to a temporary file {@code .NAME.DIGITS.tmp} in the same
 * directory, which is flushed to the disk ({@link FileChannel#force}), then renamed over the target
 * in one atomic step, and the directory itself is synced so that the rename survives a power cut too.
 *
 * <p>The target is what {@link OutputPath#target} resolves: a symbolic link is followed, and its
 * target replaced in the target's own directory, so the link stays a link. A target that exists and
 * is not a regular file (a directory, device, FIFO or socket) is refused: it is never replaced. A
 * replaced file keeps its permission bits; a new one gets the process's default (0666 less the umask).
 *
 * <p>A process killed mid-write leaves its temporary file behind. The next write of the same target
 * removes such orphans: exactly the names {@code .NAME.DIGITS.tmp}, and only those no live writer
 * holds (each writer holds an OS lock on its temporary file until it is renamed; the OS drops the
 * lock when a process dies). Nothing else is ever deleted. A writer whose new temporary file another
 * process's sweep removed before the writer could lock it notices (the file at the name is no longer
 * the one it created) and starts again under a new name.
 */
public final class AtomicFile {
    /**
     * The names of the temporary files this JVM is writing now, not to be opened by its orphan sweep
     * ({@link #removeOrphans}): closing any descriptor of a file drops every lock this process holds
     * on it. By name, so that no spelling of the directory hides one; a name enters before its file
     * is created, so that no sweep here can see the file before it is known to be live.
     */
    private static final Set<String> LIVE = ConcurrentHashMap.newKeySet();

    /** Visible for tests: runs between creating a temporary file and locking it; null, nothing. */
    static volatile IoConsumer<Path> afterCreate;

    /** Visible for tests: runs when a sweep has listed a name, before it looks at the file; null, nothing. */
    static volatile IoConsumer<Path> beforeSweepLooks;

    private AtomicFile() {}

    /** A write into an output stream that may fail with an IOException. */
    @FunctionalInterface
    public interface IoConsumer<T> {
        void accept(T value) throws IOException;
    }

    /** Writes {@code content} to {@code target} atomically. */
    public static void write(Path target, byte[] content) throws IOException {
        write(target, content, UnaryOperator.identity());
    }

    /**
     * As {@link #write(Path, byte[])}, with the temporary file's stream passed through {@code wrap}
     * first; tests use it to make a write fail halfway through.
     */
    public static void write(Path target, byte[] content, UnaryOperator<OutputStream> wrap) throws IOException {
        write(target, out -> {
            OutputStream o = wrap.apply(out);
            o.write(content);
            o.flush();
        });
    }

    /**
     * Writes {@code target} atomically with what {@code body} writes into the stream it is given
     * (closing that stream is allowed and does not end the write). If {@code body} throws, the
     * target is left as it was and the temporary file removed.
     */
    public static void write(Path target, IoConsumer<OutputStream> body) throws IOException {
        try (Replacement r = begin(target)) {
            body.accept(r.stream());
            r.commit();
        }
    }

    /**
     * Starts replacing {@code target}: resolves it, refuses one that is not a regular file, removes
     * orphaned temporary files of earlier writes ({@link #removeOrphans}), and opens a new temporary
     * file. Write into {@link Replacement#stream()}, then {@link Replacement#commit()}; closing without
     * committing leaves the target as it was. For writers that stream over a long time (metrics, a GIF).
     */
    public static Replacement begin(Path target) throws IOException {
        Path real = OutputPath.target(target);
        refuseSpecial(target, real);
        Path dir = real.getParent();
        removeOrphans(real);
        return new Replacement(real, dir);
    }

    /** A replacement in progress: see {@link #begin}. */
    public static final class Replacement implements Closeable {
        private final Path target;
        private final Path dir;
        private final Path tmp;
        private final FileChannel channel;
        private final OutputStream stream;
        private boolean done;

        private Replacement(Path target, Path dir) throws IOException {
            this.target = target;
            this.dir = dir;
            Path created = null;
            FileChannel ch = null;
            for (int attempt = 0; ch == null; attempt++) {
                if (attempt == 100) {
                    throw failure(target, "cannot create its temporary file in " + dir,
                            new IOException("every new name was taken, or its file removed at once"));
                }
                String name = tempPrefix(target) + Long.toUnsignedString(ThreadLocalRandom.current().nextLong())
                        + ".tmp";
                if (!LIVE.add(name)) {
                    continue;
                }
                created = dir.resolve(name);
                try {
                    ch = createLocked(target, created);
                } finally {
                    if (ch == null) {
                        LIVE.remove(name);
                    }
                }
            }
            this.tmp = created;
            this.channel = ch;
            OutputStream buffered = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
            // Every failure to write names the target, not the temporary file or nothing at all.
            this.stream = new FilterOutputStream(buffered) {
                @Override
                public void write(int b) throws IOException {
                    try {
                        buffered.write(b);
                    } catch (IOException e) {
                        throw failure(Replacement.this.target, "cannot write", e);
                    }
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    try {
                        buffered.write(b, off, len);
                    } catch (IOException e) {
                        throw failure(Replacement.this.target, "cannot write", e);
                    }
                }

                @Override
                public void flush() throws IOException {
                    try {
                        buffered.flush();
                    } catch (IOException e) {
                        throw failure(Replacement.this.target, "cannot write", e);
                    }
                }

                @Override
                public void close() throws IOException {
                    flush(); // the channel stays open until the replacement commits or closes
                }
            };
        }

        /**
         * Creates {@code tmp} and locks it, or returns null when its name is taken or another
         * process's sweep removed the file before the lock was taken. Between the creation and the
         * lock the file is unlocked, so a sweep may take it for an orphan and delete it (under its own
         * lock, which this lock then waits for); only a file still at its name once locked is ours
         * for good, since no sweep can lock it any more.
         */
        private static FileChannel createLocked(Path target, Path tmp) throws IOException {
            FileChannel ch;
            try {
                ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                return null;
            } catch (IOException e) {
                throw failure(target, "cannot create its temporary file in " + tmp.getParent(), e);
            }
            boolean kept = false;
            try {
                Object created = OutputPath.fileKey(tmp);
                IoConsumer<Path> hook = afterCreate;
                if (hook != null) {
                    hook.accept(tmp);
                }
                ch.lock(); // held until the rename; released when the channel closes or the process dies
                if (created == null || !created.equals(OutputPath.fileKey(tmp))) {
                    return null; // swept: the lock is on a deleted file, and the name may be another's now
                }
                kept = true;
                return ch;
            } catch (IOException | RuntimeException e) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            } finally {
                if (!kept) {
                    ch.close();
                }
            }
        }

        /** The file being replaced, symbolic links followed. */
        public Path target() {
            return target;
        }

        /** The temporary file's stream; closing it does not end the replacement. */
        public OutputStream stream() {
            return stream;
        }

        /** Forces the new contents to disk and renames them over the target, atomically. */
        public void commit() throws IOException {
            if (done) {
                throw new IllegalStateException("the replacement of " + target + " has ended");
            }
            stream.flush();
            try {
                channel.force(true);
            } catch (IOException e) {
                throw failure(target, "cannot write", e);
            }
            refuseSpecial(target, target);
            keepPermissions();
            // Renamed while the temporary file is still locked, so no sweep can take it first.
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw failure(target, "cannot rename its temporary file " + tmp.getFileName() + " over it", e);
            }
            done = true;
            release();
            syncDirectory(dir);
        }

        /** Ends the replacement; without a commit, removes the temporary file and leaves the target as it was. */
        @Override
        public void close() throws IOException {
            if (!done) {
                done = true;
                abandon();
            }
        }

        private void abandon() throws IOException {
            try {
                Files.deleteIfExists(tmp); // while still locked, so no sweep is deleting it at the same time
            } finally {
                release();
            }
        }

        private void release() throws IOException {
            try {
                channel.close(); // releases the lock too
            } finally {
                LIVE.remove(tmp.getFileName().toString());
            }
        }

        private void keepPermissions() throws IOException {
            PosixFileAttributeView old = Files.getFileAttributeView(target, PosixFileAttributeView.class);
            if (old == null || !Files.isRegularFile(target)) {
                return;
            }
            Files.setPosixFilePermissions(tmp, old.readAttributes().permissions());
        }
    }

    /**
     * Removes the temporary files that killed writes of {@code target} left in its directory: the
     * regular files named {@code .NAME.DIGITS.tmp} that no process is writing (no OS lock held on
     * them). Returns how many it removed. Never follows a link, never touches another name. A file
     * that is gone or changed by the time the sweep looks at it (a write renamed it, another run's
     * {@link OutputPath#file} check deleted its probe) is passed over: a sweep never fails a write.
     */
    public static int removeOrphans(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Pattern ours = Pattern.compile(Pattern.quote(tempPrefix(target)) + "[0-9]{1,20}\\.tmp");
        int removed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir,
                p -> ours.matcher(p.getFileName().toString()).matches())) {
            for (Path p : entries) {
                if (LIVE.contains(p.getFileName().toString())) {
                    continue; // this JVM is writing it; opening it here would drop that writer's lock
                }
                IoConsumer<Path> hook = beforeSweepLooks;
                if (hook != null) {
                    hook.accept(p);
                }
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class,
                            LinkOption.NOFOLLOW_LINKS);
                    if (!a.isRegularFile()) {
                        continue;
                    }
                    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                        FileLock probe = ch.tryLock();
                        if (probe != null) {
                            Files.deleteIfExists(p);
                            removed++;
                        }
                    }
                } catch (OverlappingFileLockException | FileSystemException e) {
                    // Held by a writer, or gone since it was listed, or unreadable: not ours to remove now.
                }
            }
        }
        return removed;
    }

    /**
     * "TARGET: WHAT: REASON", as a FileSystemException whose message names the file written (the
     * cause keeps the JDK's own exception); one that already names it passes unchanged.
     */
    static IOException failure(Path target, String what, IOException e) {
        if (e instanceof FileSystemException f && target.toString().equals(f.getFile())) {
            return e;
        }
        String reason = e instanceof FileSystemException f && f.getReason() != null ? f.getReason()
                : e instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        FileSystemException out = new FileSystemException(target.toString(), null, what + ": " + reason);
        out.initCause(e);
        return out;
    }

    /** The start of every temporary file name of {@code target}: {@code .NAME.}. */
    private static String tempPrefix(Path target) {
        return "." + target.getFileName() + ".";
    }

    private static void refuseSpecial(Path asked, Path real) throws IOException {
        String kind = OutputPath.special(real);
        if (kind != null) {
            throw new FileSystemException(asked.toString(), null, "is " + kind + ", not a regular file; it is"
                    + " never replaced");
        }
    }

    /** Makes a rename durable; some platforms cannot open a directory, which only costs durability. */
    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // The rename itself is atomic either way.
        }
    }
}
