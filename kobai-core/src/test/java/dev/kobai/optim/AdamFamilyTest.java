package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Models;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** State dicts, validation, float32 and the family's own claims, beyond the golden trajectories. */
class AdamFamilyTest {
    private static final Tensor X = Tensor.randn(new Rng(11), DType.FLOAT64, 8, 4);
    private static final int[] Y = {0, 1, 2, 1, 0, 2, 2, 1};

    /** A spec per optimizer that turns on its state-bearing options. */
    private static String spec(String name) {
        return switch (name) {
            case "adam" -> "adam:lr=0.01,amsgrad=true,weight_decay=0.01";
            case "adamw" -> "adamw:lr=0.01,amsgrad=true,weight_decay=0.1";
            case "adamax" -> "adamax:lr=0.01,weight_decay=0.01";
            case "nadam" -> "nadam:lr=0.01,momentum_decay=0.01";
            case "radam" -> "radam:lr=0.01";
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static Sequential model(DType dtype) {
        return Models.fromSpec("mlp:4-6-3", new Rng(5), dtype);
    }

    private static void train(Sequential m, Optimizer opt, int steps) {
        Tensor x = X.to(m.parameters().get(0).dtype()).detach();
        for (int i = 0; i < steps; i++) {
            opt.step(() -> {
                opt.zeroGrad();
                Tensor l = Losses.crossEntropy(m.forward(x), Y);
                l.backward();
                return l.item();
            });
        }
    }

    private static double[] flat(Sequential m) {
        return m.parameters().stream().flatMapToDouble(p -> Arrays.stream(p.toDoubleArray())).toArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"adam", "adamw", "adamax", "nadam", "radam"})
    void stateDictRoundTripContinuesBitForBit(String name) {
        int k = 3; // RAdam: the rectified phase (step 6 on) starts after the reload
        int m = 6;
        Sequential straight = model(DType.FLOAT64);
        train(straight, Optimizers.create(spec(name), straight.parameters()), k + m);

        Sequential first = model(DType.FLOAT64);
        Optimizer a = Optimizers.create(spec(name), first.parameters());
        train(first, a, k);
        StateDict saved = a.stateDict();
        List<Tensor> weights = first.parameters().stream().map(Tensor::copy).toList();
        train(first, a, 2); // must not reach the saved copy

        Sequential resumed = model(DType.FLOAT64);
        for (int i = 0; i < weights.size(); i++) {
            resumed.parameters().get(i).copyFrom(weights.get(i));
        }
        Optimizer c = Optimizers.create(spec(name), resumed.parameters());
        c.loadStateDict(saved);
        train(resumed, c, m);
        assertArrayEquals(flat(straight), flat(resumed), 0.0);

        // Without the state the continuation differs, so the comparison above can fail.
        Sequential fresh = model(DType.FLOAT64);
        for (int i = 0; i < weights.size(); i++) {
            fresh.parameters().get(i).copyFrom(weights.get(i));
        }
        train(fresh, Optimizers.create(spec(name), fresh.parameters()), m);
        assertFalse(Arrays.equals(flat(straight), flat(fresh)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"adam", "adamw", "adamax", "nadam", "radam"})
    void stateHoldsTensorsOfTheParametersDtypeAndShapeOrNumbers(String name) {
        for (DType dtype : DType.values()) {
            Sequential m = model(dtype);
            Optimizer opt = Optimizers.create(spec(name), m.parameters());
            train(m, opt, 2);
            for (Parameter p : m.parameters()) {
                Map<String, Object> st = opt.state().get(p);
                assertEquals(2, ((Number) st.get("step")).intValue());
                for (Map.Entry<String, Object> e : st.entrySet()) {
                    if (e.getValue() instanceof Tensor t) {
                        assertEquals(p.dtype(), t.dtype(), e.getKey());
                        assertArrayEquals(p.shape(), t.shape(), e.getKey());
                    } else {
                        assertInstanceOf(Number.class, e.getValue(), e.getKey());
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"adam", "adamw", "adamax", "nadam", "radam"})
    void float32TracksFloat64(String name) {
        Sequential m64 = model(DType.FLOAT64);
        Sequential m32 = model(DType.FLOAT32);
        for (int i = 0; i < m64.parameters().size(); i++) {
            m32.parameters().get(i).copyFrom(m64.parameters().get(i).to(DType.FLOAT32).detach());
        }
        double[] start = flat(m64);
        train(m64, Optimizers.create(spec(name), m64.parameters()), 30);
        train(m32, Optimizers.create(spec(name), m32.parameters()), 30);
        double[] a = flat(m64);
        double[] b = flat(m32);
        double moved = 0;
        double gap = 0;
        for (int i = 0; i < a.length; i++) {
            moved = Math.max(moved, Math.abs(a[i] - start[i]));
            gap = Math.max(gap, Math.abs(a[i] - b[i]));
        }
        assertTrue(moved > 0.02, name + " moved only " + moved);
        // float32 rounding alone leaves about 2e-7 after 30 steps; a float32 loop that dropped a term
        // or used the wrong constant would be orders of magnitude further away.
        assertTrue(gap < 2e-6, name + ": float32 is " + gap + " away from float64 after moving " + moved);
    }

    @ParameterizedTest
    @ValueSource(strings = {"adam", "adamw", "adamax", "nadam", "radam"})
    void validationGivesTorchsMessagesInTorchsOrder(String name) {
        List<Parameter> ps = model(DType.FLOAT64).parameters();
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("lr=-1", "Invalid learning rate: -1.0");
        cases.put("lr=-1,eps=-1", "Invalid learning rate: -1.0");
        cases.put("eps=-1", "Invalid epsilon value: -1.0");
        cases.put("eps=-1,betas=1/0.999", "Invalid epsilon value: -1.0");
        cases.put("betas=1/0.999", "Invalid beta parameter at index 0: 1.0");
        cases.put("betas=-0.1/0.999", "Invalid beta parameter at index 0: -0.1");
        cases.put("betas=0.9/1", "Invalid beta parameter at index 1: 1.0");
        cases.put("betas=0.9/-0.5,weight_decay=-1", "Invalid beta parameter at index 1: -0.5");
        cases.put("weight_decay=-0.1", "Invalid weight_decay value: -0.1");
        cases.forEach((options, message) -> assertEquals(message,
                assertThrows(UsageException.class, () -> Optimizers.create(name + ":" + options, ps)).getMessage(),
                name + ":" + options));
        // The edges torch accepts are accepted.
        Optimizers.create(name + ":lr=0,eps=0,betas=0/0.999999,weight_decay=0", ps);
    }

    @Test
    void optionsOnlySomeVersionsOfTorchHaveAreCheckedAsTorch113Has() {
        List<Parameter> ps = model(DType.FLOAT64).parameters();
        assertEquals("Invalid momentum_decay value: -0.5", assertThrows(UsageException.class,
                () -> Optimizers.create("nadam:momentum_decay=-0.5", ps)).getMessage());
        for (String name : List.of("nadam", "radam")) {
            assertTrue(assertThrows(UsageException.class, () -> Optimizers.create(name + ":maximize=true", ps))
                    .getMessage().contains("unknown option 'maximize'"));
        }
        assertTrue(assertThrows(UsageException.class, () -> Optimizers.create("adamax:amsgrad=true", ps))
                .getMessage().contains("unknown option 'amsgrad'"));
        assertThrows(UsageException.class, () -> Optimizers.create("adamw:decoupled_weight_decay=false", ps));
        assertThrows(UsageException.class, () -> new Adam(ps, Map.of("betas", new double[] {0.9})));
        assertEquals("Invalid beta parameter at index 0: 1.0", assertThrows(UsageException.class,
                () -> new Adam(ps, Map.of("betas", new double[] {1.0, 0.999}))).getMessage());
    }

    @Test
    void defaultsAreTorchs() {
        Map<String, Object> adam = Optimizers.defaults("adam");
        assertEquals(1e-3, adam.get("lr"));
        assertArrayEquals(new double[] {0.9, 0.999}, (double[]) adam.get("betas"));
        assertEquals(1e-8, adam.get("eps"));
        assertEquals(0.0, adam.get("weight_decay"));
        assertEquals(false, adam.get("amsgrad"));
        assertEquals(false, adam.get("maximize"));
        assertEquals(false, adam.get(Optimizer.DECOUPLED));
        Map<String, Object> adamw = Optimizers.defaults("adamw");
        assertEquals(1e-2, adamw.get("weight_decay"));
        assertEquals(true, adamw.get(Optimizer.DECOUPLED));
        assertEquals(2e-3, Optimizers.defaults("adamax").get("lr"));
        assertEquals(2e-3, Optimizers.defaults("nadam").get("lr"));
        assertEquals(4e-3, Optimizers.defaults("nadam").get("momentum_decay"));
        assertEquals(1e-3, Optimizers.defaults("radam").get("lr"));
        assertEquals(List.of("lr", "betas", "eps", "weight_decay", Optimizer.DECOUPLED, Optimizer.NO_DECAY),
                List.copyOf(Optimizers.defaults("radam").keySet()));
        assertTrue(Optimizers.names().containsAll(List.of("adam", "adamw", "adamax", "nadam", "radam")));
    }

    @Test
    void adamWithDecoupledDecayIsAdamW() {
        Sequential a = model(DType.FLOAT64);
        Sequential b = model(DType.FLOAT64);
        train(a, Optimizers.create("adam:lr=0.01,weight_decay=0.2,amsgrad=true,decoupled_weight_decay=true",
                a.parameters()), 10);
        train(b, Optimizers.create("adamw:lr=0.01,weight_decay=0.2,amsgrad=true", b.parameters()), 10);
        assertArrayEquals(flat(a), flat(b), 0.0);
        Sequential c = model(DType.FLOAT64);
        train(c, Optimizers.create("adam:lr=0.01,weight_decay=0.2,amsgrad=true", c.parameters()), 10);
        assertFalse(Arrays.equals(flat(a), flat(c)), "coupled L2 decay must differ");
    }

    @Test
    void adamwShrinksByLrTimesDecayAndSparesNoDecayParameters() {
        Sequential m = model(DType.FLOAT64);
        List<Parameter> ps = m.parameters();
        Optimizer opt = Optimizers.create("adamw:lr=0.1,weight_decay=0.5,no_decay=bias", ps);
        for (Parameter p : ps) {
            p.setGrad(Tensor.zeros(p.dtype(), p.shape())); // a zero gradient makes the Adam step zero
        }
        double w = ps.get(0).getFlat(0);
        double b = ps.get(1).getFlat(0);
        opt.step();
        assertEquals(w * (1 - 0.1 * 0.5), ps.get(0).getFlat(0), 1e-15);
        assertEquals(b, ps.get(1).getFlat(0), 0.0);
    }

    @Test
    void radamTakesBiasCorrectedMomentumStepsUntilRhoExceedsFive() {
        // A constant gradient g: m / (1 - beta1^t) = g, so each unrectified step moves lr * g exactly;
        // from step 6 the step is lr * r_t * g * sqrt(1 - beta2^t) / (sqrt(v) + eps), about lr * r_t.
        Parameter p = new Parameter(Tensor.of(0.0));
        RAdam opt = new RAdam(List.of(p), Map.of("lr", 0.1));
        double previous = 0;
        for (int t = 1; t <= 8; t++) {
            p.setGrad(Tensor.of(100.0));
            opt.step();
            double step = previous - p.getFlat(0);
            previous = p.getFlat(0);
            if (t <= 5) {
                assertEquals(0.1 * 100, step, 1e-9, "step " + t);
            } else {
                double rho = RAdam.rho(0.999, t);
                double rhoInf = 2 / (1 - 0.999) - 1;
                double r = Math.sqrt((rho - 4) * (rho - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho));
                assertEquals(0.1 * r, step, 1e-9, "step " + t);
            }
        }
    }

    @Test
    void adamaxPutsEpsInsideTheMax() {
        // u = max(beta2 u, |g| + eps). Step 1 (g = 1e-3): u = 1.001 either way. Step 2 (g = 0):
        // u = max(0.5 * 1.001, 0 + 1) = 1, where eps outside the max would give 0.0005 + 1.
        Parameter p = new Parameter(Tensor.of(0.0));
        Adamax opt = new Adamax(List.of(p), Map.of("lr", 1.0, "eps", 1.0, "betas", new double[] {0.5, 0.5}));
        p.setGrad(Tensor.of(1e-3));
        opt.step();
        assertEquals(-(0.5 * 1e-3) / (1 - 0.5) / 1.001, p.getFlat(0), 1e-15);
        double before = p.getFlat(0);
        p.setGrad(Tensor.of(0.0));
        opt.step();
        // m = 0.25e-3, u = max(0.5 * 1.001, 0 + 1) = 1, bias correction 1 - 0.25.
        assertEquals(before - 0.25e-3 / 0.75 / 1.0, p.getFlat(0), 1e-15);
    }

    @Test
    void amsgradNeverLetsTheDenominatorShrink() {
        // A large gradient then small ones: plain Adam's v decays and its steps grow back; AMSGrad
        // keeps the largest v, so its steps on the small gradients are smaller.
        Parameter plain = new Parameter(Tensor.of(0.0));
        Parameter ams = new Parameter(Tensor.of(0.0));
        Adam a = new Adam(List.of(plain), Map.of("lr", 0.1, "betas", new double[] {0.0, 0.5}));
        Adam b = new Adam(List.of(ams), Map.of("lr", 0.1, "betas", new double[] {0.0, 0.5}, "amsgrad", true));
        double[] grads = {10, 0.1, 0.1, 0.1};
        for (double g : grads) {
            plain.setGrad(Tensor.of(g));
            ams.setGrad(Tensor.of(g));
            a.step();
            b.step();
        }
        assertTrue(Math.abs(ams.getFlat(0)) < Math.abs(plain.getFlat(0)),
                ams.getFlat(0) + " vs " + plain.getFlat(0));
        double[] vmax = ((Tensor) b.state().get(ams).get("max_exp_avg_sq")).toDoubleArray();
        double[] v = ((Tensor) b.state().get(ams).get("exp_avg_sq")).toDoubleArray();
        assertTrue(vmax[0] > v[0]);
        assertFalse(a.state().get(plain).containsKey("max_exp_avg_sq"));
    }
}
