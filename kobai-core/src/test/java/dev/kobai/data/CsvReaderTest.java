package dev.kobai.data;

import dev.kobai.DataFormatException;
import dev.kobai.UsageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CsvReaderTest {
    @TempDir
    Path dir;

    Path csv(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    void assertFault(Path file, String... parts) {
        DataFormatException e = assertThrows(DataFormatException.class, () -> CsvReader.read(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), e.getMessage());
        }
    }

    @Test
    void noHeaderIntegerLabelsLastColumn() throws IOException {
        Dataset ds = CsvReader.read(csv("plain.csv", "1,2,0\n3.5,-4e1,2\n\n5,6,1\n"));
        assertEquals("plain", ds.name());
        assertEquals(3, ds.size());
        assertEquals(2, ds.featureCount());
        assertArrayEquals(new int[] {2}, ds.sampleShape());
        assertArrayEquals(new float[] {1, 2, 3.5f, -40, 5, 6}, ds.features());
        assertArrayEquals(new int[] {0, 2, 1}, ds.labels());
        assertEquals(3, ds.numClasses());
        assertTrue(ds.classNames().isEmpty());
    }

    @Test
    void stringLabelsWithoutHeaderMapInSortedOrder() throws IOException {
        Dataset ds = CsvReader.read(csv("iris.csv", "5.1,3.5,virginica\n4.9,3.0,setosa\n6.2,2.9,versicolor\n"));
        assertEquals(3, ds.size());
        assertEquals(List.of("setosa", "versicolor", "virginica"), ds.classNames());
        assertArrayEquals(new int[] {2, 0, 1}, ds.labels());
    }

    @Test
    void headerAndNamedLabelColumn() throws IOException {
        Path f = csv("named.csv", "\"species\",width,height\ncat,1,2\ndog,3,4\ncat,5,6\n");
        Dataset ds = CsvReader.read(f, "species");
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, ds.features());
        assertArrayEquals(new int[] {0, 1, 0}, ds.labels());
        assertEquals(List.of("cat", "dog"), ds.classNames());
        // Header detected, label defaults to the last column.
        Dataset last = CsvReader.read(csv("h.csv", "a,b,label\n1,2,1\n3,4,0\n"));
        assertEquals(2, last.size());
        assertArrayEquals(new int[] {1, 0}, last.labels());
    }

    @Test
    void unknownLabelColumn() throws IOException {
        Path f = csv("u.csv", "a,b,label\n1,2,1\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> CsvReader.read(f, "class"));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("no column named 'class'")
                && e.getMessage().contains("a, b, label"), e.getMessage());
        Path g = csv("nohead.csv", "1,2,1\n");
        DataFormatException e2 = assertThrows(DataFormatException.class, () -> CsvReader.read(g, "label"));
        assertTrue(e2.getMessage().contains("no header"), e2.getMessage());
    }

    @Test
    void raggedRow() throws IOException {
        assertFault(csv("r.csv", "a,b,c\n1,2,0\n1,2\n"), "line 3", "2 fields, expected 3");
    }

    @Test
    void nonNumericValue() throws IOException {
        assertFault(csv("n.csv", "x,y,label\n1,2,0\n3,oops,1\n"), "line 3 column 2", "'oops' is not a number");
        assertFault(csv("e.csv", "1,2,0\n,2,1\n"), "line 2 column 1", "empty value");
        assertFault(csv("nan.csv", "1,2,0\nNaN,2,1\n"), "line 2 column 1", "finite");
    }

    @Test
    void hugeIntegerLabelIsNotAClass() throws IOException {
        assertFault(csv("price.csv", "1,2,3\n4,5,250000\n"), "line 2 column 3", "too large for a class index");
    }

    /** A file without samples is a usage error (exit 2): a dataset of nothing would train on nothing. */
    @Test
    void emptyFileAndHeaderOnly() throws IOException {
        for (String[] c : new String[][] {{"empty.csv", "", "empty file, no rows"}, {"blank.csv", "\n  \n",
            "empty file, no rows"}, {"hdr.csv", "a,b,label\n", "a header row but no data rows"}}) {
            Path f = csv(c[0], c[1]);
            UsageException e = assertThrows(UsageException.class, () -> CsvReader.read(f));
            assertEquals(f + ": " + c[2] + ": a dataset needs at least one sample", e.getMessage());
        }
    }

    /** Distinct labels are kept as text until the end: a column of measurements is refused at the 65,537th. */
    @Test
    void moreDistinctLabelsThanClassesAreRefusedWhileReading() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 70_000; i++) {
            sb.append(i % 7).append(",m").append(i).append('\n');
        }
        assertFault(csv("measured.csv", sb.toString()), "line 65537 column 2: more than 65536 distinct labels");
        StringBuilder ints = new StringBuilder();
        for (int i = 0; i < 70_000; i++) {
            ints.append(i % 7).append(',').append(i).append('\n');
        }
        assertFault(csv("indices.csv", ints.toString()), "line 65537 column 2: label 65536 is too large for a class"
                + " index (at most 65535)");
    }
}
