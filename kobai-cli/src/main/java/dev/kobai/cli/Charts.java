package dev.kobai.cli;

import java.awt.BasicStroke;
import java.util.Locale;

/**
 * What the charts of {@code compare} and {@code autoencoder} share: a line style per series beside
 * its colour, tick labels at whole epochs and at 1, 2 and 5 of each decade of a log scale, and the
 * smoothing of a noisy loss curve.
 */
final class Charts {
    private Charts() {}

    /**
     * The label of a tick at {@code v} that carries none: zero-width spaces, as many as make it
     * unlike the other ticks' labels. XChart lays every label out with a TextLayout, which refuses an
     * empty string, and it widens the tick spacing until no two labels are alike, so blank labels
     * all alike would leave the axis with no ticks at all.
     */
    static String noLabel(double v) {
        return "\u200b".repeat(Math.floorMod(Math.round(v * 20), 256) + 1);
    }

    /**
     * Dash patterns in pixels, one per series in turn: curves that run close together (the adaptive
     * methods often do) stay apart by their pattern where their colours blend, and in grey print.
     */
    private static final float[][] DASHES = {
        null, {9, 4}, {2, 3}, {9, 3, 2, 3}, {14, 5}, {5, 3, 2, 3, 2, 3}, {2, 6}, {14, 4, 5, 4},
    };

    /** The stroke of series {@code i}: solid for the first, then dashed, dotted, dash-dotted, ... */
    static BasicStroke lineStyle(int i, float width) {
        float[] dash = DASHES[i % DASHES.length];
        return dash == null ? new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND)
                : new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, dash, 0f);
    }

    /**
     * The label of an epoch tick at {@code v}: the epoch when {@code v} is whole, else a space. The
     * spaces are alike on purpose: XChart widens the tick spacing until no two labels are alike, so
     * it settles on whole epochs (at most one tick between two labels stays blank).
     */
    static String wholeEpoch(double v) {
        long r = Math.round(v);
        return Math.abs(v - r) < 1e-6 ? Long.toString(r) : " ";
    }

    /**
     * The label of a tick at {@code v} on an axis of base-10 logarithms: the number 10^v written out
     * when it is 1, 2 or 5 times a power of ten (within 0.5%, so that a tick at 0.3 reads 2), else
     * none ({@link #noLabel}). The axis's ticks fall every 0.1 decade when there is room, so 2 and 5
     * get labels between the decades; with less room they fall further apart, and only decades are
     * labelled.
     */
    static String logLabel(double v) {
        double decade = Math.floor(v + 1e-9);
        double mantissa = Math.pow(10, v - decade);
        for (int m : new int[] {1, 2, 5, 10}) {
            if (Math.abs(mantissa / m - 1) < 0.005) {
                double value = m * Math.pow(10, decade);
                return number(value);
            }
        }
        return noLabel(v);
    }

    private static String number(double value) {
        // Plain decimals: 0.05, 0.2, 1, 20, 500; exponents only far from 1.
        if (value >= 1e-4 && value < 1e6) {
            return new java.math.BigDecimal(String.format(Locale.ROOT, "%.6g", value)).stripTrailingZeros()
                    .toPlainString();
        }
        return String.format(Locale.ROOT, "%.0e", value);
    }

    /**
     * The exponential moving average of {@code v} with the decay of a {@code window}-step mean
     * (1 - 2 / (window + 1)), divided by the sum of its weights so far: at each step a weighted mean
     * of the points there are, so the curve starts at the first loss rather than at zero, and a
     * single outlier fades step by step instead of dropping out of a plain running mean all at once,
     * which drew a cliff one window after it.
     */
    static double[] movingAverage(double[] v, int window) {
        double beta = 1 - 2.0 / (window + 1);
        double[] out = new double[v.length];
        double sum = 0;
        double weight = 0;
        for (int i = 0; i < v.length; i++) {
            sum = beta * sum + v[i];
            weight = beta * weight + 1;
            out[i] = sum / weight;
        }
        return out;
    }
}
