package dev.kobai.io;

import dev.kobai.UsageException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The checks Kobai makes on every path it is asked to write, before any work starts, and the file
 * a write to such a path lands on.
 *
 * <ul>
 *   <li>A <b>file</b> output (a checkpoint, weights, a picture, a report) must be a regular file or
 *       not exist yet, in an existing directory where a file can be created: one is created and
 *       deleted to find out, since access(2) says yes to root even in /proc. Kobai replaces files atomically
 *       ({@link AtomicFile}), so a directory, device, FIFO or socket is refused: it must never be
 *       replaced by a regular file.</li>
 *   <li>A <b>symbolic link</b> is followed to its target, which is what gets replaced, in its own
 *       directory (as {@code cp} and editors do): the link stays a link.</li>
 *   <li>A <b>stream</b> output (metrics as JSON Lines) may also be a FIFO or a character device,
 *       such as {@code /dev/stdout}, which it writes into as {@code tee} does, never replacing it.</li>
 *   <li>A <b>directory</b> output must be a directory or not exist yet (it is then created).</li>
 *   <li>Two outputs of one command that land on one file, or an output that lands on a file the
 *       command reads, are refused ({@link #requireDistinct}).</li>
 * </ul>
 * Faults are {@link UsageException}s whose one-line message starts with the flag that named the path.
 */
public final class OutputPath {
    /** How many symbolic links a path may pass through, as Linux's MAXSYMLINKS. */
    private static final int MAX_LINKS = 40;

    private OutputPath() {}

    /** One path a command writes ({@code output}) or reads, named by its flag for messages. */
    public record Use(String what, Path target, boolean output) {
        /** An output, its target as {@link #file} or {@link #directory} returned it. */
        public static Use output(String what, Path target) {
            return new Use(what, target, true);
        }

        /** An input, a path the command reads, resolved as {@link #target} does where it can be. */
        public static Use input(String what, Path path) {
            try {
                return new Use(what, OutputPath.target(path), false);
            } catch (IOException e) {
                return new Use(what, path.toAbsolutePath().normalize(), false);
            }
        }
    }

    /**
     * The regular file a write to {@code path} replaces, symbolic links followed; refuses a path that
     * exists and is not a regular file, one behind a descriptor of this process (/proc/self/fd/N), and
     * one whose directory does not exist or cannot be written.
     *
     * @param what the flag or name that gave the path, starting each message
     */
    public static Path file(String what, Path path) {
        Path target = resolve(what, path);
        if (isDescriptor(target)) {
            throw new UsageException(what + ": " + path + " is an open descriptor (" + target + "), not a file;"
                    + " Kobai writes a file by replacing it");
        }
        String kind = special(target);
        if (kind != null) {
            throw new UsageException(what + ": " + shown(path, target) + " is " + kind + ", not a regular file;"
                    + " Kobai writes a file by replacing it, and never replaces " + kind);
        }
        Path dir = target.getParent();
        if (!Files.isWritable(dir)) {
            throw new UsageException(what + ": cannot write " + shown(path, target) + ": directory " + dir
                    + " is not writable");
        }
        probe(what, shown(path, target), dir, target.getFileName().toString());
        return target;
    }

    /**
     * Creates and at once deletes a file named as the write's temporary file ({@code .NAME.DIGITS.tmp})
     * in {@code dir}: what a write does first, and the only test that holds where access(2) says yes
     * and creating a file fails (for root in /proc or /sys, on a full or read-only file system). The
     * file lives for one system call; a run killed in between leaves it for the next write of NAME
     * to remove ({@link AtomicFile#removeOrphans}).
     */
    private static void probe(String what, String shown, Path dir, String name) {
        for (int attempt = 0; ; attempt++) {
            Path p = dir.resolve("." + name + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong())
                    + ".tmp");
            try {
                Files.createFile(p);
            } catch (FileAlreadyExistsException e) {
                if (attempt < 100) {
                    continue;
                }
                throw new UsageException(what + ": cannot write " + shown + ": cannot create a file in " + dir);
            } catch (IOException e) {
                throw new UsageException(what + ": cannot write " + shown + ": cannot create a file in " + dir + " ("
                        + reason(e) + ")");
            }
            try {
                Files.delete(p);
            } catch (NoSuchFileException e) {
                // Another run writing the same file swept it as an orphan of a killed write
                // (AtomicFile.removeOrphans: same name pattern, no lock held): gone is what we wanted.
            } catch (IOException e) {
                throw new UsageException(what + ": cannot write " + shown + ": cannot delete a file in " + dir + " ("
                        + reason(e) + ")");
            }
            return;
        }
    }

    /** Why a file operation failed, without the path the JDK puts first. */
    private static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return switch (e) {
            case NoSuchFileException _ -> "no such file or directory";
            case java.nio.file.AccessDeniedException _ -> "permission denied";
            default -> String.valueOf(e.getMessage());
        };
    }

    /**
     * Whether a stream output at {@code path} is written in place: true for an existing FIFO or
     * character device (or a descriptor such as /dev/stdout), false for a file, which is then
     * replaced as {@link #file} describes; anything else is refused as there.
     */
    public static boolean inPlace(String what, Path path) {
        Path target = resolve(what, path);
        if (isDescriptor(target)) {
            return true;
        }
        String kind = special(target);
        if (kind != null && (kind.equals(FIFO) || kind.equals(CHARACTER_DEVICE))) {
            return true;
        }
        file(what, path);
        return false;
    }

    /**
     * The directory a command writes into, created later if missing; refuses a path that exists (or
     * whose nearest existing ancestor exists) as something other than a directory, or that cannot be
     * written. Returns the real path when it exists, else the absolute path it will have.
     */
    public static Path directory(String what, Path path) {
        Path abs = path.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            if (Files.isSymbolicLink(existing)) {
                throw new UsageException(what + ": " + existing + " is a symbolic link to "
                        + readLink(existing) + ", which does not exist");
            }
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new UsageException(what + ": cannot create " + path);
        }
        if (!Files.isDirectory(existing)) {
            throw new UsageException(what + ": " + (existing.equals(abs) ? path : existing) + " is "
                    + describe(existing) + ", not a directory");
        }
        if (!Files.isWritable(existing)) {
            throw new UsageException(what + ": cannot write into " + existing + ": not writable");
        }
        // a directory to make is probed in the one it will be made in, with its own name
        Path below = existing.equals(abs) ? null : abs.getName(existing.getNameCount());
        probe(what, existing.equals(abs) ? "into " + path : path.toString(), existing,
                below == null ? "kobai" : below.toString());
        try {
            Path real = existing.toRealPath();
            return existing.equals(abs) ? real : real.resolve(existing.relativize(abs));
        } catch (IOException e) {
            throw new UsageException(what + ": cannot use " + path + ": " + e.getMessage());
        }
    }

    /**
     * The file {@code name} in a directory {@link #directory} returned: checked as {@link #file}
     * when the directory exists, else its path (a directory yet to be made holds nothing to refuse).
     */
    public static Path fileIn(String what, Path dir, String name) {
        Path p = dir.resolve(name);
        return Files.isDirectory(dir) ? file(what, p) : p;
    }

    /**
     * Refuses two outputs that land on one file, or an output that lands on an input, naming both:
     * compared as resolved paths, so {@code ./f}, {@code f} and a link to {@code f} are one file, and
     * as files when both exist, so a hard link is too.
     */
    public static void requireDistinct(List<Use> uses) {
        for (int i = 0; i < uses.size(); i++) {
            for (int j = i + 1; j < uses.size(); j++) {
                Use a = uses.get(i);
                Use b = uses.get(j);
                if ((a.output() || b.output()) && sameFile(a.target(), b.target())) {
                    if (a.output() && b.output()) {
                        throw new UsageException(a.what() + " and " + b.what() + " name the same file, "
                                + a.target() + "; give each its own");
                    }
                    Use out = a.output() ? a : b;
                    Use in = a.output() ? b : a;
                    throw new UsageException(out.what() + " names " + in.target() + ", which the command reads ("
                            + in.what() + "); write it elsewhere");
                }
            }
        }
    }

    /**
     * The file a write to {@code path} lands on: each symbolic link followed to its target, the
     * directories as real paths. A link inside /proc (a descriptor, as /dev/stdout leads to) is
     * not followed further.
     *
     * @throws NoSuchFileException when a directory on the way does not exist
     */
    public static Path target(Path path) throws IOException {
        Path p = path.toAbsolutePath();
        for (int hops = 0; ; hops++) {
            Path name = p.getFileName();
            Path parent = p.getParent();
            if (name == null || parent == null) {
                return p;
            }
            Path dir = parent.toRealPath();
            p = dir.resolve(name);
            if (isDescriptor(p) || !Files.isSymbolicLink(p)) {
                return p;
            }
            if (hops == MAX_LINKS) {
                throw new FileSystemException(path.toString(), null, "too many levels of symbolic links");
            }
            p = dir.resolve(Files.readSymbolicLink(p));
        }
    }

    /**
     * The identity of the file at {@code p} itself, a link not followed (its device and inode where
     * the platform has them), or null when nothing is there: equal for two paths of one file, and
     * different once the file at a path has been deleted and another made in its place.
     */
    static Object fileKey(Path p) throws IOException {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.fileKey() != null ? a.fileKey() : a.creationTime();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * What {@code target} (links already followed) is when it is neither a regular file nor absent:
     * "a directory", "a FIFO", "a character device", ...; null for a regular file or nothing.
     */
    public static String special(Path target) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(target, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return "unreadable (" + e.getMessage() + ")";
        }
        if (a.isRegularFile()) {
            return null;
        }
        return describe(target);
    }

    static final String FIFO = "a FIFO";
    static final String CHARACTER_DEVICE = "a character device";

    /** What a path that exists is, links followed. */
    private static String describe(Path p) {
        if (Files.isDirectory(p)) {
            return "a directory";
        }
        if (Files.isRegularFile(p)) {
            return "a regular file";
        }
        try {
            int mode = (Integer) Files.getAttribute(p, "unix:mode");
            switch (mode & 0170000) {
                case 0010000: return FIFO;
                case 0020000: return CHARACTER_DEVICE;
                case 0060000: return "a block device";
                case 0140000: return "a socket";
                default: break;
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            // Not a Unix file system: all we know is that it is no regular file.
        }
        return "a special file";
    }

    private static boolean isDescriptor(Path p) {
        return p.startsWith("/proc") && p.getParent() != null && p.getParent().getFileName() != null
                && p.getParent().getFileName().toString().equals("fd");
    }

    private static Path resolve(String what, Path path) {
        try {
            return target(path);
        } catch (NoSuchFileException | NotDirectoryException e) {
            throw new UsageException(what + ": cannot write " + path + ": no such directory " + e.getFile());
        } catch (IOException e) {
            throw new UsageException(what + ": cannot write " + path + ": " + e.getMessage());
        }
    }

    private static String shown(Path path, Path target) {
        Path abs = path.toAbsolutePath().normalize();
        return abs.equals(target) || path.equals(target) ? path.toString() : path + " (" + target + ")";
    }

    private static String readLink(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            return "?";
        }
    }

    /** Whether two paths name one file: equal once normalised, or the same file when both exist. */
    public static boolean sameFile(Path a, Path b) {
        if (a.normalize().equals(b.normalize())) {
            return true;
        }
        try {
            return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }
}
