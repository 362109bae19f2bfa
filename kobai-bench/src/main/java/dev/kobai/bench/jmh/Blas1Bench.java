package dev.kobai.bench.jmh;

import dev.kobai.tensor.kernel.Blas1;
import dev.kobai.tensor.kernel.Kernels;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link Blas1} row by row over a 128 x 785 matrix, as K-FAC's update uses it (one thread): axpy of
 * a fixed row into every row, and the inner products of matching rows of two matrices. The
 * plain-Java loops read and write at offsets, which C2 leaves scalar.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class Blas1Bench {
    private static final int ROWS = 128;
    private static final int COLS = 785;

    @Param({"vector", "scalar"})
    public String kernel;

    private Blas1 blas;
    private float[] x;
    private float[] y;
    private float[] row;

    @Setup
    public void setUp() {
        blas = kernel.equals("scalar") ? Kernels.scalarBlas1() : Kernels.blas1();
        SplittableRandom rnd = new SplittableRandom(1);
        x = new float[ROWS * COLS];
        y = new float[ROWS * COLS];
        row = new float[COLS];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextDouble(-1, 1);
            y[i] = (float) rnd.nextDouble(-1, 1);
        }
        for (int i = 0; i < COLS; i++) {
            row[i] = (float) rnd.nextDouble(-1e-3, 1e-3);
        }
    }

    @Benchmark
    public float[] axpyRows() {
        for (int r = 0; r < ROWS; r++) {
            blas.axpy(COLS, 1f, row, 0, y, r * COLS);
        }
        return y;
    }

    @Benchmark
    public double dotRows() {
        double sum = 0;
        for (int r = 0; r < ROWS; r++) {
            sum += blas.dot(COLS, x, r * COLS, y, r * COLS);
        }
        return sum;
    }
}
