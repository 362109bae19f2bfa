package dev.kobai.optim;

import dev.kobai.KobaiException;
import dev.kobai.UsageException;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import java.util.List;

/**
 * Gradient clipping, as torch.nn.utils.clip_grad_norm_ and clip_grad_value_ do it: in place, on
 * the gradients of the parameters that have one, between backward and the optimizer step.
 */
public final class Clip {
    private Clip() {}

    /** {@link #gradNorm(List, double, double, boolean)} with the 2-norm and no error on a non-finite norm. */
    public static double gradNorm(List<Parameter> params, double maxNorm) {
        return gradNorm(params, maxNorm, 2.0, false);
    }

    /**
     * The factor {@link #gradNorm(List, double, double, boolean)} scales every gradient by, for a
     * total norm {@code total}: min(1, max_norm / (total + 1e-6)), NaN when that quotient is NaN. The
     * gradients are left as they are exactly when it is 1.
     */
    public static double normCoefficient(double total, double maxNorm) {
        return Math.min(maxNorm / (total + 1e-6), 1.0); // Math.min keeps a NaN
    }

    /** {@link #gradNorm(List, double, double, boolean)} with no error on a non-finite norm. */
    public static double gradNorm(List<Parameter> params, double maxNorm, double normType) {
        return gradNorm(params, maxNorm, normType, false);
    }

    /**
     * Scales all gradients together so that their joint norm is at most {@code maxNorm}:
     *
     * <pre>
     *   total = || (||g_1||_p, ..., ||g_n||_p) ||_p      (max |g| over all elements when p is infinite)
     *   coef  = min(1, max_norm / (total + 1e-6));   g_i = g_i * coef
     * </pre>
     *
     * @param normType p, positive or {@link Double#POSITIVE_INFINITY}
     * @param errorIfNonfinite throw when the total norm is NaN or infinite instead of scaling by it
     * @return the total norm before clipping (0 when no parameter has a gradient)
     */
    public static double gradNorm(List<Parameter> params, double maxNorm, double normType, boolean errorIfNonfinite) {
        if (!(normType > 0)) {
            throw new UsageException("norm_type must be positive or infinity, got " + normType);
        }
        boolean inf = normType == Double.POSITIVE_INFINITY;
        double total = 0;
        boolean any = false;
        for (Parameter p : params) {
            Tensor g = p.grad();
            if (g == null) {
                continue;
            }
            any = true;
            double norm = norm(g, normType);
            if (inf) {
                total = Math.max(total, norm);
                if (Double.isNaN(norm)) {
                    total = Double.NaN;
                }
            } else {
                total += normType == 2 ? norm * norm : Math.pow(norm, normType);
            }
        }
        if (!any) {
            return 0;
        }
        if (!inf) {
            total = normType == 2 ? Math.sqrt(total) : Math.pow(total, 1 / normType);
        }
        if (errorIfNonfinite && !Double.isFinite(total)) {
            throw new KobaiException("The total norm of order " + normType + " for gradients from `parameters` is "
                    + "non-finite, so it cannot be clipped. To disable this error and scale the gradients by the "
                    + "non-finite norm anyway, set `error_if_nonfinite=False`");
        }
        double coef = normCoefficient(total, maxNorm);
        for (Parameter p : params) {
            Tensor g = p.grad();
            if (g != null) {
                scale(g, coef);
            }
        }
        return total;
    }

    /**
     * Clamps every gradient element to [-clipValue, clipValue]; returns whether any element was
     * outside (or NaN), that is, whether the gradients may have changed.
     */
    public static boolean gradValue(List<Parameter> params, double clipValue) {
        boolean changed = false;
        for (Parameter p : params) {
            Tensor g = p.grad();
            if (g == null) {
                continue;
            }
            if (g.dtype() == DType.FLOAT32) {
                float[] a = g.floatData();
                float hi = (float) clipValue;
                float lo = -hi;
                for (int i = 0; i < a.length; i++) {
                    float c = clamp(a[i], lo, hi);
                    changed |= c != a[i];
                    a[i] = c;
                }
            } else {
                double[] a = g.doubleData();
                for (int i = 0; i < a.length; i++) {
                    double c = clamp(a[i], -clipValue, clipValue);
                    changed |= c != a[i];
                    a[i] = c;
                }
            }
        }
        return changed;
    }

    /** torch.clamp(min, max): max(min(x, hi), lo) with NaN kept. */
    private static float clamp(float x, float lo, float hi) {
        return Float.isNaN(x) ? x : Math.min(Math.max(x, lo), hi);
    }

    private static double clamp(double x, double lo, double hi) {
        return Double.isNaN(x) ? x : Math.min(Math.max(x, lo), hi);
    }

    /** The p-norm of one tensor, accumulated in double. */
    private static double norm(Tensor g, double p) {
        int n = g.numel();
        boolean inf = p == Double.POSITIVE_INFINITY;
        double acc = 0;
        for (int i = 0; i < n; i++) {
            double a = Math.abs(g.getFlat(i));
            if (inf) {
                acc = Double.isNaN(a) || Double.isNaN(acc) ? Double.NaN : Math.max(acc, a);
            } else if (p == 2) {
                acc += a * a;
            } else if (p == 1) {
                acc += a;
            } else {
                acc += Math.pow(a, p);
            }
        }
        if (inf || p == 1) {
            return acc;
        }
        return p == 2 ? Math.sqrt(acc) : Math.pow(acc, 1 / p);
    }

    private static void scale(Tensor g, double coef) {
        if (g.dtype() == DType.FLOAT32) {
            float[] a = g.floatData();
            float c = (float) coef;
            for (int i = 0; i < a.length; i++) {
                a[i] *= c;
            }
        } else {
            double[] a = g.doubleData();
            for (int i = 0; i < a.length; i++) {
                a[i] *= coef;
            }
        }
    }
}
