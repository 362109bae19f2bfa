package dev.kobai.curvature;

import dev.kobai.UsageException;
import dev.kobai.nn.Losses;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;

/**
 * A loss on model outputs z of shape [N, K] that is a (scaled) negative log-likelihood of an
 * exponential family in natural parameters z, so that its output Hessian has a closed form and the
 * Fisher information equals the generalised Gauss-Newton matrix (Martens 2020).
 *
 * <p>Every kind is the mean of per-example (or per-element) negative log-likelihoods, divided by
 * {@link #normaliser} M, so the gradient of the loss with respect to z_n is r_n / M where r_n is
 * the gradient of example n's negative log-likelihood:
 * <ul>
 *   <li>{@link #MSE}: {@link Losses#mse}, mean (z - y)^2 over all N K elements; the Gaussian with
 *       variance 1/2 per element; M = N K, r = 2 (z - y), output Hessian (2 / M) I.</li>
 *   <li>{@link #CROSS_ENTROPY}: {@link Losses#crossEntropy} with integer labels; the categorical
 *       of softmax(z); M = N, r = p - e_y, output Hessian (diag p - p p^T) / M per example.</li>
 *   <li>{@link #BCE}: {@link Losses#bceWithLogits}; independent Bernoullis of sigmoid(z);
 *       M = N K, r = s - y, output Hessian diag(s (1 - s)) / M.</li>
 *   <li>{@link #POISSON}: mean (exp(z) - y z), Poisson with log link (constants dropped);
 *       M = N K, r = exp(z) - y, output Hessian diag(exp z) / M.</li>
 * </ul>
 */
public enum LossKind {
    MSE, CROSS_ENTROPY, BCE, POISSON;

    /** Parses "mse", "cross-entropy" (or "ce"), "bce", "poisson". */
    public static LossKind parse(String name) {
        return switch (name.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "mse" -> MSE;
            case "cross-entropy", "cross_entropy", "crossentropy", "ce" -> CROSS_ENTROPY;
            case "bce", "bce-with-logits" -> BCE;
            case "poisson" -> POISSON;
            default -> throw new UsageException("unknown loss '" + name + "'; valid: mse, cross-entropy, bce, poisson");
        };
    }

    /** The loss as a recorded tensor; {@code labels} for cross-entropy, {@code targets} otherwise. */
    public Tensor loss(Tensor z, Tensor targets, int[] labels) {
        return switch (this) {
            case MSE -> Losses.mse(z, targets);
            case CROSS_ENTROPY -> Losses.crossEntropy(z, labels);
            case BCE -> smoothBce(z, targets);
            case POISSON -> z.exp().sub(z.mul(targets)).mean();
        };
    }

    /**
     * The value of {@link Losses#bceWithLogits}, written as -y log s(z) - (1 - y) log s(-z) so that
     * its second derivative is right at z = 0: the library's overflow-safe form goes through |z|,
     * whose recorded derivative sign(0) = 0 makes the engine's Hessian vanish at exactly z = 0.
     */
    static Tensor smoothBce(Tensor z, Tensor y) {
        double tiny = z.dtype() == dev.kobai.tensor.DType.FLOAT32 ? Float.MIN_NORMAL : Double.MIN_NORMAL;
        Tensor logS = z.sigmoid().clampMin(tiny).log();
        Tensor logNotS = z.neg().sigmoid().clampMin(tiny).log();
        return y.mul(logS).add(y.rsub(1).mul(logNotS)).neg().mean();
    }

    /** M: the number of terms the loss averages over. */
    public int normaliser(int n, int k) {
        return this == CROSS_ENTROPY ? n : n * k;
    }

    private static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    /** Softmax of row {@code row} of z. */
    static double[] softmaxRow(double[] z, int row, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < k; c++) {
            max = Math.max(max, z[row * k + c]);
        }
        double[] p = new double[k];
        double s = 0;
        for (int c = 0; c < k; c++) {
            p[c] = Math.exp(z[row * k + c] - max);
            s += p[c];
        }
        for (int c = 0; c < k; c++) {
            p[c] /= s;
        }
        return p;
    }

    /** H_z w: the Hessian of the loss with respect to z (block diagonal over examples) times w. */
    public double[] outputHessianTimes(double[] z, int n, int k, double[] w) {
        double inv = 1.0 / normaliser(n, k);
        double[] out = new double[z.length];
        for (int row = 0; row < n; row++) {
            switch (this) {
                case MSE -> {
                    for (int c = 0; c < k; c++) {
                        out[row * k + c] = 2 * inv * w[row * k + c];
                    }
                }
                case CROSS_ENTROPY -> {
                    double[] p = softmaxRow(z, row, k);
                    double pw = 0;
                    for (int c = 0; c < k; c++) {
                        pw += p[c] * w[row * k + c];
                    }
                    for (int c = 0; c < k; c++) {
                        out[row * k + c] = inv * (p[c] * w[row * k + c] - p[c] * pw);
                    }
                }
                case BCE -> {
                    for (int c = 0; c < k; c++) {
                        double s = sigmoid(z[row * k + c]);
                        out[row * k + c] = inv * s * (1 - s) * w[row * k + c];
                    }
                }
                case POISSON -> {
                    for (int c = 0; c < k; c++) {
                        out[row * k + c] = inv * Math.exp(z[row * k + c]) * w[row * k + c];
                    }
                }
            }
        }
        return out;
    }

    /**
     * Square-root factors of the output Hessian: K cotangents q_c (each of z's size) with
     * H_z = sum_c q_c q_c^T block by block. Backpropagating each q_c gives the exact-expectation
     * Fisher without sampling.
     */
    public double[][] outputHessianFactors(double[] z, int n, int k) {
        double inv = 1.0 / normaliser(n, k);
        double[][] q = new double[k][z.length];
        for (int row = 0; row < n; row++) {
            double[] p = this == CROSS_ENTROPY ? softmaxRow(z, row, k) : null;
            for (int c = 0; c < k; c++) {
                int i = row * k + c;
                switch (this) {
                    case MSE -> q[c][i] = Math.sqrt(2 * inv);
                    case BCE -> {
                        double s = sigmoid(z[i]);
                        q[c][i] = Math.sqrt(inv * s * (1 - s));
                    }
                    case POISSON -> q[c][i] = Math.sqrt(inv * Math.exp(z[i]));
                    case CROSS_ENTROPY -> {
                        double a = Math.sqrt(inv * p[c]);
                        for (int j = 0; j < k; j++) {
                            q[c][row * k + j] = a * ((j == c ? 1 : 0) - p[j]);
                        }
                    }
                }
            }
        }
        return q;
    }

    /**
     * The exact second moment E_y[r r^T] of one example's negative log-likelihood gradient under
     * the model's own predictive distribution, K x K. For cross-entropy the expectation is an
     * explicit sum over the classes; for the others it is the distribution's variance.
     */
    public double[][] expectedGradientMoment(double[] z, int row, int k) {
        double[][] m = new double[k][k];
        switch (this) {
            case CROSS_ENTROPY -> {
                double[] p = softmaxRow(z, row, k);
                for (int y = 0; y < k; y++) {
                    double[] r = p.clone();
                    r[y] -= 1;
                    for (int a = 0; a < k; a++) {
                        for (int b = 0; b < k; b++) {
                            m[a][b] += p[y] * r[a] * r[b];
                        }
                    }
                }
            }
            case MSE -> {
                for (int c = 0; c < k; c++) {
                    m[c][c] = 4 * 0.5; // r = 2 (z - y), Var y = 1/2
                }
            }
            case BCE -> {
                for (int c = 0; c < k; c++) {
                    double s = sigmoid(z[row * k + c]);
                    // y = 1 with probability s: r = s - 1; else r = s
                    m[c][c] = s * (s - 1) * (s - 1) + (1 - s) * s * s;
                }
            }
            case POISSON -> {
                for (int c = 0; c < k; c++) {
                    m[c][c] = Math.exp(z[row * k + c]);
                }
            }
        }
        return m;
    }

    /** r_n = d nll_n / d z_n for given targets, flattened [N, K]. */
    public double[] nllGradient(double[] z, int n, int k, double[] targets, int[] labels) {
        double[] r = new double[z.length];
        for (int row = 0; row < n; row++) {
            if (this == CROSS_ENTROPY) {
                double[] p = softmaxRow(z, row, k);
                for (int c = 0; c < k; c++) {
                    r[row * k + c] = p[c] - (labels[row] == c ? 1 : 0);
                }
                continue;
            }
            for (int c = 0; c < k; c++) {
                int i = row * k + c;
                r[i] = switch (this) {
                    case MSE -> 2 * (z[i] - targets[i]);
                    case BCE -> sigmoid(z[i]) - targets[i];
                    case POISSON -> Math.exp(z[i]) - targets[i];
                    default -> throw new IllegalStateException();
                };
            }
        }
        return r;
    }

    /** Samples targets from the model's predictive distribution: doubles [N*K], or labels [N] for cross-entropy. */
    public Object sampleTargets(double[] z, int n, int k, Rng rng) {
        if (this == CROSS_ENTROPY) {
            int[] labels = new int[n];
            for (int row = 0; row < n; row++) {
                double[] p = softmaxRow(z, row, k);
                double u = rng.nextDouble();
                int c = 0;
                double acc = p[0];
                while (u >= acc && c < k - 1) {
                    acc += p[++c];
                }
                labels[row] = c;
            }
            return labels;
        }
        double[] y = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            y[i] = switch (this) {
                case MSE -> z[i] + Math.sqrt(0.5) * rng.nextGaussian();
                case BCE -> rng.nextDouble() < sigmoid(z[i]) ? 1 : 0;
                case POISSON -> samplePoisson(Math.exp(z[i]), rng);
                default -> throw new IllegalStateException();
            };
        }
        return y;
    }

    private static double samplePoisson(double mean, Rng rng) {
        if (mean > 500) {
            return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.nextGaussian()));
        }
        double limit = Math.exp(-mean);
        double prod = rng.nextDouble();
        int count = 0;
        while (prod > limit) {
            prod *= rng.nextDouble();
            count++;
        }
        return count;
    }
}
