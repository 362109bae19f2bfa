package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.kobai.tensor.Tensor;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Adam, AdamW, Adamax, NAdam and RAdam against trajectories PyTorch 1.13 computed in float64
 * (tools/golden_adam.py; NAdam through 1.13's foreach path, which computes it as PyTorch 2.x does).
 */
class AdamFamilyGoldenTest {
    private static final JsonObject FIXTURE = Golden.load("/golden/adam.json");

    private static Function<Tensor, Tensor> surface(String name) {
        return switch (name) {
            case "rosenbrock" -> xy -> {
                Tensor x = xy.slice(0, 0, 1);
                Tensor y = xy.slice(0, 1, 2);
                return x.rsub(1).square().add(y.sub(x.square()).square().mul(100)).sum();
            };
            case "beale" -> xy -> {
                Tensor x = xy.slice(0, 0, 1);
                Tensor y = xy.slice(0, 1, 2);
                Tensor a = x.rsub(1.5).add(x.mul(y));
                Tensor b = x.rsub(2.25).add(x.mul(y.square()));
                Tensor c = x.rsub(2.625).add(x.mul(y.pow(3)));
                return a.square().add(b.square()).add(c.square()).sum();
            };
            case "saddle" -> xy -> xy.slice(0, 0, 1).square().sub(xy.slice(0, 1, 2).square()).sum();
            default -> throw new IllegalArgumentException("no surface " + name);
        };
    }

    @Test
    void fixtureCoversEveryOptimizerOfTheFamily() {
        Set<String> names = new TreeSet<>();
        for (JsonElement c : FIXTURE.getAsJsonArray("cases")) {
            names.add(c.getAsJsonObject().get("optimizer").getAsString());
        }
        assertEquals(Set.of("adam", "adamw", "adamax", "nadam", "radam"), names);
    }

    @Test
    void matchesPyTorchOnTheNetworkForEveryArgumentCombinationAndGroups() {
        // adam 11 + 1 grouped, adamw 10 + 1, adamax 8 + 1, nadam 9 + 1, radam 9 + 1; 12 steps each.
        assertEquals(52, Golden.checkMlpCases(FIXTURE));
    }

    @Test
    void matchesPyTorchOnRosenbrockBealeAndTheSaddle() {
        assertEquals(15, Golden.checkSurfaceCases(FIXTURE, AdamFamilyGoldenTest::surface));
    }

    @Test
    void radamCasesRunPastTheRectificationThreshold() {
        // With the default beta2, rho_t first exceeds 5 at step 6; every RAdam case must go beyond it.
        assertTrue(RAdam.rho(0.999, 5) <= 5 && RAdam.rho(0.999, 6) > 5);
        int radam = 0;
        for (JsonElement c : FIXTURE.getAsJsonArray("cases")) {
            JsonObject kase = c.getAsJsonObject();
            if (kase.get("optimizer").getAsString().equals("radam")) {
                int steps = kase.getAsJsonArray("steps").size();
                assertTrue(steps >= 8, "radam case with only " + steps + " steps");
                radam++;
            }
        }
        assertEquals(13, radam);
    }
}
