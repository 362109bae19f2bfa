package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RMSprop's buffers as the state dict shows them. The update reads grad_avg only squared, so its
 * sign is checked here, where a state dict saved by torch or a checkpoint would carry it; and a
 * momentum buffer left from before momentum was set to 0 stays as it was, as in torch, which touches
 * it only while momentum > 0.
 */
class RMSpropBuffersTest {
    @Test
    void gradAvgIsTheRunningMeanOfTheGradients() {
        for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
            Parameter p = new Parameter(Tensor.zeros(dtype, 3));
            Optimizer opt = Optimizers.create("rmsprop:alpha=0.9,centered=true", List.of(p));
            double[] g = {0.5, -2, 3};
            double[] mean = new double[3];
            for (int step = 0; step < 3; step++) {
                Tensor grad = Tensor.zeros(dtype, 3);
                for (int i = 0; i < 3; i++) {
                    grad.setFlat(i, g[i]);
                    mean[i] = 0.9 * mean[i] + 0.1 * g[i];
                }
                p.setGrad(grad);
                opt.step();
            }
            Tensor avg = (Tensor) opt.state().get(p).get("grad_avg");
            assertArrayEquals(mean, avg.toDoubleArray(), dtype == DType.FLOAT64 ? 1e-15 : 1e-6, dtype.toString());
        }
    }

    @Test
    void aMomentumBufferIsLeftAloneOnceMomentumIsZero() {
        for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
            Parameter p = new Parameter(Tensor.zeros(dtype, 2));
            Optimizer opt = Optimizers.create("rmsprop:momentum=0.9", List.of(p));
            for (int step = 0; step < 2; step++) {
                p.setGrad(Tensor.ones(dtype, 2));
                opt.step();
            }
            double[] kept = ((Tensor) opt.state().get(p).get("momentum_buffer")).toDoubleArray();
            opt.paramGroups().getFirst().set("momentum", 0.0);
            p.setGrad(Tensor.ones(dtype, 2).mul(3.0));
            opt.step();
            assertArrayEquals(kept, ((Tensor) opt.state().get(p).get("momentum_buffer")).toDoubleArray(), 0.0,
                    dtype.toString());
            assertEquals(3.0, ((Number) opt.state().get(p).get("step")).doubleValue());
        }
    }
}
