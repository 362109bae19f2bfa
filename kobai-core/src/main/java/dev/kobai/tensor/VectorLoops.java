package dev.kobai.tensor;

import dev.kobai.tensor.kernel.Lanes;
import dev.kobai.tensor.kernel.VectorWidth;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element loops on the Vector API that C2 does not vectorise by itself. Only called when
 * {@link dev.kobai.tensor.kernel.Kernels#vectorAvailable()}; the scalar loops in {@link Pointwise}
 * and {@link Reduce} are the fallback and the reference, and the two agree bit for bit
 * (VectorLoopsTest).
 *
 * <ul>
 *   <li>ReLU and its backward: C2 keeps the select of the scalar loops a branch, which on
 *       activations of random sign mispredicts half the time (18 microseconds for a 128 x 256
 *       batch against 2 here). Per lane, as PyTorch: relu(x) = 0 where x &lt; 0, else x (so NaN
 *       and -0 pass through); the backward passes g except where x &lt;= 0 (so it passes g where x
 *       is NaN).
 *   <li>Whether every element is finite: C2 does not vectorise a float sum, whose order it must
 *       keep; here the lanes sum x - x (0 for a finite x, NaN otherwise) in any order, 8
 *       microseconds for the 200K weight gradient of mlp:784-256-10 against 40.
 *   <li>Channel sums ({@link #sum}): the same widening sums without the squares.
 *   <li>The sums of normalisation ({@link NormLoops#moments}, {@link NormLoops#gradSums}): sums in
 *       double of float32 data, which C2 leaves one element at a time (a chain of dependent adds);
 *       here float32 lanes widen to double lanes. On [128, 32, 28, 28] float32, one thread, the
 *       moments take 0.65 ms against 2.9 and the gradient sums 1.2 ms against 4.0. They agree with
 *       the scalar loops to rounding, not bit for bit: the lanes sum in another order.
 * </ul>
 */
final class VectorLoops {
    private static final VectorSpecies<Float> FS = VectorWidth.FLOAT;
    private static final VectorSpecies<Double> DS = VectorWidth.DOUBLE;
    /** Floats as many as {@link #DS}'s lanes: they widen into one double vector. */
    private static final VectorSpecies<Float> FS_NARROW =
            VectorSpecies.of(float.class, VectorShape.forBitSize(DS.vectorBitSize() / 2));

    private VectorLoops() {}

    static void forward(float[] x, float[] y, int from, int to) {
        int i = from;
        for (int upper = from + FS.loopBound(to - from); i < upper; i += FS.length()) {
            FloatVector v = FloatVector.fromArray(FS, x, i);
            v.blend(0f, v.compare(VectorOperators.LT, 0f)).intoArray(y, i);
        }
        for (; i < to; i++) {
            y[i] = x[i] < 0 ? 0f : x[i];
        }
    }

    static void forward(double[] x, double[] y, int from, int to) {
        int i = from;
        for (int upper = from + DS.loopBound(to - from); i < upper; i += DS.length()) {
            DoubleVector v = DoubleVector.fromArray(DS, x, i);
            v.blend(0d, v.compare(VectorOperators.LT, 0d)).intoArray(y, i);
        }
        for (; i < to; i++) {
            y[i] = x[i] < 0 ? 0d : x[i];
        }
    }

    /** o[oo + i] = x[xo + i] &lt;= 0 ? 0 : g[go + i] for i in [0, n). */
    static void backward(float[] g, int go, float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (int upper = FS.loopBound(n); i < upper; i += FS.length()) {
            FloatVector v = FloatVector.fromArray(FS, g, go + i);
            FloatVector in = FloatVector.fromArray(FS, x, xo + i);
            v.blend(0f, in.compare(VectorOperators.LE, 0f)).intoArray(o, oo + i);
        }
        for (; i < n; i++) {
            o[oo + i] = x[xo + i] <= 0 ? 0f : g[go + i];
        }
    }

    static void backward(double[] g, int go, double[] x, int xo, double[] o, int oo, int n) {
        int i = 0;
        for (int upper = DS.loopBound(n); i < upper; i += DS.length()) {
            DoubleVector v = DoubleVector.fromArray(DS, g, go + i);
            DoubleVector in = DoubleVector.fromArray(DS, x, xo + i);
            v.blend(0d, in.compare(VectorOperators.LE, 0d)).intoArray(o, oo + i);
        }
        for (; i < n; i++) {
            o[oo + i] = x[xo + i] <= 0 ? 0d : g[go + i];
        }
    }

    /** Whether a[from, to) is all finite. */
    static boolean allFinite(float[] a, int from, int to) {
        int i = from;
        int lanes = FS.length();
        FloatVector acc = FloatVector.zero(FS);
        FloatVector acc2 = FloatVector.zero(FS);
        for (int upper = from + FS.loopBound(to - from) - lanes; i < upper; i += 2 * lanes) {
            FloatVector v = FloatVector.fromArray(FS, a, i);
            FloatVector w = FloatVector.fromArray(FS, a, i + lanes);
            acc = acc.add(v.sub(v));
            acc2 = acc2.add(w.sub(w));
        }
        for (int upper = from + FS.loopBound(to - from); i < upper; i += lanes) {
            FloatVector v = FloatVector.fromArray(FS, a, i);
            acc = acc.add(v.sub(v));
        }
        float s = Lanes.sum(acc.add(acc2));
        for (; i < to; i++) {
            s += a[i] - a[i];
        }
        return s == 0f;
    }

    static boolean allFinite(double[] a, int from, int to) {
        int i = from;
        DoubleVector acc = DoubleVector.zero(DS);
        for (int upper = from + DS.loopBound(to - from); i < upper; i += DS.length()) {
            DoubleVector v = DoubleVector.fromArray(DS, a, i);
            acc = acc.add(v.sub(v));
        }
        double s = Lanes.sum(acc);
        for (; i < to; i++) {
            s += a[i] - a[i];
        }
        return s == 0d;
    }

    // ---------------------------------------------------------------- normalisation sums

    private static DoubleVector widen(float[] v, int i) {
        return (DoubleVector) FloatVector.fromArray(FS_NARROW, v, i).convertShape(VectorOperators.F2D, DS, 0);
    }

    /** The sum in double of v[from, from + n): {@link Spatial}'s channel sums (a convolution's bias gradient). */
    static double sum(float[] v, int from, int n) {
        int lanes = DS.length();
        DoubleVector s0 = DoubleVector.zero(DS);
        DoubleVector s1 = DoubleVector.zero(DS);
        int i = from;
        int end = from + n;
        for (; i + 2 * lanes <= end; i += 2 * lanes) {
            s0 = s0.add(widen(v, i));
            s1 = s1.add(widen(v, i + lanes));
        }
        double s = Lanes.sum(s0.add(s1));
        for (; i < end; i++) {
            s += v[i];
        }
        return s;
    }

    /** As {@link NormLoops#moments(float[], int, int, double, double[])}: adds sum (v - shift) and its squares to acc. */
    static void moments(float[] v, int from, int n, double shift, double[] acc) {
        int lanes = DS.length();
        DoubleVector s0 = DoubleVector.zero(DS);
        DoubleVector s1 = DoubleVector.zero(DS);
        DoubleVector q0 = DoubleVector.zero(DS);
        DoubleVector q1 = DoubleVector.zero(DS);
        int i = from;
        int end = from + n;
        for (; i + 2 * lanes <= end; i += 2 * lanes) {
            DoubleVector a = widen(v, i).sub(shift);
            DoubleVector b = widen(v, i + lanes).sub(shift);
            s0 = s0.add(a);
            q0 = q0.add(a.mul(a));
            s1 = s1.add(b);
            q1 = q1.add(b.mul(b));
        }
        double s = Lanes.sum(s0.add(s1));
        double q = Lanes.sum(q0.add(q1));
        for (; i < end; i++) {
            double a = v[i] - shift;
            s += a;
            q += a * a;
        }
        acc[0] += s;
        acc[1] += q;
    }

    static void moments(double[] v, int from, int n, double shift, double[] acc) {
        int lanes = DS.length();
        DoubleVector s0 = DoubleVector.zero(DS);
        DoubleVector s1 = DoubleVector.zero(DS);
        DoubleVector q0 = DoubleVector.zero(DS);
        DoubleVector q1 = DoubleVector.zero(DS);
        int i = from;
        int end = from + n;
        for (; i + 2 * lanes <= end; i += 2 * lanes) {
            DoubleVector a = DoubleVector.fromArray(DS, v, i).sub(shift);
            DoubleVector b = DoubleVector.fromArray(DS, v, i + lanes).sub(shift);
            s0 = s0.add(a);
            q0 = q0.add(a.mul(a));
            s1 = s1.add(b);
            q1 = q1.add(b.mul(b));
        }
        double s = Lanes.sum(s0.add(s1));
        double q = Lanes.sum(q0.add(q1));
        for (; i < end; i++) {
            double a = v[i] - shift;
            s += a;
            q += a * a;
        }
        acc[0] += s;
        acc[1] += q;
    }

    /** As {@link NormLoops#gradSums(float[], float[], int, int, double, double[])}: adds sum g and sum g (x - mean) to acc. */
    static void gradSums(float[] g, float[] x, int from, int n, double mean, double[] acc) {
        int lanes = DS.length();
        DoubleVector s0 = DoubleVector.zero(DS);
        DoubleVector s1 = DoubleVector.zero(DS);
        DoubleVector t0 = DoubleVector.zero(DS);
        DoubleVector t1 = DoubleVector.zero(DS);
        int i = from;
        int end = from + n;
        for (; i + 2 * lanes <= end; i += 2 * lanes) {
            DoubleVector ga = widen(g, i);
            DoubleVector gb = widen(g, i + lanes);
            s0 = s0.add(ga);
            t0 = t0.add(ga.mul(widen(x, i).sub(mean)));
            s1 = s1.add(gb);
            t1 = t1.add(gb.mul(widen(x, i + lanes).sub(mean)));
        }
        double s = Lanes.sum(s0.add(s1));
        double t = Lanes.sum(t0.add(t1));
        for (; i < end; i++) {
            s += g[i];
            t += g[i] * (x[i] - mean);
        }
        acc[0] += s;
        acc[1] += t;
    }

    static void gradSums(double[] g, double[] x, int from, int n, double mean, double[] acc) {
        int lanes = DS.length();
        DoubleVector s0 = DoubleVector.zero(DS);
        DoubleVector s1 = DoubleVector.zero(DS);
        DoubleVector t0 = DoubleVector.zero(DS);
        DoubleVector t1 = DoubleVector.zero(DS);
        int i = from;
        int end = from + n;
        for (; i + 2 * lanes <= end; i += 2 * lanes) {
            DoubleVector ga = DoubleVector.fromArray(DS, g, i);
            DoubleVector gb = DoubleVector.fromArray(DS, g, i + lanes);
            s0 = s0.add(ga);
            t0 = t0.add(ga.mul(DoubleVector.fromArray(DS, x, i).sub(mean)));
            s1 = s1.add(gb);
            t1 = t1.add(gb.mul(DoubleVector.fromArray(DS, x, i + lanes).sub(mean)));
        }
        double s = Lanes.sum(s0.add(s1));
        double t = Lanes.sum(t0.add(t1));
        for (; i < end; i++) {
            s += g[i];
            t += g[i] * (x[i] - mean);
        }
        acc[0] += s;
        acc[1] += t;
    }

    // ---------------------------------------------------------------- normalisation, element-wise

    /**
     * As {@link NormLoops#normalizeRun(float[], int, float[], int, double, double, double)}, to the
     * same bits (each operation rounded in double, then to float): C2 leaves that loop scalar,
     * since it cannot tell that the two arrays do not overlap.
     */
    static void normalizeRun(float[] x, int from, float[] y, int n, double mean, double scale, double shift) {
        int lanes = DS.length();
        int i = 0;
        for (; i + lanes <= n; i += lanes) {
            DoubleVector v = widen(x, from + i).sub(mean).mul(scale).add(shift);
            ((FloatVector) v.convertShape(VectorOperators.D2F, FS_NARROW, 0)).intoArray(y, i);
        }
        for (; i < n; i++) {
            y[i] = (float) ((x[from + i] - mean) * scale + shift);
        }
    }

    /**
     * As {@link NormLoops#gradInputFromScratch},
     * to the same bits: dx[from + i] = alpha gy[i] + beta (x[from + i] - mean) + gamma.
     */
    static void gradInputFromScratch(float[] gy, float[] x, float[] dx, int from, int n, double alpha, double beta,
                                     double mean, double gamma) {
        int lanes = DS.length();
        int i = 0;
        for (; i + lanes <= n; i += lanes) {
            DoubleVector v = widen(gy, i).mul(alpha).add(widen(x, from + i).sub(mean).mul(beta)).add(gamma);
            ((FloatVector) v.convertShape(VectorOperators.D2F, FS_NARROW, 0)).intoArray(dx, from + i);
        }
        for (; i < n; i++) {
            dx[from + i] = (float) (alpha * gy[i] + beta * (x[from + i] - mean) + gamma);
        }
    }

    /** Floats of half {@link #FS}'s width: one lane per 2x2 window of a {@link #FS}-wide row. */
    private static final VectorSpecies<Float> FS_HALF =
            VectorSpecies.of(float.class, VectorShape.forBitSize(FS.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> IS_HALF =
            VectorSpecies.of(int.class, VectorShape.forBitSize(FS.vectorBitSize() / 2));
    /** 0, 2, 4, ...: the offset of each lane's window from the first window's. */
    private static final int[] EVEN = new int[IS_HALF.length()];

    static {
        for (int i = 0; i < EVEN.length; i++) {
            EVEN[i] = 2 * i;
        }
    }

    /**
     * The 2x2 stride-2 max pooling of one row of windows, as many windows at a time as half a
     * vector has lanes: windows [0, n) of the row whose top-left elements are x[e], x[e + 2], ...,
     * into y[o...] and index[o...] (the top-left's index within its plane is {@code at}, each
     * window's is at + 2j + its offset 0, 1, w or w + 1). Returns the windows done: all of them, or
     * none when a row has fewer windows than the lanes; the caller does the rest. The rule is Spatial's: in row-major order a strictly larger
     * element or a NaN replaces the best so far, and the chosen element's bits are copied.
     *
     * <p>A window's top pair is one 64-bit lane of the row read as longs: its low half is the left
     * element, its high half the right one (the Vector API reinterprets lanes in little-endian
     * order); narrowing the longs gives the left elements of all windows in one vector and the
     * shifted longs the right ones, without a shuffle.
     */
    static int maxOfPairs(float[] x, int e, int w, int ow, float[] y, int[] index, int o, int at) {
        int lanes = FS_HALF.length();
        if (ow < lanes) {
            return 0;
        }
        for (int j = 0; j < ow; j += lanes) {
            // The last windows of a row whose count is not a multiple of the lanes (14 in the cnn
            // preset's first pooling): the last vector ends at the row's last window and so
            // recomputes a few, to the same bits, instead of masked stores, which the Vector API
            // compiled to lane-by-lane code here (30 times slower).
            j = Math.min(j, ow - lanes);
            pairWindows(x, e + 2 * j, w, y, index, o + j, at + 2 * j);
        }
        return ow;
    }

    /** Windows a vector of {@link #pairWindows} covers: half of {@link #FS}'s lanes. */
    static int pairLanes() {
        return FS_HALF.length();
    }

    /**
     * The 2x2 stride-2 max pooling of {@link #pairLanes} consecutive windows whose top-left elements
     * are x[t], x[t + 2], ..., into y[o...] and index[o...], the first window's top-left element
     * being {@code at} within its plane. The windows need not lie in one row: for rows narrower than
     * the lanes (7 windows in the cnn preset's second pooling), the lanes past the row's end read the
     * next rows and write garbage into the next row's outputs, which the caller computes afterwards.
     */
    static void pairWindows(float[] x, int t, int w, float[] y, int[] index, int o, int at) {
        IntVector even = IntVector.fromArray(IS_HALF, EVEN, 0);
        LongVector top = FloatVector.fromArray(FS, x, t).reinterpretAsLongs();
        LongVector bottom = FloatVector.fromArray(FS, x, t + w).reinterpretAsLongs();
        FloatVector a = ((IntVector) top.convertShape(VectorOperators.L2I, IS_HALF, 0)).reinterpretAsFloats();
        FloatVector b = ((IntVector) top.lanewise(VectorOperators.LSHR, 32)
                .convertShape(VectorOperators.L2I, IS_HALF, 0)).reinterpretAsFloats();
        FloatVector c = ((IntVector) bottom.convertShape(VectorOperators.L2I, IS_HALF, 0)).reinterpretAsFloats();
        FloatVector d = ((IntVector) bottom.lanewise(VectorOperators.LSHR, 32)
                .convertShape(VectorOperators.L2I, IS_HALF, 0)).reinterpretAsFloats();
        FloatVector best = a;
        IntVector k = IntVector.zero(IS_HALF);
        VectorMask<Float> m = b.compare(VectorOperators.GT, best).or(b.test(VectorOperators.IS_NAN));
        best = best.blend(b, m);
        k = k.blend(1, m.cast(IS_HALF));
        m = c.compare(VectorOperators.GT, best).or(c.test(VectorOperators.IS_NAN));
        best = best.blend(c, m);
        k = k.blend(w, m.cast(IS_HALF));
        m = d.compare(VectorOperators.GT, best).or(d.test(VectorOperators.IS_NAN));
        best = best.blend(d, m);
        k = k.blend(w + 1, m.cast(IS_HALF));
        best.intoArray(y, o);
        k.add(even).add(at).intoArray(index, o);
    }
}
