package dev.kobai.autograd;

import dev.kobai.tensor.DType;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.Locale;
import java.util.function.Function;

/**
 * Checks the engine's derivatives against central differences, as torch.autograd.gradcheck and
 * gradgradcheck do: the whole Jacobian, element by element, in float64.
 *
 * <p>First order: every entry of d f / d x from backward passes (one per output element) against
 * (f(x + eps e_j) - f(x - eps e_j)) / 2 eps. Second order: the same check applied to the function
 * (x, v) -> v^T df/dx computed with a recorded backward pass, which exercises every backward rule's
 * own derivative.
 */
public final class GradCheck {
    /** Step, absolute and relative tolerances of torch's gradcheck. */
    public static final double EPS = 1e-6;
    public static final double ATOL = 1e-5;
    public static final double RTOL = 1e-3;

    private GradCheck() {}

    /** Thrown when analytical and numerical derivatives disagree; the message says where. */
    public static final class Mismatch extends AssertionError {
        Mismatch(String message) {
            super(message);
        }
    }

    /** Checks first derivatives of {@code f} at {@code inputs} (float64 tensors). */
    public static void check(String name, Function<Tensor[], Tensor> f, Tensor... inputs) {
        for (Tensor x : inputs) {
            if (x.dtype() != DType.FLOAT64) {
                throw new IllegalArgumentException("gradcheck needs float64 inputs, got " + x.describe());
            }
            x.requiresGrad(true);
        }
        Tensor y = f.apply(inputs);
        int outs = y.numel();
        double[][][] analytical = new double[inputs.length][][];
        for (int i = 0; i < inputs.length; i++) {
            analytical[i] = new double[outs][inputs[i].numel()];
        }
        if (y.requiresGrad()) {
            for (int j = 0; j < outs; j++) {
                Tensor seed = Tensor.zeros(DType.FLOAT64, y.shape());
                seed.setFlat(j, 1);
                Tensor[] g = Autograd.grad(new Tensor[] {y}, new Tensor[] {seed}, inputs, false);
                for (int i = 0; i < inputs.length; i++) {
                    analytical[i][j] = g[i].toDoubleArray();
                }
            }
        }
        for (int i = 0; i < inputs.length; i++) {
            Tensor x = inputs[i];
            for (int e = 0; e < x.numel(); e++) {
                double orig = x.getFlat(e);
                double[] plus;
                double[] minus;
                try (GradMode.Scope _ = GradMode.noGrad()) {
                    x.setFlat(e, orig + EPS);
                    plus = f.apply(inputs).toDoubleArray();
                    x.setFlat(e, orig - EPS);
                    minus = f.apply(inputs).toDoubleArray();
                } finally {
                    x.setFlat(e, orig);
                }
                for (int j = 0; j < outs; j++) {
                    double numerical = (plus[j] - minus[j]) / (2 * EPS);
                    double a = analytical[i][j][e];
                    if (!(Math.abs(a - numerical) <= ATOL + RTOL * Math.abs(numerical))) {
                        throw new Mismatch(String.format(Locale.ROOT,
                                "%s: d output[%d] / d input%d[%d]: analytical %.10g, numerical %.10g",
                                name, j, i, e, a, numerical));
                    }
                }
            }
        }
    }

    /**
     * Checks second derivatives: the first derivatives of (inputs, v) -> v^T d f / d inputs, where v
     * is a fixed random vector shaped like the output and the inner gradient is recorded.
     */
    public static void checkSecondOrder(String name, Function<Tensor[], Tensor> f, Tensor... inputs) {
        for (Tensor x : inputs) {
            x.requiresGrad(true);
        }
        Tensor probe = f.apply(inputs);
        Tensor v = Tensor.randn(new Rng(12345), DType.FLOAT64, probe.shape());
        Tensor[] all = new Tensor[inputs.length + 1];
        System.arraycopy(inputs, 0, all, 0, inputs.length);
        all[inputs.length] = v;
        int totalInputs = 0;
        for (Tensor x : inputs) {
            totalInputs += x.numel();
        }
        int total = totalInputs;
        check(name + " (second order)", xs -> {
            // The inner gradient must be computed even when the outer check evaluates without recording.
            try (GradMode.Scope _ = GradMode.set(true)) {
                Tensor[] xin = java.util.Arrays.copyOf(xs, inputs.length);
                Tensor vin = xs[inputs.length];
                Tensor y = f.apply(xin);
                if (!y.requiresGrad()) {
                    return Tensor.zeros(DType.FLOAT64, total);
                }
                Tensor[] g = Autograd.grad(new Tensor[] {y}, new Tensor[] {vin}, xin, true);
                Tensor[] flat = new Tensor[g.length];
                for (int i = 0; i < g.length; i++) {
                    flat[i] = g[i].reshape(-1);
                }
                return Tensor.concat(0, flat);
            }
        }, all);
    }
}
