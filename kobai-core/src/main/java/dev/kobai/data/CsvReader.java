package dev.kobai.data;

import dev.kobai.DataFormatException;
import dev.kobai.UsageException;
import dev.kobai.io.InputFile;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a classification dataset from a CSV file of numeric features and one label column.
 *
 * <p>The label column is either named (which requires a header row) or, by default, the last
 * column. A header is recognised when some field of the first row other than the last is not a
 * number: the last field is excluded because string labels such as {@code setosa} are not numbers
 * either. Labels that are all non-negative integers are used as class indices directly; otherwise
 * every distinct label is a class name and classes are numbered in the names' sorted order, so the
 * numbering does not depend on the order of rows.
 *
 * <p>Fields may be quoted with double quotes ({@code ""} inside quotes is one quote); a field may not
 * span lines. Blank lines are skipped. Every error names the file, the line and, where there is one,
 * the column. Only a regular file is read, and no further than its size ({@link InputFile}).
 */
public final class CsvReader {
    /** The largest integer label taken as a class index. */
    public static final int MAX_INTEGER_LABEL = 65535;

    private CsvReader() {
    }

    /**
     * Reads {@code file}, with the label in the last column.
     *
     * @throws DataFormatException naming the file, line and column of the first fault
     */
    public static Dataset read(Path file) {
        return read(file, null);
    }

    /**
     * Reads {@code file}, with the label in the column named {@code labelColumn} or, when that is
     * null, the last column. The dataset's name is the file name without its extension.
     *
     * @throws DataFormatException naming the file, line and column of the first fault
     */
    public static Dataset read(Path file, String labelColumn) {
        String fileName = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        String name = fileName.contains(".") ? fileName.substring(0, fileName.lastIndexOf('.')) : fileName;
        // A strict decoder, as Files.newBufferedReader's: bytes that are not UTF-8 are an error, not U+FFFD.
        try (Reader r = new BufferedReader(new InputStreamReader(InputFile.open(file), StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)), 1 << 16)) {
            return read(r, file.toString(), name, labelColumn);
        } catch (NoSuchFileException e) {
            throw new DataFormatException(file + ": no such file");
        } catch (IOException e) {
            throw new DataFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * Reads CSV text from {@code reader}; {@code source} names it in error messages. Rows are parsed
     * as they are read and only their numbers kept, in chunks (of at most {@link #CHUNK} values)
     * that are copied once into the dataset's arrays at the end: the peak is about twice the
     * dataset's own size, whatever the text's. (Holding every field as a String took 14 times the
     * dataset's size: a 168 MB file of 60,000 rows of 785 numbers peaked at 2.7 GB; it now reads in
     * a heap of 430 MB, 376 MB of it the chunks and the arrays.)
     *
     * @param labelColumn the label column's header name, or null for the last column
     */
    static Dataset read(Reader reader, String source, String name, String labelColumn) throws IOException {
        BufferedReader in = reader instanceof BufferedReader b ? b : new BufferedReader(reader);
        String[] first = null;
        int firstLine = 0;
        boolean header = false;
        int columns = 0;
        int labelCol = 0;
        int d = 0;
        FloatChunks x = new FloatChunks();
        IntChunks labelIds = new IntChunks();
        Labels labels = new Labels();
        int n = 0;
        String line;
        int lineNo = 0;
        while ((line = in.readLine()) != null) {
            lineNo++;
            if (lineNo == 1 && line.startsWith("\uFEFF")) {
                line = line.substring(1); // a UTF-8 byte order mark, as spreadsheet exports write
            }
            if (line.isBlank()) {
                continue;
            }
            String[] row = splitLine(line, source, lineNo);
            if (first == null) {
                first = row;
                firstLine = lineNo;
                columns = row.length;
                if (columns < 2) {
                    throw new DataFormatException(source + " line " + lineNo + ": " + columns
                            + " column; a dataset needs at least one feature column and a label column");
                }
                for (int c = 0; c < columns - 1; c++) {
                    if (!isNumber(row[c])) {
                        header = true;
                        break;
                    }
                }
                labelCol = columns - 1;
                if (labelColumn != null) {
                    if (!header) {
                        throw new DataFormatException(source + ": label column '" + labelColumn
                                + "' was named but the file has no header row (its first row is numeric)");
                    }
                    labelCol = Arrays.asList(row).indexOf(labelColumn);
                    if (labelCol < 0) {
                        throw new DataFormatException(source + " line " + lineNo + ": no column named '"
                                + labelColumn + "'; the columns are " + String.join(", ", row));
                    }
                }
                d = columns - 1;
                if (header) {
                    continue;
                }
            }
            if (row.length != columns) {
                throw new DataFormatException(source + " line " + lineNo + ": " + row.length + " fields, expected "
                        + columns + " as in line " + firstLine);
            }
            if (n == Integer.MAX_VALUE || (long) (n + 1) * d > MAX_VALUES) {
                throw new DataFormatException(source + " line " + lineNo + ": more than " + MAX_VALUES
                        + " feature values, more than one array holds");
            }
            for (int c = 0; c < columns; c++) {
                String field = row[c];
                if (c == labelCol) {
                    if (field.isEmpty()) {
                        throw new DataFormatException(source + " line " + lineNo + " column " + (c + 1)
                                + ": empty label");
                    }
                    labelIds.add(labels.id(field, source, lineNo, c + 1));
                    continue;
                }
                x.add(parseFeature(field, source, lineNo, c + 1, header ? first[c] : null));
            }
            n++;
        }
        if (first == null) {
            throw new UsageException(source + ": empty file, no rows: a dataset needs at least one sample");
        }
        if (n == 0) {
            throw new UsageException(source + ": a header row but no data rows: a dataset needs at least one sample");
        }
        int[] classOf = new int[labels.size()];
        List<String> classNames;
        int numClasses;
        if (labels.allNonNegativeInts()) {
            int max = 0;
            for (Map.Entry<String, int[]> e : labels.byFirstLine()) {
                int y = Integer.parseInt(e.getKey());
                if (y > MAX_INTEGER_LABEL) {
                    // Most likely a regression target, not a class; taken as an index it would make
                    // a model with millions of outputs.
                    throw new DataFormatException(source + " line " + e.getValue()[1] + " column " + (labelCol + 1)
                            + ": label " + y + " is too large for a class index (at most " + MAX_INTEGER_LABEL + ")");
                }
                classOf[e.getValue()[0]] = y;
                max = Math.max(max, y);
            }
            numClasses = max + 1;
            classNames = List.of();
        } else {
            TreeMap<String, Integer> sorted = new TreeMap<>();
            for (Map.Entry<String, int[]> e : labels.byFirstLine()) {
                sorted.put(e.getKey(), e.getValue()[0]);
            }
            int k = 0;
            for (int id : sorted.values()) {
                classOf[id] = k++;
            }
            numClasses = sorted.size();
            classNames = List.copyOf(sorted.keySet());
        }
        float[] features = x.toArray();
        x = null; // the chunks may go before the labels are copied
        int[] y = labelIds.toArray();
        for (int i = 0; i < n; i++) {
            y[i] = classOf[y[i]];
        }
        return new Dataset(name, features, y, new int[] {d}, numClasses, classNames);
    }

    /** The most feature values read: one Java array holds them. */
    static final long MAX_VALUES = Integer.MAX_VALUE - 8;

    /** The largest chunk, in values (4 MB of floats); chunks start at 1/64 of it and double up to it. */
    static final int CHUNK = 1 << 20;

    /** The size of the chunk after {@code previous} chunks. */
    private static int chunkSize(int previous) {
        return CHUNK >> Math.max(0, 6 - previous);
    }

    /**
     * The distinct labels in the order they first appear, each with its number and the line it
     * first appears on; at most {@link #MAX_INTEGER_LABEL} + 1 of them, as many as integer labels
     * can name, so that a label column of measurements is refused before it fills the heap.
     */
    private static final class Labels {
        private final LinkedHashMap<String, int[]> ids = new LinkedHashMap<>();
        private boolean allNonNegativeInts = true;

        int id(String label, String source, int line, int column) {
            int[] known = ids.get(label);
            if (known != null) {
                return known[0];
            }
            if (ids.size() > MAX_INTEGER_LABEL) {
                if (allNonNegativeInts && isNonNegativeInt(label)) {
                    // integers, so one is past MAX_INTEGER_LABEL (this one, if all before are 0..MAX):
                    // name the first, as a file of fewer labels would
                    String tooLarge = label;
                    int at = line;
                    for (Map.Entry<String, int[]> e : ids.entrySet()) {
                        if (Integer.parseInt(e.getKey()) > MAX_INTEGER_LABEL) {
                            tooLarge = e.getKey();
                            at = e.getValue()[1];
                            break;
                        }
                    }
                    throw new DataFormatException(source + " line " + at + " column " + column + ": label " + tooLarge
                            + " is too large for a class index (at most " + MAX_INTEGER_LABEL + ")");
                }
                throw new DataFormatException(source + " line " + line + " column " + column + ": more than "
                        + (MAX_INTEGER_LABEL + 1) + " distinct labels; a label column names classes, not measurements");
            }
            allNonNegativeInts &= isNonNegativeInt(label);
            int id = ids.size();
            ids.put(label, new int[] {id, line});
            return id;
        }

        int size() {
            return ids.size();
        }

        boolean allNonNegativeInts() {
            return allNonNegativeInts;
        }

        /** Each label with {number, first line}, in the order of their first lines. */
        Iterable<Map.Entry<String, int[]>> byFirstLine() {
            return ids.entrySet();
        }
    }

    /** Floats appended in chunks of growing size, so that growing never copies what is already there. */
    private static final class FloatChunks {
        private final List<float[]> full = new ArrayList<>();
        private float[] current = new float[chunkSize(0)];
        private long size;
        private int used;

        void add(float v) {
            if (used == current.length) {
                full.add(current);
                current = new float[chunkSize(full.size())];
                used = 0;
            }
            current[used++] = v;
            size++;
        }

        float[] toArray() {
            float[] out = new float[Math.toIntExact(size)];
            int at = 0;
            for (float[] c : full) {
                System.arraycopy(c, 0, out, at, c.length);
                at += c.length;
            }
            System.arraycopy(current, 0, out, at, used);
            return out;
        }
    }

    /** Ints appended in chunks, as {@link FloatChunks}. */
    private static final class IntChunks {
        private final List<int[]> full = new ArrayList<>();
        private int[] current = new int[chunkSize(0)];
        private long size;
        private int used;

        void add(int v) {
            if (used == current.length) {
                full.add(current);
                current = new int[chunkSize(full.size())];
                used = 0;
            }
            current[used++] = v;
            size++;
        }

        int[] toArray() {
            int[] out = new int[Math.toIntExact(size)];
            int at = 0;
            for (int[] c : full) {
                System.arraycopy(c, 0, out, at, c.length);
                at += c.length;
            }
            System.arraycopy(current, 0, out, at, used);
            return out;
        }
    }

    private static float parseFeature(String field, String source, int line, int column, String columnName) {
        String where = source + " line " + line + " column " + column
                + (columnName == null ? "" : " (" + columnName + ")");
        if (field.isEmpty()) {
            throw new DataFormatException(where + ": empty value, expected a number");
        }
        float v;
        try {
            v = Float.parseFloat(field);
        } catch (NumberFormatException e) {
            throw new DataFormatException(where + ": '" + field + "' is not a number");
        }
        if (!Float.isFinite(v)) {
            throw new DataFormatException(where + ": '" + field + "' is not a finite float32 number");
        }
        return v;
    }

    private static boolean isNumber(String field) {
        String s = field;
        if (s.isEmpty()) {
            return false;
        }
        try {
            Float.parseFloat(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean isNonNegativeInt(String s) {
        if (s.isEmpty() || s.length() > 9) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** Splits one line on commas, honouring double quotes. */
    private static String[] splitLine(String line, String source, int lineNo) {
        List<String> fields = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted) {
                if (ch == '"') {
                    if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        cur.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    cur.append(ch);
                }
            } else if (ch == '"') {
                quoted = true;
            } else if (ch == ',') {
                fields.add(cur.toString().strip());
                cur.setLength(0);
            } else {
                cur.append(ch);
            }
        }
        if (quoted) {
            throw new DataFormatException(source + " line " + lineNo + " column " + (fields.size() + 1)
                    + ": unclosed double quote");
        }
        fields.add(cur.toString().strip());
        return fields.toArray(String[]::new);
    }
}
