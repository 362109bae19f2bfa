package dev.kobai.optim;

import dev.kobai.tensor.kernel.VectorWidth;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rprop's element loop on the Vector API. C2 does not vectorise the scalar loop (its selects
 * stay branches, some six nanoseconds an element); this one runs at memory speed. Only called
 * when {@link dev.kobai.tensor.kernel.Kernels#vectorAvailable()}; {@link Rprop}'s scalar loops are
 * the fallback and the reference, and the two agree bit for bit (RpropKernelTest).
 *
 * <p>Per lane, exactly as the scalar loop: the factor is eta_plus where g prev &gt; 0, eta_minus
 * where it is &lt; 0 and 1 otherwise (NaN included); the step size is min(max(size f, lo), hi) with
 * Math.max and Math.min semantics (which the lanewise MAX and MIN have); g becomes +0 where
 * g prev &lt; 0; the sign is g itself where g is zero or NaN (as Math.signum), else plus or minus 1.
 */
final class RpropVector {
    private static final VectorSpecies<Float> FS = VectorWidth.FLOAT;
    private static final VectorSpecies<Double> DS = VectorWidth.DOUBLE;

    private RpropVector() {}

    static void update(float[] w, float[] gr, float[] prev, float[] size, boolean maximize, float plus, float minus,
                       float lo, float hi, int from, int to) {
        int i = from;
        int upper = from + FS.loopBound(to - from);
        FloatVector one = FloatVector.broadcast(FS, 1f);
        for (; i < upper; i += FS.length()) {
            FloatVector d = FloatVector.fromArray(FS, gr, i);
            if (maximize) {
                d = d.neg();
            }
            FloatVector s = d.mul(FloatVector.fromArray(FS, prev, i));
            VectorMask<Float> up = s.compare(VectorOperators.GT, 0f);
            VectorMask<Float> down = s.compare(VectorOperators.LT, 0f);
            FloatVector f = one.blend(plus, up).blend(minus, down);
            FloatVector sz = FloatVector.fromArray(FS, size, i).mul(f).max(lo).min(hi);
            sz.intoArray(size, i);
            d = d.blend(0f, down);
            FloatVector sign = d.blend(1f, d.compare(VectorOperators.GT, 0f)).blend(-1f, d.compare(VectorOperators.LT, 0f));
            FloatVector.fromArray(FS, w, i).sub(sign.mul(sz)).intoArray(w, i);
            d.intoArray(prev, i);
        }
        Rprop.scalar(w, gr, prev, size, maximize, plus, minus, lo, hi, i, to);
    }

    static void update(double[] w, double[] gr, double[] prev, double[] size, boolean maximize, double plus,
                       double minus, double lo, double hi, int from, int to) {
        int i = from;
        int upper = from + DS.loopBound(to - from);
        DoubleVector one = DoubleVector.broadcast(DS, 1d);
        for (; i < upper; i += DS.length()) {
            DoubleVector d = DoubleVector.fromArray(DS, gr, i);
            if (maximize) {
                d = d.neg();
            }
            DoubleVector s = d.mul(DoubleVector.fromArray(DS, prev, i));
            VectorMask<Double> up = s.compare(VectorOperators.GT, 0d);
            VectorMask<Double> down = s.compare(VectorOperators.LT, 0d);
            DoubleVector f = one.blend(plus, up).blend(minus, down);
            DoubleVector sz = DoubleVector.fromArray(DS, size, i).mul(f).max(lo).min(hi);
            sz.intoArray(size, i);
            d = d.blend(0d, down);
            DoubleVector sign = d.blend(1d, d.compare(VectorOperators.GT, 0d)).blend(-1d, d.compare(VectorOperators.LT, 0d));
            DoubleVector.fromArray(DS, w, i).sub(sign.mul(sz)).intoArray(w, i);
            d.intoArray(prev, i);
        }
        Rprop.scalar(w, gr, prev, size, maximize, plus, minus, lo, hi, i, to);
    }
}
