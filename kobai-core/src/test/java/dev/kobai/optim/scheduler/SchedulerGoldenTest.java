package dev.kobai.optim.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.kobai.nn.Parameter;
import dev.kobai.optim.Golden;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.ParamGroup;
import dev.kobai.optim.SGD;
import dev.kobai.optim.StateDict;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * Learning rates (and OneCycleLR's momentum) of every scheduler against PyTorch 1.13, from
 * tools/golden_schedulers.py; each case is also saved mid-way and restored into fresh objects.
 */
class SchedulerGoldenTest {
    static final double RTOL = 1e-12;
    static final JsonObject FIXTURE = Golden.load("/golden/schedulers.json");

    /** Stands in for Adam: an optimizer whose defaults have betas, which OneCycleLR cycles. */
    static final class BetasOptimizer extends Optimizer {
        BetasOptimizer(List<ParamGroup> groups) {
            super(groups, defaultsWithBetas());
        }

        private static Map<String, Object> defaultsWithBetas() {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("lr", 1e-3);
            d.put("betas", new double[] {0.9, 0.999});
            return d;
        }

        @Override
        protected void validate(ParamGroup group) {}
    }

    /** An optimizer and scheduler built as a case describes. */
    record Built(Optimizer optimizer, LRScheduler scheduler) {}

    static Optimizer optimizer(JsonObject kase) {
        List<ParamGroup> groups = new ArrayList<>();
        for (JsonElement g : kase.getAsJsonArray("groups")) {
            Parameter p = new Parameter(Tensor.zeros(dev.kobai.tensor.DType.FLOAT64, 1));
            groups.add(new ParamGroup(List.of(p), Golden.options(g.getAsJsonObject())));
        }
        return kase.get("optimizer").getAsString().equals("adam") ? new BetasOptimizer(groups) : SGD.withGroups(groups);
    }

    /** The spec of {"name", "args"}: torch's class name and its arguments in the command line's form. */
    static String spec(JsonObject s) {
        StringBuilder sb = new StringBuilder(s.get("name").getAsString());
        JsonObject args = s.getAsJsonObject("args");
        String sep = ":";
        for (Map.Entry<String, JsonElement> e : args.entrySet()) {
            sb.append(sep).append(e.getKey()).append('=');
            if (e.getValue().isJsonArray()) {
                List<String> items = new ArrayList<>();
                e.getValue().getAsJsonArray().forEach(x -> items.add(x.getAsString()));
                sb.append(String.join("/", items));
            } else {
                sb.append(e.getValue().getAsString());
            }
            sep = ",";
        }
        return sb.toString();
    }

    static IntToDoubleFunction lambda(String name) {
        return switch (name) {
            case "pow095" -> e -> Math.pow(0.95, e);
            case "inverse" -> e -> 1.0 / (e + 1);
            case "pow09" -> e -> Math.pow(0.9, e);
            default -> throw new IllegalArgumentException(name);
        };
    }

    static Built build(JsonObject kase) {
        Optimizer opt = optimizer(kase);
        LRScheduler s;
        if (kase.has("scheduler")) {
            s = Schedulers.create(spec(kase.getAsJsonObject("scheduler")), opt, 0, 0);
        } else if (kase.has("lambda")) {
            List<IntToDoubleFunction> fns = new ArrayList<>();
            kase.getAsJsonArray("lambda").forEach(n -> fns.add(lambda(n.getAsString())));
            s = fns.size() == 1 ? new LambdaLR(opt, fns.getFirst()) : new LambdaLR(opt, fns);
        } else if (kase.has("sequential")) {
            JsonObject seq = kase.getAsJsonObject("sequential");
            List<LRScheduler> children = new ArrayList<>();
            seq.getAsJsonArray("schedulers").forEach(c -> children.add(Schedulers.create(spec(c.getAsJsonObject()), opt, 0, 0)));
            JsonArray ms = seq.getAsJsonArray("milestones");
            int[] milestones = new int[ms.size()];
            for (int i = 0; i < milestones.length; i++) {
                milestones[i] = ms.get(i).getAsInt();
            }
            s = new SequentialLR(opt, children, milestones);
        } else {
            List<LRScheduler> children = new ArrayList<>();
            kase.getAsJsonArray("chained").forEach(c -> children.add(Schedulers.create(spec(c.getAsJsonObject()), opt, 0, 0)));
            s = new ChainedScheduler(children);
        }
        return new Built(opt, s);
    }

    static void step(JsonObject kase, LRScheduler s, int k) {
        if (kase.has("metrics")) {
            ((ReduceLROnPlateau) s).step(kase.getAsJsonArray("metrics").get(k).getAsDouble());
        } else if (kase.has("epochs")) {
            ((CosineAnnealingWarmRestarts) s).step(kase.getAsJsonArray("epochs").get(k).getAsDouble());
        } else {
            s.step();
        }
    }

    static double[] lrs(Optimizer opt) {
        return opt.paramGroups().stream().mapToDouble(ParamGroup::lr).toArray();
    }

    static double[] momenta(Optimizer opt) {
        return opt.paramGroups().stream()
                .mapToDouble(g -> g.has("betas") ? g.getPair("betas")[0] : g.getDouble("momentum")).toArray();
    }

    static void compare(String what, double[] expected, double[] got) {
        assertEquals(expected.length, got.length, what + ": groups");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            if (!(Math.abs(got[i] - e) <= RTOL * Math.abs(e) + 1e-17) && e != got[i]) {
                fail(what + " group " + i + ": expected " + e + ", got " + got[i]);
            }
        }
    }

    @Test
    void everyCaseMatchesPyTorchStepByStep() {
        int n = 0;
        for (JsonElement c : FIXTURE.getAsJsonArray("cases")) {
            JsonObject kase = c.getAsJsonObject();
            String label = kase.get("label").getAsString();
            Built b = build(kase);
            JsonArray expected = kase.getAsJsonArray("lrs");
            JsonArray moms = kase.has("momenta") ? kase.getAsJsonArray("momenta") : null;
            for (int k = 0; k < expected.size(); k++) {
                if (k > 0) {
                    b.optimizer().step();
                    step(kase, b.scheduler(), k - 1);
                }
                compare(label + " lr after " + k + " steps", Golden.doubles(expected.get(k).getAsJsonArray()),
                        lrs(b.optimizer()));
                compare(label + " lastLr after " + k + " steps", Golden.doubles(expected.get(k).getAsJsonArray()),
                        b.scheduler().lastLr());
                if (moms != null) {
                    compare(label + " momentum after " + k + " steps", Golden.doubles(moms.get(k).getAsJsonArray()),
                            momenta(b.optimizer()));
                }
            }
            n++;
        }
        assertTrue(n >= 40, "cases run: " + n);
    }

    @Test
    void savingMidwayAndRestoringIntoFreshObjectsContinuesIdentically() {
        int split = 13;
        for (JsonElement c : FIXTURE.getAsJsonArray("cases")) {
            JsonObject kase = c.getAsJsonObject();
            String label = kase.get("label").getAsString();
            int steps = kase.getAsJsonArray("lrs").size() - 1;
            Built original = build(kase);
            for (int k = 0; k < split; k++) {
                step(kase, original.scheduler(), k);
            }
            StateDict optState = original.optimizer().stateDict();
            Map<String, Object> schedState = original.scheduler().stateDict();
            Built restored = build(kase);
            restored.optimizer().loadStateDict(optState);
            restored.scheduler().loadStateDict(schedState);
            for (int k = split; k < steps; k++) {
                step(kase, original.scheduler(), k);
                step(kase, restored.scheduler(), k);
                assertArrayEquals(lrs(original.optimizer()), lrs(restored.optimizer()), label + " step " + (k + 1));
                assertArrayEquals(original.scheduler().lastLr(), restored.scheduler().lastLr(), label);
                assertArrayEquals(momenta(original.optimizer()), momenta(restored.optimizer()), label);
            }
            compare(label + " restored, last step", Golden.doubles(kase.getAsJsonArray("lrs").get(steps).getAsJsonArray()),
                    lrs(restored.optimizer()));
        }
    }
}
