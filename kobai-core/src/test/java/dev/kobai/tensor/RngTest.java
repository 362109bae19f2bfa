package dev.kobai.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RngTest {
    @Test
    void sameSeedSameStreamOtherSeedOtherStream() {
        Rng a = new Rng(42);
        Rng b = new Rng(42);
        Rng c = new Rng(43);
        long[] sa = new long[5];
        long[] sb = new long[5];
        long[] sc = new long[5];
        for (int i = 0; i < 5; i++) {
            sa[i] = a.nextLong();
            sb[i] = b.nextLong();
            sc[i] = c.nextLong();
        }
        assertArrayEquals(sa, sb);
        assertNotEquals(Arrays.toString(sa), Arrays.toString(sc));
    }

    @Test
    void restoredStateContinuesTheSameStream() {
        Rng a = new Rng(7);
        a.nextGaussian(); // leaves a spare Gaussian in the state
        long[] saved = a.state();
        double[] expected = {a.nextGaussian(), a.nextDouble(), a.nextInt(1000)};
        Rng b = new Rng(99);
        b.setState(saved);
        assertArrayEquals(expected, new double[] {b.nextGaussian(), b.nextDouble(), b.nextInt(1000)});
    }

    @Test
    void permutationsAreBijectionsAndUniformEnough() {
        Rng rng = new Rng(1);
        int[] firstCounts = new int[5];
        for (int t = 0; t < 5000; t++) {
            int[] p = rng.permutation(5);
            int[] sorted = p.clone();
            Arrays.sort(sorted);
            assertArrayEquals(new int[] {0, 1, 2, 3, 4}, sorted);
            firstCounts[p[0]]++;
        }
        for (int c : firstCounts) {
            assertTrue(c > 850 && c < 1150, Arrays.toString(firstCounts));
        }
    }

    @Test
    void gaussianMomentsAndUniformRange() {
        Rng rng = new Rng(2);
        double sum = 0;
        double sq = 0;
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            double g = rng.nextGaussian();
            sum += g;
            sq += g * g;
            double u = rng.nextDouble();
            assertTrue(u >= 0 && u < 1);
        }
        assertEquals(0, sum / n, 0.02);
        assertEquals(1, sq / n, 0.02);
    }
}
