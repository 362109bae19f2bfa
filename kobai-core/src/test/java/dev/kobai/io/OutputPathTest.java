package dev.kobai.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The up-front checks of output paths; pure checks, so they may name device nodes safely. */
class OutputPathTest {
    @TempDir
    Path dir;

    private static String refused(Runnable check) {
        return assertThrows(UsageException.class, check::run).getMessage();
    }

    @Test
    void aFileOutputMustBeARegularFileOrNew() throws Exception {
        assertEquals(dir.toRealPath().resolve("new.bin"),
                OutputPath.file("--checkpoint", dir.resolve("new.bin")));
        Path existing = Files.writeString(dir.resolve("f"), "x");
        assertEquals(existing.toRealPath(), OutputPath.file("--checkpoint", existing));

        assertEquals("--checkpoint: /dev/null is a character device, not a regular file; Kobai writes a file by"
                + " replacing it, and never replaces a character device", refused(() -> OutputPath.file("--checkpoint",
                Path.of("/dev/null"))));
        assertTrue(refused(() -> OutputPath.file("--out", dir)).startsWith("--out: " + dir + " is a directory,"));
        Path fifo = dir.resolve("pipe");
        AtomicFileTest.mkfifo(fifo);
        assertTrue(refused(() -> OutputPath.file("--png", fifo)).contains("is a FIFO, not a regular file"));
        Path link = Files.createSymbolicLink(dir.resolve("null-link"), Path.of("/dev/null"));
        assertTrue(refused(() -> OutputPath.file("--csv", link)).startsWith("--csv: " + link
                + " (/dev/null) is a character device"));
        Files.delete(link);
        assertEquals("--metrics: cannot write " + dir.resolve("no/m.jsonl") + ": no such directory "
                + dir.resolve("no"), refused(() -> OutputPath.file("--metrics", dir.resolve("no/m.jsonl"))));
    }

    @Test
    void aStreamMayWriteIntoAFifoOrACharacterDeviceButNotADirectory() throws Exception {
        Path fifo = dir.resolve("pipe");
        AtomicFileTest.mkfifo(fifo);
        assertTrue(OutputPath.inPlace("--metrics", fifo));
        assertTrue(OutputPath.inPlace("--metrics", Path.of("/dev/null")));
        assertFalse(OutputPath.inPlace("--metrics", dir.resolve("m.jsonl")));
        assertTrue(refused(() -> OutputPath.inPlace("--metrics", dir)).contains("is a directory"));
    }

    @Test
    void aDirectoryOutputRefusesAnythingButADirectory() throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "x");
        assertEquals("--out: " + file + " is a regular file, not a directory",
                refused(() -> OutputPath.directory("--out", file)));
        assertEquals("--out: " + file + " is a regular file, not a directory",
                refused(() -> OutputPath.directory("--out", file.resolve("sub"))));
        assertEquals(dir.toRealPath().resolve("a/b"), OutputPath.directory("--out", dir.resolve("a/b")));
        Path linkToDir = Files.createSymbolicLink(dir.resolve("d"), dir);
        assertEquals(dir.toRealPath(), OutputPath.directory("--out", linkToDir));
    }

    @Test
    void outputsThatLandOnOneFileCollideWhateverTheirSpelling() throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "x");
        Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of("f"));
        Path hard = Files.createLink(dir.resolve("hard"), f);
        Path dotted = dir.resolve("sub/../f");
        Files.createDirectory(dir.resolve("sub"));
        for (Path other : List.of(f, link, hard, dotted)) {
            String m = refused(() -> OutputPath.requireDistinct(List.of(
                    OutputPath.Use.output("--checkpoint", OutputPath.file("--checkpoint", f)),
                    OutputPath.Use.output("--export-weights", OutputPath.file("--export-weights", other)))));
            assertTrue(m.startsWith("--checkpoint and --export-weights name the same file"), m);
        }
        String input = refused(() -> OutputPath.requireDistinct(List.of(OutputPath.Use.input("--data", f),
                OutputPath.Use.output("--metrics", OutputPath.file("--metrics", link)))));
        assertEquals("--metrics names " + f + ", which the command reads (--data); write it elsewhere", input);
        OutputPath.requireDistinct(List.of(OutputPath.Use.input("--data", f), OutputPath.Use.input("--resume", f),
                OutputPath.Use.output("--png", OutputPath.file("--png", dir.resolve("g")))));
    }

    /**
     * access(2) tells root that /proc and /sys are writable; creating a file there fails. The check
     * creates one (and deletes it), so the write that would fail after the work is refused before it.
     */
    @Test
    void aDirectoryWhereNoFileCanBeCreatedIsRefusedUpFront() throws Exception {
        for (String dirName : new String[] {"/proc", "/sys"}) {
            Path d = Path.of(dirName);
            org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(d));
            String file = refused(() -> OutputPath.file("--out", d.resolve("x.gif")));
            assertTrue(file.startsWith("--out: cannot write " + d.resolve("x.gif") + ": "), file);
            assertTrue(file.contains("cannot create a file in " + dirName) || file.contains("is not writable"), file);
            String directory = refused(() -> OutputPath.directory("--out", d.resolve("compare")));
            assertTrue(directory.startsWith("--out: cannot write " + d.resolve("compare")) || directory.startsWith(
                    "--out: cannot write into " + dirName), directory);
        }
        OutputPath.file("--out", dir.resolve("ok.gif"));
        OutputPath.directory("--out", dir.resolve("new/sub"));
        OutputPath.directory("--out", dir);
        try (var entries = Files.list(dir)) {
            assertEquals(List.of(), entries.toList(), "the probes leave nothing behind");
        }
    }
}
