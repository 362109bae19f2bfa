package dev.kobai.surface;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kobai.optim.Golden;
import org.junit.jupiter.api.Test;

/**
 * The surface cases of the golden fixtures, replayed through the real surfaces: PyTorch's trajectories
 * only come out the same when tools/golden_common.py and {@link Surfaces} compute the same function.
 */
class SurfaceGoldenTest {
    @Test
    void sgdTrajectoriesOnTheSurfacesMatchPyTorch() {
        int cases = Golden.checkSurfaceCases(Golden.load("/golden/sgd.json"),
                name -> xy -> Surfaces.byName(name).value(xy));
        assertEquals(3, cases);
    }

    @Test
    void lbfgsTrajectoriesOnTheSurfacesMatchPyTorch() {
        int cases = Golden.checkSurfaceCases(Golden.load("/golden/lbfgs.json"),
                name -> xy -> Surfaces.byName(name).value(xy));
        assertEquals(10, cases);
    }
}
