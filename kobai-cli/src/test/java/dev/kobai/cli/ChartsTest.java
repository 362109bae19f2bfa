package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The axes and curves of compare's chart: whole epochs, 1-2-5 log labels, a smooth start, line styles. */
class ChartsTest {
    @Test
    void epochTicksAreLabelledAtWholeEpochsOnly() {
        assertEquals("0", Charts.wholeEpoch(0));
        assertEquals("3", Charts.wholeEpoch(3.0000000001));
        // The chart used to label ticks at 0.18, 0.35, ... of an epoch.
        for (double v : new double[] {0.18, 0.35, 0.5, 2.5}) {
            assertTrue(Charts.wholeEpoch(v).isBlank(), "tick at " + v);
        }
    }

    @Test
    void aLogAxisIsLabelledAt1And2And5OfEachDecade() {
        // Ticks every 0.1 decade from 0.01 to 100, as the chart places them when there is room.
        List<String> labels = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int k = -20; k <= 20; k++) {
            String label = Charts.logLabel(k / 10.0);
            assertTrue(seen.add(label), "labels must differ, or XChart drops ticks: " + k / 10.0);
            if (!label.isBlank() && !label.chars().allMatch(c -> c == '\u200b')) {
                labels.add(label);
            }
        }
        assertEquals(List.of("0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1", "2", "5", "10", "20", "50", "100"),
                labels);
        // Only decades when the ticks are 0.25 decade apart.
        assertEquals("", Charts.logLabel(0.25).replace("\u200b", ""));
        assertEquals("10", Charts.logLabel(1.0));
    }

    @Test
    void theMovingAverageStartsAtTheFirstLossAndAnOutlierFadesWithoutACliff() {
        double[] v = new double[40];
        java.util.Arrays.fill(v, 1.0);
        v[3] = 100;
        double[] m = Charts.movingAverage(v, 10);
        assertEquals(1.0, m[0], 0);
        assertEquals(1.0, m[2], 1e-12, "a constant stays constant from the first step");
        // After the outlier the curve falls a little less at every step: no step where it drops
        // out at once, as it did from a plain running mean one window later (a fall of 99/10 at step 13).
        for (int i = 5; i < v.length; i++) {
            double fall = m[i - 1] - m[i];
            assertTrue(fall > 0 && fall < m[i - 2] - m[i - 1], "step " + i + ": " + m[i - 2] + " " + m[i - 1] + " " + m[i]);
        }
        double[] box = CompareCommand.runningMean(v, 10);
        assertTrue(box[12] - box[13] > 9, "the plain running mean has the cliff this replaces");
    }

    @Test
    void everySeriesHasItsOwnLineStyle() {
        Set<String> styles = new HashSet<>();
        for (int i = 0; i < 8; i++) {
            var s = Charts.lineStyle(i, 1.6f);
            styles.add(java.util.Arrays.toString(s.getDashArray()));
            assertEquals(1.6f, s.getLineWidth());
        }
        assertEquals(8, styles.size(), styles.toString());
        assertNotEquals(null, Charts.lineStyle(1, 1f).getDashArray());
    }
}
