package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.LossKind;
import dev.kobai.nn.Models;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hessian-free and K-FAC against SGD on a small MLP: lower training loss after the same number of steps. */
class SecondOrderTrainingTest {
    static final int N = 64;
    static final Tensor X = Tensor.uniform(new Rng(40), DType.FLOAT64, -1, 1, N, 2);
    static final int[] Y = new int[N];

    static {
        for (int i = 0; i < N; i++) {
            double r2 = X.get(i, 0) * X.get(i, 0) + X.get(i, 1) * X.get(i, 1);
            Y[i] = r2 < 0.45 ? 0 : 1;
        }
    }

    static Sequential model() {
        return Models.fromSpec("mlp:2-8-2:tanh", new Rng(41), DType.FLOAT64);
    }

    static double sgdLoss(int steps) {
        Sequential m = model();
        CurvatureProblem prob = CurvatureProblem.of(m, LossKind.CROSS_ENTROPY, X, Y);
        SGD sgd = new SGD(m.parameters(), Map.of("lr", 0.5, "momentum", 0.9));
        for (int i = 0; i < steps; i++) {
            sgd.step(prob::evaluate);
        }
        return prob.lossValue();
    }

    @Test
    void hessianFreeTrainsFasterPerStepThanSgd() {
        int steps = 15;
        Sequential m = model();
        CurvatureProblem prob = CurvatureProblem.of(m, LossKind.CROSS_ENTROPY, X, Y);
        double start = prob.lossValue();
        HessianFree hf = new HessianFree(prob, Map.of());
        for (int i = 0; i < steps; i++) {
            hf.step(null);
        }
        double hfLoss = prob.lossValue();
        double sgd = sgdLoss(steps);
        assertTrue(hfLoss < 0.5 * sgd, "hessian-free " + hfLoss + " vs sgd " + sgd + " (start " + start + ")");
    }

    @Test
    void hessianFreeOverPlainParametersUsesHessianProducts() {
        // Rosenbrock from (-1.2, 1): a 2-D surface with only a loss closure
        Parameter p = new Parameter(Tensor.of(-1.2, 1));
        Optimizer opt = Optimizers.create("hessian-free:damping=0.1", List.of(p));
        LossClosure f = () -> {
            Tensor x = p.slice(0, 0, 1);
            Tensor y = p.slice(0, 1, 2);
            return x.rsub(1).square().add(y.sub(x.square()).square().mul(100)).sum();
        };
        double first = opt.step(f);
        double last = first;
        for (int i = 0; i < 40; i++) {
            last = opt.step(f);
        }
        assertTrue(last < 1e-3 * first, first + " -> " + last);
        assertThrows(UsageException.class, () -> Optimizers.create("hessian-free", List.of(p)).step(() -> 0.0));
        assertThrows(UsageException.class, () -> Optimizers.create("hessian-free:warm_start=2", List.of(p)));
    }
}
