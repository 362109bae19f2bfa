package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Adam, AdamW, Adamax, NAdam and RAdam against trajectories PyTorch 1.13 computed in float64
 * (tools/golden_adam.py; NAdam through 1.13's foreach path, which computes it as PyTorch 2.x does).
 */
class AdamFamilyGoldenTest {
    private static final JsonObject FIXTURE = Golden.load("/golden/adam.json");

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
        assertEquals(15, Golden.checkSurfaceCases(FIXTURE, Golden::surface));
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
