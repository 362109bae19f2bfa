package dev.kobai.surface;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.kobai.UsageException;
import dev.kobai.nn.Parameter;
import dev.kobai.optim.Golden;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.ParamGroup;
import dev.kobai.surface.Surface.Point;
import dev.kobai.surface.Trace.Sample;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TraceTest {
    private static final Surface BOOTH = Surfaces.byName("booth");
    private static final Surface VALLEY = Surfaces.byName("long-valley");

    @Test
    void aRunOfNStepsGivesNPlusOneSamplesStartingAtTheStart() {
        List<Sample> t = Trace.run(BOOTH, "sgd:lr=0.05", new Point(-6, 8), 25, DType.FLOAT64);
        assertEquals(26, t.size());
        for (int k = 0; k < t.size(); k++) {
            assertEquals(k, t.get(k).step());
            assertEquals(BOOTH.value(t.get(k).x(), t.get(k).y()), t.get(k).loss(), "loss of sample " + k);
        }
        assertEquals(new Sample(0, -6, 8, BOOTH.value(-6, 8)), t.getFirst());
        assertTrue(t.getLast().loss() < t.getFirst().loss() / 10, "SGD goes downhill on a convex quadratic");
    }

    @Test
    void theFirstStepOnBoothIsOneHandComputedSgdStep() {
        double x = -6;
        double y = 8;
        double lr = 0.01;
        // df/dx = 2(x+2y-7) + 4(2x+y-5), df/dy = 4(x+2y-7) + 2(2x+y-5).
        double gx = 2 * (x + 2 * y - 7) + 4 * (2 * x + y - 5);
        double gy = 4 * (x + 2 * y - 7) + 2 * (2 * x + y - 5);
        Sample s1 = Trace.run(BOOTH, "sgd:lr=0.01", new Point(x, y), 1, DType.FLOAT64).get(1);
        assertEquals(1, s1.step());
        assertEquals(x - lr * gx, s1.x(), 1e-14);
        assertEquals(y - lr * gy, s1.y(), 1e-14);
        assertEquals(BOOTH.value(x - lr * gx, y - lr * gy), s1.loss(), 1e-12);
    }

    @Test
    void theFirstStepOnTheLongValleyScalesEachCoordinateByItsCurvature() {
        // gradient (x, 100 y): one step of lr 0.015 multiplies x by 0.985 and y by -0.5.
        Sample s1 = Trace.run(VALLEY, "sgd:lr=0.015", null, 1, DType.FLOAT64).get(1);
        assertEquals(-9 * 0.985, s1.x(), 1e-14);
        assertEquals(-1 * -0.5, s1.y(), 1e-14);
        assertEquals(0.5 * (s1.x() * s1.x() + 100 * s1.y() * s1.y()), s1.loss(), 1e-12);
    }

    @Test
    void withoutAStartTheSurfacesOwnStartIsUsed() {
        for (Surface s : Surfaces.all()) {
            Sample s0 = Trace.run(s, "sgd:lr=0.001", null, 0, DType.FLOAT64).getFirst();
            assertEquals(s.start().x(), s0.x(), s.name());
            assertEquals(s.start().y(), s0.y(), s.name());
            assertEquals(s.value(s0.x(), s0.y()), s0.loss(), s.name());
        }
    }

    @Test
    void float32RunsStayInFloat32() {
        List<Sample> t = Trace.run(Surfaces.byName("rosenbrock"), "sgd:lr=0.001,momentum=0.9", new Point(-1.2, 1), 10,
                DType.FLOAT32);
        assertEquals(11, t.size());
        assertEquals((float) -1.2, t.getFirst().x());
        for (Sample s : t) {
            assertEquals((double) (float) s.x(), s.x());
            assertEquals((double) (float) s.y(), s.y());
            assertEquals((double) (float) s.loss(), s.loss());
        }
        List<Sample> t64 = Trace.run(Surfaces.byName("rosenbrock"), "sgd:lr=0.001,momentum=0.9", new Point(-1.2, 1), 10,
                DType.FLOAT64);
        assertNotEquals(t64.getLast().x(), t.getLast().x());
        assertEquals(t64.getLast().x(), t.getLast().x(), 1e-4);
    }

    @Test
    void divergenceIsRecordedNotStopped() {
        // lr 0.03 on the valley: y is multiplied by 1 - 0.03 * 100 = -2 each step, which overflows.
        List<Sample> t = Trace.run(VALLEY, "sgd:lr=0.03", new Point(-9, -1), 1100, DType.FLOAT64);
        assertEquals(1101, t.size());
        assertTrue(Double.isInfinite(t.get(1030).y()) || Double.isNaN(t.get(1030).y()), "y " + t.get(1030).y());
        Sample last = t.getLast();
        assertTrue(!Double.isFinite(last.y()) && !Double.isFinite(last.loss()), last.toString());
    }

    @Test
    void everyStepGoesThroughTheClosure() {
        int[] evaluations = {0};
        List<Sample> t = Trace.run(VALLEY, params -> new ClosureOnly(params, evaluations), new Point(-9, -1), 5,
                DType.FLOAT64);
        assertEquals(10, evaluations[0]);
        assertEquals(6, t.size());
        assertEquals(-9 * Math.pow(0.9, 5), t.getLast().x(), 1e-12);
    }

    @Test
    void lbfgsWithItsLineSearchFollowsPyTorchsPath() {
        // L-BFGS evaluates the closure many times per step; the trace must land where PyTorch's did.
        JsonObject kase = null;
        for (JsonElement c : Golden.load("/golden/lbfgs.json").getAsJsonArray("cases")) {
            JsonObject o = c.getAsJsonObject();
            if (o.get("problem").getAsString().equals("surface:rosenbrock") && o.getAsJsonObject("options").size() == 1) {
                kase = o;
            }
        }
        assertNotNull(kase, "rosenbrock case with strong_wolfe alone");
        JsonArray steps = kase.getAsJsonArray("steps");
        List<Sample> t = Trace.run(Surfaces.byName("rosenbrock"), "lbfgs:line_search_fn=strong_wolfe",
                new Point(-1.5, 2), steps.size(), DType.FLOAT64);
        for (int k = 1; k <= steps.size(); k++) {
            double[] expected = Golden.doubles(steps.get(k - 1).getAsJsonArray());
            assertEquals(expected[0], t.get(k).x(), 1e-10 * Math.abs(expected[0]), "x after step " + k);
            assertEquals(expected[1], t.get(k).y(), 1e-10 * Math.abs(expected[1]), "y after step " + k);
        }
    }

    @Test
    void badArgumentsAreUsageErrors() {
        assertThrows(UsageException.class, () -> Trace.run(BOOTH, "sgd:lr=0.1", null, -1, DType.FLOAT64));
        assertThrows(UsageException.class, () -> Trace.run(BOOTH, "nosuch:lr=0.1", null, 3, DType.FLOAT64));
        assertThrows(UsageException.class, () -> Trace.run(BOOTH, "sgd", null, 3, DType.FLOAT64));
    }

    /** Refuses to step without a closure, evaluates it twice per step (as a line search would), then steps. */
    private static final class ClosureOnly extends Optimizer {
        private final int[] evaluations;

        ClosureOnly(List<Parameter> params, int[] evaluations) {
            super(List.of(new ParamGroup(params, Map.of("lr", 0.1))), Map.of("lr", 0.1));
            this.evaluations = evaluations;
        }

        @Override
        protected void validate(ParamGroup group) {}

        @Override
        public double step(Closure closure) {
            if (closure == null) {
                throw new IllegalStateException("needs a closure");
            }
            closure.evaluate();
            double loss = closure.evaluate();
            evaluations[0] += 2;
            for (Parameter p : paramGroups().getFirst().params()) {
                Tensor g = p.grad();
                for (int i = 0; i < p.numel(); i++) {
                    p.setFlat(i, p.getFlat(i) - 0.1 * g.getFlat(i));
                }
            }
            return loss;
        }
    }

    @Test
    void newtonSolvesTheQuadraticValleyInOneExactStep() {
        // 0.5 (x^2 + 100 y^2) is quadratic: one undamped Newton step with the exact Hessian lands on 0.
        Sample s1 = Trace.run(VALLEY, "newton:damping=0", new Point(-9, -1), 1, DType.FLOAT64).get(1);
        assertEquals(0.0, s1.x(), 1e-14);
        assertEquals(0.0, s1.y(), 1e-14);
        Sample sgd = Trace.run(VALLEY, "sgd:lr=0.01", new Point(-9, -1), 1, DType.FLOAT64).get(1);
        assertTrue(Math.abs(sgd.x()) > 1, "plain SGD does not get there in one step");
    }
}
