package dev.kobai.tensor.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Blas1} on the incubating Vector API; loaded by {@link Kernels} only when the
 * {@code jdk.incubator.vector} module is present. The tails shorter than a vector run as in
 * {@link ScalarBlas1}.
 */
public final class VectorBlas1 implements Blas1 {
    private static final VectorSpecies<Float> FS = VectorWidth.FLOAT;
    /** Doubles of the same total width: a float vector's products widen into two of these. */
    private static final VectorSpecies<Double> DS = VectorWidth.DOUBLE;

    @Override
    public void axpy(int n, float alpha, float[] x, int xo, float[] y, int yo) {
        ScalarBlas1.check(n, x, xo, y, yo);
        int i = 0;
        for (int upper = FS.loopBound(n); i < upper; i += FS.length()) {
            FloatVector p = FloatVector.fromArray(FS, x, xo + i).mul(alpha);
            p.add(FloatVector.fromArray(FS, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }

    @Override
    public double dot(int n, float[] x, int xo, float[] y, int yo) {
        ScalarBlas1.check(n, x, xo, y, yo);
        DoubleVector s0 = DoubleVector.zero(DS);
        DoubleVector s1 = DoubleVector.zero(DS);
        int i = 0;
        for (int upper = FS.loopBound(n); i < upper; i += FS.length()) {
            FloatVector p = FloatVector.fromArray(FS, x, xo + i).mul(FloatVector.fromArray(FS, y, yo + i));
            s0 = s0.add((DoubleVector) p.convertShape(VectorOperators.F2D, DS, 0));
            s1 = s1.add((DoubleVector) p.convertShape(VectorOperators.F2D, DS, 1));
        }
        double s = Lanes.sum(s0.add(s1)); // not reduceLanes, whose order differs compiled and not
        for (; i < n; i++) {
            s += x[xo + i] * y[yo + i];
        }
        return s;
    }
}
