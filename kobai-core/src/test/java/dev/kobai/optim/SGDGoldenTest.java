package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.Tensor;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SGD against trajectories PyTorch 1.13 computed in float64 (tools/golden_sgd.py). */
class SGDGoldenTest {
    private static final double RTOL = 1e-10;

    private static double[] doubles(JsonArray a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsDouble();
        }
        return out;
    }

    @Test
    void matchesPyTorchForEveryArgumentCombination() throws Exception {
        JsonObject golden;
        try (var in = getClass().getResourceAsStream("/golden/sgd.json")) {
            golden = JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8)).getAsJsonObject();
        }
        Tensor x = Tensor.fromArray(doubles(golden.getAsJsonArray("x")), 5, 4);
        JsonArray yArr = golden.getAsJsonArray("y");
        int[] y = new int[yArr.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = yArr.get(i).getAsInt();
        }
        int[][] shapes = {{3, 4}, {3}, {2, 3}, {2}};
        JsonArray init = golden.getAsJsonArray("init");
        int cases = 0;
        for (JsonElement c : golden.getAsJsonArray("cases")) {
            JsonObject kase = c.getAsJsonObject();
            List<Parameter> params = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                params.add(new Parameter(Tensor.fromArray(doubles(init.get(i).getAsJsonArray()), shapes[i])));
            }
            Map<String, Object> options = new LinkedHashMap<>();
            kase.getAsJsonObject("options").entrySet().forEach(e -> options.put(e.getKey(),
                    e.getValue().getAsJsonPrimitive().isBoolean() ? (Object) e.getValue().getAsBoolean()
                            : (Object) e.getValue().getAsDouble()));
            SGD sgd = new SGD(params, options);
            int step = 0;
            for (JsonElement expectedStep : kase.getAsJsonArray("steps")) {
                sgd.zeroGrad();
                Tensor hidden = x.matmul(params.get(0), false, true).add(params.get(1)).tanh();
                Tensor loss = Losses.crossEntropy(hidden.matmul(params.get(2), false, true).add(params.get(3)), y);
                loss.backward();
                sgd.step();
                step++;
                double[] expected = doubles(expectedStep.getAsJsonArray());
                int k = 0;
                for (Parameter p : params) {
                    for (int i = 0; i < p.numel(); i++, k++) {
                        double e = expected[k];
                        double got = p.getFlat(i);
                        assertTrue(Math.abs(got - e) <= RTOL * Math.max(1e-3, Math.abs(e)),
                                options + " step " + step + " element " + k + ": expected " + e + ", got " + got);
                    }
                }
                assertEquals(expected.length, k);
            }
            cases++;
        }
        assertEquals(7, cases);
    }
}
