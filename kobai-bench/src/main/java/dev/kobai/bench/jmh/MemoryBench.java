package dev.kobai.bench.jmh;

import dev.kobai.bench.Workloads;
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

/** System.arraycopy of 10M floats (80 MB moved), split across threads: the plainest bandwidth figure. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class MemoryBench {
    @Param({"1", "2"})
    public int threads;

    private Workloads.ArrayCopy copy;

    @Setup
    public void setUp() {
        Parallel.setThreads(threads);
        copy = new Workloads.ArrayCopy((long) Workloads.TENSORS * Workloads.TENSOR_SIZE);
    }

    @Benchmark
    public void arraycopy() {
        copy.run();
    }
}
