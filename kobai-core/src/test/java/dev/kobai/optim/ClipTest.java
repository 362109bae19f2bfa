package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.kobai.KobaiException;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Gradient clipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (tools/golden_schedulers.py). */
class ClipTest {
    private static final int[][] SHAPES = {{3, 4}, {3}, {2}, {5}};

    private static List<Parameter> params(JsonObject kase) {
        List<Parameter> out = new ArrayList<>();
        for (int i = 0; i < SHAPES.length; i++) {
            Parameter p = new Parameter(Tensor.zeros(DType.FLOAT64, SHAPES[i]));
            JsonElement g = kase.getAsJsonArray("grads").get(i);
            if (!g.isJsonNull()) {
                p.setGrad(Tensor.fromArray(Golden.doubles(g.getAsJsonArray()), SHAPES[i]));
            }
            out.add(p);
        }
        return out;
    }

    private static void close(String what, double expected, double got) {
        if (!(Math.abs(got - expected) <= 1e-12 * Math.abs(expected) + 1e-300)) {
            fail(what + ": expected " + expected + ", got " + got);
        }
    }

    @Test
    void matchesPyTorchForEveryNormAndValue() {
        int n = 0;
        for (JsonElement c : Golden.load("/golden/schedulers.json").getAsJsonArray("clip")) {
            JsonObject kase = c.getAsJsonObject();
            List<Parameter> params = params(kase);
            String label = kase.toString().substring(0, 60);
            if (kase.get("kind").getAsString().equals("norm")) {
                String type = kase.get("norm_type").getAsString();
                double normType = type.equals("inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(type);
                double total = Clip.gradNorm(params, kase.get("max_norm").getAsDouble(), normType);
                close(label + " total", kase.get("total").getAsDouble(), total);
            } else {
                Clip.gradValue(params, kase.get("clip_value").getAsDouble());
            }
            for (int i = 0; i < params.size(); i++) {
                JsonElement expected = kase.getAsJsonArray("clipped").get(i);
                if (expected.isJsonNull()) {
                    assertNull(params.get(i).grad());
                    continue;
                }
                double[] e = Golden.doubles(expected.getAsJsonArray());
                for (int k = 0; k < e.length; k++) {
                    close(label + " param " + i + " element " + k, e[k], params.get(i).grad().getFlat(k));
                }
            }
            n++;
        }
        assertEquals(8, n);
    }

    @Test
    void noGradientsGiveZeroAndANonFiniteNormCanBeAnError() {
        Parameter p = new Parameter(Tensor.zeros(DType.FLOAT64, 2));
        assertEquals(0.0, Clip.gradNorm(List.of(p), 1.0));
        p.setGrad(Tensor.fromArray(new double[] {Double.POSITIVE_INFINITY, 1}, 2));
        KobaiException e = assertThrows(KobaiException.class, () -> Clip.gradNorm(List.of(p), 1.0, 2.0, true));
        assertTrue(e.getMessage().startsWith("The total norm of order 2.0 for gradients from `parameters` is non-finite"),
                e.getMessage());
        // Without the error torch scales by max_norm / inf = 0 (and inf * 0 = NaN), and so do we.
        assertEquals(Double.POSITIVE_INFINITY, Clip.gradNorm(List.of(p), 1.0));
        assertTrue(Double.isNaN(p.grad().getFlat(0)));
        assertEquals(0.0, p.grad().getFlat(1));
    }

    @Test
    void float32GradientsAreClippedInPlace() {
        Parameter p = new Parameter(Tensor.zeros(DType.FLOAT32, 2));
        p.setGrad(Tensor.fromArray(new float[] {3, 4}, 2));
        assertEquals(5.0, Clip.gradNorm(List.of(p), 1.0), 1e-12);
        assertEquals(0.6f, p.grad().floatData()[0], 1e-6f);
        assertEquals(0.8f, p.grad().floatData()[1], 1e-6f);
        assertTrue(Clip.gradValue(List.of(p), 0.7));
        assertEquals(0.6f, p.grad().floatData()[0], 1e-6f);
        assertEquals(0.7f, p.grad().floatData()[1]);
        assertTrue(!Clip.gradValue(List.of(p), 0.7), "nothing left to clamp");
        Parameter q = new Parameter(Tensor.zeros(DType.FLOAT64, 2));
        q.setGrad(Tensor.fromArray(new double[] {-0.5, 0.25}, 2));
        assertTrue(!Clip.gradValue(List.of(q), 0.5) && q.grad().getFlat(0) == -0.5);
        assertTrue(Clip.gradValue(List.of(q), 0.3) && q.grad().getFlat(0) == -0.3 && q.grad().getFlat(1) == 0.25);
    }
}
