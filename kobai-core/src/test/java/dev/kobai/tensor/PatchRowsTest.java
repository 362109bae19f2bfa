package dev.kobai.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Spatial.patchRows is the transpose of Spatial.unfold, image by image, from any first image. */
class PatchRowsTest {
    private static final Window2d[] WINDOWS = {
        Window2d.square(3, 1, 1, 1),
        Window2d.square(1, 1, 0, 1),
        new Window2d(2, 3, 2, 1, 1, 0, 1, 2, 1, 2),
        new Window2d(3, 2, 1, 2, 2, 1, 0, 1, 2, 1),
        Window2d.square(4, 3, 2, 1),
    };

    @Test
    void rowsAreTheUnfoldedColumns() {
        for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
            for (Window2d win : WINDOWS) {
                Tensor x = Tensor.randn(new Rng(5), dtype, 5, 3, 6, 7);
                Tensor u = Spatial.unfold(x, win); // [N, R, L]
                int r = u.size(1);
                int l = u.size(2);
                int first = 1;
                int count = 3;
                int ld = r + 2; // two elements of each row left alone
                double[] rows = new double[count * l * ld];
                if (dtype == DType.FLOAT32) {
                    float[] f = new float[rows.length + 5];
                    java.util.Arrays.fill(f, Float.NaN);
                    Spatial.patchRows(x, win, first, count, f, ld);
                    for (int i = 0; i < f.length; i++) {
                        if (i < rows.length) {
                            rows[i] = f[i];
                        } else {
                            assertTrue(Float.isNaN(f[i]), "wrote past its rows");
                        }
                    }
                } else {
                    java.util.Arrays.fill(rows, Double.NaN);
                    Spatial.patchRows(x, win, first, count, rows, ld);
                }
                for (int s = 0; s < count; s++) {
                    for (int t = 0; t < l; t++) {
                        int row = (s * l + t) * ld;
                        for (int k = 0; k < r; k++) {
                            assertEquals(u.get(first + s, k, t), rows[row + k], 0,
                                    win + ", image " + (first + s) + ", position " + t + ", element " + k);
                        }
                        assertTrue(Double.isNaN(rows[row + r]) && Double.isNaN(rows[row + r + 1]), "wrote past a row");
                    }
                }
            }
        }
    }

    @Test
    void refusesBuffersAndRangesThatDoNotFit() {
        Tensor x = Tensor.randn(new Rng(5), DType.FLOAT32, 2, 1, 4, 4);
        Window2d win = Window2d.square(3, 1, 1, 1);
        assertEquals("patchRows: a buffer of 10 elements for 160",
                assertThrows(IllegalArgumentException.class, () -> Spatial.patchRows(x, win, 0, 1, new float[10], 10))
                        .getMessage());
        assertEquals("patchRows: rows 8 apart cannot hold 9 elements",
                assertThrows(IllegalArgumentException.class, () -> Spatial.patchRows(x, win, 0, 1, new float[500], 8))
                        .getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Spatial.patchRows(x, win, 1, 2, new float[500], 9))
                .getMessage().startsWith("patchRows: images 1 to 2 of"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Spatial.patchRows(x, win, 0, 1, new double[500], 9))
                .getMessage().contains("float64 buffer"));
    }
}
