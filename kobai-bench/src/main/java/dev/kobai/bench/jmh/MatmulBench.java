package dev.kobai.bench.jmh;

import dev.kobai.bench.Workloads;
import dev.kobai.tensor.kernel.Kernels;
import dev.kobai.tensor.kernel.Parallel;
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
 * sgemm on the shapes of training mlp:784-256-10 at batch 128 (index into
 * {@link Workloads#TRAINING_SHAPES}), with the Vector API kernel or the plain-Java one.
 * GFLOP/s = 2 m n k / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class MatmulBench {
    /** 0..6: layer 1 forward, layer 1 weight grad, layer 2 forward, layer 2 input grad, layer 2 weight grad, evaluation, square 1024. */
    @Param({"0", "1", "2", "3", "4", "5", "6"})
    public int shape;

    @Param({"vector"})
    public String kernel;

    @Param({"2"})
    public int threads;

    private Workloads.Matmul mm;

    @Setup
    public void setUp() {
        Parallel.setThreads(threads);
        mm = new Workloads.Matmul(Workloads.TRAINING_SHAPES.get(shape),
                kernel.equals("scalar") ? Kernels.scalarGemm() : Kernels.gemm());
    }

    @Benchmark
    public void sgemm() {
        mm.run();
    }
}
