package dev.kobai.io;

import dev.kobai.KobaiException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's exclusive claim on the files it writes, for its whole lifetime, so that two runs never
 * write one checkpoint (or one's weights over the other's checkpoint): an OS lock
 * ({@link FileChannel#tryLock}) on a lock file beside each file, {@code .NAME.lock} in the
 * directory of the file symbolic links lead to. The holder writes its PID and start time into the
 * lock file, and a second run is refused at once with a message that names them.
 *
 * <p>Only the OS lock excludes, never the file: the OS drops the lock when its process dies, however
 * it dies, so a lock file left behind by a kill blocks nobody, and the next run takes it over. A run
 * that ends deletes its lock file while it still holds the lock; a run that locked a file which was
 * deleted meanwhile (its identity at the path changed) lets go and locks the new one.
 *
 * <p>Within one JVM, where the OS lock cannot tell two runs apart ({@code tryLock} throws
 * {@link OverlappingFileLockException}), a table of held locks does: the thread that holds a lock
 * may take it again (a command and the library call it makes), any other thread is refused. The
 * table knows a lock file by its identity (device and inode), not by how its path is spelled, and a
 * lock file this JVM holds is never opened a second time: the OS lock is the process's, and closing
 * any descriptor of the file would drop it, leaving the run unguarded while it goes on writing.
 *
 * <pre>{@code
 * try (RunLock lock = RunLock.acquire(Map.of("--checkpoint", file))) {
 *     ... train, saving checkpoints to file ...
 * }
 * }</pre>
 */
public final class RunLock implements AutoCloseable {
    /** The lock files this JVM holds, by identity ({@link OutputPath#fileKey}). Guarded by itself. */
    private static final Map<Object, Held> HELD = new HashMap<>();

    /**
     * Channels opened on a lock file that this JVM had locked outside RunLock: closing one would
     * drop that lock, so they stay open for the JVM's life. Guarded by {@link #HELD}.
     */
    private static final List<FileChannel> KEPT_OPEN = new ArrayList<>();

    /** Visible for tests: runs when a lock file is seen at its path, before it is examined and opened; null, nothing. */
    static volatile AtomicFile.IoConsumer<Path> beforeOpen;

    /** One lock file held by this JVM: where, which file, the thread that took it, how many times, and its channel. */
    private static final class Held {
        final Path file;
        final Object key;
        final Thread owner;
        final FileChannel channel;
        final String holder;
        int count = 1;

        Held(Path file, Object key, Thread owner, FileChannel channel, String holder) {
            this.file = file;
            this.key = key;
            this.owner = owner;
            this.channel = channel;
            this.holder = holder;
        }
    }

    private final List<Held> held;
    private boolean closed;

    private RunLock(List<Held> held) {
        this.held = held;
    }

    /** The lock file of {@code target}, as {@link OutputPath#target} resolves it: {@code .NAME.lock} beside it. */
    public static Path lockFile(Path target) throws IOException {
        Path real = OutputPath.target(target);
        return real.resolveSibling("." + real.getFileName() + ".lock");
    }

    /**
     * Locks each file of {@code targets} (by the flag or name that gave it, for messages), all or
     * none.
     *
     * @throws KobaiException naming the file and the run that holds it (its PID and start time),
     *                        or when a lock file cannot be created
     */
    public static RunLock acquire(Map<String, Path> targets) {
        List<Held> taken = new ArrayList<>();
        RunLock lock = new RunLock(taken);
        try {
            for (Map.Entry<String, Path> e : new LinkedHashMap<>(targets).entrySet()) {
                if (e.getValue() != null) {
                    Held h = take(e.getKey(), e.getValue());
                    if (!taken.contains(h)) {
                        taken.add(h);
                    } else {
                        release(h); // the same file under two names: held once
                    }
                }
            }
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
        return lock;
    }

    private static Held take(String what, Path target) {
        Path file;
        try {
            file = lockFile(target);
        } catch (IOException e) {
            throw new KobaiException(what + ": cannot lock " + target + ": " + e.getMessage(), e);
        }
        synchronized (HELD) {
            try {
                return lock(what, target, file);
            } catch (IOException e) {
                throw new KobaiException(what + ": cannot lock " + target + " with " + file + ": "
                        + e.getMessage(), e);
            }
        }
    }

    /**
     * Takes the lock of {@code file} for this thread, again if it holds it already; the caller holds
     * {@link #HELD}. The file is the one at the path before it was opened and still after it was
     * locked, or the attempt is repeated: a holder deletes the file under its lock, so the lock of a
     * file since deleted excludes nobody, and a run that ends may delete it at any moment.
     */
    private static Held lock(String what, Path target, Path file) throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            Object before = OutputPath.fileKey(file);
            if (before == null) {
                // Create it, then start again: only a file seen before it was opened can be checked.
                // CREATE_NEW: a file that appeared meanwhile is another's, never to be opened here.
                try {
                    FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                } catch (FileAlreadyExistsException e) {
                    // someone else's: look at it on the next round
                }
                continue;
            }
            Held held = HELD.get(before);
            if (held != null) {
                // Held here, under this spelling or another: never open it again (see the class comment).
                if (held.owner == Thread.currentThread()) {
                    held.count++;
                    return held;
                }
                throw new KobaiException(what + ": " + target + " is in use by another run in this process ("
                        + held.holder + ", thread " + held.owner.getName() + "); wait for it to end, or name another"
                        + " file");
            }
            AtomicFile.IoConsumer<Path> hook = beforeOpen;
            if (hook != null) {
                hook.accept(file);
            }
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                // Opening a FIFO would do, but nothing could be written in it for the next run to read.
                String kind = Files.isSymbolicLink(file) ? "a symbolic link" : OutputPath.special(file);
                if (kind == null) {
                    continue; // deleted since: its holder has just ended
                }
                throw new IOException(file + " is " + kind + ", not a regular file; remove it");
            }
            FileChannel channel;
            try {
                channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                continue; // deleted since: its holder has just ended
            }
            try {
                FileLock os;
                try {
                    os = channel.tryLock();
                } catch (OverlappingFileLockException e) {
                    // Locked in this JVM outside RunLock: as good as held by another run. Closing this
                    // channel would drop that lock, so it stays open.
                    KEPT_OPEN.add(channel);
                    channel = null;
                    throw new KobaiException(what + ": " + target + " is in use by another run in this process"
                            + " (its lock " + file + " is locked outside Kobai's runs); wait for it to end, or name"
                            + " another file");
                }
                if (os == null) {
                    String holder = read(channel);
                    throw new KobaiException(what + ": " + target + " is in use by another run ("
                            + (holder.isEmpty() ? "it is just starting" : holder) + "; lock " + file
                            + "); wait for it to end, or name another file");
                }
                if (!before.equals(OutputPath.fileKey(file))) {
                    channel.close(); // locked a file its holder has just deleted: try the new one
                    continue;
                }
                String holder = describeThisProcess();
                channel.truncate(0);
                channel.write(ByteBuffer.wrap((holder + "\n").getBytes(StandardCharsets.UTF_8)), 0);
                channel.force(false);
                Held taken = new Held(file, before, Thread.currentThread(), channel, holder);
                HELD.put(before, taken);
                return taken;
            } catch (IOException | RuntimeException e) {
                closeQuietly(channel);
                throw e;
            }
        }
        throw new IOException("the lock file kept changing");
    }

    /** Releases every lock this claim took, deleting the lock files. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Held h : held) {
            release(h);
        }
    }

    private static void release(Held h) {
        synchronized (HELD) {
            if (--h.count > 0) {
                return;
            }
            HELD.remove(h.key);
            try {
                Files.deleteIfExists(h.file); // under the lock, so no one else holds this file
            } catch (IOException e) {
                // Left behind, it blocks nobody: only a held lock does.
            }
            closeQuietly(h.channel);
        }
    }

    /** "pid N, started T": this JVM's PID and start time, to the second. */
    private static String describeThisProcess() {
        ProcessHandle self = ProcessHandle.current();
        Instant start = self.info().startInstant().orElse(Instant.now()).truncatedTo(ChronoUnit.SECONDS);
        return "pid " + self.pid() + ", started " + start;
    }

    private static String read(FileChannel channel) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(256);
        channel.read(buf, 0);
        String text = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
        return text.replaceAll("\\s+", " ").strip(); // one line, whatever the file holds
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing more to release
            }
        }
    }
}
