package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Errors are printed with their control characters escaped: a NUL or an escape sequence taken from
 * a file (a CSV field, a header) neither reaches the terminal nor hides the line from the launcher's
 * filter, and a message stays one line.
 */
class ErrorPrintingTest {
    @TempDir
    Path dir;

    @Test
    void controlCharactersInAMessageAreShownEscaped() throws Exception {
        Path nul = Files.writeString(dir.resolve("nul.csv"), "1,2,0\n3,\0,1\n");
        CliUsageTest.Result r = CliUsageTest.kobai("train", "--data", "csv:" + nul, "--epochs", "1");
        assertEquals(1, r.code(), r.err());
        assertEquals("kobai train: " + nul + " line 2 column 2: '\\0' is not a number\n", r.err());
        Path esc = Files.writeString(dir.resolve("esc.csv"), "1,2,0\n3,\u001b[31mred\u0007\u202Eevil,1\n");
        CliUsageTest.Result e = CliUsageTest.kobai("train", "--data", "csv:" + esc, "--epochs", "1");
        assertEquals("kobai train: " + esc + " line 2 column 2: '\\u001b[31mred\\u0007\\u202eevil' is not a number\n",
                e.err());
    }

    @Test
    void printableKeepsTheIndentedLinesOfAMessageAndEscapesOtherBreaks() {
        assertEquals("plain", Kobai.printable("plain"));
        assertEquals("a\\nb\\tc\\0", Kobai.printable("a\nb\tc\0"));
        String expression = "bad expression at column 3: unexpected '*'\n  x+*\n    ^";
        assertEquals(expression, Kobai.printable(expression));
        assertEquals("\\u007f\\u009b\\u2066", Kobai.printable("\u007f\u009b\u2066"));
    }

    @Test
    void aDataPathTheJdkCannotEncodeIsAUsageError() {
        // Under the C locale a path that is not ASCII cannot be encoded; everywhere a NUL cannot be.
        CliUsageTest.Result r = CliUsageTest.kobai("train", "--data", "csv:a\0b.csv", "--epochs", "1");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("kobai train: dataset spec 'csv:a\\0b.csv': "), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    /** ImageIO wraps the stream's failure in its own words; the message is the one naming the file. */
    @Test
    void aWritersWrappedFailureIsDescribedByTheExceptionThatNamesTheFile() {
        java.nio.file.FileSystemException named = new java.nio.file.FileSystemException("/x/a.png", null,
                "cannot write: File too large");
        javax.imageio.IIOException wrapped = new javax.imageio.IIOException("I/O error writing PNG file!", named);
        assertEquals("I/O error: /x/a.png: cannot write: File too large", Kobai.message(wrapped));
        assertEquals("I/O error: /x/a.png: cannot write: File too large",
                Kobai.message(new java.io.UncheckedIOException(wrapped)));
    }

    /**
     * A write that fails midway (here the file-size limit of ulimit -f) is one line naming the file,
     * exit 1, and leaves the old file whole and no temporary file; it said "I/O error: File too large".
     */
    @Test
    void aFailedImageWriteIsOneLineNamingTheFile() throws Exception {
        Path gif = Files.writeString(dir.resolve("race.gif"), "old");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String command = "ulimit -f 1; exec '" + javaBin + "' -XX:-UsePerfData --add-modules jdk.incubator.vector"
                + " -Djava.awt.headless=true -cp '" + System.getProperty("java.class.path") + "' " + Kobai.class.getName()
                + " race --surface booth --optimizer sgd:lr=0.01 --steps 3 --out '" + gif + "'";
        Process p = new ProcessBuilder("bash", "-c", command).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                .replace("WARNING: Using incubator modules: jdk.incubator.vector\n", "");
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), err);
        assertEquals("kobai race: I/O error: " + gif.toRealPath() + ": cannot write: File too large (--verbose shows"
                + " the stack trace)\n", err, out);
        assertEquals("old", Files.readString(gif));
        try (var files = Files.list(dir)) {
            assertEquals(java.util.List.of(gif), files.toList());
        }
    }
}
