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
 * A full training step of mlp:784-256-10 at batch 128 (zero grads, forward, cross-entropy,
 * backward, optimizer step) with each optimizer. {@code -p optimizer=adam,kfac} gives the kfac/adam ratio of
 * issue 6; second-order methods get the model's curvature problem as in {@code kobai train}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class TrainingBench {
    @Param({"sgd:lr=0.1", "adam"})
    public String optimizer;

    @Param({"2"})
    public int threads;

    private Workloads.TrainingStep step;

    @Setup
    public void setUp() {
        Parallel.setThreads(threads);
        step = new Workloads.TrainingStep(optimizer);
    }

    @Benchmark
    public double trainingStep() {
        return step.run();
    }
}
