package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.kobai.UsageException;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.LossKind;
import dev.kobai.data.Dataset;
import dev.kobai.data.Datasets;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Models;
import dev.kobai.nn.Sequential;
import dev.kobai.optim.Golden;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.Optimizers;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whole runs of the cnn preset in float64 from PyTorch's own initial weights (loaded as --init
 * loads them), against PyTorch 1.13 (tools/golden_cnn_run.py): the loss before each of 20 steps to
 * 1e-9 relative, and every parameter and buffer after them (by sum and sum of squares), for SGD
 * with Nesterov momentum and weight decay, Adam, and K-FAC (against a float64 reference written
 * with torch from K-FAC's definitions, tools/reference_kfac_conv.py).
 */
class CnnGoldenRunTest {
    static final double RTOL = 1e-9;

    static Path resource(String name) throws Exception {
        return Path.of(CnnGoldenRunTest.class.getResource(name).toURI());
    }

    static Stream<JsonObject> runs() {
        Stream.Builder<JsonObject> out = Stream.builder();
        for (JsonElement e : Golden.load("/golden/cnn_run.json").getAsJsonArray("runs")) {
            out.add(e.getAsJsonObject());
        }
        return out.build();
    }

    static Sequential model() throws Exception {
        Sequential m = Models.fromSpec("cnn", new int[] {1, 28, 28}, 10, new Rng(99), DType.FLOAT64);
        Checkpoint.initialWeights(resource("/golden/cnn_init.safetensors"), m);
        return m;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("runs")
    void lossesAndWeightsMatchPyTorch(JsonObject run) throws Exception {
        assumeTrue(Files.isDirectory(Datasets.FASHION_MNIST_DIR), "Fashion-MNIST is not installed");
        JsonObject fixture = Golden.load("/golden/cnn_run.json");
        int batch = fixture.get("batch").getAsInt();
        int steps = fixture.get("steps").getAsInt();
        Dataset train = Datasets.fashionMnist(Datasets.FASHION_MNIST_DIR).train();
        float[] pixels = train.features();
        Sequential model = model();
        model.train();
        String spec = run.get("optimizer").getAsString();
        boolean curvature = Optimizers.usesCurvatureProblem(spec);
        CurvatureProblem problem = curvature ? CurvatureProblem.of(model, LossKind.CROSS_ENTROPY,
                Tensor.zeros(DType.FLOAT64, 1, 1, 28, 28), new int[] {0}) : null;
        Optimizer opt = curvature ? Optimizers.create(spec, problem) : Optimizers.create(spec, model.parameters());
        JsonArray losses = run.getAsJsonArray("losses");
        for (int s = 0; s < steps; s++) {
            double[] x = new double[batch * 784];
            for (int i = 0; i < x.length; i++) {
                // the byte behind the stored float32, divided in float64 as the reference divides it
                x[i] = Math.round(pixels[s * batch * 784 + i] * 255.0) / 255.0;
            }
            int[] y = Arrays.copyOfRange(train.labels(), s * batch, (s + 1) * batch);
            Tensor images = Tensor.fromArray(x, batch, 1, 28, 28);
            if (problem != null) {
                problem.setBatch(images, y);
            }
            double loss = opt.step(() -> {
                opt.zeroGrad();
                Tensor l = Losses.crossEntropy(model.forward(images), y);
                l.backward();
                return l.item();
            });
            double expected = losses.get(s).getAsDouble();
            assertEquals(expected, loss, RTOL * Math.abs(expected), "loss before step " + (s + 1));
        }
        Map<String, Tensor> state = new LinkedHashMap<>(model.namedParameters());
        state.putAll(model.namedBuffers());
        JsonObject finals = run.getAsJsonObject("final");
        assertEquals(finals.keySet(), state.keySet());
        boolean adaptive = run.get("optimizer").getAsString().startsWith("adam");
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            if (adaptive && List.of("0.bias", "4.bias", "1.running_mean", "5.running_mean").contains(e.getKey())) {
                // A convolution's bias right before batch norm has a gradient of exactly zero in exact
                // arithmetic (the norm subtracts each channel's mean): what is left is rounding noise of
                // 1e-17, different in each library, which Adam divides by its own root mean square and
                // so turns into steps of about lr. Both libraries' values are right; neither is exact.
                // The norm's running mean averages the convolution's output, bias included, so it
                // inherits the difference; the losses above do not see it (the norm removes the bias).
                continue;
            }
            double[] v = e.getValue().toDoubleArray();
            double sum = 0;
            double squares = 0;
            for (double d : v) {
                sum += d;
                squares += d * d;
            }
            JsonArray torch = finals.getAsJsonArray(e.getKey());
            double scale = Math.max(1, Math.sqrt(v.length * squares));
            assertEquals(torch.get(0).getAsDouble(), sum, RTOL * scale, e.getKey() + " sum");
            assertEquals(torch.get(1).getAsDouble(), squares, RTOL * Math.max(1, squares), e.getKey() + " sum of squares");
        }
    }

    @Test
    void anInitFileThatDoesNotFitNamesEveryMismatch() throws Exception {
        Sequential other = Models.fromSpec("conv2d(1,32,3,padding=1),batchnorm2d(32),relu,flatten,linear(25088,10)",
                new int[] {1, 28, 28}, 10, new Rng(1), DType.FLOAT64);
        UsageException e = assertThrows(UsageException.class,
                () -> Checkpoint.initialWeights(resource("/golden/cnn_init.safetensors"), other));
        String m = e.getMessage();
        assertTrue(m.contains("size mismatch for 4.weight: copying a tensor of shape [64, 32, 3, 3], the shape in the"
                + " model is [10, 25088]"), m);
        assertTrue(m.contains("unexpected key(s) 5.weight, 5.bias, 5.running_mean, 5.running_var,"
                + " 5.num_batches_tracked, 9.weight, 9.bias, 11.weight, 11.bias"), m);
        assertTrue(!m.contains("\n"), m);
    }

    @Test
    void pytorchsFloat32InitialWeightsLoadExactlyIntoFloat64() throws Exception {
        Sequential m = model();
        double first = m.namedParameters().get("0.weight").getFlat(1);
        assertEquals((double) 0.17881453f, first, 0.0, "a float32 value widens exactly");
        assertEquals(0.0, m.namedBuffers().get("1.num_batches_tracked").getFlat(0));
    }
}
