package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.nn.Models;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the base Optimizer does for every subclass and no golden trajectory shows: the loss a step
 * returns, its text form, the names state is saved under, loading a dict that holds less state
 * than the optimizer has, the messages naming a parameter, and decoupled decay in float32.
 */
class OptimizerBaseTest {
    private static Parameter param(double... values) {
        return new Parameter(Tensor.of(values));
    }

    @Test
    void stepWithAClosureReturnsItsLossAndWithoutOneNaN() {
        Parameter p = param(1, 2);
        SGD sgd = new SGD(List.of(p), 0.1);
        double loss = sgd.step(() -> {
            p.setGrad(Tensor.of(1.0, 1.0));
            return 2.5;
        });
        assertEquals(2.5, loss);
        assertEquals(0.9, p.getFlat(0), 1e-15);
        p.setGrad(Tensor.of(1.0, 1.0));
        assertTrue(Double.isNaN(sgd.step()));
    }

    @Test
    void toStringListsEachGroupsOptionsGivenOnesFirst() {
        Parameter a = param(1);
        Parameter b = param(2);
        Map<String, Object> second = new java.util.LinkedHashMap<>();
        second.put("momentum", 0.9);
        second.put("lr", 0.01);
        Optimizer sgd = Optimizers.createWithGroups("sgd", List.of(new ParamGroup(List.of(a), Map.of("lr", 0.1)),
                new ParamGroup(List.of(b), second)));
        assertEquals("SGD (group 0: lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=false, "
                + "maximize=false, decoupled_weight_decay=false, no_decay=; group 1: momentum=0.9, lr=0.01, "
                + "dampening=0.0, weight_decay=0.0, nesterov=false, maximize=false, decoupled_weight_decay=false, "
                + "no_decay=)", sgd.toString());
        String adam = new Adam(List.of(param(1)), Map.of()).toString();
        assertTrue(adam.startsWith("Adam (group 0: lr=0.001, betas=0.9/0.999, eps=1.0E-8,"), adam);
    }

    @Test
    void theOptionTableHasTheCommonOptionsOnlyWhereThereIsAWeightDecay() {
        assertNotNull(new SGD(List.of(param(1)), 0.1).optionTable().find(Optimizer.DECOUPLED));
        assertNotNull(new SGD(List.of(param(1)), 0.1).optionTable().find(Optimizer.NO_DECAY));
        assertNull(new Rprop(List.of(param(1)), Map.of()).optionTable().find(Optimizer.DECOUPLED));
        assertEquals(Map.of("lr", 0.1, "weight_decay", 0.0, Optimizer.DECOUPLED, false, Optimizer.NO_DECAY, ""),
                Optimizer.withCommonOptions(Map.of("lr", 0.1, "weight_decay", 0.0)));
        assertEquals(Map.of("lr", 0.1), Optimizer.withCommonOptions(Map.of("lr", 0.1)));
    }

    @Test
    void unnamedParametersAreSavedUnderTheirPositionAcrossGroups() {
        Parameter a = param(1);
        Parameter b = param(2);
        Parameter c = param(3);
        Map<String, Object> options = Map.of("lr", 0.1, "momentum", 0.9);
        Optimizer sgd = Optimizers.createWithGroups("sgd", List.of(new ParamGroup(List.of(a, b), options),
                new ParamGroup(List.of(c), options)));
        for (Parameter p : List.of(a, b, c)) {
            p.setGrad(Tensor.of(1.0));
        }
        sgd.step();
        StateDict sd = sgd.stateDict();
        assertEquals(List.of("#0", "#1"), sd.groups().get(0).params());
        assertEquals(List.of("#2"), sd.groups().get(1).params());
        assertEquals(List.of("#0", "#1", "#2"), List.copyOf(sd.state().keySet()));
    }

    @Test
    void loadingADictWithLessStateDropsTheStateItLacks() {
        Parameter p = param(1, 2);
        Adam adam = new Adam(List.of(p), Map.of("lr", 0.1));
        StateDict fresh = adam.stateDict();
        p.setGrad(Tensor.of(1.0, 1.0));
        adam.step();
        assertEquals(1, adam.state().size());
        adam.loadStateDict(fresh);
        assertTrue(adam.state().isEmpty(), "state after loading a dict without any: " + adam.state());
        assertEquals(0, adam.state(p).step());
    }

    @Test
    void messagesNameTheParameterWhenItHasAName() {
        Sequential m = Models.fromSpec("mlp:2-2", new Rng(1), DType.FLOAT64);
        Parameter w = m.parameters().get(0);
        Adam adam = new Adam(m.parameters().subList(1, 2), Map.of());
        assertEquals("parameter '" + w.name() + "' is not in this Adam",
                assertThrows(IllegalArgumentException.class, () -> adam.state(w)).getMessage());
        assertEquals("parameter is not in this Adam",
                assertThrows(IllegalArgumentException.class, () -> adam.state(param(1))).getMessage());
        Map<String, Object> lr = Map.of("lr", 0.1);
        UsageException twice = assertThrows(UsageException.class, () -> Optimizers.createWithGroups("sgd", List.of(
                new ParamGroup(List.of(w), lr), new ParamGroup(List.of(w), lr))));
        assertEquals("some parameters appear in more than one parameter group (" + w.name() + ")", twice.getMessage());
        Parameter unnamed = param(1);
        assertEquals("some parameters appear in more than one parameter group",
                assertThrows(UsageException.class, () -> Optimizers.createWithGroups("sgd", List.of(
                        new ParamGroup(List.of(unnamed), lr), new ParamGroup(List.of(unnamed), lr)))).getMessage());
    }

    @Test
    void requireNonNegativeRefusesNegativesAndNaN() {
        Optimizer.requireNonNegative(0, "Invalid x: ");
        assertEquals("Invalid x: -1.0",
                assertThrows(UsageException.class, () -> Optimizer.requireNonNegative(-1, "Invalid x: ")).getMessage());
        assertEquals("Invalid x: NaN", assertThrows(UsageException.class,
                () -> Optimizer.requireNonNegative(Double.NaN, "Invalid x: ")).getMessage());
    }

    @Test
    void decoupledDecayScalesFloat32AndFloat64WeightsAlike() {
        // p = p (1 - lr wd) - lr g, element by element; 1000 elements take several parallel blocks.
        for (DType dtype : List.of(DType.FLOAT32, DType.FLOAT64)) {
            int n = 1000;
            Tensor w = Tensor.zeros(dtype, n);
            Tensor g = Tensor.zeros(dtype, n);
            for (int i = 0; i < n; i++) {
                w.setFlat(i, 1 + i / 1000.0);
                g.setFlat(i, 0.5);
            }
            Parameter p = new Parameter(w);
            SGD sgd = new SGD(List.of(p), Map.of("lr", 0.1, "weight_decay", 0.2, Optimizer.DECOUPLED, true));
            p.setGrad(g);
            sgd.step();
            for (int i = 0; i < n; i++) {
                double expected = (1 + i / 1000.0) * (1 - 0.1 * 0.2) - 0.1 * 0.5;
                assertEquals(expected, p.getFlat(i), dtype == DType.FLOAT32 ? 1e-6 : 1e-15, dtype + " element " + i);
            }
        }
    }

    @Test
    void aGroupsSettingsCannotBuild() {
        Parameter p = param(1);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> SGD.builder().lr(0.1).group(List.of(p), g -> g.build()).build());
        assertEquals("a group's settings cannot build; call it on the optimizer's builder", e.getMessage());
        IllegalStateException nested = assertThrows(IllegalStateException.class,
                () -> SGD.builder().lr(0.1).group(List.of(p), g -> g.group(List.of(param(2)))).build());
        assertEquals("a group's settings cannot group; call it on the optimizer's builder", nested.getMessage());
    }

    @Test
    void clippingRefusesANormTypeOfZero() {
        Parameter p = param(3, 4);
        p.setGrad(Tensor.of(3.0, 4.0));
        assertEquals("norm_type must be positive or infinity, got 0.0", assertThrows(UsageException.class,
                () -> Clip.gradNorm(List.of(p), 1.0, 0.0, false)).getMessage());
        assertEquals(5.0, Clip.gradNorm(List.of(p), 10.0, 2.0, false), 1e-15);
    }

    @Test
    void rmspropCountsStepsAndKeepsAMomentumBufferOnlyForAMomentum() {
        Parameter p = param(1, 2);
        RMSprop plain = new RMSprop(List.of(p), Map.of("momentum", 0.0));
        for (int i = 0; i < 2; i++) {
            p.setGrad(Tensor.of(1.0, -1.0));
            plain.step();
        }
        assertEquals(2.0, ((Number) plain.state().get(p).get("step")).doubleValue());
        assertTrue(!plain.state().get(p).containsKey("momentum_buffer"), plain.state().get(p).keySet().toString());
        Parameter q = param(1, 2);
        RMSprop heavy = new RMSprop(List.of(q), Map.of("momentum", 0.5));
        q.setGrad(Tensor.of(1.0, -1.0));
        heavy.step();
        assertTrue(heavy.state().get(q).containsKey("momentum_buffer"));
    }

    @Test
    void rpropCountsItsStepsInTheState() {
        Parameter p = param(1, 2);
        Rprop rprop = new Rprop(List.of(p));
        for (int i = 0; i < 3; i++) {
            p.setGrad(Tensor.of(1.0, -1.0));
            rprop.step();
        }
        assertEquals(3, rprop.state(p).step());
    }

    /** ASGD's average once it starts (t0 = 2): mu = 1 / max(1, step - t0), so the average lags the weights. */
    @Test
    void asgdAveragesInFloat32AsInFloat64() {
        Tensor[] ax = new Tensor[2];
        double[][] w = new double[2][];
        List<DType> dtypes = List.of(DType.FLOAT32, DType.FLOAT64);
        for (int k = 0; k < 2; k++) {
            Tensor start = Tensor.zeros(dtypes.get(k), 100);
            for (int i = 0; i < 100; i++) {
                start.setFlat(i, i / 50.0 - 1);
            }
            Parameter p = new Parameter(start);
            ASGD asgd = new ASGD(List.of(p), Map.of("lr", 0.05, "t0", 2.0));
            for (int s = 0; s < 10; s++) {
                Tensor g = Tensor.zeros(dtypes.get(k), 100);
                for (int i = 0; i < 100; i++) {
                    g.setFlat(i, 2 * p.getFlat(i) - 0.5);
                }
                p.setGrad(g);
                asgd.step();
            }
            ax[k] = asgd.state(p).ax();
            w[k] = p.toDoubleArray();
        }
        double spread = 0;
        for (int i = 0; i < 100; i++) {
            assertEquals(ax[1].getFlat(i), ax[0].getFlat(i), 1e-6, "ax element " + i);
            spread = Math.max(spread, Math.abs(ax[1].getFlat(i) - w[1][i]));
        }
        assertTrue(spread > 1e-3, "the average differs from the weights: " + spread);
    }
}
