package dev.kobai.nn;

import static dev.kobai.nn.ConvGoldenTest.assertClose;
import static dev.kobai.nn.ConvGoldenTest.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.kobai.autograd.Autograd;
import dev.kobai.optim.Golden;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Batch norm (1d over [N, C] and [N, C, L], 2d), layer norm, group norm and ResNet's basic block
 * against PyTorch 1.13 in float64 (fixtures from tools/golden_norm.py), to 1e-10: each case builds
 * the layer from torch's constructor arguments, loads torch's parameters by state_dict name, then
 * replays torch's forward passes in order, in training or evaluation mode, comparing the output, the
 * gradients of the input and of every parameter, and every buffer after the pass (the running
 * statistics after one and after three training batches, with momentum 0.1 and None).
 */
class NormGoldenTest {
    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        int i = 0;
        for (JsonElement e : Golden.load("/golden/norm.json").getAsJsonArray("cases")) {
            JsonObject c = e.getAsJsonObject();
            out.add(Arguments.of(i++ + " " + c.get("layer").getAsString() + " " + c.get("args"), c));
        }
        return out.stream();
    }

    static Module layer(JsonObject c) {
        JsonObject a = c.getAsJsonObject("args");
        DType dtype = DType.FLOAT64;
        return switch (c.get("layer").getAsString()) {
            case "BatchNorm1d", "BatchNorm2d" -> {
                int features = a.get("num_features").getAsInt();
                BatchNorm.Builder<?> b = c.get("layer").getAsString().equals("BatchNorm1d")
                        ? BatchNorm1d.builder(features) : BatchNorm2d.builder(features);
                b.eps(a.get("eps").getAsDouble()).affine(a.get("affine").getAsBoolean())
                        .trackRunningStats(a.get("track_running_stats").getAsBoolean());
                if (a.get("momentum").isJsonNull()) {
                    b.cumulativeAverage();
                } else {
                    b.momentum(a.get("momentum").getAsDouble());
                }
                yield b.build(dtype);
            }
            case "LayerNorm" -> {
                int[] shape = new int[a.getAsJsonArray("normalized_shape").size()];
                for (int k = 0; k < shape.length; k++) {
                    shape[k] = a.getAsJsonArray("normalized_shape").get(k).getAsInt();
                }
                yield new LayerNorm(shape, a.get("eps").getAsDouble(), a.get("elementwise_affine").getAsBoolean(), dtype);
            }
            case "GroupNorm" -> new GroupNorm(a.get("num_groups").getAsInt(), a.get("num_channels").getAsInt(),
                    a.get("eps").getAsDouble(), a.get("affine").getAsBoolean(), dtype);
            case "BasicBlock" -> new BasicBlock(a.get("inplanes").getAsInt(), a.get("planes").getAsInt(),
                    a.get("stride").getAsInt(), new Rng(0), dtype);
            default -> throw new IllegalArgumentException(c.get("layer").getAsString());
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTorch(String name, JsonObject c) {
        Module m = layer(c);
        JsonObject params = c.getAsJsonObject("params");
        Map<String, Parameter> named = m.namedParameters();
        assertEquals(List.copyOf(params.keySet()), List.copyOf(named.keySet()), "parameter names, in torch's order");
        named.forEach((k, p) -> p.copyFrom(tensor(params.getAsJsonObject(k))));
        int stepNo = 0;
        for (JsonElement e : c.getAsJsonArray("steps")) {
            JsonObject step = e.getAsJsonObject();
            String at = "step " + stepNo++ + " (" + step.get("mode").getAsString() + ") ";
            m.train(step.get("mode").getAsString().equals("train"));
            Tensor x = tensor(step.getAsJsonObject("x")).requiresGrad(true);
            Tensor y = m.forward(x);
            assertClose(tensor(step.getAsJsonObject("output")), y, at + "output");
            List<Tensor> wrt = new ArrayList<>();
            wrt.add(x);
            wrt.addAll(named.values());
            Tensor[] grads = Autograd.grad(new Tensor[] {y}, new Tensor[] {tensor(step.getAsJsonObject("grad_output"))},
                    wrt.toArray(new Tensor[0]), false);
            JsonObject expected = step.getAsJsonObject("grads");
            assertEquals(wrt.size(), expected.size(), at + "gradients");
            List<String> names = new ArrayList<>(List.of("x"));
            names.addAll(named.keySet());
            for (int i = 0; i < grads.length; i++) {
                assertClose(tensor(expected.getAsJsonObject(names.get(i))), grads[i], at + "grad " + names.get(i));
            }
            JsonObject buffers = step.getAsJsonObject("buffers");
            Map<String, Buffer> ours = m.namedBuffers();
            assertEquals(List.copyOf(buffers.keySet()), List.copyOf(ours.keySet()), at + "buffer names, in torch's order");
            ours.forEach((k, b) -> {
                JsonElement want = buffers.get(k);
                if (b.integral()) {
                    assertEquals(want.getAsLong(), (long) b.item(), at + k);
                } else {
                    assertClose(tensor(want.getAsJsonObject()), b, at + k);
                }
            });
        }
    }
}
