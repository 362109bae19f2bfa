package dev.kobai.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.kobai.autograd.Autograd;
import dev.kobai.optim.Golden;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Spatial;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.Window2d;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The layers' outputs and their input, weight and bias gradients against PyTorch 1.13 in float64
 * (fixtures from tools/golden_conv.py), to 1e-10: the layers are built from torch's arguments as
 * the fixture gives them, so their argument handling ("same" padding, default strides) is checked
 * along with the arithmetic.
 */
class ConvGoldenTest {
    static final double TOLERANCE = 1e-10;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        int i = 0;
        for (JsonElement e : Golden.load("/golden/conv.json").getAsJsonArray("cases")) {
            JsonObject c = e.getAsJsonObject();
            out.add(Arguments.of(i++ + " " + c.get("op").getAsString() + " " + c.get("args"), c));
        }
        return out.stream();
    }

    static Tensor tensor(JsonObject t) {
        int[] shape = new int[t.getAsJsonArray("shape").size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = t.getAsJsonArray("shape").get(i).getAsInt();
        }
        return Tensor.fromArray(Golden.doubles(t.getAsJsonArray("data")), shape);
    }

    /** An int or the first of a pair. */
    static int first(JsonElement e) {
        return e.isJsonArray() ? e.getAsJsonArray().get(0).getAsInt() : e.getAsInt();
    }

    static int second(JsonElement e) {
        return e.isJsonArray() ? e.getAsJsonArray().get(1).getAsInt() : e.getAsInt();
    }

    static Module layer(JsonObject c) {
        JsonObject a = c.getAsJsonObject("args");
        JsonObject in = c.getAsJsonObject("inputs");
        Rng rng = new Rng(0);
        switch (c.get("op").getAsString()) {
            case "conv2d" -> {
                int[] w = tensor(in.getAsJsonObject("weight")).shape();
                int groups = a.get("groups").getAsInt();
                Conv2d.Builder b = Conv2d.builder(w[1] * groups, w[0], w[2], w[3])
                        .stride(first(a.get("stride")), second(a.get("stride")))
                        .dilation(first(a.get("dilation")), second(a.get("dilation")))
                        .groups(groups).bias(in.has("bias"));
                JsonElement p = a.get("padding");
                if (p.isJsonPrimitive() && p.getAsJsonPrimitive().isString()) {
                    b.padding(p.getAsString());
                } else {
                    b.padding(first(p), second(p));
                }
                return b.build(rng, DType.FLOAT64);
            }
            case "conv1d" -> {
                int[] w = tensor(in.getAsJsonObject("weight")).shape();
                int groups = a.get("groups").getAsInt();
                return new Conv1d(w[1] * groups, w[0], w[2], a.get("stride").getAsInt(), a.get("padding").getAsInt(),
                        a.get("dilation").getAsInt(), groups, in.has("bias"), rng, DType.FLOAT64);
            }
            case "max_pool2d" -> {
                return new MaxPool2d(a.get("kernel_size").getAsInt(), a.get("stride").getAsInt(),
                        a.get("padding").getAsInt(), a.get("dilation").getAsInt(), a.get("ceil_mode").getAsBoolean());
            }
            case "avg_pool2d" -> {
                JsonElement divisor = a.get("divisor_override");
                return new AvgPool2d(a.get("kernel_size").getAsInt(), a.get("stride").getAsInt(),
                        a.get("padding").getAsInt(), a.get("ceil_mode").getAsBoolean(),
                        a.get("count_include_pad").getAsBoolean(), divisor.isJsonNull() ? 0 : divisor.getAsInt());
            }
            case "adaptive_avg_pool2d" -> {
                return new AdaptiveAvgPool2d(first(a.get("output_size")), second(a.get("output_size")));
            }
            default -> throw new IllegalArgumentException(c.get("op").getAsString());
        }
    }

    /** torch.nn.functional.unfold, which has no layer of its own here: a module around Spatial.unfold. */
    static Module unfold(JsonObject a) {
        int[] k = {first(a.get("kernel_size")), second(a.get("kernel_size"))};
        Window2d w = Window2d.of(k, new int[] {first(a.get("stride")), second(a.get("stride"))},
                new int[] {first(a.get("padding")), second(a.get("padding"))},
                new int[] {first(a.get("dilation")), second(a.get("dilation"))});
        return new Module() {
            @Override
            public Tensor forward(Tensor x) {
                return Spatial.unfold(x, w);
            }
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTorch(String name, JsonObject c) {
        Module m = c.get("op").getAsString().equals("unfold") ? unfold(c.getAsJsonObject("args")) : layer(c);
        JsonObject in = c.getAsJsonObject("inputs");
        Map<String, Parameter> params = m.namedParameters();
        for (String p : params.keySet()) {
            params.get(p).copyFrom(tensor(in.getAsJsonObject(p)));
        }
        assertEquals(in.keySet().size() - 1, params.size(), "the layer has the fixture's parameters");
        Tensor x = tensor(in.getAsJsonObject("x")).requiresGrad(true);
        Tensor y = m.forward(x);
        Tensor expected = tensor(c.getAsJsonObject("output"));
        assertArrayEquals(expected.shape(), y.shape(), "output shape");
        assertClose(expected, y, "output");
        List<Tensor> wrt = new ArrayList<>();
        List<String> names = new ArrayList<>();
        wrt.add(x);
        names.add("x");
        params.forEach((k, p) -> {
            wrt.add(p);
            names.add(k);
        });
        Tensor[] grads = Autograd.grad(new Tensor[] {y}, new Tensor[] {tensor(c.getAsJsonObject("grad_output"))},
                wrt.toArray(new Tensor[0]), false);
        for (int i = 0; i < grads.length; i++) {
            assertClose(tensor(c.getAsJsonObject("grads").getAsJsonObject(names.get(i))), grads[i], "grad " + names.get(i));
        }
    }

    static void assertClose(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        for (int i = 0; i < expected.numel(); i++) {
            double e = expected.getFlat(i);
            double a = actual.getFlat(i);
            assertTrue(Math.abs(e - a) <= TOLERANCE * Math.max(1, Math.abs(e)),
                    what + "[" + i + "]: torch " + e + ", kobai " + a);
        }
    }
}
