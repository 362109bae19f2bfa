package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** SGD against trajectories PyTorch 1.13 computed in float64 (tools/golden_sgd.py). */
class SGDGoldenTest {
    @Test
    void matchesPyTorchOnTheNetworkForEveryArgumentCombinationAndGroups() {
        assertEquals(8, Golden.checkMlpCases(Golden.load("/golden/sgd.json")));
    }
}
