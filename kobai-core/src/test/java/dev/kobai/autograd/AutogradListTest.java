package dev.kobai.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.nn.Losses;
import dev.kobai.nn.Models;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Autograd over {@code model.parameters()} as it is, a list, giving what the array forms give. */
class AutogradListTest {
    private static final int[] LABELS = {0, 2, 1, 2};

    private static Tensor loss(Sequential model, Tensor x) {
        return Losses.crossEntropy(model.forward(x), LABELS);
    }

    @Test
    void gradAndHessianVectorProductsTakeTheParameterList() {
        Sequential model = Models.fromSpec("mlp:5-4-3:tanh", new Rng(1), DType.FLOAT64);
        Tensor x = Tensor.randn(new Rng(2), DType.FLOAT64, 4, 5);
        List<Parameter> params = model.parameters();

        List<Tensor> g = Autograd.grad(loss(model, x), params, false);
        Tensor[] ga = Autograd.grad(loss(model, x), params.toArray(new Tensor[0]), false);
        assertEquals(params.size(), g.size());
        for (int i = 0; i < ga.length; i++) {
            assertArrayEquals(ga[i].toDoubleArray(), g.get(i).toDoubleArray());
            assertArrayEquals(params.get(i).shape(), g.get(i).shape());
        }
        // the gradient is a real one: a step against it lowers the loss
        double before = loss(model, x).item();
        for (int i = 0; i < params.size(); i++) {
            for (int k = 0; k < params.get(i).numel(); k++) {
                params.get(i).setFlat(k, params.get(i).getFlat(k) - 0.1 * g.get(i).getFlat(k));
            }
        }
        assertTrue(loss(model, x).item() < before);

        List<Tensor> v = new ArrayList<>();
        for (Parameter p : params) {
            v.add(Tensor.randn(new Rng(3), DType.FLOAT64, p.shape()));
        }
        List<Tensor> hv = Autograd.hessianVectorProduct(loss(model, x), params, v);
        Tensor[] hva = Autograd.hessianVectorProduct(loss(model, x), params.toArray(new Tensor[0]),
                v.toArray(new Tensor[0]));
        for (int i = 0; i < hva.length; i++) {
            assertArrayEquals(hva[i].toDoubleArray(), hv.get(i).toDoubleArray());
        }
        // and it is H v: (g(w + h v) - g(w - h v)) / 2h
        double h = 1e-6;
        List<Tensor> plus = gradAt(model, x, params, v, h);
        List<Tensor> minus = gradAt(model, x, params, v, -2 * h);
        gradAt(model, x, params, v, h); // back to w
        for (int i = 0; i < params.size(); i++) {
            for (int k = 0; k < params.get(i).numel(); k++) {
                double fd = (plus.get(i).getFlat(k) - minus.get(i).getFlat(k)) / (2 * h);
                assertEquals(fd, hv.get(i).getFlat(k), 1e-6);
            }
        }

        List<Tensor> seeded = Autograd.grad(List.of(model.forward(x)), List.of(Tensor.ones(DType.FLOAT64, 4, 3)), params,
                true);
        assertTrue(seeded.getFirst().requiresGrad(), "createGraph records the backward pass");
    }

    /** Moves the parameters by step * v, then gives the gradient there. */
    private static List<Tensor> gradAt(Sequential model, Tensor x, List<Parameter> params, List<Tensor> v, double step) {
        for (int i = 0; i < params.size(); i++) {
            for (int k = 0; k < params.get(i).numel(); k++) {
                params.get(i).setFlat(k, params.get(i).getFlat(k) + step * v.get(i).getFlat(k));
            }
        }
        return Autograd.grad(loss(model, x), params, false);
    }
}
