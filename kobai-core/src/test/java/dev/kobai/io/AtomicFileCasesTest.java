package dev.kobai.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replacement's life beyond the common write: a target that turns into a directory before the
 * commit, a second commit, the orphan count, and how each kind of failure is worded.
 */
class AtomicFileCasesTest {
    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aTargetThatBecomesADirectoryBeforeTheCommitIsNotReplaced() throws IOException {
        Path target = dir.resolve("out.bin");
        try (AtomicFile.Replacement r = AtomicFile.begin(target)) {
            r.stream().write(new byte[] {1, 2});
            Files.createDirectory(target);
            FileSystemException e = assertThrows(FileSystemException.class, r::commit);
            assertEquals(target.toRealPath().toString(), e.getFile());
            assertEquals("is a directory, not a regular file; it is never replaced", e.getReason());
        }
        assertTrue(Files.isDirectory(target));
        assertEquals(List.of("out.bin"), names(), "the temporary file is gone");
    }

    @Test
    void aSpecialTargetIsRefusedBeforeAnythingIsCreated() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        FileSystemException e = assertThrows(FileSystemException.class, () -> AtomicFile.begin(sub));
        assertEquals(sub.toString(), e.getFile());
        assertTrue(e.getReason().startsWith("is a directory"));
        assertEquals(List.of("sub"), names());
    }

    @Test
    void aReplacementEndsOnceAndNamesItsRealTarget() throws IOException {
        Path real = dir.resolve("real.bin");
        Path link = Files.createSymbolicLink(dir.resolve("link.bin"), real.getFileName());
        AtomicFile.Replacement r = AtomicFile.begin(link);
        assertEquals(dir.toRealPath().resolve("real.bin"), r.target());
        r.stream().write(7);
        r.commit();
        assertEquals("the replacement of " + r.target() + " has ended",
                assertThrows(IllegalStateException.class, r::commit).getMessage());
        r.close();
        assertEquals(7, Files.readAllBytes(real)[0], "closing after a commit keeps the new file");
        assertTrue(Files.isSymbolicLink(link));
    }

    @Test
    void removeOrphansCountsWhatItRemoved() throws IOException {
        Path target = dir.resolve("t.json");
        assertEquals(0, AtomicFile.removeOrphans(target));
        Files.writeString(dir.resolve(".t.json.1.tmp"), "x");
        Files.writeString(dir.resolve(".t.json.22.tmp"), "x");
        Files.writeString(dir.resolve(".t.json.tmp"), "not ours");
        assertEquals(2, AtomicFile.removeOrphans(target));
        assertEquals(List.of(".t.json.tmp"), names());
    }

    @Test
    void failuresAreWordedAsTargetWhatReason() {
        Path target = Path.of("/x/out.png");
        IOException named = new FileSystemException("/x/out.png", null, "disk full");
        assertSame(named, AtomicFile.failure(target, "cannot write", named), "already names the target");

        assertEquals("/x/out.png: cannot write: disk full",
                AtomicFile.failure(target, "cannot write", new FileSystemException("/x/.out.png.1.tmp", null, "disk full"))
                        .getMessage());
        assertEquals("/x/out.png: cannot create: no such file or directory",
                AtomicFile.failure(target, "cannot create", new NoSuchFileException("/x")).getMessage());
        assertEquals("/x/out.png: cannot create: permission denied",
                AtomicFile.failure(target, "cannot create", new AccessDeniedException("/x")).getMessage());
        assertEquals("/x/out.png: cannot write: Broken pipe",
                AtomicFile.failure(target, "cannot write", new IOException("Broken pipe")).getMessage());
        IOException bare = new IOException();
        IOException worded = AtomicFile.failure(target, "cannot write", bare);
        assertEquals("/x/out.png: cannot write: IOException", worded.getMessage());
        assertSame(bare, worded.getCause());
        assertEquals("/x/out.png", ((FileSystemException) worded).getFile());
    }
}
