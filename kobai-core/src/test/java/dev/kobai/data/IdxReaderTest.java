package dev.kobai.data;

import dev.kobai.DataFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxReaderTest {
    @TempDir
    Path dir;

    /** The bytes of an IDX file: magic, big-endian dims, data. */
    static byte[] idx(int type, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        b.put(data);
        return b.array();
    }

    static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bos)) {
            out.write(bytes);
        }
        return bos.toByteArray();
    }

    Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    static byte[] ramp(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 37);
        }
        return b;
    }

    static DataFormatException fails(Path file) {
        return assertThrows(DataFormatException.class, () -> IdxReader.read(file));
    }

    static void assertNames(DataFormatException e, Path file, String fault) {
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(fault), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void plainRoundTrip() throws IOException {
        byte[] data = ramp(3 * 4 * 5);
        Path f = write("a-idx3-ubyte", idx(8, new int[] {3, 4, 5}, data));
        IdxReader.Contents c = IdxReader.read(f);
        assertArrayEquals(new int[] {3, 4, 5}, c.dims());
        assertArrayEquals(data, c.data());
    }

    @Test
    void gzipRoundTripDetectedByMagicNotName() throws IOException {
        byte[] data = ramp(7 * 2 * 3);
        // No .gz suffix: the reader must notice the gzip magic itself.
        Path f = write("b-idx3-ubyte", gzip(idx(8, new int[] {7, 2, 3}, data)));
        IdxReader.Contents c = IdxReader.read(f);
        assertArrayEquals(new int[] {7, 2, 3}, c.dims());
        assertArrayEquals(data, c.data());
        // And a plain file named .gz is read as plain.
        Path g = write("c-idx1-ubyte.gz", idx(8, new int[] {4}, new byte[] {1, 2, 3, 4}));
        assertArrayEquals(new byte[] {1, 2, 3, 4}, IdxReader.read(g).data());
    }

    @Test
    void datasetScalesPixelsAndReadsLabels() throws IOException {
        byte[] px = {0, (byte) 255, (byte) 51, 102, 0, 0, 0, 0};
        Path images = write("img.gz", gzip(idx(8, new int[] {2, 2, 2}, px)));
        Path labels = write("lab", idx(8, new int[] {2}, new byte[] {3, 1}));
        Dataset ds = IdxReader.readDataset(images, labels, "t", 4, List.of());
        assertEquals(2, ds.size());
        assertArrayEquals(new int[] {2, 2}, ds.sampleShape());
        assertEquals(4, ds.featureCount());
        assertEquals(0f, ds.feature(0, 0));
        assertEquals(1f, ds.feature(0, 1));
        assertEquals(0.2f, ds.feature(0, 2), 1e-7);
        assertArrayEquals(new int[] {3, 1}, ds.labels());
        assertEquals(4, ds.numClasses());
        // Inferred class count: largest label plus one.
        assertEquals(4, IdxReader.readDataset(images, labels, "t", 0, List.of()).numClasses());
    }

    @Test
    void wrongMagic() throws IOException {
        byte[] b = idx(8, new int[] {2}, new byte[2]);
        b[0] = 0x12;
        Path f = write("magic", b);
        assertNames(fails(f), f, "wrong magic number");
    }

    @Test
    void unsupportedType() throws IOException {
        Path f = write("float", idx(0x0D, new int[] {1}, new byte[4]));
        assertNames(fails(f), f, "unsupported data type 0x0D");
    }

    @Test
    void dimensionsDisagreeWithDataSize() throws IOException {
        Path f = write("extra", idx(8, new int[] {2, 3}, new byte[7]));
        assertNames(fails(f), f, "disagree with the data size");
        Path g = write("extra.gz", gzip(idx(8, new int[] {2, 3}, new byte[7])));
        assertNames(fails(g), g, "disagree with the data size");
    }

    @Test
    void truncatedFile() throws IOException {
        byte[] full = idx(8, new int[] {10, 10}, ramp(100));
        Path f = write("short", Arrays.copyOf(full, 60));
        assertNames(fails(f), f, "truncated");
        Path header = write("short-header", Arrays.copyOf(full, 6));
        assertNames(fails(header), header, "truncated");
        Path g = write("short.gz", gzip(Arrays.copyOf(full, 60)));
        assertNames(fails(g), g, "truncated");
        byte[] gz = gzip(full);
        Path cutStream = write("cut-stream.gz", Arrays.copyOf(gz, gz.length / 2));
        assertNames(fails(cutStream), cutStream, "truncated");
    }

    @Test
    void hugeDeclaredSizeIsRejectedWithoutAllocating() throws IOException {
        // 60000 x 28 x 28 declared, a few bytes present: must fail on the size check, not on memory.
        Path f = write("liar", idx(8, new int[] {60000, 28, 28}, new byte[10]));
        assertNames(fails(f), f, "truncated");
        Path g = write("liar.gz", gzip(idx(8, new int[] {60000, 28, 28}, new byte[10])));
        assertNames(fails(g), g, "gzip file can hold");
        Path h = write("overflow", idx(8, new int[] {0x7fffffff, 0x7fffffff, 0x7fffffff}, new byte[10]));
        assertNames(fails(h), h, "more than");
        byte[] neg = idx(8, new int[] {2}, new byte[2]);
        neg[4] = (byte) 0x80;
        Path n = write("negative", neg);
        assertNames(fails(n), n, "negative");
    }

    @Test
    void labelAndImageCountsDiffer() throws IOException {
        Path images = write("img", idx(8, new int[] {3, 2}, new byte[6]));
        Path labels = write("lab", idx(8, new int[] {2}, new byte[2]));
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> IdxReader.readDataset(images, labels, "t", 10, List.of()));
        assertNames(e, images, "3 images");
        assertNames(e, labels, "2 labels");
    }

    @Test
    void labelOutOfRange() throws IOException {
        Path images = write("img", idx(8, new int[] {2, 2}, new byte[4]));
        Path labels = write("lab", idx(8, new int[] {2}, new byte[] {1, 10}));
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> IdxReader.readDataset(images, labels, "t", 10, List.of()));
        assertNames(e, labels, "label 10 at index 1 is out of range 0..9");
    }

    @Test
    void missingFile() {
        Path f = dir.resolve("nope");
        assertNames(fails(f), f, "no such file");
    }

    /** The Dataset constructor's IllegalArgumentException ("sample shape [0, 0] ...") leaked as an internal error. */
    @Test
    void zeroSizedImagesAreAFaultOfTheFile() throws IOException {
        Path images = write("img", idx(8, new int[] {5, 0, 0}, new byte[0]));
        Path labels = write("lab", idx(8, new int[] {5}, new byte[5]));
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> IdxReader.readDataset(images, labels, "t", 10, List.of()));
        assertEquals(images + ": dimensions 5x0x0 give images of no pixels (dimension 1 is 0)", e.getMessage());
    }
}
