package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.FlatMatrices;
import dev.kobai.curvature.LossKind;
import dev.kobai.nn.Activation;
import dev.kobai.nn.Conv2d;
import dev.kobai.nn.Flatten;
import dev.kobai.nn.Linear;
import dev.kobai.nn.Module;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * K-FAC on a small convolutional network against tools/reference_kfac_conv.py, which computes the
 * KFC factors from their definitions with torch ops (patches by F.unfold, per-example gradients at
 * each position by autograd, the true Fisher's expectation as a sum over classes) and K-FAC's steps
 * with torch.linalg, in float64: every factor and every parameter after each of three steps, to
 * 1e-10. The network has a convolution with padding and a bias, one inside a residual block, a
 * strided, dilated, padded one with a 2x3 kernel and no bias, a Linear layer, and a per-channel
 * scale that K-FAC steps along its plain gradient.
 */
class KFACConvReferenceTest {
    private static final double TOL = 1e-10;

    /** x * s[c] over the channels of [N, C, H, W]: a parameter K-FAC does not precondition. */
    static final class ChannelScale extends Module {
        final Parameter weight;

        ChannelScale(int channels, DType dtype) {
            weight = registerParameter("weight", new Parameter(Tensor.ones(dtype, channels)));
        }

        @Override
        public Tensor forward(Tensor x) {
            return x.mul(weight.reshape(1, weight.numel(), 1, 1));
        }
    }

    /** h + tanh(conv(h)). */
    static final class Residual extends Module {
        final Conv2d conv;

        Residual(int channels, Rng rng) {
            conv = registerModule("conv", Conv2d.builder(channels, channels, 3).padding(1).bias(false)
                    .build(rng, DType.FLOAT64));
        }

        @Override
        public Tensor forward(Tensor h) {
            return h.add(conv.forward(h).tanh());
        }
    }

    static Sequential model() {
        Rng rng = new Rng(1);
        return new Sequential(Conv2d.builder(2, 3, 3).padding(1).build(rng, DType.FLOAT64), new ChannelScale(3, DType.FLOAT64),
                Activation.tanh(), new Residual(3, rng),
                Conv2d.builder(3, 4, 2, 3).stride(2).padding(1, 2).dilation(1, 2).bias(false).build(rng, DType.FLOAT64),
                Activation.tanh(), new Flatten(), new Linear(48, 3, true, rng, DType.FLOAT64));
    }

    static Tensor tensor(JsonObject t) {
        JsonArray shape = t.getAsJsonArray("shape");
        int[] s = new int[shape.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = shape.get(i).getAsInt();
        }
        return Tensor.fromArray(Golden.doubles(t.getAsJsonArray("data")), s);
    }

    private static void assertClose(Tensor expected, double[] actual, String what) {
        double[] e = expected.toDoubleArray();
        assertEquals(e.length, actual.length, what);
        double scale = 0;
        double err = 0;
        for (int i = 0; i < e.length; i++) {
            scale = Math.max(scale, Math.abs(e[i]));
            err = Math.max(err, Math.abs(e[i] - actual[i]));
        }
        assertTrue(err <= TOL * scale, what + ": error " + err + " at scale " + scale);
    }

    @Test
    void factorsAndStepsMatchTheTorchReference() {
        JsonObject fixture = Golden.load("/golden/kfac_conv.json");
        Tensor x = tensor(fixture.getAsJsonObject("x"));
        JsonArray ys = fixture.getAsJsonArray("labels");
        int[] labels = new int[ys.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = ys.get(i).getAsInt();
        }
        JsonObject init = fixture.getAsJsonObject("init");
        int cases = 0;
        for (JsonElement c : fixture.getAsJsonArray("cases")) {
            JsonObject kase = c.getAsJsonObject();
            Sequential m = model();
            Map<String, Parameter> named = m.namedParameters();
            assertEquals(List.copyOf(init.keySet()), List.copyOf(named.keySet()), "parameter names");
            named.forEach((name, p) -> p.copyFrom(tensor(init.getAsJsonObject(name))));
            Map<String, Object> options = new LinkedHashMap<>();
            kase.getAsJsonObject("options").entrySet().forEach(e -> options.put(e.getKey(),
                    e.getValue().getAsJsonPrimitive().isString() ? e.getValue().getAsString() : e.getValue().getAsDouble()));
            String what = options.get("damping_mode") + ", fisher=" + options.get("fisher");
            KFAC kfac = new KFAC(CurvatureProblem.of(m, LossKind.CROSS_ENTROPY, x, labels), options);
            List<Module> layers = kfac.layers();
            JsonArray kinds = fixture.getAsJsonArray("layers");
            assertEquals(kinds.size(), layers.size(), "layers");
            for (int i = 0; i < layers.size(); i++) {
                String name = kinds.get(i).getAsJsonObject().get("name").getAsString();
                assertTrue(layers.get(i) == m.namedModules().get(name), "layer " + i + " is " + name);
            }
            assertEquals(List.of(named.get("1.weight")), kfac.plainParameters());
            int step = 0;
            for (JsonElement s : kase.getAsJsonArray("steps")) {
                JsonObject st = s.getAsJsonObject();
                double loss = kfac.step(null);
                String at = what + ", step " + step++;
                assertEquals(st.get("loss").getAsDouble(), loss, 1e-12, at + ": loss");
                for (int i = 0; i < layers.size(); i++) {
                    assertClose(tensor(st.getAsJsonArray("factor_A").get(i).getAsJsonObject()),
                            FlatMatrices.flatten(kfac.factorA(i)), at + ": A of layer " + i);
                    assertClose(tensor(st.getAsJsonArray("factor_G").get(i).getAsJsonObject()),
                            FlatMatrices.flatten(kfac.factorG(i)), at + ": G of layer " + i);
                }
                JsonObject params = st.getAsJsonObject("params");
                named.forEach((name, p) -> {
                    Tensor expected = tensor(params.getAsJsonObject(name));
                    assertArrayEquals(expected.shape(), p.shape(), at + ": " + name);
                    assertClose(expected, p.toDoubleArray(), at + ": " + name);
                });
            }
            cases++;
        }
        assertEquals(3, cases);
    }
}
