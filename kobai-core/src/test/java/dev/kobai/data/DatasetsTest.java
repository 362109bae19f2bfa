package dev.kobai.data;

import dev.kobai.UsageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class DatasetsTest {
    @TempDir
    Path dir;

    @Test
    void digitsLoadsAllSamplesScaledToUnitRange() {
        Dataset all = Datasets.digitsAll();
        assertEquals(1797, all.size());
        assertEquals(64, all.featureCount());
        assertArrayEquals(new int[] {8, 8}, all.sampleShape());
        assertEquals(10, all.numClasses());
        int[] counts = new int[10];
        for (int y : all.labels()) {
            counts[y]++;
        }
        for (int c : counts) {
            assertTrue(c > 170 && c < 190, Arrays.toString(counts));
        }
        float max = 0;
        for (float v : all.features()) {
            assertTrue(v >= 0 && v <= 1);
            max = Math.max(max, v);
        }
        assertEquals(1f, max);
        // First row of the file: 0,0,5,13,9,1,0,0,... label 0.
        assertEquals(5f / 16, all.feature(0, 2));
        assertEquals(0, all.label(0));
    }

    @Test
    void digitsSplitIsFixed() {
        TrainTest a = Datasets.digits();
        TrainTest b = Datasets.fromSpec("digits");
        assertEquals(1797, a.train().size() + a.test().size());
        assertEquals(360, a.test().size());
        assertArrayEquals(a.train().labels(), b.train().labels());
        assertArrayEquals(a.test().features(), b.test().features());
        assertEquals("digits/test", a.test().name());
    }

    @Test
    void splitPartitionsTheSamples() {
        float[] x = new float[10];
        int[] y = new int[10];
        for (int i = 0; i < 10; i++) {
            x[i] = i;
        }
        Dataset ds = new Dataset("ten", x, y, new int[] {1}, 1, java.util.List.of());
        TrainTest t = ds.split(0.3, 7);
        assertEquals(3, t.test().size());
        float[] seen = new float[10];
        for (float v : t.train().features()) {
            seen[(int) v]++;
        }
        for (float v : t.test().features()) {
            seen[(int) v]++;
        }
        for (float s : seen) {
            assertEquals(1f, s);
        }
        assertArrayEquals(t.test().features(), ds.split(0.3, 7).test().features());
        assertTrue(!Arrays.equals(t.test().features(), ds.split(0.3, 8).test().features())
                || !Arrays.equals(t.test().features(), ds.split(0.3, 9).test().features()));
    }

    @Test
    void fashionMnistWhenInstalled() {
        assumeTrue(Files.isDirectory(Datasets.FASHION_MNIST_DIR), "dataset-fashion-mnist not installed");
        TrainTest t = Datasets.fromSpec("fashion-mnist");
        assertEquals(60000, t.train().size());
        assertEquals(10000, t.test().size());
        assertArrayEquals(new int[] {28, 28}, t.train().sampleShape());
        assertEquals(784, t.train().featureCount());
        assertEquals(10, t.train().numClasses());
        assertEquals("T-shirt/top", t.train().className(0));
        assertEquals("Ankle boot", t.test().className(9));
        int[] counts = new int[10];
        for (int y : t.test().labels()) {
            counts[y]++;
        }
        assertArrayEquals(new int[] {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}, counts);
    }

    @Test
    void idxDirectoryWithMixedNames() throws IOException {
        byte[] px = new byte[3 * 2 * 2];
        Files.write(dir.resolve("train-images-idx3-ubyte.gz"),
                IdxReaderTest.gzip(IdxReaderTest.idx(8, new int[] {3, 2, 2}, px)));
        Files.write(dir.resolve("train-labels.idx1-ubyte"), IdxReaderTest.idx(8, new int[] {3}, new byte[] {0, 4, 1}));
        Files.write(dir.resolve("t10k-images-idx3-ubyte"), IdxReaderTest.idx(8, new int[] {1, 2, 2}, new byte[4]));
        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), IdxReaderTest.idx(8, new int[] {1}, new byte[] {2}));
        TrainTest t = Datasets.fromSpec("idx:" + dir);
        assertEquals(3, t.train().size());
        assertEquals(1, t.test().size());
        assertEquals(5, t.train().numClasses());
        assertEquals(5, t.test().numClasses());
        TrainTest f = Datasets.fromSpec("fashion-mnist:" + dir);
        assertEquals("Coat", f.train().className(f.train().label(1)));
    }

    @Test
    void missingFilesSuggestHowToGetThem() {
        UsageException e = assertThrows(UsageException.class, () -> Datasets.fromSpec("fashion-mnist:" + dir));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
        assertTrue(e.getMessage().contains("--data fashion-mnist:DIR"), e.getMessage());
        Path none = dir.resolve("absent");
        UsageException e3 = assertThrows(UsageException.class, () -> Datasets.fromSpec("csv:" + none));
        assertTrue(e3.getMessage().contains(none.toString()), e3.getMessage());
        UsageException e2 = assertThrows(UsageException.class, () -> Datasets.fromSpec("idx:" + none));
        assertTrue(e2.getMessage().contains(none.toString()), e2.getMessage());
    }

    @Test
    void csvSpecSplits() throws IOException {
        StringBuilder sb = new StringBuilder("a,b,label\n");
        for (int i = 0; i < 50; i++) {
            sb.append(i).append(',').append(-i).append(',').append(i % 2 == 0 ? "even" : "odd").append('\n');
        }
        Path f = Files.writeString(dir.resolve("p.csv"), sb);
        TrainTest t = Datasets.fromSpec("csv:" + f);
        assertEquals(40, t.train().size());
        assertEquals(10, t.test().size());
        assertEquals(2, t.train().numClasses());
    }

    @Test
    void unknownSpecListsValidForms() {
        for (String spec : new String[] {"mnist", "", "csv:", "foo:bar"}) {
            UsageException e = assertThrows(UsageException.class, () -> Datasets.fromSpec(spec));
            for (String form : Datasets.SPEC_FORMS) {
                assertTrue(e.getMessage().contains(form), e.getMessage());
            }
        }
    }

    /** Writes an IDX data set of {@code train} and {@code test} 2x2 images into {@code into}. */
    static void idxSet(Path into, int train, int test) throws IOException {
        Files.write(into.resolve("train-images-idx3-ubyte"), IdxReaderTest.idx(8, new int[] {train, 2, 2},
                new byte[4 * train]));
        Files.write(into.resolve("train-labels-idx1-ubyte"), IdxReaderTest.idx(8, new int[] {train}, new byte[train]));
        Files.write(into.resolve("t10k-images-idx3-ubyte"), IdxReaderTest.idx(8, new int[] {test, 2, 2},
                new byte[4 * test]));
        Files.write(into.resolve("t10k-labels-idx1-ubyte"), IdxReaderTest.idx(8, new int[] {test}, new byte[test]));
    }

    /** An empty part trained on nothing, or reported a test accuracy of 0.0000 measured on nothing. */
    @Test
    void anIdxSetWithoutTrainingOrTestImagesIsAUsageErrorNamingTheFile() throws IOException {
        idxSet(dir, 0, 3);
        UsageException train = assertThrows(UsageException.class, () -> Datasets.fromSpec("idx:" + dir));
        assertEquals(dir.resolve("train-images-idx3-ubyte") + " holds 0 images: the training set of a data set needs"
                + " at least one", train.getMessage());
        idxSet(dir, 3, 0);
        UsageException test = assertThrows(UsageException.class, () -> Datasets.fromSpec("idx:" + dir));
        assertEquals(dir.resolve("t10k-images-idx3-ubyte") + " holds 0 images: the test set of a data set needs"
                + " at least one", test.getMessage());
    }
}
