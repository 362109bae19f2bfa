package dev.kobai.bench.jmh;

import dev.kobai.nn.Losses;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Rng;
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
 * Element-wise operations, reductions and softmax cross-entropy on the activations of the training
 * runs ([128, 256] hidden, [128, 10] logits) and on a large [1000, 1000] tensor, without recording.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class KernelBench {
    @Param({"128x256", "1000x1000"})
    public String size;

    @Param({"2"})
    public int threads;

    private Tensor x;
    private Tensor y;
    private Tensor bias;
    private Tensor logits;
    private int[] labels;

    @Setup
    public void setUp() {
        Parallel.setThreads(threads);
        String[] dims = size.split("x");
        int rows = Integer.parseInt(dims[0]);
        int cols = Integer.parseInt(dims[1]);
        Rng rng = new Rng(1);
        x = Tensor.randn(rng, DType.FLOAT32, rows, cols);
        y = Tensor.randn(rng, DType.FLOAT32, rows, cols);
        bias = Tensor.randn(rng, DType.FLOAT32, cols);
        logits = Tensor.randn(rng, DType.FLOAT32, rows, 10);
        labels = new int[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = rng.nextInt(10);
        }
    }

    @Benchmark
    public Tensor relu() {
        return x.relu();
    }

    @Benchmark
    public Tensor mul() {
        return x.mul(y);
    }

    @Benchmark
    public Tensor addBias() {
        return x.add(bias);
    }

    @Benchmark
    public Tensor exp() {
        return x.exp();
    }

    @Benchmark
    public Tensor sumRows() {
        return x.sum(0, false);
    }

    @Benchmark
    public Tensor sumAll() {
        return x.sum();
    }

    @Benchmark
    public Tensor maxRows() {
        return x.max(1, false);
    }

    @Benchmark
    public Tensor logSoftmax() {
        return x.logSoftmax(1);
    }

    @Benchmark
    public double crossEntropy() {
        try (GradMode.Scope _ = GradMode.noGrad()) {
            return Losses.crossEntropy(logits, labels).item();
        }
    }
}
