package dev.kobai.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kobai.DataFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IDX headers at their edges: magic bytes above 0x7F shown as they are, a header cut inside a
 * dimension, dimensions that use every byte of their big-endian int, and a declared size of exactly
 * the largest Kobai loads.
 */
class IdxEdgesTest {
    @TempDir
    Path dir;

    private String fault(byte[] bytes) throws IOException {
        Path f = Files.write(dir.resolve("x-idx"), bytes);
        String m = assertThrows(DataFormatException.class, () -> IdxReader.read(f)).getMessage();
        assertEquals(f + ": ", m.substring(0, f.toString().length() + 2));
        return m.substring(f.toString().length() + 2);
    }

    @Test
    void aWrongMagicNumberIsShownByteForByte() throws IOException {
        assertEquals("wrong magic number 0x8F00FF01: an IDX file starts with two zero bytes, a type byte and a"
                + " dimension count", fault(new byte[] {(byte) 0x8F, 0, (byte) 0xFF, 1, 0, 0, 0, 0}));
        assertEquals("wrong magic number 0x00A08003: an IDX file starts with two zero bytes, a type byte and a"
                + " dimension count", fault(new byte[] {0, (byte) 0xA0, (byte) 0x80, 3}));
        assertEquals("unsupported data type 0xD8: only 0x08 (unsigned byte) is supported",
                fault(new byte[] {0, 0, (byte) 0xD8, 1, 0, 0, 0, 0}));
    }

    @Test
    void aHeaderCutInsideADimensionCountsWholeOnes() throws IOException {
        assertEquals("truncated: the header declares 3 dimensions but ends after 1",
                fault(new byte[] {0, 0, 8, 3, 0, 0, 0, 2, 0, 0}));
        assertEquals("truncated: the header declares 2 dimensions but ends after 0", fault(new byte[] {0, 0, 8, 2, 0}));
        assertEquals("truncated: 2 bytes, shorter than the 4-byte magic number", fault(new byte[] {0, 0}));
    }

    @Test
    void everyByteOfADimensionCounts() throws IOException {
        // 1 x 256 x 65536 would be 16 MB; 65536 = 0x00010000 and 257 = 0x00000101 use the higher bytes.
        byte[] data = new byte[65536 + 257];
        data[65535] = 7;
        Path wide = Files.write(dir.resolve("w-idx"), IdxReaderTest.idx(8, new int[] {65536 + 257}, data));
        IdxReader.Contents c = IdxReader.read(wide);
        assertArrayEquals(new int[] {65793}, c.dims());
        assertEquals(7, c.data()[65535]);
        Path two = Files.write(dir.resolve("t-idx"), IdxReaderTest.idx(8, new int[] {257, 256}, new byte[257 * 256]));
        assertArrayEquals(new int[] {257, 256}, IdxReader.read(two).dims());
        assertEquals("dimension 0 is negative (-16777216)",
                fault(new byte[] {0, 0, 8, 1, (byte) 0xFF, 0, 0, 0}));
    }

    @Test
    void theLargestDeclaredSizeIsTakenAtItsWordAndOneMoreIsNot() throws IOException {
        long max = IdxReader.MAX_DATA_BYTES;
        byte[] atMax = IdxReaderTest.idx(8, new int[] {(int) max}, new byte[0]);
        assertEquals("truncated: dimensions " + max + " declare " + max + " data bytes but only 0 follow the header",
                fault(atMax));
        byte[] overMax = IdxReaderTest.idx(8, new int[] {(int) max + 1}, new byte[0]);
        assertEquals("dimensions " + (max + 1) + " declare more than " + max
                + " data bytes, more than the file can hold or Kobai can load", fault(overMax));
    }
}
