package dev.kobai.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.tensor.Rng;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Image batches [b, C, H, W], random crops and flips, and the data spec's options. */
class AugmentationTest {
    /** n images [1, h, w] whose pixels are 1 + their flat index, so any moved pixel is recognisable. */
    static Dataset images(int n, int h, int w) {
        float[] x = new float[n * h * w];
        for (int i = 0; i < x.length; i++) {
            x[i] = 1 + i;
        }
        int[] labels = new int[n];
        return new Dataset("ramp", x, labels, new int[] {h, w}, 1, List.of()).withSampleShape(1, h, w);
    }

    @Test
    void imageDataGivesFourDimensionalBatchesAndRowsStayRows() {
        Dataset d = images(5, 4, 3);
        Batch b = DataLoader.unshuffled(d, 2).nextEpoch().batch(2);
        assertArrayEquals(new int[] {1, 1, 4, 3}, b.features().shape());
        Dataset rows = new Dataset("rows", new float[10], new int[5], new int[] {2}, 1, List.of());
        assertArrayEquals(new int[] {2, 2}, DataLoader.unshuffled(rows, 2).nextEpoch().batch(0).features().shape());
        assertThrows(IllegalArgumentException.class, () -> d.withSampleShape(2, 4, 3));
    }

    /** The crop and flip of one image by the rule, written out pixel by pixel. */
    static float[] expected(float[] image, int h, int w, int dy, int dx, boolean flip) {
        float[] out = new float[h * w];
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                int sr = r + dy;
                int sc = c + dx;
                out[r * w + c] = sr >= 0 && sr < h && sc >= 0 && sc < w ? image[sr * w + sc] : 0f;
            }
        }
        if (flip) {
            for (int r = 0; r < h; r++) {
                for (int c = 0; c < w / 2; c++) {
                    float t = out[r * w + c];
                    out[r * w + c] = out[r * w + w - 1 - c];
                    out[r * w + w - 1 - c] = t;
                }
            }
        }
        return out;
    }

    @Test
    void cropsAndFlipsMoveEveryPixelByTheDrawnOffsets() {
        int h = 5;
        int w = 6;
        Augmentation a = new Augmentation(2, true);
        float[] x = images(40, h, w).features().clone();
        float[] original = x.clone();
        a.apply(x, 40, 1, h, w, new Rng(3), new float[h * w]);
        Rng draws = new Rng(3);
        int flips = 0;
        int shifted = 0;
        for (int s = 0; s < 40; s++) {
            int dy = draws.nextInt(5) - 2;
            int dx = draws.nextInt(5) - 2;
            boolean flip = draws.nextDouble() < 0.5;
            flips += flip ? 1 : 0;
            shifted += dy != 0 || dx != 0 ? 1 : 0;
            float[] image = Arrays.copyOfRange(original, s * h * w, (s + 1) * h * w);
            assertArrayEquals(expected(image, h, w, dy, dx, flip), Arrays.copyOfRange(x, s * h * w, (s + 1) * h * w),
                    "sample " + s);
        }
        assertTrue(flips > 5 && flips < 35, "flips " + flips);
        assertTrue(shifted > 20, "shifted " + shifted);
    }

    @Test
    void aBatchIsAugmentedTheSameWhicheverBatchesCameBefore() {
        Dataset d = images(50, 6, 6);
        DataLoader a = new DataLoader(d, 8, new Rng(9), new Augmentation(2, true));
        DataLoader b = new DataLoader(d, 8, new Rng(9), new Augmentation(2, true));
        DataLoader.Epoch ea = a.nextEpoch();
        DataLoader.Epoch eb = b.nextEpoch();
        float[] third = ea.batch(3).features().toFloatArray();
        for (int k = 0; k < 3; k++) {
            ea.batch(k);
        }
        assertArrayEquals(third, ea.batch(3).features().toFloatArray());
        assertArrayEquals(third, eb.batch(3).features().toFloatArray());
        // the next epoch draws new crops, and a plain loader's orders are not shifted by augmentation's draw
        assertFalse(Arrays.equals(third, a.nextEpoch().batch(3).features().toFloatArray()));
        DataLoader plain = new DataLoader(d, 8, new Rng(9));
        assertArrayEquals(new Rng(9).permutation(50), plain.nextEpoch().order());
        assertNotEquals(0, Augmentation.withOption(new Augmentation(0, false), "crop=3").cropPadding());
    }

    @Test
    void augmentationNeedsShuffledImages() {
        Dataset rows = new Dataset("rows", new float[10], new int[5], new int[] {2}, 1, List.of());
        assertThrows(IllegalArgumentException.class, () -> new DataLoader(rows, 2, new Rng(1), new Augmentation(1, false)));
        assertThrows(IllegalArgumentException.class, () -> new DataLoader(images(3, 4, 4), 2, null, new Augmentation(1, false)));
    }

    @Test
    void dataSpecsCarryTheirOptions() {
        Datasets.Spec s = Datasets.parse("fashion-mnist, crop=4 ,flip");
        assertEquals("fashion-mnist", s.dataset());
        assertEquals(new Augmentation(4, true), s.augmentation());
        assertEquals("crop=4,flip", s.augmentation().spec());
        assertEquals(new Augmentation(0, false), Datasets.parse("digits").augmentation());
        assertEquals(new Augmentation(0, false), Datasets.parse("digits,flip=false").augmentation());
        for (String bad : List.of("digits,rotate=5", "digits,crop", "digits,crop=x", "digits,crop=0", "digits,flip=maybe",
                "digits,")) {
            UsageException e = assertThrows(UsageException.class, () -> Datasets.parse(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'") || e.getMessage().contains("crop") || e.getMessage().contains("flip"),
                    e.getMessage());
        }
    }
}
