package dev.kobai.tensor;

import java.util.Arrays;

/**
 * A fixed linear map between two shapes, recorded so that the map and its adjoint are each
 * other's backward: the gradient of y = M x is M^T g, and that of M^T g is M g', so the pair
 * differentiates to any order without a derivative of its own. Gathering patches and scattering
 * them back, moving channels, pooling by averages and routing a max pool's gradient are such maps.
 *
 * <p>A subclass writes the two kernels on primitive arrays; each writes every element of its
 * freshly zeroed output (or adds into it: the output starts at zero).
 */
abstract class LinearMap {
    private final String name;
    final int[] inShape;
    final int[] outShape;

    LinearMap(String name, int[] inShape, int[] outShape) {
        this.name = name;
        this.inShape = inShape;
        this.outShape = outShape;
    }

    /** y = M x into a zeroed y of {@link #outShape}. */
    abstract void apply(Tensor x, Tensor y);

    /** x = M^T y into a zeroed x of {@link #inShape}. */
    abstract void applyAdjoint(Tensor y, Tensor x);

    /** M x, recorded. */
    final Tensor forward(Tensor x) {
        check(x, inShape, "input");
        Tensor y = x.newZeros(outShape);
        apply(x, y);
        return Tensor.record(y, name, g -> new Tensor[] {adjoint(g)}, x);
    }

    /** Records {@code y}, computed already as M x by a kernel of the caller's (max pooling's values and indices in one pass). */
    final Tensor record(Tensor x, Tensor y) {
        check(x, inShape, "input");
        check(y, outShape, "output");
        return Tensor.record(y, name, g -> new Tensor[] {adjoint(g)}, x);
    }

    /** M^T y, recorded. */
    final Tensor adjoint(Tensor y) {
        check(y, outShape, "gradient");
        Tensor x = y.newZeros(inShape);
        applyAdjoint(y, x);
        return Tensor.record(x, name + "Adjoint", g -> new Tensor[] {forward(g)}, y);
    }

    private void check(Tensor t, int[] shape, String what) {
        if (!Arrays.equals(t.shape, shape)) {
            throw new IllegalArgumentException(name + ": " + what + " " + t.describe() + " does not have shape "
                    + Arrays.toString(shape));
        }
    }
}
