package dev.kobai.spark;

import java.util.Arrays;
import java.util.Locale;

/**
 * Where a Spark gradient's time goes, per call: the wall time from the driver's broadcast to the
 * combined gradient, the slowest partition's compute time inside its task, and the driver's
 * combination. What is left of the wall time is Spark's: scheduling, serialization and transfer.
 */
public final class StepTimes {
    private long[] wall = new long[64];
    private long[] compute = new long[64];
    private long[] combine = new long[64];
    private int count;

    synchronized void add(long wallNanos, long computeNanos, long combineNanos) {
        if (count == wall.length) {
            wall = Arrays.copyOf(wall, 2 * count);
            compute = Arrays.copyOf(compute, 2 * count);
            combine = Arrays.copyOf(combine, 2 * count);
        }
        wall[count] = wallNanos;
        compute[count] = computeNanos;
        combine[count] = combineNanos;
        count++;
    }

    /** The number of gradients computed. */
    public synchronized int count() {
        return count;
    }

    /** Median wall time of a gradient, in milliseconds. */
    public synchronized double medianWallMs() {
        return median(wall);
    }

    /** Median compute time of the slowest partition, in milliseconds. */
    public synchronized double medianComputeMs() {
        return median(compute);
    }

    /** Median time of the driver's combination, in milliseconds. */
    public synchronized double medianCombineMs() {
        return median(combine);
    }

    private double median(long[] values) {
        if (count == 0) {
            return Double.NaN;
        }
        long[] v = Arrays.copyOf(values, count);
        Arrays.sort(v);
        return (count % 2 == 1 ? v[count / 2] : (v[count / 2 - 1] + v[count / 2]) / 2.0) / 1e6;
    }

    @Override
    public synchronized String toString() {
        double w = medianWallMs();
        double c = medianComputeMs();
        double k = medianCombineMs();
        return String.format(Locale.ROOT, "%d gradients, median %.1f ms each: %.1f ms computing (slowest partition),"
                + " %.1f ms combining on the driver, %.1f ms in Spark (scheduling, serialization, transfer)",
                count, w, c, k, Math.max(0, w - c - k));
    }
}
