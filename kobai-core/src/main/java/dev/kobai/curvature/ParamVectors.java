package dev.kobai.curvature;

import dev.kobai.tensor.Tensor;
import java.util.List;

/** Parameters seen as one flat vector, in list order and row-major within each tensor. */
public final class ParamVectors {
    private ParamVectors() {}

    public static int size(List<? extends Tensor> params) {
        int n = 0;
        for (Tensor p : params) {
            n += p.numel();
        }
        return n;
    }

    /** The current values, concatenated. */
    public static double[] values(List<? extends Tensor> params) {
        double[] out = new double[size(params)];
        int off = 0;
        for (Tensor p : params) {
            for (int i = 0; i < p.numel(); i++) {
                out[off++] = p.getFlat(i);
            }
        }
        return out;
    }

    /** Overwrites the parameters' storage with {@code x}. */
    public static void set(List<? extends Tensor> params, double[] x) {
        int off = 0;
        for (Tensor p : params) {
            for (int i = 0; i < p.numel(); i++) {
                p.setFlat(i, x[off++]);
            }
        }
    }

    /** p += alpha d, in place. */
    public static void add(List<? extends Tensor> params, double alpha, double[] d) {
        int off = 0;
        for (Tensor p : params) {
            for (int i = 0; i < p.numel(); i++) {
                p.setFlat(i, p.getFlat(i) + alpha * d[off++]);
            }
        }
    }

    /** Cuts {@code v} into detached tensors shaped like the parameters. */
    public static Tensor[] split(List<? extends Tensor> params, double[] v) {
        if (v.length != size(params)) {
            throw new IllegalArgumentException("vector of length " + v.length + " for " + size(params) + " parameters");
        }
        Tensor[] parts = new Tensor[params.size()];
        int off = 0;
        for (int k = 0; k < parts.length; k++) {
            Tensor p = params.get(k);
            Tensor t = Tensor.zeros(p.dtype(), p.shape());
            for (int i = 0; i < p.numel(); i++) {
                t.setFlat(i, v[off++]);
            }
            parts[k] = t;
        }
        return parts;
    }

    /** Concatenates tensors' values. */
    public static double[] flatten(Tensor[] parts) {
        int n = 0;
        for (Tensor t : parts) {
            n += t.numel();
        }
        double[] out = new double[n];
        int off = 0;
        for (Tensor t : parts) {
            for (int i = 0; i < t.numel(); i++) {
                out[off++] = t.getFlat(i);
            }
        }
        return out;
    }

    /** The leaves' accumulated gradients, concatenated (zeros where a gradient is missing). */
    public static double[] grads(List<? extends Tensor> params) {
        double[] out = new double[size(params)];
        int off = 0;
        for (Tensor p : params) {
            Tensor g = p.grad();
            for (int i = 0; i < p.numel(); i++) {
                out[off++] = g == null ? 0 : g.getFlat(i);
            }
        }
        return out;
    }
}
