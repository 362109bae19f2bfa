package dev.kobai.tensor.kernel;

/** {@link Blas1} in plain Java: the reference, and the fallback without the Vector API. */
public final class ScalarBlas1 implements Blas1 {
    @Override
    public void axpy(int n, float alpha, float[] x, int xo, float[] y, int yo) {
        check(n, x, xo, y, yo);
        for (int i = 0; i < n; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }

    @Override
    public double dot(int n, float[] x, int xo, float[] y, int yo) {
        check(n, x, xo, y, yo);
        // four independent chains: a single one waits on each add's latency
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += x[xo + i] * y[yo + i];
            s1 += x[xo + i + 1] * y[yo + i + 1];
            s2 += x[xo + i + 2] * y[yo + i + 2];
            s3 += x[xo + i + 3] * y[yo + i + 3];
        }
        for (; i < n; i++) {
            s0 += x[xo + i] * y[yo + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** Both ranges inside their arrays, with a message naming the one that is not. */
    static void check(int n, float[] x, int xo, float[] y, int yo) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
        if (xo < 0 || xo > x.length - n) {
            throw new IndexOutOfBoundsException("x[" + xo + ", " + ((long) xo + n) + ") is outside an array of "
                    + x.length);
        }
        if (yo < 0 || yo > y.length - n) {
            throw new IndexOutOfBoundsException("y[" + yo + ", " + ((long) yo + n) + ") is outside an array of "
                    + y.length);
        }
    }
}
