package dev.kobai.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kobai.DataFormatException;
import java.io.IOException;
import java.io.StringReader;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * CSV inputs at their edges: a byte order mark, the fewest columns a data set can have, quotes
 * inside quoted fields, a label column in the middle, integer labels up to the largest class index,
 * and enough rows that the reader's chunks fill and grow.
 */
class CsvEdgesTest {
    private static Dataset read(String text) throws IOException {
        return CsvReader.read(new StringReader(text), "t.csv", "t", null);
    }

    private static Dataset read(String text, String labelColumn) throws IOException {
        return CsvReader.read(new StringReader(text), "t.csv", "t", labelColumn);
    }

    private static String fault(String text) {
        return assertThrows(DataFormatException.class, () -> read(text)).getMessage();
    }

    @Test
    void aByteOrderMarkIsSkippedOnTheFirstLineOnly() throws IOException {
        Dataset d = read("\uFEFF1,0\n2,1\n");
        assertArrayEquals(new float[] {1, 2}, d.features());
        Dataset h = read("\uFEFFx,label\n3,a\n");
        assertArrayEquals(new float[] {3}, h.features(), "a header after the mark is still a header");
        assertEquals("t.csv line 2 column 1: '\uFEFF2' is not a number", fault("1,0\n\uFEFF2,1\n"));
    }

    @Test
    void twoColumnsAreEnoughAndOneIsNot() throws IOException {
        Dataset d = read("0.5,1\n1.5,0\n");
        assertEquals(1, d.featureCount());
        assertArrayEquals(new int[] {1, 0}, d.labels());
        assertEquals("t.csv line 1: 1 column; a dataset needs at least one feature column and a label column",
                fault("5\n6\n"));
    }

    @Test
    void quotedFieldsKeepCommasAndDoubledQuotes() throws IOException {
        Dataset d = read("\"1.5\",\"a \"\"big\"\", one\"\n \"2\" , b\n");
        assertArrayEquals(new float[] {1.5f, 2f}, d.features());
        assertEquals(List.of("a \"big\", one", "b"), d.classNames());
        assertEquals("t.csv line 1 column 2: unclosed double quote", fault("1,\"a\n"));
        assertEquals("t.csv line 1 column 1: unclosed double quote", fault("\"1,a\n"));
        assertEquals("t.csv line 1 column 3: unclosed double quote", fault("1,2,\"x\"\"\n"));
    }

    @Test
    void aLabelColumnInTheMiddleIsTakenOutOfTheFeatures() throws IOException {
        Dataset d = read("a,y,b\n1,cat,2\n3,dog,4\n", "y");
        assertArrayEquals(new float[] {1, 2, 3, 4}, d.features());
        assertArrayEquals(new int[] {0, 1}, d.labels());
        assertEquals(2, d.featureCount());
        assertEquals("t.csv line 3 column 1 (a): 'x' is not a number",
                assertThrows(DataFormatException.class, () -> read("a,y,b\n1,cat,2\nx,dog,4\n", "y")).getMessage());
        assertEquals("t.csv line 2 column 2: empty label",
                assertThrows(DataFormatException.class, () -> read("a,y,b\n1,,2\n", "y")).getMessage());
    }

    @Test
    void integerLabelsUpToTheLargestClassIndex() throws IOException {
        Dataset d = read("1," + CsvReader.MAX_INTEGER_LABEL + "\n2,0\n");
        assertEquals(CsvReader.MAX_INTEGER_LABEL + 1, d.numClasses());
        assertEquals("t.csv line 1 column 2: label 65536 is too large for a class index (at most 65535)",
                fault("1,65536\n2,0\n"));
        // Nine digits are an integer; ten are a name (no int overflow), so the classes are named.
        assertEquals(List.of("0", "1234567890"), read("1,1234567890\n2,0\n").classNames());
        assertEquals(List.of("+1", "0"), read("1,+1\n2,0\n").classNames(), "a sign makes a name");
        assertEquals(List.of("0", "1.0"), read("1,1.0\n2,0\n").classNames());
    }

    @Test
    void manyRowsFillAndGrowTheChunks() throws IOException {
        int n = (CsvReader.CHUNK >> 6) * 3 + 7; // past the first chunks, with a partial last one
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i).append(',').append(i % 4).append('\n');
        }
        Dataset d = read(sb.toString());
        assertEquals(n, d.size());
        for (int i = 0; i < n; i += 997) {
            assertEquals(i, d.feature(i, 0));
            assertEquals(i % 4, d.label(i));
        }
        assertEquals(n - 1, d.feature(n - 1, 0));
        assertEquals((n - 1) % 4, d.label(n - 1));
    }

    @Test
    void numbersThatAreNotFloat32AreRefusedNamingTheColumn() {
        assertEquals("t.csv line 2 column 1 (x): '1e39' is not a finite float32 number", fault("x,y\n1e39,0\n"));
        assertEquals("t.csv line 1 column 1: 'NaN' is not a finite float32 number", fault("NaN,0\n"));
        assertEquals("t.csv line 2 column 1 (x): empty value, expected a number", fault("x,y\n,0\n"));
        assertEquals("t.csv line 3: 3 fields, expected 2 as in line 1", fault("1,0\n2,1\n3,1,2\n"));
    }
}
