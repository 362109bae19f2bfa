package dev.kobai.io;

import dev.kobai.DataFormatException;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Shape;
import dev.kobai.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of
 * UTF-8 JSON mapping each tensor's name to its {@code dtype}, {@code shape} and
 * {@code data_offsets} [begin, end) (relative to the first byte after the header), plus an
 * optional {@code "__metadata__"} map of strings; then the tensors' raw little-endian bytes.
 * Written headers are padded with spaces so that the data starts at a multiple of 8.
 *
 * <p>Reading checks everything before it trusts anything: the header length against the file's
 * size and {@link #MAX_HEADER_BYTES}, the header as strict JSON, each entry's dtype, shape and
 * offsets (inside the data, exactly the size the shape and dtype need, neither overlapping nor
 * leaving gaps), and, when the metadata carries {@value #CHECKSUM_KEY}, a CRC-32 over the data
 * and the header's contents, which catches flipped bytes. Every fault is a
 * {@link DataFormatException} that names the file and, where there is one, the tensor.
 */
public final class SafeTensors {
    /** The largest header accepted, as the reference implementation's limit. */
    public static final int MAX_HEADER_BYTES = 100_000_000;
    /** The largest file read: one Java array holds the data. */
    public static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;
    /** The metadata key of Kobai's checksum: CRC-32 in 8 hex digits. */
    public static final String CHECKSUM_KEY = "kobai.crc32";
    /** The header key holding the metadata map. */
    public static final String METADATA_KEY = "__metadata__";

    private SafeTensors() {}

    /** The element types of the format, with their sizes in bytes. */
    public enum Dtype {
        BOOL(1), U8(1), I8(1), I16(2), U16(2), F16(2), BF16(2), I32(4), U32(4), F32(4), I64(8), U64(8), F64(8);

        private final int bytes;

        Dtype(int bytes) {
            this.bytes = bytes;
        }

        public int bytes() {
            return bytes;
        }

        static Dtype parse(String name) {
            for (Dtype d : values()) {
                if (d.name().equals(name)) {
                    return d;
                }
            }
            return null;
        }
    }

    /** One tensor's header entry: offsets are relative to the start of the data section. */
    public record Entry(String name, Dtype dtype, long[] shape, long begin, long end) {
        /** The shape as ints (every dimension was checked to fit). */
        public int[] intShape() {
            int[] out = new int[shape.length];
            for (int i = 0; i < shape.length; i++) {
                out[i] = (int) shape[i];
            }
            return out;
        }
    }

    // ------------------------------------------------------------------ reading

    /** A file read and checked: its metadata, its entries in header order and its data. */
    public static final class Contents {
        private final String source;
        private final Map<String, String> metadata;
        private final Map<String, Entry> entries;
        private final byte[] data;

        private Contents(String source, Map<String, String> metadata, Map<String, Entry> entries, byte[] data) {
            this.source = source;
            this.metadata = Collections.unmodifiableMap(metadata);
            this.entries = Collections.unmodifiableMap(entries);
            this.data = data;
        }

        /** Where the contents came from, for messages. */
        public String source() {
            return source;
        }

        public Map<String, String> metadata() {
            return metadata;
        }

        /** The tensors' header entries by name, in header order. */
        public Map<String, Entry> entries() {
            return entries;
        }

        public Entry entry(String name) {
            Entry e = entries.get(name);
            if (e == null) {
                throw new DataFormatException(source + ": tensor '" + name + "' is missing");
            }
            return e;
        }

        /** A float tensor (F32 or F64) as a Kobai tensor of the same dtype. */
        public Tensor tensor(String name) {
            Entry e = entry(name);
            ByteBuffer b = slice(e);
            int n = (int) ((e.end() - e.begin()) / e.dtype().bytes());
            int[] shape = e.intShape();
            return switch (e.dtype()) {
                case F32 -> {
                    float[] out = new float[n];
                    b.asFloatBuffer().get(out);
                    yield Tensor.fromArray(out, shape);
                }
                case F64 -> {
                    double[] out = new double[n];
                    b.asDoubleBuffer().get(out);
                    yield Tensor.fromArray(out, shape);
                }
                default -> throw new DataFormatException(source + ": tensor '" + name + "' has dtype " + e.dtype()
                        + "; only F32 and F64 tensors load as Kobai tensors");
            };
        }

        /**
         * The tensors whose names start with {@code prefix}, under their names without it, in header
         * order, as a state dict: F32 and F64 as tensors of that dtype, I64 as float64 whole numbers
         * (exact up to 2^53; {@link Tensor#holdsInt64()} is false on them, the module they load into
         * knows its integral buffers). Any other dtype is a {@link DataFormatException} naming the
         * tensor. {@code ""} takes every tensor.
         */
        public Map<String, Tensor> stateDict(String prefix) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Entry e : entries.values()) {
                if (!e.name().startsWith(prefix)) {
                    continue;
                }
                Tensor t;
                if (e.dtype() == Dtype.I64) {
                    long[] values = longs(e.name());
                    double[] whole = new double[values.length];
                    for (int i = 0; i < values.length; i++) {
                        whole[i] = values[i];
                    }
                    t = Tensor.fromArray(whole, e.intShape());
                } else {
                    t = tensor(e.name());
                }
                out.put(e.name().substring(prefix.length()), t);
            }
            return out;
        }

        /** An I64 tensor's values, flattened. */
        public long[] longs(String name) {
            Entry e = entry(name);
            if (e.dtype() != Dtype.I64) {
                throw new DataFormatException(source + ": tensor '" + name + "' has dtype " + e.dtype()
                        + ", expected I64");
            }
            long[] out = new long[(int) ((e.end() - e.begin()) / 8)];
            slice(e).asLongBuffer().get(out);
            return out;
        }

        private ByteBuffer slice(Entry e) {
            return ByteBuffer.wrap(data, (int) e.begin(), (int) (e.end() - e.begin())).slice()
                    .order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    /**
     * Reads and checks a file. Only a regular file is read ({@link InputFile}): a FIFO or a device
     * such as /dev/zero is a {@link dev.kobai.UsageException}; nothing past the file's size is read.
     */
    public static Contents read(Path file) {
        String source = file.toString();
        long size;
        try {
            size = InputFile.size(file);
        } catch (IOException e) {
            throw new DataFormatException(source + ": cannot read: " + ioMessage(e), e);
        }
        if (size > MAX_FILE_BYTES) {
            throw new DataFormatException(source + ": " + size + " bytes is larger than the " + MAX_FILE_BYTES
                    + " bytes Kobai reads");
        }
        byte[] bytes;
        try {
            bytes = InputFile.readAllBytes(file, MAX_FILE_BYTES);
        } catch (IOException e) {
            throw new DataFormatException(source + ": cannot read: " + ioMessage(e), e);
        }
        return read(bytes, source);
    }

    private static String ioMessage(IOException e) {
        return e instanceof java.nio.file.NoSuchFileException ? "no such file" : String.valueOf(e.getMessage());
    }

    /** Reads and checks the bytes of a file; {@code source} names it in messages. */
    public static Contents read(byte[] bytes, String source) {
        if (bytes.length < 8) {
            throw new DataFormatException(source + ": " + bytes.length + " bytes is too short for a safetensors file"
                    + " (the header length alone takes 8): truncated or not a safetensors file");
        }
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || headerLength > bytes.length - 8) {
            throw new DataFormatException(source + ": header length " + Long.toUnsignedString(headerLength)
                    + " does not fit the file's " + bytes.length + " bytes"
                    + (headerLength > MAX_HEADER_BYTES ? " (limit " + MAX_HEADER_BYTES + ")" : "")
                    + ": truncated or not a safetensors file");
        }
        int n = (int) headerLength;
        if (bytes[8] != '{') {
            throw new DataFormatException(source + ": the header does not start with '{': not a safetensors file");
        }
        String headerText;
        try {
            headerText = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 8, n)).toString();
        } catch (CharacterCodingException e) {
            throw new DataFormatException(source + ": the header is not valid UTF-8: not a safetensors file", e);
        }
        Object parsed;
        try {
            parsed = Json.parse(headerText, MAX_HEADER_BYTES);
        } catch (DataFormatException e) {
            throw new DataFormatException(source + ": the header is not JSON (" + e.getMessage() + ")", e);
        }
        if (!(parsed instanceof Map<?, ?> header)) {
            throw new DataFormatException(source + ": the header is not a JSON object");
        }
        byte[] data = Arrays.copyOfRange(bytes, 8 + n, bytes.length);
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(METADATA_KEY)) {
                if (!(e.getValue() instanceof Map<?, ?> m)) {
                    throw new DataFormatException(source + ": " + METADATA_KEY + " is not a JSON object");
                }
                for (Map.Entry<?, ?> me : m.entrySet()) {
                    if (!(me.getValue() instanceof String v)) {
                        throw new DataFormatException(source + ": metadata '" + me.getKey() + "' is not a string");
                    }
                    metadata.put((String) me.getKey(), v);
                }
                continue;
            }
            entries.put(name, entry(source, name, e.getValue(), data.length));
        }
        checkLayout(source, entries.values(), data.length);
        String expected = metadata.get(CHECKSUM_KEY);
        if (expected != null) {
            String actual = checksum(entries.values(), metadata, data);
            if (!actual.equals(expected)) {
                throw new DataFormatException(source + ": checksum mismatch (" + CHECKSUM_KEY + " says " + expected
                        + ", the contents give " + actual + "): the file is corrupt");
            }
        }
        return new Contents(source, metadata, entries, data);
    }

    private static Entry entry(String source, String name, Object value, long dataLength) {
        String where = source + ": tensor '" + name + "'";
        if (!(value instanceof Map<?, ?> m)) {
            throw new DataFormatException(where + ": entry is not a JSON object");
        }
        for (Object key : m.keySet()) {
            if (!List.of("dtype", "shape", "data_offsets").contains(key)) {
                throw new DataFormatException(where + ": unknown key '" + key + "' (expected dtype, shape, data_offsets)");
            }
        }
        if (!(m.get("dtype") instanceof String dtypeName)) {
            throw new DataFormatException(where + ": dtype is missing or not a string");
        }
        Dtype dtype = Dtype.parse(dtypeName);
        if (dtype == null) {
            throw new DataFormatException(where + ": unknown dtype '" + dtypeName + "' (valid: "
                    + Arrays.toString(Dtype.values()) + ")");
        }
        if (!(m.get("shape") instanceof List<?> shapeList)) {
            throw new DataFormatException(where + ": shape is missing or not an array");
        }
        if (shapeList.size() > 64) {
            throw new DataFormatException(where + ": shape has " + shapeList.size() + " dimensions (limit 64)");
        }
        long[] shape = new long[shapeList.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(shapeList.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw new DataFormatException(where + ": shape " + shapeList + " has an invalid dimension "
                        + shapeList.get(i));
            }
            shape[i] = d;
            numel = d == 0 || numel == 0 ? 0 : numel * d;
            if (numel > MAX_FILE_BYTES) {
                throw new DataFormatException(where + ": shape " + shapeList + " is larger than any file Kobai reads");
            }
        }
        if (!(m.get("data_offsets") instanceof List<?> offsets) || offsets.size() != 2
                || !(offsets.get(0) instanceof Long begin) || !(offsets.get(1) instanceof Long end)) {
            throw new DataFormatException(where + ": data_offsets is missing or not two integers [begin, end)");
        }
        if (begin < 0 || end < begin || end > dataLength) {
            throw new DataFormatException(where + ": data_offsets [" + begin + ", " + end + ") lie outside the "
                    + dataLength + " bytes of data: truncated or corrupt file");
        }
        long bytes = numel * dtype.bytes();
        if (end - begin != bytes) {
            throw new DataFormatException(where + ": data_offsets [" + begin + ", " + end + ") hold " + (end - begin)
                    + " bytes but dtype " + dtype + " and shape " + shapeList + " need " + bytes);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** The entries must tile the data section: no overlaps, no gaps, nothing after the last. */
    private static void checkLayout(String source, java.util.Collection<Entry> entries, long dataLength) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin() < at) {
                throw new DataFormatException(source + ": tensors '" + previous.name() + "' and '" + e.name()
                        + "' overlap (data_offsets [" + previous.begin() + ", " + previous.end() + ") and ["
                        + e.begin() + ", " + e.end() + "))");
            }
            if (e.begin() > at) {
                throw new DataFormatException(source + ": " + (e.begin() - at) + " bytes of data before tensor '"
                        + e.name() + "' belong to no tensor");
            }
            at = e.end();
            previous = e;
        }
        if (at != dataLength) {
            throw new DataFormatException(source + ": " + (dataLength - at) + " bytes after the last tensor belong"
                    + " to no tensor");
        }
    }

    /** CRC-32 over the entries (by name), the metadata other than the checksum (by key), then the data. */
    static String checksum(java.util.Collection<Entry> entries, Map<String, String> metadata, byte[] data) {
        CRC32 crc = new CRC32();
        TreeMap<String, Entry> byName = new TreeMap<>();
        for (Entry e : entries) {
            byName.put(e.name(), e);
        }
        StringBuilder sb = new StringBuilder();
        for (Entry e : byName.values()) {
            sb.append(e.name()).append('\0').append(e.dtype()).append('\0').append(Arrays.toString(e.shape()))
                    .append('\0').append(e.begin()).append(',').append(e.end()).append('\0');
        }
        for (Map.Entry<String, String> m : new TreeMap<>(metadata).entrySet()) {
            if (!m.getKey().equals(CHECKSUM_KEY)) {
                sb.append(m.getKey()).append('\0').append(m.getValue()).append('\0');
            }
        }
        crc.update(StandardCharsets.UTF_8.encode(CharBuffer.wrap(sb)));
        crc.update(data);
        return String.format("%08x", crc.getValue());
    }

    // ------------------------------------------------------------------ writing

    /** Collects tensors and metadata, then encodes them as one file. */
    public static final class Builder {
        private final Map<String, Object> tensors = new LinkedHashMap<>();
        private final Map<String, String> metadata = new LinkedHashMap<>();

        /** Adds a float tensor under {@code name}, as F32 or F64 after its dtype. */
        public Builder put(String name, Tensor t) {
            add(name, t);
            return this;
        }

        /**
         * Adds each tensor of a state dict under {@code prefix} + its name: F32 or F64 after its
         * dtype, I64 of its shape when it {@link Tensor#holdsInt64() holds int64}.
         */
        public Builder putStateDict(String prefix, Map<String, ? extends Tensor> stateDict) {
            stateDict.forEach((name, t) -> {
                if (t.holdsInt64()) {
                    long[] values = new long[t.numel()];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = (long) t.getFlat(i);
                    }
                    putLongs(prefix + name, values, t.shape());
                } else {
                    put(prefix + name, t.detach());
                }
            });
            return this;
        }

        /** Adds a 1-D I64 tensor. */
        public Builder putLongs(String name, long[] values) {
            return putLongs(name, values, values.length);
        }

        /** Adds an I64 tensor of the given shape ({@code []} for one number, as torch writes a counter). */
        public Builder putLongs(String name, long[] values, int... shape) {
            if (Shape.numel(shape) != values.length) {
                throw new IllegalArgumentException("tensor '" + name + "': " + values.length + " values do not fit shape "
                        + Arrays.toString(shape));
            }
            add(name, new Longs(values.clone(), Arrays.stream(shape).asLongStream().toArray()));
            return this;
        }

        /** I64 values with their shape. */
        private record Longs(long[] values, long[] shape) {}

        private void add(String name, Object value) {
            if (name.equals(METADATA_KEY) || tensors.containsKey(name)) {
                throw new IllegalArgumentException("tensor name '" + name + "' is reserved or used twice");
            }
            tensors.put(name, value);
        }

        public Builder metadata(String key, String value) {
            metadata.put(key, value);
            return this;
        }

        /** The file's bytes; with {@code checksum}, the metadata gets {@value #CHECKSUM_KEY}. */
        public byte[] toBytes(boolean checksum) {
            List<Entry> entries = new ArrayList<>();
            long offset = 0;
            for (Map.Entry<String, Object> e : tensors.entrySet()) {
                Dtype dtype;
                long[] shape;
                long bytes;
                if (e.getValue() instanceof Tensor t) {
                    dtype = t.dtype() == DType.FLOAT32 ? Dtype.F32 : Dtype.F64;
                    shape = Arrays.stream(t.shape()).asLongStream().toArray();
                    bytes = (long) t.numel() * dtype.bytes();
                } else {
                    Longs v = (Longs) e.getValue();
                    dtype = Dtype.I64;
                    shape = v.shape();
                    bytes = 8L * v.values().length;
                }
                entries.add(new Entry(e.getKey(), dtype, shape, offset, offset + bytes));
                offset += bytes;
            }
            if (offset > MAX_FILE_BYTES) {
                throw new IllegalArgumentException("tensors of " + offset + " bytes are too large for one file");
            }
            ByteBuffer data = ByteBuffer.allocate((int) offset).order(ByteOrder.LITTLE_ENDIAN);
            for (Object v : tensors.values()) {
                if (v instanceof Tensor t) {
                    if (t.dtype() == DType.FLOAT32) {
                        for (float x : t.toFloatArray()) {
                            data.putFloat(x);
                        }
                    } else {
                        for (double x : t.toDoubleArray()) {
                            data.putDouble(x);
                        }
                    }
                } else {
                    for (long x : ((Longs) v).values()) {
                        data.putLong(x);
                    }
                }
            }
            Map<String, String> meta = new LinkedHashMap<>(metadata);
            meta.remove(CHECKSUM_KEY);
            if (checksum) {
                meta.put(CHECKSUM_KEY, SafeTensors.checksum(entries, meta, data.array()));
            }
            StringBuilder header = new StringBuilder("{");
            if (!meta.isEmpty()) {
                Json.quote(header, METADATA_KEY);
                header.append(':').append(Json.write(meta));
            }
            for (Entry e : entries) {
                header.append(header.length() == 1 ? "" : ",");
                Json.quote(header, e.name());
                header.append(":{\"dtype\":\"").append(e.dtype()).append("\",\"shape\":")
                        .append(Arrays.toString(e.shape()).replace(" ", ""))
                        .append(",\"data_offsets\":[").append(e.begin()).append(',').append(e.end()).append("]}");
            }
            header.append('}');
            byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
            int padded = (headerBytes.length + 7) / 8 * 8;
            ByteBuffer out = ByteBuffer.allocate(8 + padded + (int) offset).order(ByteOrder.LITTLE_ENDIAN);
            out.putLong(padded);
            out.put(headerBytes);
            for (int i = headerBytes.length; i < padded; i++) {
                out.put((byte) ' ');
            }
            out.put(data.array());
            return out.array();
        }

        /** Writes the file atomically, with a checksum. */
        public void write(Path file) throws IOException {
            AtomicFile.write(file, toBytes(true));
        }
    }

    /**
     * Writes a state dict ({@code module.stateDict()}, or any map of names to tensors) to
     * {@code file} atomically with a checksum, in the map's order: F32 or F64 after each tensor's
     * dtype, I64 for a tensor that {@link Tensor#holdsInt64() holds int64} (shape kept, so torch's
     * {@code num_batches_tracked} stays a 0-dimensional int64). PyTorch reads the file as its own
     * state_dict; {@link #loadStateDict} reads it back.
     *
     * {@snippet :
     * SafeTensors.saveStateDict(Path.of("model.safetensors"), model.stateDict(), Map.of());
     * model.loadStateDict(SafeTensors.loadStateDict(Path.of("model.safetensors")), true);
     * }
     *
     * @param metadata strings for the header's {@value #METADATA_KEY}, in order
     */
    public static void saveStateDict(Path file, Map<String, ? extends Tensor> stateDict, Map<String, String> metadata)
            throws IOException {
        Builder b = builder();
        metadata.forEach(b::metadata);
        b.putStateDict("", stateDict);
        b.write(file);
    }

    /**
     * Reads every tensor of a safetensors file as a state dict, in header order (see
     * {@link Contents#stateDict}); the file is checked as {@link #read(Path)} checks it.
     */
    public static Map<String, Tensor> loadStateDict(Path file) {
        return read(file).stateDict("");
    }

    public static Builder builder() {
        return new Builder();
    }
}
