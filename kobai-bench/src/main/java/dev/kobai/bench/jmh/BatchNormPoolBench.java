package dev.kobai.bench.jmh;

import dev.kobai.autograd.Autograd;
import dev.kobai.tensor.BatchNormPool;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Normalization;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Spatial;
import dev.kobai.tensor.StepMemory;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.Window2d;
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
 * A convolutional block's batch norm, ReLU and 2x2 max pooling, forward and backward as a training
 * step runs them (in a step memory), on the cnn preset's two blocks at batch 128: {@code fused}
 * true is {@link BatchNormPool}, false the two operations in turn (what {@code nn.Sequential} ran
 * before). The ReLU runs after the pooling in both, as Sequential orders it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class BatchNormPoolBench {
    private static final Window2d PAIRS = Window2d.square(2, 2, 0, 1);

    @Param({"128x32x28x28", "128x64x14x14"})
    public String shape;

    @Param({"true", "false"})
    public boolean fused;

    @Param({"1", "2"})
    public int threads;

    private final StepMemory memory = new StepMemory();
    private Tensor x;
    private Tensor weight;
    private Tensor bias;
    private Tensor runningMean;
    private Tensor runningVar;

    @Setup
    public void setUp() {
        Parallel.setThreads(threads);
        String[] dims = shape.split("x");
        int channels = Integer.parseInt(dims[1]);
        Rng rng = new Rng(1);
        x = Tensor.randn(rng, DType.FLOAT32, Integer.parseInt(dims[0]), channels, Integer.parseInt(dims[2]),
                Integer.parseInt(dims[3])).requiresGrad(true);
        weight = Tensor.randn(rng, DType.FLOAT32, channels).requiresGrad(true);
        bias = Tensor.randn(rng, DType.FLOAT32, channels).requiresGrad(true);
        runningMean = Tensor.zeros(DType.FLOAT32, channels);
        runningVar = Tensor.ones(DType.FLOAT32, channels);
    }

    @Benchmark
    public double forwardBackward() {
        try (StepMemory.Scope _ = memory.open()) {
            Tensor pooled = fused
                    ? BatchNormPool.batchNormMaxPool(x, runningMean, runningVar, weight, bias, true, 0.1, 1e-5, PAIRS,
                            false)
                    : Spatial.maxPool2d(Normalization.batchNorm(x, runningMean, runningVar, weight, bias, true, 0.1,
                            1e-5), PAIRS, false);
            Tensor y = pooled.relu();
            Tensor[] grads = Autograd.grad(new Tensor[] {y}, new Tensor[] {Tensor.ones(DType.FLOAT32, y.shape())},
                    new Tensor[] {x, weight, bias}, false);
            return grads[1].getFlat(0); // read inside the scope: the step's arrays go back when it closes
        }
    }
}
