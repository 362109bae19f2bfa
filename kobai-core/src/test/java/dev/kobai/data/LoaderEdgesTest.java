package dev.kobai.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.tensor.Rng;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The loader and the augmentation at their edges: batch size 1 and exact multiples, the generator's
 * state, and the augmented pixels compared with a reference written pixel by pixel (each output
 * pixel reads the input at its drawn offset, or zero), replaying the documented draws: the epoch's
 * permutation, then one seed, then per batch k a generator seeded with
 * {@code seed ^ (0x9E3779B97F4A7C15 (k + 1))} that draws dy, dx and the flip of each image in turn.
 */
class LoaderEdgesTest {
    private static Dataset ramp(int n, int... shape) {
        int d = 1;
        for (int s : shape) {
            d *= s;
        }
        float[] f = new float[n * d];
        for (int i = 0; i < f.length; i++) {
            f[i] = i + 1;
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
        }
        return new Dataset("ramp", f, labels, shape, 3, List.of());
    }

    @Test
    void batchSizeOneAndExactMultiples() {
        Dataset d = ramp(6, 2);
        DataLoader ones = DataLoader.unshuffled(d, 1);
        assertEquals(6, ones.batchesPerEpoch());
        DataLoader.Epoch e = ones.nextEpoch();
        assertArrayEquals(new float[] {11, 12}, e.batch(5).features().toFloatArray());
        assertArrayEquals(new int[] {2}, e.batch(5).labels());
        DataLoader threes = DataLoader.unshuffled(d, 3);
        assertEquals(2, threes.batchesPerEpoch(), "six samples in batches of three: two, no empty third");
        List<Integer> sizes = new ArrayList<>();
        for (Batch b : threes.nextEpoch()) {
            sizes.add(b.labels().length);
        }
        assertEquals(List.of(3, 3), sizes);
        assertEquals("batch 2 outside 0..1",
                assertThrows(IndexOutOfBoundsException.class, () -> threes.nextEpoch().batch(2)).getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> threes.nextEpoch().batch(-1));
        assertEquals(3, DataLoader.batchesPerEpoch(7, 3));
        assertEquals(1, DataLoader.batchesPerEpoch(1, Integer.MAX_VALUE));
        assertEquals(0, DataLoader.batchesPerEpoch(0, 4));
        assertEquals("batch size must be at least 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> DataLoader.batchesPerEpoch(3, 0)).getMessage());
        assertEquals("batch size must be at least 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> new DataLoader(d, 0, new Rng(1))).getMessage());
        assertEquals(d, threes.dataset());
        assertEquals(3, threes.batchSize());
        assertFalse(threes.shuffled());
    }

    @Test
    void theGeneratorStateReplaysAnEpoch() {
        DataLoader loader = new DataLoader(ramp(10, 1), 4, new Rng(9));
        assertTrue(loader.shuffled());
        long[] state = loader.rngState();
        int[] first = loader.nextEpoch().order();
        int[] second = loader.nextEpoch().order();
        assertFalse(java.util.Arrays.equals(first, second));
        loader.setRngState(state);
        assertArrayEquals(first, loader.nextEpoch().order());
        DataLoader plain = DataLoader.unshuffled(ramp(3, 1), 2);
        assertNull(plain.rngState());
        assertEquals("an unshuffled loader has no generator",
                assertThrows(IllegalStateException.class, () -> plain.setRngState(state)).getMessage());
    }

    @Test
    void augmentationIsRefusedWhereItCannotApplyAndIgnoredWhenInactive() {
        Augmentation crop = new Augmentation(1, false);
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new DataLoader(ramp(2, 1, 2, 2), 1, null, crop)).getMessage().endsWith(" unshuffled"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new DataLoader(ramp(2, 4), 1, new Rng(1), crop)).getMessage()
                .startsWith("augmentation needs a shuffling loader over images [C, H, W], got Dataset[ramp, 2 x [4]"));
        // Inactive: the batches are the data as they are, even on an unshuffled loader.
        DataLoader none = new DataLoader(ramp(2, 1, 2, 2), 2, null, new Augmentation(0, false));
        assertArrayEquals(ramp(2, 1, 2, 2).features(), none.nextEpoch().batch(0).features().toFloatArray());
    }

    @Test
    void augmentedBatchesEqualAPixelByPixelReference() {
        int n = 7;
        int c = 2;
        int h = 3;
        int w = 4;
        Dataset data = ramp(n, c, h, w);
        for (Augmentation aug : List.of(new Augmentation(1, false), new Augmentation(2, true), new Augmentation(0, true))) {
            DataLoader loader = new DataLoader(data, 3, new Rng(42), aug);
            DataLoader.Epoch epoch = loader.nextEpoch();
            Rng replay = new Rng(42);
            int[] order = replay.permutation(n);
            long seed = replay.nextLong();
            assertArrayEquals(order, epoch.order());
            for (int k = 2; k >= 0; k--) { // backwards: a batch does not depend on those before it
                Rng draws = new Rng(seed ^ (0x9E3779B97F4A7C15L * (k + 1)));
                float[] got = epoch.batch(k).features().toFloatArray();
                int b = got.length / (c * h * w);
                for (int s = 0; s < b; s++) {
                    int sample = order[k * 3 + s];
                    int dy = aug.cropPadding() > 0 ? draws.nextInt(2 * aug.cropPadding() + 1) - aug.cropPadding() : 0;
                    int dx = aug.cropPadding() > 0 ? draws.nextInt(2 * aug.cropPadding() + 1) - aug.cropPadding() : 0;
                    boolean flipped = aug.flip() && draws.nextDouble() < 0.5;
                    for (int ch = 0; ch < c; ch++) {
                        for (int r = 0; r < h; r++) {
                            for (int j = 0; j < w; j++) {
                                int col = flipped ? w - 1 - j : j;
                                int sr = r + dy;
                                int sc = col + dx;
                                float expected = sr < 0 || sr >= h || sc < 0 || sc >= w ? 0f
                                        : data.feature(sample, (ch * h + sr) * w + sc);
                                float actual = got[((s * c + ch) * h + r) * w + j];
                                assertEquals(expected, actual, aug + " batch " + k + " image " + s + " at " + ch + ","
                                        + r + "," + j + " (dy " + dy + ", dx " + dx + ", flipped " + flipped + ")");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void augmentationOptionsAtTheirBounds() {
        Augmentation none = new Augmentation(0, false);
        assertFalse(none.active());
        assertTrue(new Augmentation(1, false).active());
        assertTrue(new Augmentation(0, true).active());
        assertEquals("crop padding must be non-negative, got -1",
                assertThrows(IllegalArgumentException.class, () -> new Augmentation(-1, false)).getMessage());
        assertEquals(new Augmentation(1, false), Augmentation.withOption(none, "crop=1"));
        assertEquals(new Augmentation(64, true), Augmentation.withOption(new Augmentation(0, true), " crop = 64 "));
        assertEquals("data option crop=0: the padding must be between 1 and 64",
                assertThrows(UsageException.class, () -> Augmentation.withOption(none, "crop=0")).getMessage());
        assertEquals("data option crop=65: the padding must be between 1 and 64",
                assertThrows(UsageException.class, () -> Augmentation.withOption(none, "crop=65")).getMessage());
        assertEquals("data option crop=x: the padding is not a whole number",
                assertThrows(UsageException.class, () -> Augmentation.withOption(none, "crop=x")).getMessage());
        assertEquals("data option 'crop' needs the padding, as in crop=4",
                assertThrows(UsageException.class, () -> Augmentation.withOption(none, "crop")).getMessage());
        assertEquals(new Augmentation(3, true), Augmentation.withOption(new Augmentation(3, false), "flip"));
        assertEquals(new Augmentation(3, true), Augmentation.withOption(new Augmentation(3, false), "flip=true"));
        assertEquals(new Augmentation(3, false), Augmentation.withOption(new Augmentation(3, true), "flip=false"));
        assertEquals("data option flip=yes: expected flip, flip=true or flip=false",
                assertThrows(UsageException.class, () -> Augmentation.withOption(none, "flip=yes")).getMessage());
        assertNull(Augmentation.withOption(none, "cropped=2"));
        assertEquals("", none.spec());
        assertEquals("crop=1", new Augmentation(1, false).spec());
        assertEquals("flip", new Augmentation(0, true).spec());
        assertEquals("crop=4,flip", new Augmentation(4, true).spec());
    }
}
