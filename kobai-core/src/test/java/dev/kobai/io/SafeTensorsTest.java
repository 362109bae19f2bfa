package dev.kobai.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kobai.DataFormatException;
import dev.kobai.nn.Models;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import dev.kobai.train.Checkpoint;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The safetensors reader's checks, each with its message, atomic writes, and numpy reading Kobai's files. */
class SafeTensorsTest {
    @TempDir
    Path dir;

    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }

    static String fault(byte[] bytes) {
        return assertThrows(DataFormatException.class, () -> SafeTensors.read(bytes, "f.safetensors")).getMessage();
    }

    @Test
    void roundTripKeepsValuesAndPadsTheHeader() {
        Tensor t = Tensor.fromArray(new float[] {1.5f, -2f, Float.MIN_VALUE, 3e38f, 0f, -0f}, 2, 3);
        Tensor d = Tensor.fromArray(new double[] {Math.PI, -1e-300}, 2);
        byte[] bytes = SafeTensors.builder().put("a", t).put("b.c", d).putLongs("n", new long[] {Long.MIN_VALUE, 7})
                .metadata("k", "v \"quoted\"").toBytes(true);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + n) % 8);
        SafeTensors.Contents c = SafeTensors.read(bytes, "x");
        assertArrayEquals(t.floatData(), c.tensor("a").floatData());
        assertArrayEquals(new int[] {2, 3}, c.tensor("a").shape());
        assertArrayEquals(d.doubleData(), c.tensor("b.c").doubleData());
        assertArrayEquals(new long[] {Long.MIN_VALUE, 7}, c.longs("n"));
        assertEquals("v \"quoted\"", c.metadata().get("k"));
    }

    @Test
    void eachFaultIsNamed() {
        byte[] data = new byte[8];
        assertTrue(fault(new byte[5]).contains("too short"));
        assertTrue(fault(new byte[] {(byte) 0xff, 0, 0, 0, 0, 0, 0, 0, '{', '}'}).contains("header length 255"));
        assertTrue(fault(file("[1,2]", data)).contains("does not start with '{'"));
        assertTrue(fault(file("{\"a\":", data)).contains("not JSON"));
        assertTrue(fault(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":1}", data))
                .contains("duplicate key"));
        assertTrue(fault(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", data))
                .contains("tensor 'w': data_offsets [0, 16) lie outside"));
        assertTrue(fault(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", data))
                .contains("tensor 'w'"));
        assertTrue(fault(file("{\"w\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", data))
                .contains("unknown dtype 'Q7'"));
        String overlap = fault(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", data));
        assertTrue(overlap.contains("'a' and 'b' overlap"), overlap);
        assertTrue(fault(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", data))
                .contains("after the last tensor"));
        assertTrue(fault(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", data))
                .contains("invalid dimension"));
    }

    @Test
    void checksumCatchesAFlippedByte() {
        byte[] bytes = SafeTensors.builder().put("w", Tensor.fromArray(new float[] {1, 2, 3, 4}, 4))
                .metadata("m", "x").toBytes(true);
        bytes[bytes.length - 3] ^= 0x10;
        assertTrue(fault(bytes).contains("checksum mismatch"));
    }

    @Test
    void aWriteThatFailsHalfwayLeavesThePreviousFileWhole() throws IOException {
        Path target = dir.resolve("ckpt.safetensors");
        byte[] first = SafeTensors.builder().put("w", Tensor.fromArray(new float[] {1, 2}, 2)).toBytes(true);
        AtomicFile.write(target, first);
        byte[] second = SafeTensors.builder().put("w", Tensor.fromArray(new float[] {9, 9, 9}, 3)).toBytes(true);
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(target, second,
                out -> new FilterOutputStream(out) {
                    int written;

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        int half = second.length / 2 - written;
                        if (len > half) {
                            out.write(b, off, Math.max(0, half));
                            throw new IOException("disk full (injected)");
                        }
                        out.write(b, off, len);
                        written += len;
                    }
                }));
        assertEquals("disk full (injected)", e.getMessage());
        assertArrayEquals(new float[] {1, 2}, SafeTensors.read(target).tensor("w").floatData());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(target), files.toList(), "the temporary file is removed");
        }
    }

    @Test
    void weightsLoadStrictlyOrReportWhatWasSkipped() {
        Sequential model = Models.mlp(new int[] {4, 3, 2}, "relu", new Rng(1), DType.FLOAT32);
        Path file = dir.resolve("w.safetensors");
        Checkpoint.exportWeights(file, model);
        Sequential other = Models.mlp(new int[] {4, 3, 2}, "relu", new Rng(2), DType.FLOAT32);
        assertTrue(Checkpoint.loadWeights(file, other, true).isEmpty());
        assertArrayEquals(model.parameters().get(0).floatData(), other.parameters().get(0).floatData());

        Sequential wider = Models.mlp(new int[] {4, 5, 2}, "relu", new Rng(2), DType.FLOAT32);
        float[] before = wider.parameters().get(0).floatData().clone();
        String shape = assertThrows(DataFormatException.class, () -> Checkpoint.loadWeights(file, wider, true))
                .getMessage();
        assertTrue(shape.contains("w.safetensors") && shape.contains("size mismatch for 0.weight: copying a tensor of"
                + " shape [3, 4], the shape in the model is [5, 4]"), shape);
        // as torch's load_state_dict: a shape mismatch is refused even when not strict, and nothing is loaded
        assertThrows(DataFormatException.class, () -> Checkpoint.loadWeights(file, wider, false));
        assertArrayEquals(before, wider.parameters().get(0).floatData(), "a refused load changes nothing");

        Sequential deeper = Models.mlp(new int[] {4, 3, 3, 2}, "relu", new Rng(2), DType.FLOAT32);
        String missing = assertThrows(DataFormatException.class, () -> Checkpoint.loadWeights(file, deeper, true))
                .getMessage();
        assertTrue(missing.contains("missing key(s) 4.weight, 4.bias")
                && missing.contains("size mismatch for 2.weight: copying a tensor of shape [2, 3]"), missing);
        Sequential shallow = Models.mlp(new int[] {4, 2}, "relu", new Rng(2), DType.FLOAT32);
        String unexpected = assertThrows(DataFormatException.class, () -> Checkpoint.loadWeights(file, shallow, true))
                .getMessage();
        assertTrue(unexpected.contains("unexpected key(s) 2.weight, 2.bias"), unexpected);
        Sequential f64 = Models.mlp(new int[] {4, 3, 2}, "relu", new Rng(2), DType.FLOAT64);
        assertTrue(Checkpoint.loadWeights(file, f64, true).isEmpty(), "float32 loads into float64, as torch converts");
        assertArrayEquals(model.parameters().get(2).toDoubleArray(), f64.parameters().get(2).toDoubleArray());
    }

    @Test
    void numpyReadsKobaiFilesWithTheSameValues() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Path script = Path.of("..", "tools", "read_safetensors.py").toAbsolutePath().normalize();
        assumeTrue(Files.isExecutable(python) && Files.exists(script), "python3 or the script is missing");
        Process check = new ProcessBuilder(python.toString(), "-c", "import numpy").start();
        assumeTrue(check.waitFor(60, TimeUnit.SECONDS) && check.exitValue() == 0, "numpy is not installed");

        Sequential model = Models.mlp(new int[] {5, 4, 3}, "tanh", new Rng(3), DType.FLOAT32);
        Path file = dir.resolve("w.safetensors");
        Checkpoint.exportWeights(file, model);
        Process p = new ProcessBuilder(python.toString(), script.toString(), file.toString(), "--json")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        @SuppressWarnings("unchecked")
        Map<String, Object> read = (Map<String, Object>) Json.parse(out, 10_000_000);
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> t = (Map<String, Object>) read.get(e.getKey());
            assertEquals("F32", t.get("dtype"), e.getKey());
            List<?> values = (List<?>) t.get("values");
            float[] expected = e.getValue().floatData();
            assertEquals(expected.length, values.size());
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], ((Number) values.get(i)).floatValue(), e.getKey() + "[" + i + "]");
            }
        }
    }
}
