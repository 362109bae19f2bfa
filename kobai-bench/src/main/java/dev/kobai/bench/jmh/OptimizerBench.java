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

/**
 * One optimizer step over ten float32 tensors of a million, beside {@code memoryPass}: one pass
 * over arrays of the same sizes moving the same bytes per element (the bound of that step), split
 * across threads the same way. Compare each step with the memory pass of its traffic
 * ({@link Workloads#traffic}); run with {@code -prof gc} to see the allocation per step.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx2g"})
public class OptimizerBench {
    @Param({"sgd:lr=0.01", "sgd:lr=0.01,momentum=0.9", "adam", "adamw", "adagrad", "rmsprop", "adadelta",
            "adamax", "nadam", "radam", "asgd", "rprop"})
    public String optimizer;

    @Param({"2"})
    public int threads;

    private Workloads.OptimizerStep step;
    private Workloads.MemoryPass pass;

    @Setup
    public void setUp() {
        Parallel.setThreads(threads);
        step = new Workloads.OptimizerStep(optimizer, Workloads.TENSORS, Workloads.TENSOR_SIZE);
        pass = new Workloads.MemoryPass(Workloads.traffic(optimizer), Workloads.TENSORS, Workloads.TENSOR_SIZE);
    }

    @Benchmark
    public void step() {
        step.step();
    }

    @Benchmark
    public void memoryPass() {
        pass.run();
    }
}
