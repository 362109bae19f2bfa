package dev.kobai.tensor.kernel;

/**
 * Vector-vector loops on float arrays at offsets (BLAS level 1): {@code y += alpha x} and the
 * inner product.
 *
 * <p>Why an interface and not a plain loop: C2 vectorises {@code y[i] += a * x[i]} but not
 * {@code y[yo + i] += a * x[xo + i]}, since x and y might be one array at two offsets, and rows of
 * a matrix are exactly that. K-FAC's per-row loops ran scalar: half a nanosecond an element, 53
 * microseconds to add a row of 785 floats to each of 128 rows, against a few microseconds here.
 *
 * <p>Implementations: {@link ScalarBlas1} in plain Java, the reference and the fallback, and a
 * Vector API one chosen with the matrix-multiply kernel by {@link Kernels#blas1()}.
 */
public interface Blas1 {
    /**
     * {@code y[yo + i] += alpha * x[xo + i]} for i in [0, n): the product rounded to float, then
     * the sum (no fused multiply-add), so every implementation gives the same bits, and
     * {@code alpha = -s} gives exactly {@code y -= s * x}.
     */
    void axpy(int n, float alpha, float[] x, int xo, float[] y, int yo);

    /**
     * The sum over i in [0, n) of {@code x[xo + i] * y[yo + i]}, each product rounded to float (as
     * Java's {@code float * float}) and the sum kept in double. Implementations add in different
     * orders, so the last bits may differ between them (not between runs of one).
     */
    double dot(int n, float[] x, int xo, float[] y, int yo);
}
