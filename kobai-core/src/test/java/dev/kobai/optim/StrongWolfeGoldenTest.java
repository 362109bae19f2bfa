package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The strong Wolfe line search called directly, against torch.optim.lbfgs._strong_wolfe
 * (tools/golden_strong_wolfe.py): every trial step in order, the step returned, the loss and
 * gradient there and the number of evaluations. The cases reach what an L-BFGS step seldom does:
 * running out of trials (max_ls 1 to 3) while bracketing or zooming, and a zoom whose trials land
 * near one end of the bracket (c2 = 0.1), which on one-dimensional functions a cubic fits badly
 * ends in a trial moved away from that end.
 */
class StrongWolfeGoldenTest {
    @Test
    void everyTrialAndTheResultMatchPyTorch() {
        JsonObject fixture = Golden.load("/golden/strong_wolfe.json");
        int cases = 0;
        int outOfTrials = 0;
        for (JsonElement e : fixture.getAsJsonArray("cases")) {
            JsonObject c = e.getAsJsonObject();
            boolean onSurface = c.has("surface");
            String label = (onSurface ? c.get("surface") : c.get("function")).getAsString() + " x=" + c.get("x")
                    + " d=" + c.get("d") + " t=" + c.get("t")
                    + " max_ls=" + c.get("max_ls") + " c2=" + c.get("c2") + " tol=" + c.get("tolerance_change");
            double[] x = Golden.doubles(c.getAsJsonArray("x"));
            double[] d = Golden.doubles(c.getAsJsonArray("d"));
            List<Double> trials = new ArrayList<>();
            StrongWolfe.Objective obj;
            StrongWolfe.Point start;
            if (onSurface) {
                Function<Tensor, Tensor> surface = Golden.surface(c.get("surface").getAsString());
                obj = t -> {
                    trials.add(t);
                    return at(surface, x[0] + t * d[0], x[1] + t * d[1]);
                };
                start = at(surface, x[0], x[1]);
            } else {
                String name = c.get("function").getAsString();
                obj = t -> {
                    trials.add(t);
                    return at(name, x[0] + t * d[0]);
                };
                start = at(name, x[0]);
            }
            Tensor dir = Tensor.of(d);
            double gtd = LBFGS.dot(start.grad(), dir);
            int maxLs = c.get("max_ls").getAsInt();
            StrongWolfe.Result r = StrongWolfe.search(obj, c.get("t").getAsDouble(), dir, start.loss(), start.grad(), gtd,
                    c.get("c1").getAsDouble(), c.get("c2").getAsDouble(), c.get("tolerance_change").getAsDouble(), maxLs);

            double[] expectedTrials = Golden.doubles(c.getAsJsonArray("trials"));
            assertEquals(expectedTrials.length, trials.size(), label + ": trials " + trials);
            for (int i = 0; i < expectedTrials.length; i++) {
                close(label + " trial " + i, expectedTrials[i], trials.get(i));
            }
            assertEquals(c.get("evaluations").getAsInt(), r.evaluations(), label);
            close(label + " step", c.get("step").getAsDouble(), r.t());
            close(label + " loss", c.get("loss").getAsDouble(), r.loss());
            double[] g = Golden.doubles(c.getAsJsonArray("grad"));
            assertEquals(g.length, r.grad().numel(), label);
            close(label + " grad[0]", g[0], r.grad().getFlat(0));
            if (g.length > 1) {
                close(label + " grad[1]", g[1], r.grad().getFlat(1));
            }

            cases++;
            // max_ls + 1 evaluations: the first trial, then one per iteration until the count ran out.
            if (r.evaluations() == maxLs + 1) {
                outOfTrials++;
            }
        }
        assertEquals(1056, cases);
        assertTrue(outOfTrials > 50, "cases that ran out of trials: " + outOfTrials);
    }

    private static StrongWolfe.Point at(Function<Tensor, Tensor> surface, double a, double b) {
        Parameter p = new Parameter(Tensor.of(a, b));
        Tensor loss = surface.apply(p);
        loss.backward();
        return new StrongWolfe.Point(loss.item(), p.grad().detach());
    }

    /**
     * The one-dimensional functions of tools/golden_strong_wolfe.py, in its operation order: a double
     * well, a wall where the slope jumps at 1, and a sextic.
     */
    private static StrongWolfe.Point at(String function, double x) {
        double f;
        double g;
        switch (function) {
            case "well" -> {
                f = x * x * x * x - 3 * x * x + x;
                g = 4 * x * x * x - 6 * x + 1;
            }
            case "wall" -> {
                f = x * x + (x > 1 ? 50 * (x - 1) * (x - 1) : 0.0);
                g = 2 * x + (x > 1 ? 100 * (x - 1) : 0.0);
            }
            case "sextic" -> {
                f = x * x * x * x * x * x - 2 * x * x + 0.5 * x;
                g = 6 * x * x * x * x * x - 4 * x + 0.5;
            }
            default -> throw new IllegalArgumentException(function);
        }
        return new StrongWolfe.Point(f, Tensor.of(g));
    }

    private static void close(String what, double expected, double got) {
        if (!(Math.abs(got - expected) <= 1e-10 * Math.max(1e-8, Math.abs(expected))) && expected != got) {
            fail(what + ": expected " + expected + ", got " + got);
        }
    }
}
