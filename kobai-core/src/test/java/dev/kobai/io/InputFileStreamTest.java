package dev.kobai.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stream {@link InputFile#open} returns, call by call: single bytes (unsigned), reads that end
 * exactly at the size, skips, what it says is available, and the file that grows after it was opened.
 */
class InputFileStreamTest {
    @TempDir
    Path dir;

    private Path file(int... values) throws IOException {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) values[i];
        }
        return Files.write(dir.resolve("f.bin"), bytes);
    }

    @Test
    void singleBytesAreUnsignedAndEndWithMinusOne() throws IOException {
        try (InputStream in = InputFile.open(file(0xff, 0x80, 0, 7))) {
            assertEquals(255, in.read());
            assertEquals(128, in.read());
            assertEquals(0, in.read());
            assertEquals(7, in.read());
            assertEquals(-1, in.read());
            assertEquals(-1, in.read(new byte[4], 0, 4));
        }
    }

    @Test
    void readsStopAtTheSizeAndAZeroLengthReadReadsNothing() throws IOException {
        try (InputStream in = InputFile.open(file(1, 2, 3, 4, 5))) {
            byte[] buf = new byte[8];
            assertEquals(0, in.read(buf, 0, 0));
            assertEquals(5, in.available());
            assertEquals(3, in.read(buf, 2, 3));
            assertArrayEquals(new byte[] {0, 0, 1, 2, 3, 0, 0, 0}, buf);
            assertEquals(2, in.available());
            assertEquals(2, in.read(buf, 0, 8));
            assertEquals(0, in.available());
            assertEquals(-1, in.read(buf, 0, 8));
        }
    }

    @Test
    void skipCountsAgainstTheSize() throws IOException {
        try (InputStream in = InputFile.open(file(1, 2, 3, 4, 5))) {
            assertEquals(2, in.skip(2));
            assertEquals(3, in.read());
            assertEquals(2, in.skip(100), "no further than the size");
            assertEquals(-1, in.read());
            assertFalse(in.markSupported());
        }
    }

    @Test
    void aFileThatGrowsAfterOpeningFailsAtTheOldEnd() throws IOException {
        Path f = file(1, 2, 3);
        try (InputStream in = InputFile.open(f)) {
            Files.write(f, new byte[] {4, 5}, StandardOpenOption.APPEND);
            assertEquals(1, in.read());
            byte[] rest = new byte[2];
            assertEquals(2, in.readNBytes(rest, 0, 2));
            IOException e = assertThrows(IOException.class, in::read);
            assertTrue(e.getMessage().contains("grew while it was read: it holds more than the 3 bytes"), e.getMessage());
        }
    }

    @Test
    void readAllBytesTakesAFileOfExactlyTheLimit() throws IOException {
        Path f = file(1, 2, 3);
        assertArrayEquals(new byte[] {1, 2, 3}, InputFile.readAllBytes(f, 3));
        assertEquals("3 bytes is larger than the 2 bytes Kobai reads",
                assertThrows(IOException.class, () -> InputFile.readAllBytes(f, 2)).getMessage());
        assertArrayEquals(new byte[0], InputFile.readAllBytes(file(), 0));
    }
}
