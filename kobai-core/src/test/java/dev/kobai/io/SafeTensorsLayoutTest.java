package dev.kobai.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.DataFormatException;
import dev.kobai.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The safetensors layouts that other writers produce and Kobai's own files do not: entries whose
 * header order is not their data order, empty tensors, files with no tensors at all; and the
 * boundaries of every check on the header (its length, the checksum over it, offsets at the edge).
 */
class SafeTensorsLayoutTest {
    private static byte[] file(String header, byte[] data) {
        return SafeTensorsTest.file(header, data);
    }

    private static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    private static String fault(byte[] bytes) {
        return SafeTensorsTest.fault(bytes);
    }

    @Test
    void headerOrderNeedNotBeDataOrder() {
        // "b" is listed first but its data comes second, as writers that sort names produce.
        String header = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        SafeTensors.Contents c = SafeTensors.read(file(header, floats(1, 2, 3)), "f");
        assertEquals(List.of("b", "a"), List.copyOf(c.entries().keySet()), "entries keep header order");
        assertArrayEquals(new float[] {1, 2}, c.tensor("a").floatData());
        assertArrayEquals(new float[] {3}, c.tensor("b").floatData());
    }

    @Test
    void emptyTensorsTakeNoBytesAndMayShareAnOffset() {
        String header = "{\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"z\":{\"dtype\":\"F64\",\"shape\":[3,0],\"data_offsets\":[8,8]},"
                + "\"y\":{\"dtype\":\"F64\",\"shape\":[0,5],\"data_offsets\":[8,8]}}";
        SafeTensors.Contents c = SafeTensors.read(file(header, floats(5, 6)), "f");
        assertEquals(0, c.tensor("e").numel());
        assertArrayEquals(new int[] {3, 0}, c.tensor("z").shape());
        assertArrayEquals(new int[] {0, 5}, c.tensor("y").shape());
        assertArrayEquals(new float[] {5, 6}, c.tensor("w").floatData());
        // Inside another tensor's bytes it is refused, as the reference reader refuses it: offsets
        // must follow one another in data order.
        String inside = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}";
        assertTrue(fault(file(inside, floats(5, 6))).contains("'w' and 'e' overlap"));
        // An empty tensor whose offsets are not empty is refused like any other size mismatch.
        assertTrue(fault(file("{\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,4]}}", floats(1)))
                .contains("hold 4 bytes but dtype F32 and shape [0] need 0"));
    }

    @Test
    void kobaiWritesAndReadsEmptyTensors() {
        byte[] bytes = SafeTensors.builder().put("e", Tensor.fromArray(new float[0], 2, 0))
                .put("w", Tensor.fromArray(new double[] {1.5}, 1)).putLongs("none", new long[0]).toBytes(true);
        SafeTensors.Contents c = SafeTensors.read(bytes, "f");
        assertArrayEquals(new int[] {2, 0}, c.tensor("e").shape());
        assertArrayEquals(new double[] {1.5}, c.tensor("w").doubleData());
        assertArrayEquals(new long[0], c.longs("none"));
    }

    @Test
    void aFileOfOnlyAHeaderHoldsNoTensors() {
        SafeTensors.Contents empty = SafeTensors.read(file("{}", new byte[0]), "f");
        assertTrue(empty.entries().isEmpty());
        assertTrue(empty.metadata().isEmpty());
        SafeTensors.Contents meta = SafeTensors.read(file("{\"__metadata__\":{\"format\":\"pt\"}}", new byte[0]), "f");
        assertEquals("pt", meta.metadata().get("format"));
        byte[] written = SafeTensors.builder().metadata("k", "v").toBytes(true);
        assertEquals("v", SafeTensors.read(written, "f").metadata().get("k"));
        assertEquals("f: tensor 'w' is missing",
                assertThrows(DataFormatException.class, () -> meta.tensor("w")).getMessage());
    }

    @Test
    void writtenHeadersArePaddedToTheNextMultipleOfEight() {
        for (String name : new String[] {"a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh"}) {
            byte[] bytes = SafeTensors.builder().put(name, Tensor.fromArray(new float[] {1}, 1)).toBytes(false);
            long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
            int padding = header.length() - header.stripTrailing().length();
            assertEquals(0, n % 8, name);
            assertTrue(padding < 8, name + ": " + padding + " spaces of padding");
            assertEquals(8 + n + 4, bytes.length, name);
        }
    }

    @Test
    void headerLengthBoundaries() {
        // Exactly the rest of the file: fine. One byte more: refused. Below 2 ("{}"): refused.
        assertTrue(SafeTensors.read(file("{}", new byte[0]), "f").entries().isEmpty());
        byte[] over = file("{}", new byte[0]);
        over[0] = 3;
        assertTrue(fault(over).contains("header length 3 does not fit the file's 10 bytes"), fault(over));
        byte[] one = {1, 0, 0, 0, 0, 0, 0, 0, '{'};
        assertTrue(fault(one).contains("header length 1 does not fit"));
        byte[] huge = file("{}", new byte[0]);
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L);
        assertTrue(fault(huge).contains("header length 18446744073709551615"), fault(huge));
        assertTrue(fault(new byte[7]).startsWith("f.safetensors: 7 bytes is too short"));
        assertTrue(fault(new byte[8]).contains("header length 0 does not fit"));
    }

    @Test
    void offsetsAtTheEdgeOfTheData() {
        String exact = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertArrayEquals(new float[] {1, 2}, SafeTensors.read(file(exact, floats(1, 2)), "f").tensor("w").floatData());
        String past = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        assertTrue(fault(file(past, floats(1, 2))).contains("data_offsets [4, 12) lie outside the 8 bytes"));
        String backwards = "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}";
        assertTrue(fault(file(backwards, floats(1, 2))).contains("lie outside"));
        String negative = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}";
        assertTrue(fault(file(negative, floats(1))).contains("lie outside"));
        String gap = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        assertEquals("f.safetensors: 4 bytes of data before tensor 'w' belong to no tensor", fault(file(gap, floats(1, 2))));
        String gapAfterOne = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}";
        assertEquals("f.safetensors: 8 bytes of data before tensor 'b' belong to no tensor",
                fault(file(gapAfterOne, floats(1, 2, 3, 4))));
        String tail = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        assertEquals("f.safetensors: 8 bytes after the last tensor belong to no tensor", fault(file(tail, floats(1, 2, 3))));
        String short4 = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,8]}}";
        assertEquals("f.safetensors: tensor 'a': data_offsets [4, 8) hold 4 bytes but dtype F32 and shape [2] need 8",
                fault(file(short4, floats(1, 2))));
    }

    @Test
    void entryShapesAndKeysAreChecked() {
        String unknownKey = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}";
        assertTrue(fault(file(unknownKey, floats(1))).contains("unknown key 'x'"));
        String dims = "[" + "1,".repeat(64) + "1]";
        String tooManyDims = "{\"w\":{\"dtype\":\"F32\",\"shape\":" + dims + ",\"data_offsets\":[0,4]}}";
        assertTrue(fault(file(tooManyDims, floats(1))).contains("shape has 65 dimensions (limit 64)"));
        String sixtyFour = "{\"w\":{\"dtype\":\"F32\",\"shape\":[" + "1,".repeat(63) + "1],\"data_offsets\":[0,4]}}";
        assertEquals(64, SafeTensors.read(file(sixtyFour, floats(7)), "f").tensor("w").shape().length);
        String fractional = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}";
        assertTrue(fault(file(fractional, floats(1))).contains("invalid dimension 1.0"));
        String vast = "{\"w\":{\"dtype\":\"F32\",\"shape\":[65536,65536],\"data_offsets\":[0,4]}}";
        assertTrue(fault(file(vast, floats(1))).contains("larger than any file Kobai reads"));
        // The largest dimension a shape may have is Integer.MAX_VALUE; beside a zero it is no data at all.
        String widest = "{\"w\":{\"dtype\":\"F32\",\"shape\":[0,2147483647],\"data_offsets\":[0,0]}}";
        assertArrayEquals(new int[] {0, Integer.MAX_VALUE},
                SafeTensors.read(file(widest, new byte[0]), "f").tensor("w").shape());
        String wider = "{\"w\":{\"dtype\":\"F32\",\"shape\":[0,2147483648],\"data_offsets\":[0,0]}}";
        assertTrue(fault(file(wider, new byte[0])).contains("invalid dimension 2147483648"));
        // A shape of exactly MAX_FILE_BYTES elements passes the size bound and fails on its offsets.
        String atBound = "{\"w\":{\"dtype\":\"U8\",\"shape\":[" + SafeTensors.MAX_FILE_BYTES
                + "],\"data_offsets\":[0,4]}}";
        assertTrue(fault(file(atBound, floats(1))).endsWith("need " + SafeTensors.MAX_FILE_BYTES), fault(file(atBound, floats(1))));
        String overBound = "{\"w\":{\"dtype\":\"U8\",\"shape\":[" + (SafeTensors.MAX_FILE_BYTES + 1)
                + "],\"data_offsets\":[0,4]}}";
        assertTrue(fault(file(overBound, floats(1))).contains("larger than any file Kobai reads"));
        String oneOffset = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}";
        assertTrue(fault(file(oneOffset, floats(1))).contains("data_offsets is missing or not two integers"));
        String noDtype = "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}";
        assertTrue(fault(file(noDtype, floats(1))).contains("dtype is missing or not a string"));
        String notObject = "{\"w\":[1]}";
        assertTrue(fault(file(notObject, floats(1))).contains("tensor 'w': entry is not a JSON object"));
        assertTrue(fault(file("{\"__metadata__\":[]}", new byte[0])).contains("__metadata__ is not a JSON object"));
        assertTrue(fault(file("{\"__metadata__\":{\"n\":1}}", new byte[0])).contains("metadata 'n' is not a string"));
        assertTrue(fault(file("[]", new byte[0])).contains("does not start with '{'"));
        assertTrue(fault(file("{\"a\":1} x", new byte[0])).contains("the header is not JSON"));
    }

    @Test
    void otherDtypesAreReadButNotLoadedAsTensors() {
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}";
        SafeTensors.Contents c = SafeTensors.read(file(header, new byte[4]), "f");
        assertEquals(SafeTensors.Dtype.F16, c.entry("h").dtype());
        assertEquals("f: tensor 'h' has dtype F16; only F32 and F64 tensors load as Kobai tensors",
                assertThrows(DataFormatException.class, () -> c.tensor("h")).getMessage());
        assertEquals("f: tensor 'h' has dtype F16, expected I64",
                assertThrows(DataFormatException.class, () -> c.longs("h")).getMessage());
        for (SafeTensors.Dtype d : SafeTensors.Dtype.values()) {
            String h = "{\"t\":{\"dtype\":\"" + d + "\",\"shape\":[3],\"data_offsets\":[0," + 3 * d.bytes() + "]}}";
            assertEquals(d, SafeTensors.read(file(h, new byte[3 * d.bytes()]), "f").entry("t").dtype());
        }
        String lower = "{\"t\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        assertTrue(fault(file(lower, floats(1))).contains("unknown dtype 'f32'"), "dtype names are case-sensitive");
    }

    @Test
    void theChecksumCoversTheHeaderAsWellAsTheData() {
        byte[] good = SafeTensors.builder().put("w", Tensor.fromArray(new float[] {1, 2}, 2)).metadata("m", "x")
                .toBytes(true);
        assertEquals("x", SafeTensors.read(good, "f").metadata().get("m"));
        byte[] renamedMeta = replace(good, "\"m\":\"x\"", "\"m\":\"y\"");
        assertTrue(fault(renamedMeta).contains("checksum mismatch"), "a metadata value is covered");
        byte[] renamedTensor = replace(good, "\"w\":{", "\"v\":{");
        assertTrue(fault(renamedTensor).contains("checksum mismatch"), "a tensor's name is covered");
        byte[] reshaped = SafeTensors.builder().put("w", Tensor.fromArray(new float[] {1, 2}, 1, 2)).metadata("m", "x")
                .toBytes(true);
        String goodSum = SafeTensors.read(good, "f").metadata().get(SafeTensors.CHECKSUM_KEY);
        String reshapedSum = SafeTensors.read(reshaped, "f").metadata().get(SafeTensors.CHECKSUM_KEY);
        assertTrue(!goodSum.equals(reshapedSum), "the shape is covered: same bytes, other shape, other sum");
        assertTrue(goodSum.matches("[0-9a-f]{8}"), goodSum);
        // Without a checksum in the metadata, nothing is checked: the same edit reads.
        byte[] plain = SafeTensors.builder().put("w", Tensor.fromArray(new float[] {1, 2}, 2)).metadata("m", "x")
                .toBytes(false);
        assertEquals("y", SafeTensors.read(replace(plain, "\"m\":\"x\"", "\"m\":\"y\""), "f").metadata().get("m"));
    }

    /** The file with one header text replaced by another of the same length. */
    private static byte[] replace(byte[] file, String from, String to) {
        assertEquals(from.length(), to.length());
        String s = new String(file, StandardCharsets.ISO_8859_1);
        int at = s.indexOf(from);
        assertTrue(at > 0, from);
        byte[] out = file.clone();
        System.arraycopy(to.getBytes(StandardCharsets.ISO_8859_1), 0, out, at, to.length());
        return out;
    }
}
