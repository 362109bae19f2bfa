package dev.kobai.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rarer paths an output can be given: descriptors of this process, sockets, loops of symbolic
 * links, links to nothing, hard links, and files in directories that do not exist yet.
 */
class OutputPathCasesTest {
    @TempDir
    Path dir;

    private static String refused(Runnable check) {
        return assertThrows(UsageException.class, check::run).getMessage();
    }

    @Test
    void aDescriptorIsWrittenInPlaceAsAStreamAndNeverReplacedAsAFile() {
        Path stdout = Path.of("/dev/stdout");
        assertTrue(OutputPath.inPlace("--metrics", stdout));
        String m = refused(() -> OutputPath.file("--out", Path.of("/proc/self/fd/1")));
        assertTrue(m.startsWith("--out: /proc/self/fd/1 is an open descriptor (/proc/"), m);
        assertTrue(m.endsWith("/fd/1), not a file; Kobai writes a file by replacing it"), m);
    }

    @Test
    void aSocketIsNamedAsOne() throws IOException {
        Path socket = dir.resolve("s.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            assertEquals("a socket", OutputPath.special(socket));
            assertTrue(refused(() -> OutputPath.file("--out", socket)).contains("is a socket, not a regular file"));
            assertTrue(refused(() -> OutputPath.inPlace("--metrics", socket)).contains("is a socket"));
            assertEquals("--out: " + socket + " is a socket, not a directory",
                    refused(() -> OutputPath.directory("--out", socket)));
        }
    }

    @Test
    void aLoopOfLinksIsRefusedAfterForty() throws IOException {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Files.createSymbolicLink(a, b);
        Files.createSymbolicLink(b, a);
        FileSystemException e = assertThrows(FileSystemException.class, () -> OutputPath.target(a));
        assertEquals("too many levels of symbolic links", e.getReason());
        assertTrue(refused(() -> OutputPath.file("--out", a)).endsWith("too many levels of symbolic links"));
        // A chain of exactly forty links is followed to its end.
        Path end = dir.resolve("end.bin");
        Path first = end;
        for (int i = 0; i < 40; i++) {
            Path link = dir.resolve("l" + i);
            Files.createSymbolicLink(link, first.getFileName());
            first = link;
        }
        assertEquals(dir.toRealPath().resolve("end.bin"), OutputPath.target(first));
        Path oneMore = dir.resolve("l40");
        Files.createSymbolicLink(oneMore, first.getFileName());
        assertThrows(FileSystemException.class, () -> OutputPath.target(oneMore));
    }

    @Test
    void aLinkToNothingIsFollowedForAFileAndRefusedForADirectory() throws IOException {
        Path link = dir.resolve("link");
        Files.createSymbolicLink(link, Path.of("missing.bin"));
        assertEquals(dir.toRealPath().resolve("missing.bin"), OutputPath.file("--out", link),
                "the link's target is what a write creates");
        assertEquals("--out: " + link + " is a symbolic link to missing.bin, which does not exist",
                refused(() -> OutputPath.directory("--out", link.resolve("sub"))));
    }

    @Test
    void aFileInADirectoryIsCheckedOnlyOnceTheDirectoryExists() throws IOException {
        Path later = dir.resolve("later");
        assertEquals(later.resolve("x.png"), OutputPath.fileIn("--out", later, "x.png"));
        Files.createDirectories(later.resolve("x.png"));
        assertEquals(dir.toRealPath().resolve("later/y.png"), OutputPath.fileIn("--out", later, "y.png"));
        assertTrue(refused(() -> OutputPath.fileIn("--out", later, "x.png")).contains("is a directory"));
    }

    @Test
    void anInputUnderAMissingDirectoryKeepsItsAbsolutePath() {
        Path missing = dir.resolve("no/such/../file.csv");
        OutputPath.Use use = OutputPath.Use.input("--data", missing);
        assertEquals(dir.resolve("no/file.csv"), use.target());
        assertFalse(use.output());
        assertEquals("--data", use.what());
    }

    @Test
    void hardLinksAreOneFileAndDifferentFilesAreNot() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "x");
        Path hard = Files.createLink(dir.resolve("hard"), f);
        Path other = Files.writeString(dir.resolve("other"), "x");
        assertTrue(OutputPath.sameFile(f, hard));
        assertFalse(OutputPath.sameFile(f, other));
        assertFalse(OutputPath.sameFile(f, dir.resolve("absent")));
        assertTrue(OutputPath.sameFile(dir.resolve("x/../f"), f), "equal once normalised, existing or not");
        assertTrue(OutputPath.sameFile(dir.resolve("y/../absent"), dir.resolve("absent")));
        String m = refused(() -> OutputPath.requireDistinct(List.of(OutputPath.Use.output("--a", f),
                OutputPath.Use.output("--b", hard))));
        assertEquals("--a and --b name the same file, " + f + "; give each its own", m);
        OutputPath.requireDistinct(List.of(OutputPath.Use.output("--a", f), OutputPath.Use.output("--b", other)));
        // The output named second and the input first: the message still names the output first.
        assertEquals("--b names " + f + ", which the command reads (--a); write it elsewhere",
                refused(() -> OutputPath.requireDistinct(List.of(OutputPath.Use.input("--a", f),
                        OutputPath.Use.output("--b", hard)))));
    }

    @Test
    void specialFilesAreNamedAndRegularOrMissingOnesAreNot() throws IOException {
        assertEquals("a character device", OutputPath.special(Path.of("/dev/null")));
        assertEquals("a directory", OutputPath.special(dir));
        assertEquals(null, OutputPath.special(dir.resolve("absent")));
        assertEquals(null, OutputPath.special(Files.writeString(dir.resolve("r"), "")));
    }
}
