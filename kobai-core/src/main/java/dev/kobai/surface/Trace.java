package dev.kobai.surface;

import dev.kobai.UsageException;
import dev.kobai.nn.Parameter;
import dev.kobai.optim.LossClosure;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.Optimizers;
import dev.kobai.surface.Surface.Point;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The path one optimizer takes across a surface. The point [x, y] is a single parameter in the
 * chosen dtype; every step goes through {@link Optimizer#step(Optimizer.Closure)} with a closure
 * that zeroes the gradient, evaluates the surface and backpropagates, so methods that re-evaluate
 * the function during a step (L-BFGS, line searches) work as they do on a network.
 *
 * <p>A run of N steps gives N + 1 samples: sample 0 is the start, sample k the point after k steps,
 * each with the value of the surface there (computed in the run's dtype). Nothing stops a run that
 * diverges: NaN and infinite coordinates and losses are recorded as they come.
 */
public final class Trace {
    /** Where the optimizer stood after {@code step} steps, and the surface's value there. */
    public record Sample(int step, double x, double y, double loss) {}

    private Trace() {}

    /**
     * Runs the optimizer {@code optimizerSpec} describes (as in {@link Optimizers#create}) for
     * {@code steps} steps from {@code start}, or from the surface's own start when that is null.
     */
    public static List<Sample> run(Surface surface, String optimizerSpec, Point start, int steps, DType dtype) {
        Objects.requireNonNull(optimizerSpec, "optimizerSpec");
        return run(surface, params -> Optimizers.create(optimizerSpec, params), start, steps, dtype);
    }

    /** As {@link #run(Surface, String, Point, int, DType)}, with the optimizer built by {@code optimizer} over the one parameter. */
    public static List<Sample> run(Surface surface, Function<List<Parameter>, Optimizer> optimizer, Point start,
                                   int steps, DType dtype) {
        // grown as the samples come: steps + 1 up front overflowed for Integer.MAX_VALUE
        List<Sample> samples = new ArrayList<>((int) Math.min(steps + 1L, 1 << 16));
        run(surface, optimizer, start, steps, dtype, samples::add);
        return samples;
    }

    /**
     * As above, handing each sample to {@code sink} as soon as it is computed and keeping none, so
     * that a run of any length takes the memory of one step ({@code kobai trace} prints as it goes).
     */
    public static void run(Surface surface, Function<List<Parameter>, Optimizer> optimizer, Point start, int steps,
                           DType dtype, Consumer<Sample> sink) {
        Objects.requireNonNull(surface, "surface");
        Objects.requireNonNull(dtype, "dtype");
        if (steps < 0) {
            throw new UsageException("steps must be at least 0, got " + steps);
        }
        Point from = start != null ? start : surface.start();
        Tensor initial = dtype == DType.FLOAT32
                ? Tensor.fromArray(new float[] {(float) from.x(), (float) from.y()}, 2)
                : Tensor.fromArray(new double[] {from.x(), from.y()}, 2);
        Parameter xy = new Parameter(initial);
        Optimizer opt = optimizer.apply(List.of(xy));
        // A LossClosure hands second-order methods the recorded loss, so Newton differentiates it
        // twice exactly instead of differencing gradients.
        LossClosure closure = new LossClosure() {
            @Override
            public Tensor loss() {
                return surface.value(xy);
            }

            @Override
            public double evaluate() {
                opt.zeroGrad();
                Tensor loss = loss();
                loss.backward();
                return loss.item();
            }
        };
        sink.accept(sample(surface, xy, 0));
        for (long k = 1; k <= steps; k++) { // long, so that steps = Integer.MAX_VALUE ends
            opt.step(closure);
            sink.accept(sample(surface, xy, (int) k));
        }
    }

    private static Sample sample(Surface surface, Parameter xy, int step) {
        double loss;
        try (GradMode.Scope _ = GradMode.noGrad()) {
            loss = surface.value(xy).item();
        }
        return new Sample(step, xy.getFlat(0), xy.getFlat(1), loss);
    }
}
