package dev.kobai.data;

import dev.kobai.DataFormatException;
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
import java.util.List;
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
     * Reads CSV text from {@code reader}; {@code source} names it in error messages.
     *
     * @param labelColumn the label column's header name, or null for the last column
     */
    static Dataset read(Reader reader, String source, String name, String labelColumn) throws IOException {
        BufferedReader in = reader instanceof BufferedReader b ? b : new BufferedReader(reader);
        List<String[]> rows = new ArrayList<>();
        List<Integer> lineNumbers = new ArrayList<>();
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
            rows.add(splitLine(line, source, lineNo));
            lineNumbers.add(lineNo);
        }
        if (rows.isEmpty()) {
            throw new DataFormatException(source + ": empty file, no rows");
        }
        String[] first = rows.get(0);
        int columns = first.length;
        if (columns < 2) {
            throw new DataFormatException(source + " line " + lineNumbers.get(0) + ": " + columns
                    + " column; a dataset needs at least one feature column and a label column");
        }
        boolean header = false;
        for (int c = 0; c < columns - 1; c++) {
            if (!isNumber(first[c])) {
                header = true;
                break;
            }
        }
        int labelCol = columns - 1;
        if (labelColumn != null) {
            if (!header) {
                throw new DataFormatException(source + ": label column '" + labelColumn
                        + "' was named but the file has no header row (its first row is numeric)");
            }
            labelCol = Arrays.asList(first).indexOf(labelColumn);
            if (labelCol < 0) {
                throw new DataFormatException(source + " line " + lineNumbers.get(0) + ": no column named '"
                        + labelColumn + "'; the columns are " + String.join(", ", first));
            }
        }
        int start = header ? 1 : 0;
        int n = rows.size() - start;
        if (n == 0) {
            throw new DataFormatException(source + ": a header row but no data rows");
        }
        int d = columns - 1;
        float[] x = new float[Math.multiplyExact(n, d)];
        String[] rawLabels = new String[n];
        boolean integerLabels = true;
        for (int i = 0; i < n; i++) {
            String[] row = rows.get(start + i);
            int ln = lineNumbers.get(start + i);
            if (row.length != columns) {
                throw new DataFormatException(source + " line " + ln + ": " + row.length + " fields, expected "
                        + columns + " as in line " + lineNumbers.get(0));
            }
            int j = 0;
            for (int c = 0; c < columns; c++) {
                String field = row[c];
                if (c == labelCol) {
                    if (field.isEmpty()) {
                        throw new DataFormatException(source + " line " + ln + " column " + (c + 1)
                                + ": empty label");
                    }
                    rawLabels[i] = field;
                    integerLabels &= isNonNegativeInt(field);
                    continue;
                }
                x[i * d + j++] = parseFeature(field, source, ln, c + 1, header ? first[c] : null);
            }
        }
        int[] y = new int[n];
        List<String> classNames;
        int numClasses;
        if (integerLabels) {
            int max = 0;
            for (int i = 0; i < n; i++) {
                y[i] = Integer.parseInt(rawLabels[i]);
                if (y[i] > MAX_INTEGER_LABEL) {
                    // Most likely a regression target, not a class; taken as an index it would make
                    // a model with millions of outputs.
                    throw new DataFormatException(source + " line " + lineNumbers.get(start + i) + " column "
                            + (labelCol + 1) + ": label " + y[i] + " is too large for a class index (at most "
                            + MAX_INTEGER_LABEL + ")");
                }
                max = Math.max(max, y[i]);
            }
            numClasses = max + 1;
            classNames = List.of();
        } else {
            TreeMap<String, Integer> index = new TreeMap<>();
            for (String s : rawLabels) {
                index.put(s, 0);
            }
            int k = 0;
            for (var e : index.entrySet()) {
                e.setValue(k++);
            }
            for (int i = 0; i < n; i++) {
                y[i] = index.get(rawLabels[i]);
            }
            numClasses = index.size();
            classNames = List.copyOf(index.keySet());
        }
        return new Dataset(name, x, y, new int[] {d}, numClasses, classNames);
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
