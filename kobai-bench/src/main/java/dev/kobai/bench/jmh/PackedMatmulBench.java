package dev.kobai.bench.jmh;

import dev.kobai.tensor.kernel.Gemm;
import dev.kobai.tensor.kernel.Kernels;
import dev.kobai.tensor.kernel.PackedB;
import dev.kobai.tensor.kernel.Parallel;
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
 * K-FAC's update products for mlp:784-256-10 at batch 128, C = A B with B the same from call to
 * call: packed once beforehand ({@link Gemm#packB}) or packed by every call, as any product is.
 * {@code 128x785x784} is {@code [x] A^-1}, {@code 128x256x256} is {@code delta G^-1}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class PackedMatmulBench {
    /** m x n x k. */
    @Param({"128x785x784", "128x256x256"})
    public String shape;

    @Param({"true", "false"})
    public boolean packed;

    @Param({"2"})
    public int threads;

    private final Gemm gemm = Kernels.gemm();
    private int m;
    private int n;
    private int k;
    private float[] a;
    private float[] b;
    private float[] c;
    private PackedB pb;

    @Setup
    public void setUp() {
        Parallel.setThreads(threads);
        String[] mnk = shape.split("x");
        m = Integer.parseInt(mnk[0]);
        n = Integer.parseInt(mnk[1]);
        k = Integer.parseInt(mnk[2]);
        SplittableRandom rnd = new SplittableRandom(1);
        a = new float[m * k];
        b = new float[k * n];
        c = new float[m * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextDouble(-1, 1);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) rnd.nextDouble(-1, 1);
        }
        pb = gemm.packB(false, k, n, b, 0, n, null);
    }

    @Benchmark
    public float[] sgemm() {
        if (packed) {
            gemm.sgemm(false, m, a, 0, k, pb, c, 0, n, false);
        } else {
            gemm.sgemm(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n, false);
        }
        return c;
    }
}
