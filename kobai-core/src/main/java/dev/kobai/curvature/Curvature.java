package dev.kobai.curvature;

import dev.kobai.autograd.Autograd;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Curvature products from the reverse-mode engine alone, on parameters seen as one flat vector
 * ({@link ParamVectors}).
 *
 * <ul>
 *   <li>{@link #hessianVector}: Pearlmutter's Hv = d/dw (g(w) . v) by double backward.</li>
 *   <li>{@link #jacobianVector}: Jv without forward mode, by the double-vjp trick: with a dummy
 *       cotangent u that requires a gradient, h(u) = J^T u is recorded, and Jv = d/du (h(u) . v).
 *       h is linear in u, so u = 0 serves.</li>
 *   <li>{@link #vectorJacobian}: J^T u, one backward pass.</li>
 *   <li>{@link #hessian} and {@link #jacobian}: dense matrices, one backward pass per row.</li>
 * </ul>
 * Outputs must have been computed with recording on; the graph is kept, so one forward pass
 * serves many products.
 */
public final class Curvature {
    private Curvature() {}

    /** The Hessian of a one-element {@code loss} times {@code v}. */
    public static double[] hessianVector(Tensor loss, List<? extends Tensor> params, double[] v) {
        Tensor[] ps = params.toArray(new Tensor[0]);
        return ParamVectors.flatten(Autograd.hessianVectorProduct(loss, ps, ParamVectors.split(params, v)));
    }

    /** J v where J = d output / d params (output flattened row-major). */
    public static double[] jacobianVector(Tensor output, List<? extends Tensor> params, double[] v) {
        Tensor[] ps = params.toArray(new Tensor[0]);
        Tensor u = Tensor.zeros(output.dtype(), output.shape()).requiresGrad(true);
        Tensor[] h = Autograd.grad(new Tensor[] {output}, new Tensor[] {u}, ps, true);
        Tensor[] vs = ParamVectors.split(params, v);
        Tensor dot = null;
        for (int i = 0; i < h.length; i++) {
            if (!h[i].requiresGrad()) {
                continue;
            }
            Tensor term = h[i].mul(vs[i].to(h[i].dtype())).sum();
            dot = dot == null ? term : dot.add(term);
        }
        if (dot == null) {
            return new double[output.numel()];
        }
        return Autograd.grad(dot, new Tensor[] {u}, false)[0].toDoubleArray();
    }

    /** J^T u for a cotangent {@code u} of the output's size (flattened row-major). */
    public static double[] vectorJacobian(Tensor output, List<? extends Tensor> params, double[] u) {
        Tensor seed = Tensor.zeros(output.dtype(), output.shape());
        for (int i = 0; i < u.length; i++) {
            seed.setFlat(i, u[i]);
        }
        return ParamVectors.flatten(Autograd.grad(new Tensor[] {output}, new Tensor[] {seed},
                params.toArray(new Tensor[0]), false));
    }

    /** The gradient of a one-element loss, flattened. */
    public static double[] gradient(Tensor loss, List<? extends Tensor> params) {
        return ParamVectors.flatten(Autograd.grad(loss, params.toArray(new Tensor[0]), false));
    }

    /**
     * The dense Hessian of a one-element loss: the gradient is recorded once, then each row is one
     * backward pass through it. Symmetrised.
     */
    public static double[][] hessian(Tensor loss, List<? extends Tensor> params) {
        Tensor[] ps = params.toArray(new Tensor[0]);
        int n = ParamVectors.size(params);
        Tensor[] g = Autograd.grad(loss, ps, true);
        List<Integer> live = new ArrayList<>();
        for (int i = 0; i < g.length; i++) {
            if (g[i].requiresGrad()) {
                live.add(i);
            }
        }
        double[][] h = new double[n][n];
        if (live.isEmpty()) {
            return h;
        }
        Tensor[] outs = new Tensor[live.size()];
        for (int k = 0; k < outs.length; k++) {
            outs[k] = g[live.get(k)];
        }
        int off = 0;
        for (int part = 0; part < ps.length; part++) {
            int len = ps[part].numel();
            int slot = live.indexOf(part);
            for (int i = 0; i < len; i++) {
                if (slot >= 0) {
                    Tensor[] seeds = new Tensor[outs.length];
                    for (int k = 0; k < outs.length; k++) {
                        seeds[k] = Tensor.zeros(outs[k].dtype(), outs[k].shape());
                    }
                    seeds[slot].setFlat(i, 1);
                    h[off + i] = ParamVectors.flatten(Autograd.grad(outs, seeds, ps, false));
                }
            }
            off += len;
        }
        return DenseMatrices.symmetrize(h);
    }

    /** The dense Jacobian d output / d params, one row per output element. */
    public static double[][] jacobian(Tensor output, List<? extends Tensor> params) {
        int m = output.numel();
        double[][] j = new double[m][];
        double[] u = new double[m];
        for (int i = 0; i < m; i++) {
            u[i] = 1;
            j[i] = vectorJacobian(output, params, u);
            u[i] = 0;
        }
        return j;
    }
}
