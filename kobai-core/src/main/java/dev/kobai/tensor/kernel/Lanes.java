package dev.kobai.tensor.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;

/**
 * Sums of a vector's lanes, added from the first lane to the last, for every Vector API kernel
 * of Kobai. Not {@code reduceLanes(ADD)}, which leaves the order open: compiled code adds in a
 * tree and the Java fallback that runs before compilation in lane order, so a run's last bits
 * would depend on when the JIT compiled the loop (two runs of one seed in one JVM differed in the
 * ninth digit of the loss; LaneOrderTest). Only classes that use the Vector API refer to it.
 */
public final class Lanes {
    private Lanes() {}

    /** v[0] + v[1] + ... in that order. */
    public static float sum(FloatVector v) {
        float s = 0f;
        for (int lane = 0; lane < v.length(); lane++) {
            s += v.lane(lane);
        }
        return s;
    }

    /** v[0] + v[1] + ... in that order. */
    public static double sum(DoubleVector v) {
        double s = 0d;
        for (int lane = 0; lane < v.length(); lane++) {
            s += v.lane(lane);
        }
        return s;
    }
}
