package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * maximize=true on gradients g takes the same steps as maximize=false on -g: the loops negate g
 * first, and negation is exact, so the two runs agree bit for bit in both dtypes. The maximize run
 * takes an optimizer's general loop and the other its default loop where they differ (SGD, RMSprop,
 * Adagrad, Adadelta), so each checks the other term by term, including the eps that gradients of
 * order 1 leave in the last digits only, which a tolerance would not see.
 */
class MaximizeMirrorTest {
    private static final int STEPS = 12;

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "sgd:lr=0.05", "sgd:lr=0.05,momentum=0.9", "sgd:lr=0.05,momentum=0.9,nesterov=true",
        "rmsprop", "rmsprop:momentum=0.5", "rmsprop:centered=true", "rmsprop:centered=true,momentum=0.5",
        "adagrad", "adadelta", "asgd", "asgd:t0=3", "adam", "adamax", "rprop",
    })
    void maximizingGIsMinimizingMinusG(String spec) {
        for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
            Random r = new Random(spec.hashCode());
            int n = 37;
            Tensor a = Tensor.zeros(dtype, n);
            Tensor b = Tensor.zeros(dtype, n);
            double[] t = new double[n];
            double[] start = new double[n];
            for (int i = 0; i < n; i++) {
                float x = (float) r.nextGaussian();
                start[i] = x;
                a.setFlat(i, x);
                b.setFlat(i, x);
                t[i] = r.nextGaussian();
            }
            Parameter up = new Parameter(a);
            Parameter down = new Parameter(b);
            String sep = spec.contains(":") ? "," : ":";
            Optimizer maximizing = Optimizers.create(spec + sep + "maximize=true", java.util.List.of(up));
            Optimizer minimizing = Optimizers.create(spec, java.util.List.of(down));
            for (int step = 0; step < STEPS; step++) {
                up.setGrad(gradient(up, t, dtype, 1));
                down.setGrad(gradient(down, t, dtype, -1));
                maximizing.step();
                minimizing.step();
                for (int i = 0; i < n; i++) {
                    assertEquals(down.getFlat(i), up.getFlat(i), 0.0,
                            spec + " " + dtype + " step " + (step + 1) + " element " + i);
                }
            }
            double moved = 0;
            for (int i = 0; i < n; i++) {
                moved = Math.max(moved, Math.abs(up.getFlat(i) - start[i]));
            }
            assertTrue(moved > 1e-3, spec + " " + dtype + " moved only " + moved);
        }
    }

    /** sign times the gradient of -(sum (p - t)^2 + 0.1 cos(5 p)), in the parameter's dtype. */
    private static Tensor gradient(Parameter p, double[] t, DType dtype, double sign) {
        Tensor g = Tensor.zeros(dtype, t.length);
        for (int i = 0; i < t.length; i++) {
            double x = p.getFlat(i);
            g.setFlat(i, sign * -(2 * (x - t[i]) - 0.5 * Math.sin(5 * x)));
        }
        return g;
    }
}
