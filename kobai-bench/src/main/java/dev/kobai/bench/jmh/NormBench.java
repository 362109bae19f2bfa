package dev.kobai.bench.jmh;

import dev.kobai.autograd.Autograd;
import dev.kobai.nn.BatchNorm2d;
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
 * BatchNorm2d(32) in training mode on a float32 batch [128, 32, 28, 28] (3.2 M elements, 12.8 MB):
 * the forward pass alone, forward plus the fused backward of the input, weight and bias (what a
 * training step runs), and forward plus the recorded backward (what createGraph runs, for
 * Hessian-vector products). {@code multiply} is one element-wise pass over the same data (read two
 * tensors, write one), the memory-speed yardstick: the fused forward reads x twice and writes y once,
 * the fused backward reads g and x twice and writes dx once.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class NormBench {
    @Param({"1", "2"})
    public int threads;

    private BatchNorm2d bn;
    private Tensor x;
    private Tensor g;

    @Setup
    public void setUp() {
        Parallel.setThreads(threads);
        Rng rng = new Rng(1);
        bn = new BatchNorm2d(32, DType.FLOAT32);
        x = Tensor.randn(rng, DType.FLOAT32, 128, 32, 28, 28).requiresGrad(true);
        g = Tensor.randn(rng, DType.FLOAT32, 128, 32, 28, 28);
    }

    @Benchmark
    public Tensor forward() {
        try (GradMode.Scope _ = GradMode.noGrad()) {
            return bn.forward(x);
        }
    }

    @Benchmark
    public Tensor[] forwardBackward() {
        Tensor y = bn.forward(x);
        return Autograd.grad(new Tensor[] {y}, new Tensor[] {g}, new Tensor[] {x, bn.weight(), bn.bias()}, false);
    }

    @Benchmark
    public Tensor[] forwardRecordedBackward() {
        Tensor y = bn.forward(x);
        return Autograd.grad(new Tensor[] {y}, new Tensor[] {g}, new Tensor[] {x, bn.weight(), bn.bias()}, true);
    }

    @Benchmark
    public Tensor multiply() {
        try (GradMode.Scope _ = GradMode.noGrad()) {
            return x.mul(g);
        }
    }
}
