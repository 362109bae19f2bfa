package dev.kobai.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kobai.UsageException;
import dev.kobai.tensor.Rng;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Dataset's contract at its edges: each refusal at its boundary and with its message, indices at the
 * first and last sample, subsets that repeat and reorder, and splits of every small size.
 */
class DatasetContractTest {
    /** Three samples of two features, labels 0, 1, 2, features 10 i + j. */
    private static Dataset three() {
        return new Dataset("t", new float[] {0, 1, 10, 11, 20, 21}, new int[] {0, 1, 2}, new int[] {2}, 3,
                List.of("a", "b", "c"));
    }

    private static String refused(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void constructionRefusesAtEachBoundary() {
        assertEquals("a sample shape needs at least one dimension",
                refused(() -> new Dataset("x", new float[0], new int[0], new int[0], 1, List.of())));
        assertEquals("sample shape [2, 0] has a non-positive dimension",
                refused(() -> new Dataset("x", new float[0], new int[0], new int[] {2, 0}, 1, List.of())));
        assertEquals("2 labels of 3 features need 6 values, got 5",
                refused(() -> new Dataset("x", new float[5], new int[2], new int[] {3}, 1, List.of())));
        assertEquals("numClasses must be at least 1, got 0",
                refused(() -> new Dataset("x", new float[0], new int[0], new int[] {1}, 0, List.of())));
        assertEquals("1 class names for 2 classes",
                refused(() -> new Dataset("x", new float[0], new int[0], new int[] {1}, 2, List.of("a"))));
        assertEquals("label 2 of sample 1 is outside 0..1",
                refused(() -> new Dataset("x", new float[2], new int[] {1, 2}, new int[] {1}, 2, List.of())));
        assertEquals("label -1 of sample 0 is outside 0..1",
                refused(() -> new Dataset("x", new float[2], new int[] {-1, 0}, new int[] {1}, 2, List.of())));
        // The largest label and one class without names are fine; features of 2 x 3 samples multiply out.
        Dataset ok = new Dataset("x", new float[12], new int[] {1, 0}, new int[] {2, 3}, 2, List.of());
        assertEquals(6, ok.featureCount());
        assertEquals(2, ok.size());
        assertEquals(new Dataset("y", new float[1], new int[] {0}, new int[] {1}, 1, List.of()).numClasses(), 1);
    }

    @Test
    void classNamesAndFeaturesAreIndexedWithinBounds() {
        Dataset d = three();
        assertEquals("a", d.className(0));
        assertEquals("c", d.className(2));
        assertEquals("class 3 outside 0..2",
                assertThrows(IndexOutOfBoundsException.class, () -> d.className(3)).getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> d.className(-1));
        Dataset unnamed = new Dataset("u", new float[2], new int[] {0, 1}, new int[] {1}, 2, List.of());
        assertEquals("1", unnamed.className(1));
        assertEquals(0f, d.feature(0, 0));
        assertEquals(21f, d.feature(2, 1));
        assertEquals(11f, d.feature(1, 1));
        assertEquals("feature 2 outside 0..1", assertThrows(IndexOutOfBoundsException.class, () -> d.feature(0, 2))
                .getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> d.feature(0, -1));
        assertEquals("Dataset[t, 3 x [2], 3 classes]", d.toString());
    }

    @Test
    void subsetsReorderRepeatAndCheckEachIndex() {
        Dataset d = three();
        Dataset s = d.subset(new int[] {2, 0, 2}, "s");
        assertEquals("s", s.name());
        assertArrayEquals(new float[] {20, 21, 0, 1, 20, 21}, s.features());
        assertArrayEquals(new int[] {2, 0, 2}, s.labels());
        assertEquals(List.of("a", "b", "c"), s.classNames());
        assertEquals("t", d.subset(new int[] {1}).name());
        assertEquals("sample 3 outside 0..2",
                assertThrows(IndexOutOfBoundsException.class, () -> d.subset(new int[] {0, 3})).getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> d.subset(new int[] {-1}));
        assertEquals(0, d.subset(new int[0]).size());
    }

    @Test
    void splitsTakeTheCeilingButNeverAllOrNone() {
        for (int n = 2; n <= 12; n++) {
            float[] f = new float[n];
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                f[i] = i;
            }
            Dataset d = new Dataset("n" + n, f, labels, new int[] {1}, 1, List.of());
            for (double fraction : new double[] {1e-9, 0.2, 0.5, 0.75, 1 - 1e-9}) {
                TrainTest tt = d.split(fraction, 3);
                int expected = (int) Math.min(n - 1, Math.max(1, Math.ceil(n * fraction)));
                assertEquals(expected, tt.test().size(), "n=" + n + " fraction=" + fraction);
                assertEquals(n - expected, tt.train().size());
                float[] all = new float[n];
                System.arraycopy(tt.train().features(), 0, all, 0, n - expected);
                System.arraycopy(tt.test().features(), 0, all, n - expected, expected);
                float[] sortedTrain = tt.train().features().clone();
                float[] sortedTest = tt.test().features().clone();
                Arrays.sort(sortedTrain);
                Arrays.sort(sortedTest);
                assertArrayEquals(sortedTrain, tt.train().features(), "each part keeps the original order");
                assertArrayEquals(sortedTest, tt.test().features());
                Arrays.sort(all);
                for (int i = 0; i < n; i++) {
                    assertEquals(i, all[i], "every sample in exactly one part");
                }
            }
        }
        Dataset d = three();
        int[] perm = new Rng(5).permutation(3);
        TrainTest tt = d.split(1.0 / 3, 5);
        assertEquals(perm[0], (int) tt.test().features()[0] / 10, "the test part is the permutation's head");
        assertEquals("t/train", tt.train().name());
        assertEquals("t/test", tt.test().name());
        assertEquals("testFraction must lie strictly between 0 and 1, got 1.0", refused(() -> d.split(1, 1)));
        assertEquals("testFraction must lie strictly between 0 and 1, got 0.0", refused(() -> d.split(0, 1)));
        refused(() -> d.split(Double.NaN, 1));
        Dataset one = new Dataset("one", new float[1], new int[1], new int[] {1}, 1, List.of());
        assertEquals("dataset one has 1 sample(s); a train/test split needs at least 2",
                assertThrows(UsageException.class, () -> one.split(0.5, 1)).getMessage());
    }

    @Test
    void anotherShapeOfTheSameSizeSharesTheSamples() {
        Dataset d = new Dataset("img", new float[8], new int[] {0, 0}, new int[] {4}, 1, List.of());
        Dataset image = d.withSampleShape(1, 2, 2);
        assertEquals(true, image.isImage());
        assertEquals(false, d.isImage());
        assertArrayEquals(new int[] {1, 2, 2}, image.sampleShape());
        assertEquals(d.features(), image.features());
        assertEquals("sample shape [1, 3] has 3 elements, samples of img have 4", refused(() -> d.withSampleShape(1, 3)));
    }
}
