package dev.kobai.bench.jmh;

import dev.kobai.bench.Workloads;
import dev.kobai.tensor.Tensor;
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
 * The gradient of mlp:784-256-10's cross-entropy at batch 128 over its parameters, beside the
 * Hessian-vector product of the same loss by double backward (Autograd.hessianVectorProduct); both
 * include the forward pass. The target is hessianVectorProduct / gradient &le; 4.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class HvpBench {
    @Param({"2"})
    public int threads;

    private Workloads.HessianVector hv;

    @Setup
    public void setUp() {
        Parallel.setThreads(threads);
        hv = new Workloads.HessianVector();
    }

    @Benchmark
    public Tensor[] gradient() {
        return hv.gradient();
    }

    @Benchmark
    public Tensor[] hessianVectorProduct() {
        return hv.hessianVectorProduct();
    }
}
