package dev.kobai.autograd;

import dev.kobai.tensor.Backprop;
import dev.kobai.tensor.Tensor;
import java.util.List;

/**
 * Gradients as functions, as torch.autograd.grad gives them: the gradients of outputs with respect
 * to chosen inputs, returned rather than accumulated into {@code grad}, and optionally
 * differentiable themselves. On top of that, Hessian-vector products by double backward
 * (Pearlmutter 1994): Hv = d/dw (g(w) . v), exact and at the cost of about two gradients.
 *
 * <p>Each method takes arrays or lists ({@code model.parameters()} as it is), and answers in kind.
 *
 * {@snippet :
 * Tensor loss = Losses.crossEntropy(model.forward(x), labels);
 * List<Tensor> g = Autograd.grad(loss, model.parameters(), true);     // recorded: differentiable again
 * List<Tensor> hv = Autograd.hessianVectorProduct(loss, model.parameters(), v);
 * }
 */
public final class Autograd {
    private Autograd() {}

    /** d output / d inputs for a one-element output; an input the output does not depend on gets zeros. */
    public static Tensor[] grad(Tensor output, Tensor[] inputs, boolean createGraph) {
        if (output.numel() != 1) {
            throw new IllegalArgumentException("grad without a seed needs a one-element output, got " + output.describe());
        }
        return grad(new Tensor[] {output}, new Tensor[] {Tensor.full(output.dtype(), 1, output.shape())}, inputs,
                createGraph);
    }

    /**
     * The vector-Jacobian product: sum over outputs of seed_i^T d output_i / d inputs. With
     * {@code createGraph} the result is recorded and can be differentiated again.
     */
    public static Tensor[] grad(Tensor[] outputs, Tensor[] seeds, Tensor[] inputs, boolean createGraph) {
        Tensor[] g = Backprop.run(outputs, seeds, inputs, createGraph);
        for (int i = 0; i < g.length; i++) {
            if (g[i] == null) {
                g[i] = Tensor.zeros(inputs[i].dtype(), inputs[i].shape());
            }
        }
        return g;
    }

    /**
     * The Hessian of {@code loss} with respect to {@code params} times {@code v} (one tensor per
     * parameter), by differentiating g . v where g is the recorded gradient. The loss must have
     * been computed with recording on.
     */
    public static Tensor[] hessianVectorProduct(Tensor loss, Tensor[] params, Tensor[] v) {
        if (params.length != v.length) {
            throw new IllegalArgumentException(params.length + " parameters but " + v.length + " vector parts");
        }
        Tensor[] g = grad(loss, params, true);
        Tensor dot = null;
        for (int i = 0; i < g.length; i++) {
            if (!g[i].requiresGrad()) {
                continue; // this part of the gradient does not depend on the parameters: Hv gets nothing from it
            }
            Tensor term = g[i].mul(v[i]).sum();
            dot = dot == null ? term : dot.add(term);
        }
        if (dot == null) {
            Tensor[] zeros = new Tensor[params.length];
            for (int i = 0; i < params.length; i++) {
                zeros[i] = Tensor.zeros(params[i].dtype(), params[i].shape());
            }
            return zeros;
        }
        return grad(dot, params, false);
    }

    /** {@link #grad(Tensor, Tensor[], boolean)} over a list, such as {@code model.parameters()}. */
    public static List<Tensor> grad(Tensor output, List<? extends Tensor> inputs, boolean createGraph) {
        return List.of(grad(output, array(inputs), createGraph));
    }

    /** {@link #grad(Tensor[], Tensor[], Tensor[], boolean)} over lists. */
    public static List<Tensor> grad(List<? extends Tensor> outputs, List<? extends Tensor> seeds,
                                    List<? extends Tensor> inputs, boolean createGraph) {
        return List.of(grad(array(outputs), array(seeds), array(inputs), createGraph));
    }

    /** {@link #hessianVectorProduct(Tensor, Tensor[], Tensor[])} over lists, one vector part per parameter. */
    public static List<Tensor> hessianVectorProduct(Tensor loss, List<? extends Tensor> params,
                                                    List<? extends Tensor> v) {
        return List.of(hessianVectorProduct(loss, array(params), array(v)));
    }

    private static Tensor[] array(List<? extends Tensor> list) {
        return list.toArray(new Tensor[0]);
    }
}
