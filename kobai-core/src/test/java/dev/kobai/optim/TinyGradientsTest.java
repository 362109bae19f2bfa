package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.Tensor;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The optimizers with an eps in a denominator, where the gradients (about 1e-9) are below eps, so
 * eps decides the step: against PyTorch 1.13 (tools/golden_tiny_gradients.py) in float64, and the
 * float32 loops (the ones default options take, and the general ones) against the same trajectory.
 * Elsewhere eps is lost in the square root it is added to.
 */
class TinyGradientsTest {
    private static final JsonObject FIXTURE = Golden.load("/golden/tiny_gradients.json");

    @Test
    void float64MatchesPyTorch() {
        assertEquals(18, Golden.checkSurfaceCases(FIXTURE, Golden::surface));
    }

    @Test
    void float32FollowsTheSameTrajectory() {
        Function<Tensor, Tensor> f = Golden.surface("long-valley");
        int cases = 0;
        for (JsonElement e : FIXTURE.getAsJsonArray("cases")) {
            JsonObject kase = e.getAsJsonObject();
            double[] start = Golden.doubles(kase.getAsJsonArray("start"));
            Parameter xy = new Parameter(Tensor.fromArray(new float[] {(float) start[0], (float) start[1]}, 2));
            Optimizer opt = Golden.optimizer(kase, List.of(xy));
            JsonArray steps = kase.getAsJsonArray("steps");
            String label = kase.get("optimizer").getAsString() + " " + kase.getAsJsonObject("options");
            for (int s = 0; s < steps.size(); s++) {
                opt.step(() -> {
                    opt.zeroGrad();
                    Tensor l = f.apply(xy);
                    l.backward();
                    return l.item();
                });
                double[] expected = Golden.doubles(steps.get(s).getAsJsonArray());
                // Relative to the step's larger coordinate: one coordinate may cancel to almost nothing.
                double scale = Math.max(Math.abs(expected[0]), Math.abs(expected[1]));
                for (int i = 0; i < 2; i++) {
                    double gap = Math.abs(xy.getFlat(i) - expected[i]);
                    assertTrue(gap <= 1e-4 * scale, label + " step " + (s + 1) + " element " + i + ": float32 "
                            + xy.getFlat(i) + ", torch float64 " + expected[i]);
                }
            }
            cases++;
        }
        assertEquals(18, cases);
    }
}
