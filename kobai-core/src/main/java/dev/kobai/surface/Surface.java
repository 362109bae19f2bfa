package dev.kobai.surface;

import dev.kobai.autograd.Autograd;
import dev.kobai.tensor.Tensor;
import java.util.List;

/**
 * A function of two variables for watching optimizers move: f(x, y) written with differentiable
 * {@link Tensor} operations, so that its gradient and Hessian come from autograd rather than from
 * hand-written derivatives, plus what a picture of it needs to know (where its minima are, which
 * window to draw, where a race usually starts).
 *
 * <p>The point is always a 2-element tensor {@code [x, y]}; the value is a 0-dimensional tensor of
 * the same dtype. Implement this interface to race optimizers on a function of your own.
 */
public interface Surface {
    /** A point of the plane. */
    record Point(double x, double y) {
        /** The point as a float64 tensor {@code [x, y]}. */
        public Tensor toTensor() {
            return Tensor.of(x, y);
        }

        @Override
        public String toString() {
            return "(" + x + ", " + y + ")";
        }
    }

    /** The rectangle [xMin, xMax] x [yMin, yMax]. */
    record Domain(double xMin, double xMax, double yMin, double yMax) {
        public Domain {
            if (!(xMin < xMax) || !(yMin < yMax)) {
                throw new IllegalArgumentException("empty domain [" + xMin + ", " + xMax + "] x [" + yMin + ", "
                        + yMax + "]");
            }
        }

        public boolean contains(Point p) {
            return p.x() >= xMin && p.x() <= xMax && p.y() >= yMin && p.y() <= yMax;
        }
    }

    /** The registry name, such as "rosenbrock". */
    String name();

    /** The formula in plain text, such as "(1-x)^2 + 100(y-x^2)^2". */
    String formula();

    /** f at {@code xy}, a 2-element tensor {@code [x, y]}; returns a 0-dimensional tensor of the same dtype. */
    Tensor value(Tensor xy);

    /** The global minimisers, empty when the function is unbounded below. */
    List<Point> minima();

    /** The value at the global minima; negative infinity when the function is unbounded below. */
    double minimumValue();

    /** The window a plot of this surface usually shows. */
    Domain domain();

    /** Where a trace starts when no start is given. */
    Point start();

    /** f(x, y) in float64. */
    default double value(double x, double y) {
        return value(Tensor.of(x, y)).item();
    }

    /** The gradient (df/dx, df/dy) at (x, y), in float64, by backpropagation. */
    default double[] gradient(double x, double y) {
        Tensor xy = Tensor.of(x, y).requiresGrad(true);
        return Autograd.grad(value(xy), new Tensor[] {xy}, false)[0].toDoubleArray();
    }

    /**
     * The Hessian at (x, y), in float64, by double backward: the gradient is recorded, then each of
     * its two components is differentiated again. Row i is the gradient of df/d(x_i).
     */
    default double[][] hessian(double x, double y) {
        Tensor xy = Tensor.of(x, y).requiresGrad(true);
        Tensor g = Autograd.grad(value(xy), new Tensor[] {xy}, true)[0];
        double[][] h = new double[2][];
        for (int i = 0; i < 2; i++) {
            Tensor gi = g.slice(0, i, i + 1).sum();
            h[i] = gi.requiresGrad() ? Autograd.grad(gi, new Tensor[] {xy}, false)[0].toDoubleArray() : new double[2];
        }
        return h;
    }

    /** Checks that {@code xy} is a point of the plane; for implementations of {@link #value(Tensor)}. */
    static void requirePoint(Tensor xy) {
        if (xy.rank() != 1 || xy.numel() != 2) {
            throw new IllegalArgumentException("a surface takes a 2-element tensor [x, y], got " + xy.describe());
        }
    }
}
