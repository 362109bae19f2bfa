package dev.kobai.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Atomic replacement: what it follows, what it refuses, what it keeps and what it cleans up. */
class AtomicFileTest {
    @TempDir
    Path dir;

    static void mkfifo(Path p) throws Exception {
        Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        assertTrue(mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0, "mkfifo " + p);
    }

    private List<String> names() throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aSymbolicLinkIsFollowedAndItsTargetReplacedInItsOwnDirectory() throws Exception {
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Path real = Files.writeString(elsewhere.resolve("real.bin"), "old");
        Path link = Files.createSymbolicLink(dir.resolve("link.bin"), Path.of("elsewhere/real.bin"));
        AtomicFile.write(link, "new".getBytes(StandardCharsets.UTF_8));
        assertTrue(Files.isSymbolicLink(link), "the link stays a link");
        assertEquals(Path.of("elsewhere/real.bin"), Files.readSymbolicLink(link));
        assertEquals("new", Files.readString(real));
        try (var files = Files.list(elsewhere)) {
            assertEquals(List.of(real), files.toList(), "no temporary file left beside the target");
        }
    }

    @Test
    void aDanglingLinkIsFollowedAndItsTargetCreated() throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("link.bin"), Path.of("new.bin"));
        AtomicFile.write(link, new byte[] {7});
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(7, Files.readAllBytes(dir.resolve("new.bin"))[0]);
    }

    @Test
    void aFifoADirectoryAndALinkToThemAreNeverReplaced() throws Exception {
        Path fifo = dir.resolve("pipe");
        mkfifo(fifo);
        Path sub = Files.createDirectory(dir.resolve("sub"));
        Path linkToFifo = Files.createSymbolicLink(dir.resolve("to-pipe"), fifo);
        for (Path p : List.of(fifo, sub, linkToFifo)) {
            IOException e = assertThrows(IOException.class, () -> AtomicFile.write(p, new byte[] {1}), p.toString());
            assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        }
        assertEquals("a FIFO", OutputPath.special(fifo));
        assertTrue(Files.isDirectory(sub));
        assertTrue(Files.isSymbolicLink(linkToFifo));
        assertEquals(List.of("pipe", "sub", "to-pipe"), names(), "nothing written, nothing left");
    }

    @Test
    void aReplacedFileKeepsItsPermissions() throws Exception {
        Path f = Files.writeString(dir.resolve("f.txt"), "old");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
        AtomicFile.write(f, new byte[] {1});
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    }

    @Test
    void aNewFileGetsThePermissionsOfAnyNewlyCreatedFile() throws Exception {
        // What the umask gives a file created normally (0644 under the usual 022); a temporary file
        // from Files.createTempFile is 0600 whatever the umask, which new checkpoints and weights got.
        String usual = PosixFilePermissions.toString(Files.getPosixFilePermissions(
                Files.createFile(dir.resolve("plain"))));
        AtomicFile.write(dir.resolve("written"), new byte[] {1});
        try (AtomicFile.Replacement r = AtomicFile.begin(dir.resolve("streamed"))) {
            r.stream().write(2);
            r.commit();
        }
        assertEquals(usual, PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("written"))));
        assertEquals(usual, PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("streamed"))));
    }

    @Test
    void aStreamedReplacementThatIsNotCommittedLeavesTheOldFile() throws Exception {
        Path f = Files.writeString(dir.resolve("f.gif"), "old");
        try (AtomicFile.Replacement r = AtomicFile.begin(f)) {
            r.stream().write("half a new fi".getBytes(StandardCharsets.UTF_8));
            r.stream().flush();
            assertEquals("old", Files.readString(f), "the old file stays whole while the new one is written");
        }
        assertEquals("old", Files.readString(f));
        assertEquals(List.of("f.gif"), names());
        AtomicFile.write(f, out -> out.write("new".getBytes(StandardCharsets.UTF_8)));
        assertEquals("new", Files.readString(f));
    }

    @Test
    void orphanedTemporaryFilesOfTheTargetAreRemovedAndNothingElse() throws Exception {
        Path target = dir.resolve("run.safetensors");
        List<String> orphans = List.of(".run.safetensors.123.tmp", ".run.safetensors.18446744073709551615.tmp");
        List<String> others = List.of(".run.safetensors.tmp", ".run.safetensors.12a.tmp", ".run.safetensors.1.tmp.x",
                "run.safetensors.123.tmp", ".other.safetensors.123.tmp", ".run.safetensors.123.tmpx",
                ".run.safetensors.lock", "keep.txt");
        for (String n : orphans) {
            Files.writeString(dir.resolve(n), "left by a killed run");
        }
        for (String n : others) {
            Files.writeString(dir.resolve(n), "not ours");
        }
        // A name that matches but is a link, and one that matches but is being written (locked).
        Files.createSymbolicLink(dir.resolve(".run.safetensors.7.tmp"), dir.resolve("keep.txt"));
        Path busy = Files.writeString(dir.resolve(".run.safetensors.8.tmp"), "being written");
        Process holder = LockHolder.start(busy);
        try {
            AtomicFile.write(target, new byte[] {1});
        } finally {
            holder.destroyForcibly().waitFor();
        }
        List<String> left = names();
        for (String n : orphans) {
            assertFalse(left.contains(n), n + " should be removed: " + left);
        }
        for (String n : others) {
            assertTrue(left.contains(n), n + " is not an orphan of ours: " + left);
        }
        assertTrue(left.contains(".run.safetensors.7.tmp"), "a link is never removed");
        assertTrue(left.contains(".run.safetensors.8.tmp"), "a file another process holds is being written");
        assertTrue(left.contains("run.safetensors"));
        assertTrue(Files.exists(dir.resolve("keep.txt"), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void aWriteInProgressInThisProcessIsNoOrphan() throws Exception {
        Path target = dir.resolve("f.png");
        try (AtomicFile.Replacement first = AtomicFile.begin(target)) {
            first.stream().write(1);
            AtomicFile.write(target, new byte[] {2});
            assertEquals(2, names().size(), "the first write's temporary file is still there: " + names());
            first.commit();
        }
        assertEquals(1, Files.readAllBytes(target)[0]);
        assertEquals(List.of("f.png"), names());
    }

    /**
     * A write's new temporary file is unlocked until the writer locks it, and a sweep in another
     * process may take it for an orphan then and delete it: the writer must notice and write under
     * a new name, not lose the write (it used to fail at the rename, "cannot write checkpoint").
     */
    @Test
    void aSweepInAnotherProcessBeforeTheWriterLocksDoesNotLoseTheWrite() throws Exception {
        Path target = Files.write(dir.resolve("run.safetensors"), new byte[] {1});
        List<String> swept = new java.util.ArrayList<>();
        AtomicFile.afterCreate = tmp -> {
            if (swept.isEmpty()) {
                swept.add(tmp.getFileName() + " " + Sweeper.run(target));
            }
        };
        try {
            AtomicFile.write(target, new byte[] {2});
        } finally {
            AtomicFile.afterCreate = null;
        }
        assertEquals(1, swept.size());
        assertTrue(swept.getFirst().endsWith(" removed 1"), "the other process swept the new file: " + swept);
        assertEquals(2, Files.readAllBytes(target)[0]);
        assertEquals(List.of("run.safetensors"), names());
    }

    /**
     * Within one JVM the sweep must not even open a file being created: closing its descriptor
     * would drop the writer's lock. The file is known to be live before it exists.
     */
    @Test
    void aSweepInThisProcessNeverTakesAFileBeingCreated() throws Exception {
        Path target = Files.write(dir.resolve("f.bin"), new byte[] {1});
        int[] removed = {-1};
        AtomicFile.afterCreate = tmp -> {
            if (removed[0] < 0) {
                removed[0] = AtomicFile.removeOrphans(target);
            }
        };
        try {
            AtomicFile.write(target, new byte[] {2});
        } finally {
            AtomicFile.afterCreate = null;
        }
        assertEquals(0, removed[0], "the sweep took the file being written");
        assertEquals(2, Files.readAllBytes(target)[0]);
        assertEquals(List.of("f.bin"), names());
    }

    /**
     * A name the sweep lists may be gone when it looks (another run's probe of
     * {@link OutputPath#file}, or its write renamed): passed over, never a failed write. It used to
     * kill a run that checkpointed while another was refused the same file.
     */
    @Test
    void aFileGoneBetweenListingAndLookingIsPassedOver() throws Exception {
        Path target = dir.resolve("run.safetensors");
        Files.writeString(dir.resolve(".run.safetensors.123.tmp"), "another run's probe");
        AtomicFile.beforeSweepLooks = Files::deleteIfExists;
        try {
            assertEquals(0, AtomicFile.removeOrphans(target));
            Files.writeString(dir.resolve(".run.safetensors.456.tmp"), "another run's probe");
            AtomicFile.write(target, new byte[] {3});
        } finally {
            AtomicFile.beforeSweepLooks = null;
        }
        assertEquals(List.of("run.safetensors"), names());
    }

    /** A child JVM that sweeps the orphans of a target once and says how many it removed. */
    static final class Sweeper {
        public static void main(String[] args) throws Exception {
            System.out.println("removed " + AtomicFile.removeOrphans(Path.of(args[0])));
        }

        static String run(Path target) throws IOException {
            return output(Sweeper.class, target);
        }
    }

    /** What the main method of {@code main}, run on {@code file} in a child JVM, prints, stripped. */
    static String output(Class<?> main, Path file) throws IOException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), main.getName(), file.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (var in = p.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }

    /** Runs a child JVM that locks a file and holds the lock until killed. */
    static final class LockHolder {
        public static void main(String[] args) throws Exception {
            try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE)) {
                ch.lock();
                System.out.println("locked");
                System.out.flush();
                Thread.sleep(Long.MAX_VALUE);
            }
        }

        static Process start(Path file) throws Exception {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(), file.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String line = new String(p.getInputStream().readNBytes(6), StandardCharsets.UTF_8);
            assertEquals("locked", line, "the lock holder did not start");
            return p;
        }
    }

    /** A write that fails names the file it writes, not its temporary file. */
    @Test
    void aFailedWriteNamesTheTarget() {
        Path target = Path.of("/proc/x.png");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(target.getParent()));
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(target, new byte[] {1}));
        assertTrue(e.getMessage().startsWith("/proc/x.png: cannot create its temporary file in /proc: "),
                e.getMessage());
    }
}
