package dev.kobai.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.autograd.GradCheck;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NnTest {
    @Test
    void mlpParametersAreNamedAsPyTorchNamesThem() {
        Sequential mlp = Models.fromSpec("mlp:784-256-10", new Rng(1), DType.FLOAT32);
        Map<String, Parameter> named = mlp.namedParameters();
        // nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)) in PyTorch: no Flatten at 0
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(named.keySet()));
        assertArrayEquals(new int[] {256, 784}, named.get("0.weight").shape());
        assertEquals("2.bias", named.get("2.bias").name());
        assertEquals(784L * 256 + 256 + 256 * 10 + 10, mlp.parameterCount());
        assertTrue(mlp.toString().contains("ReLU"));
        assertTrue(Models.fromSpec("mlp:4-3-2:tanh", new Rng(1), DType.FLOAT32).toString().contains("Tanh"));
    }

    @Test
    void linearInitialisationIsUniformWithinOneOverSqrtFanIn() {
        Linear layer = new Linear(400, 300, new Rng(9));
        double bound = 1 / Math.sqrt(400);
        double max = 0;
        double sum = 0;
        for (double w : layer.weight().toDoubleArray()) {
            assertTrue(Math.abs(w) <= bound);
            max = Math.max(max, Math.abs(w));
            sum += w * w;
        }
        assertTrue(max > 0.99 * bound, "draws should reach the bound");
        // U(-b, b) has variance b^2/3.
        assertEquals(bound * bound / 3, sum / (400 * 300), bound * bound / 3 * 0.02);
        Linear same = new Linear(400, 300, new Rng(9));
        assertArrayEquals(layer.weight().toDoubleArray(), same.weight().toDoubleArray());
        Linear other = new Linear(400, 300, new Rng(10));
        assertNotEquals(layer.weight().getFlat(0), other.weight().getFlat(0));
    }

    @Test
    void dropoutZeroesAFractionInTrainingAndNothingInEval() {
        Dropout drop = new Dropout(0.25, new Rng(3));
        Tensor x = Tensor.ones(DType.FLOAT32, 100, 100);
        Tensor y = drop.forward(x);
        int zeros = 0;
        for (int i = 0; i < y.numel(); i++) {
            double v = y.getFlat(i);
            assertTrue(v == 0 || Math.abs(v - 1 / 0.75) < 1e-6);
            zeros += v == 0 ? 1 : 0;
        }
        assertEquals(2500, zeros, 200);
        drop.eval();
        assertSame(x, drop.forward(x));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1.0, new Rng(1)));
    }

    @Test
    void crossEntropyMatchesItsDefinition() {
        Tensor logits = Tensor.fromArray(new double[] {2, 1, 0.1, 0.5, 2.5, -1}, 2, 3);
        int[] labels = {0, 1};
        double row0 = -(2 - Math.log(Math.exp(2) + Math.exp(1) + Math.exp(0.1)));
        double row1 = -(2.5 - Math.log(Math.exp(0.5) + Math.exp(2.5) + Math.exp(-1)));
        assertEquals((row0 + row1) / 2, Losses.crossEntropy(logits, labels).item(), 1e-12);
        assertEquals((row0 + row1) / 2, Losses.nll(logits.logSoftmax(1), labels).item(), 1e-12);
    }

    @Test
    void bceWithLogitsMatchesItsDefinitionAndStaysFinite() {
        Tensor x = Tensor.of(0.3, -2, 800, -800);
        Tensor y = Tensor.of(1, 0, 1, 1);
        double s0 = 1 / (1 + Math.exp(-0.3));
        double s1 = 1 / (1 + Math.exp(2));
        double expected = (-Math.log(s0) - Math.log(1 - s1) + 0 + 800) / 4;
        assertEquals(expected, Losses.bceWithLogits(x, y).item(), 1e-9);
        assertEquals((0.25 + 4) / 2, Losses.mse(Tensor.of(1.5, 2), Tensor.of(1, 0)).item(), 1e-12);
    }

    @Test
    void bceWithLogitsHasTheExactGradientAndHessianAtZero() {
        // d/dz = s(0) - y = 0.5 - y; d2/dz2 = s(0)(1 - s(0)) = 0.25, mean over 2 elements.
        Tensor z = Tensor.of(0, 0).requiresGrad(true);
        Tensor y = Tensor.of(1, 0);
        Tensor[] g = dev.kobai.autograd.Autograd.grad(Losses.bceWithLogits(z, y), new Tensor[] {z}, true);
        assertArrayEquals(new double[] {-0.25, 0.25}, g[0].toDoubleArray(), 1e-15);
        Tensor[] h = dev.kobai.autograd.Autograd.grad(g[0].sum(), new Tensor[] {z}, false);
        assertArrayEquals(new double[] {0.125, 0.125}, h[0].toDoubleArray(), 1e-15);
    }

    @Test
    void lossesHaveCorrectFirstAndSecondDerivatives() {
        Rng rng = new Rng(4);
        int[] labels = {1, 0, 2};
        Tensor target = Tensor.uniform(rng, DType.FLOAT64, 0, 1, 3, 2);
        Tensor logits = Tensor.randn(rng, DType.FLOAT64, 3, 3);
        GradCheck.check("crossEntropy", x -> Losses.crossEntropy(x[0], labels), logits.copy());
        GradCheck.checkSecondOrder("crossEntropy", x -> Losses.crossEntropy(x[0], labels), logits.copy());
        Tensor z = Tensor.randn(rng, DType.FLOAT64, 3, 2).mul(3.0);
        GradCheck.check("bceWithLogits", x -> Losses.bceWithLogits(x[0], target), z.copy());
        GradCheck.checkSecondOrder("bceWithLogits", x -> Losses.bceWithLogits(x[0], target), z.copy());
        GradCheck.check("mse", x -> Losses.mse(x[0], x[1]), z.copy(), target.copy());
        GradCheck.checkSecondOrder("mse", x -> Losses.mse(x[0], x[1]), z.copy(), target.copy());
    }

    @Test
    void wholeMlpPassesGradcheckInFloat64() {
        Sequential mlp = Models.fromSpec("mlp:4-5-3:tanh", new Rng(2), DType.FLOAT64);
        List<Parameter> params = mlp.parameters();
        Tensor input = Tensor.randn(new Rng(3), DType.FLOAT64, 6, 4);
        int[] labels = {0, 1, 2, 2, 1, 0};
        // The parameters themselves are the inputs: the checker perturbs them in place.
        Tensor[] inputs = params.toArray(new Tensor[0]);
        GradCheck.check("mlp", p -> Losses.crossEntropy(mlp.forward(input), labels), inputs);
        GradCheck.checkSecondOrder("mlp", p -> Losses.crossEntropy(mlp.forward(input), labels), inputs);
    }

    @Test
    void modelSpecErrorsSayWhatIsWrong() {
        assertTrue(assertThrows(UsageException.class, () -> Models.parseSizes("cnn:1-2")).getMessage().contains("cnn"));
        assertTrue(assertThrows(UsageException.class, () -> Models.parseSizes("mlp:784-x-10")).getMessage().contains("'x'"));
        assertTrue(assertThrows(UsageException.class, () -> Models.parseSizes("mlp:784")).getMessage().contains("at least"));
        assertTrue(assertThrows(UsageException.class, () -> Models.fromSpec("mlp:4-2:swish", new Rng(1), DType.FLOAT32))
                .getMessage().contains("swish"));
    }
}
