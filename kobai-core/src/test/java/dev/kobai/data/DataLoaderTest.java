package dev.kobai.data;

import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class DataLoaderTest {
    /** Sample i has features {i, -i} and label i % 3, so a batch reveals which samples it holds. */
    static Dataset numbered(int n) {
        float[] x = new float[2 * n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = i;
            x[2 * i + 1] = -i;
            y[i] = i % 3;
        }
        return new Dataset("numbered", x, y, new int[] {2}, 3, List.of());
    }

    /** The sample indices an epoch's batches hold, in order, checking features against labels. */
    static int[] visited(DataLoader.Epoch epoch, int batchSize, int d) {
        List<Integer> seen = new ArrayList<>();
        for (Batch b : epoch) {
            assertEquals(b.size(), b.labels().length);
            assertArrayEquals(new int[] {b.size(), d}, b.features().shape());
            assertEquals(DType.FLOAT32, b.features().dtype());
            float[] x = b.features().floatData();
            for (int r = 0; r < b.size(); r++) {
                int i = (int) x[r * d];
                assertEquals(-i, x[r * d + 1]);
                assertEquals(i % 3, b.labels()[r]);
                seen.add(i);
            }
        }
        return seen.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void everyEpochCoversEveryIndexOnceWithPartialLastBatch() {
        DataLoader loader = new DataLoader(numbered(23), 5, new Rng(1));
        assertEquals(5, loader.batchesPerEpoch());
        for (int e = 0; e < 4; e++) {
            DataLoader.Epoch epoch = loader.nextEpoch();
            assertEquals(3, epoch.batch(4).size());
            int[] seen = visited(epoch, 5, 2);
            assertArrayEquals(epoch.order(), seen);
            int[] sorted = seen.clone();
            Arrays.sort(sorted);
            int[] expected = new int[23];
            Arrays.setAll(expected, i -> i);
            assertArrayEquals(expected, sorted);
        }
    }

    @Test
    void sameSeedSameOrderAndEpochsDiffer() {
        DataLoader a = new DataLoader(numbered(50), 8, new Rng(42));
        DataLoader b = new DataLoader(numbered(50), 8, new Rng(42));
        int[] a1 = a.nextEpoch().order();
        int[] a2 = a.nextEpoch().order();
        assertArrayEquals(a1, b.nextEpoch().order());
        assertArrayEquals(a2, b.nextEpoch().order());
        assertFalse(Arrays.equals(a1, a2));
        assertFalse(Arrays.equals(a1, new DataLoader(numbered(50), 8, new Rng(43)).nextEpoch().order()));
    }

    @Test
    void unshuffledKeepsDatasetOrder() {
        DataLoader loader = DataLoader.unshuffled(numbered(7), 3);
        int[] expected = {0, 1, 2, 3, 4, 5, 6};
        assertArrayEquals(expected, visited(loader.nextEpoch(), 3, 2));
        assertArrayEquals(expected, visited(loader.nextEpoch(), 3, 2));
        assertFalse(loader.shuffled());
    }

    @Test
    void batchLargerThanDataset() {
        DataLoader loader = new DataLoader(numbered(4), 100, new Rng(3));
        assertEquals(1, loader.batchesPerEpoch());
        assertEquals(4, loader.nextEpoch().batch(0).size());
    }

    /** (n + b - 1) / b overflowed for b near Integer.MAX_VALUE: zero batches, and a run that trained on nothing. */
    @Test
    void aBatchLargerThanTheDataIsOneBatchWhateverItsSize() {
        for (int b : new int[] {10, 11, Integer.MAX_VALUE - 1, Integer.MAX_VALUE}) {
            DataLoader loader = new DataLoader(numbered(10), b, new Rng(1));
            assertEquals(1, loader.batchesPerEpoch(), "batch size " + b);
            DataLoader.Epoch epoch = loader.nextEpoch();
            assertEquals(1, epoch.batchCount());
            assertEquals(10, epoch.batch(0).size());
            assertEquals(10, visited(epoch, b, 2).length);
        }
        assertEquals(0, DataLoader.batchesPerEpoch(0, 5));
        assertEquals(3, DataLoader.batchesPerEpoch(5, 2));
        assertEquals(1, DataLoader.batchesPerEpoch(Integer.MAX_VALUE, Integer.MAX_VALUE));
        assertEquals(Integer.MAX_VALUE, DataLoader.batchesPerEpoch(Integer.MAX_VALUE, 1));
        assertEquals(2, DataLoader.batchesPerEpoch(Integer.MAX_VALUE, Integer.MAX_VALUE - 1));
    }
}
