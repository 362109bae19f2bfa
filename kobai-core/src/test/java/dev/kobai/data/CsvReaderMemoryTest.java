package dev.kobai.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CSV reader keeps numbers, not text: a file of 2 million feature values (8 MB as float32,
 * 6 MB of text) is read by a child JVM whose heap is 40 MB. Holding each field as a String, as the
 * reader once did, took about 17 bytes of heap per byte of data (a 168 MB file peaked at 2.7 GB),
 * so that child ran out of memory.
 */
class CsvReaderMemoryTest {
    @TempDir
    Path dir;

    /** Reads the CSV file named by its argument and prints the dataset's size. */
    static final class Child {
        public static void main(String[] args) {
            Dataset d = CsvReader.read(Path.of(args[0]));
            System.out.println(d.size() + " x " + d.featureCount() + " " + d.numClasses());
        }
    }

    @Test
    void aFileOfEightMegabytesOfFloatsIsReadInAFortyMegabyteHeap() throws Exception {
        int rows = 40_000;
        int features = 50;
        Path csv = dir.resolve("wide.csv");
        try (BufferedWriter w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
            for (int i = 0; i < rows; i++) {
                StringBuilder row = new StringBuilder();
                for (int j = 0; j < features; j++) {
                    row.append((i * 31 + j * 17) % 100).append(',');
                }
                w.write(row.append(i % 10).append('\n').toString());
            }
        }
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx40m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), Child.class.getName(),
                csv.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertEquals(rows + " x " + features + " 10", out.strip());
    }
}
