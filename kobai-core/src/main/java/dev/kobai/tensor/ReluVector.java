package dev.kobai.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * ReLU and its backward on the Vector API. C2 keeps the select of the scalar loops a branch, which
 * on activations of random sign mispredicts half the time: 18 microseconds for a 128 x 256 batch
 * against 2 here. Only called when {@link dev.kobai.tensor.kernel.Kernels#vectorAvailable()};
 * {@link Pointwise}'s scalar loops are the fallback and the reference, and the two agree bit for
 * bit (ReluKernelTest).
 *
 * <p>Per lane, as PyTorch: relu(x) = 0 where x &lt; 0, else x (so NaN and -0 pass through); the
 * backward passes g except where x &lt;= 0 (so it passes g where x is NaN).
 */
final class ReluVector {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;

    private ReluVector() {}

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
}
