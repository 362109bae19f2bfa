package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every optimizer's float32 loops against its float64 loops, value by value, with the options that
 * choose each loop: the defaults (the fast paths training takes), and momentum, Nesterov,
 * dampening, weight decay, decoupled decay, maximize, amsgrad and centering where an optimizer has
 * them. Both runs see the same gradient function, evaluated at their own weights; two tensors of
 * 1000 and 37 elements take vector bodies and scalar tails. After 25 steps float32 rounding leaves
 * the two within a few units of float32's precision of each other (relative to the weights), while a loop that drops a term,
 * flips a sign or mistypes a constant moves them apart by orders of magnitude more (the update
 * itself is at least 100 times the tolerance).
 */
class Float32PathsTest {
    private static final int STEPS = 25;

    @ParameterizedTest
    @ValueSource(strings = {
        "sgd:lr=0.05", "sgd:lr=0.05,momentum=0.9", "sgd:lr=0.05,momentum=0.9,nesterov=true",
        "sgd:lr=0.05,momentum=0.9,dampening=0.3,weight_decay=0.01", "sgd:lr=0.05,maximize=true",
        "sgd:lr=0.05,momentum=0.9,dampening=0.3",
        "sgd:lr=0.05,weight_decay=0.1",
        "adam", "adam:weight_decay=0.1", "adam:amsgrad=true", "adam:maximize=true", "adamw",
        "adamax", "adamax:weight_decay=0.1", "adamax:maximize=true",
        "nadam", "nadam:weight_decay=0.1", "radam", "radam:weight_decay=0.1",
        "adagrad", "adagrad:weight_decay=0.1,lr_decay=0.01", "adagrad:maximize=true",
        "adadelta", "adadelta:weight_decay=0.1", "adadelta:maximize=true",
        "rmsprop", "rmsprop:weight_decay=0.1", "rmsprop:momentum=0.9", "rmsprop:centered=true,momentum=0.5",
        "rmsprop:maximize=true",
        "asgd", "asgd:weight_decay=0.1", "rprop", "rprop:maximize=true", "asgd:maximize=true",
    })
    void float32FollowsFloat64(String spec) {
        Random r = new Random(spec.hashCode());
        List<Parameter> p64 = new ArrayList<>();
        List<Parameter> p32 = new ArrayList<>();
        List<double[]> targets = new ArrayList<>();
        for (int n : new int[] {1000, 37}) {
            Tensor a = Tensor.zeros(DType.FLOAT64, n);
            Tensor b = Tensor.zeros(DType.FLOAT32, n);
            double[] t = new double[n];
            for (int i = 0; i < n; i++) {
                float x = (float) r.nextGaussian(); // representable in both
                a.setFlat(i, x);
                b.setFlat(i, x);
                t[i] = r.nextGaussian();
            }
            p64.add(new Parameter(a));
            p32.add(new Parameter(b));
            targets.add(t);
        }
        double[][] start = values(p64);
        Optimizer o64 = Optimizers.create(spec, p64);
        Optimizer o32 = Optimizers.create(spec, p32);
        for (int step = 0; step < STEPS; step++) {
            setGradients(p64, targets, DType.FLOAT64);
            setGradients(p32, targets, DType.FLOAT32);
            o64.step();
            o32.step();
        }
        double[][] a = values(p64);
        double[][] b = values(p32);
        double moved = 0;
        double gap = 0;
        double largest = 0;
        for (int k = 0; k < a.length; k++) {
            for (int i = 0; i < a[k].length; i++) {
                moved = Math.max(moved, Math.abs(a[k][i] - start[k][i]));
                gap = Math.max(gap, Math.abs(a[k][i] - b[k][i]));
                largest = Math.max(largest, Math.abs(a[k][i]));
            }
        }
        // Measured: 4e-7 to 8e-6 apart for weights of magnitude 1 to 5 (1.3e-5 where maximize
        // drives SGD's weights to 45), so the bound scales with the weights' size.
        double tolerance = 2e-5 * (1 + largest);
        assertTrue(moved > 100 * tolerance, spec + " moved only " + moved);
        assertTrue(gap < tolerance, spec + ": float32 is " + gap + " from float64 after moving " + moved);
    }

    /** The gradient of sum (p - t)^2 + 0.1 cos(5 p), at each run's own weights, in its dtype. */
    private static void setGradients(List<Parameter> ps, List<double[]> targets, DType dtype) {
        for (int k = 0; k < ps.size(); k++) {
            Parameter p = ps.get(k);
            double[] t = targets.get(k);
            Tensor g = Tensor.zeros(dtype, t.length);
            for (int i = 0; i < t.length; i++) {
                double x = p.getFlat(i);
                g.setFlat(i, 2 * (x - t[i]) - 0.5 * Math.sin(5 * x));
            }
            p.setGrad(g);
        }
    }

    private static double[][] values(List<Parameter> ps) {
        double[][] out = new double[ps.size()][];
        for (int k = 0; k < ps.size(); k++) {
            out[k] = new double[ps.get(k).numel()];
            for (int i = 0; i < out[k].length; i++) {
                out[k][i] = ps.get(k).getFlat(i);
            }
        }
        return out;
    }
}
