package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptimizerApiTest {
    private static final Tensor X = Tensor.randn(new Rng(11), DType.FLOAT64, 8, 4);
    private static final int[] Y = {0, 1, 2, 1, 0, 2, 2, 1};

    private static Sequential model() {
        return Models.fromSpec("mlp:4-6-3", new Rng(5), DType.FLOAT64);
    }

    private static double train(Sequential m, Optimizer opt, int steps) {
        double loss = Double.NaN;
        for (int i = 0; i < steps; i++) {
            loss = opt.step(() -> {
                opt.zeroGrad();
                Tensor l = Losses.crossEntropy(m.forward(X), Y);
                l.backward();
                return l.item();
            });
        }
        return loss;
    }

    private static double[] flat(Sequential m) {
        return m.parameters().stream().flatMapToDouble(p -> java.util.Arrays.stream(p.toDoubleArray())).toArray();
    }

    @Test
    void aValueOfTheWrongFormNamesTheOptimizerAndTheOption() {
        List<Parameter> ps = List.of(new Parameter(Tensor.of(1.0)));
        String message = assertThrows(UsageException.class, () -> Optimizers.create("sgd:lr=fast", ps)).getMessage();
        assertTrue(message.startsWith("optimizer sgd, option lr: "), message);
    }

    @Test
    void stepWithClosureReturnsTheLossBeforeTheStep() {
        Sequential m = model();
        Optimizer opt = Optimizers.create("sgd:lr=0.5", m.parameters());
        double before = Losses.crossEntropy(m.forward(X), Y).item();
        assertEquals(before, train(m, opt, 1), 1e-12);
        assertTrue(Losses.crossEntropy(m.forward(X), Y).item() < before);
    }

    @Test
    void stateDictRoundTripContinuesExactly() {
        Sequential straight = model();
        Optimizer a = Optimizers.create("sgd:lr=0.1,momentum=0.9,nesterov=true", straight.parameters());
        train(straight, a, 7);

        Sequential first = model();
        Optimizer b = Optimizers.create("sgd:lr=0.1,momentum=0.9,nesterov=true", first.parameters());
        train(first, b, 3);
        StateDict saved = b.stateDict();
        train(first, b, 2); // must not leak into the saved copy

        Sequential resumed = model();
        List<Parameter> ps = resumed.parameters();
        // Restore weights as they were at step 3 by replaying on a twin, then load the optimizer state.
        Sequential twin = model();
        Optimizer twinOpt = Optimizers.create("sgd:lr=0.1,momentum=0.9,nesterov=true", twin.parameters());
        train(twin, twinOpt, 3);
        for (int i = 0; i < ps.size(); i++) {
            ps.get(i).copyFrom(twin.parameters().get(i));
        }
        Optimizer c = Optimizers.create("sgd:lr=0.1,momentum=0.9,nesterov=true", ps);
        c.loadStateDict(saved);
        train(resumed, c, 4);
        assertArrayEquals(flat(straight), flat(resumed), 0.0);
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), saved.groups().get(0).params());
        assertTrue(saved.state().containsKey("2.bias"));
    }

    @Test
    void stateDictIsKeyedByNameNotPosition() {
        Sequential m = model();
        List<Parameter> params = m.parameters();
        Optimizer a = Optimizers.create("sgd:lr=0.1,momentum=0.9", params);
        train(m, a, 2);
        StateDict saved = a.stateDict();
        List<Parameter> reversed = new java.util.ArrayList<>(params);
        java.util.Collections.reverse(reversed);
        Optimizer b = Optimizers.create("sgd:lr=0.1,momentum=0.9", reversed);
        b.loadStateDict(saved);
        for (Parameter p : params) {
            Tensor expected = (Tensor) a.state().get(p).get("momentum_buffer");
            Tensor got = (Tensor) b.state().get(p).get("momentum_buffer");
            assertArrayEquals(expected.toDoubleArray(), got.toDoubleArray(), 0.0, p.name());
        }
    }

    @Test
    void loadingAMismatchedStateDictIsRefused() {
        Sequential m = model();
        Optimizer a = Optimizers.create("sgd:lr=0.1,momentum=0.9", m.parameters());
        train(m, a, 1);
        Sequential other = Models.fromSpec("mlp:4-6-6-3", new Rng(5), DType.FLOAT64);
        Optimizer b = Optimizers.create("sgd:lr=0.1,momentum=0.9", other.parameters());
        UsageException e = assertThrows(UsageException.class, () -> b.loadStateDict(a.stateDict()));
        assertTrue(e.getMessage().contains("group 0"), e.getMessage());
    }

    @Test
    void parameterGroupsKeepTheirOwnOptions() {
        Sequential m = model();
        List<Parameter> ps = m.parameters();
        SGD sgd = SGD.withGroups(List.of(new ParamGroup(ps.subList(0, 2), Map.of("lr", 0.0)),
                new ParamGroup(ps.subList(2, 4), Map.of("lr", 0.1, "momentum", 0.9))));
        double[] frozen = ps.get(0).toDoubleArray();
        double[] moving = ps.get(2).toDoubleArray();
        train(m, sgd, 2);
        assertArrayEquals(frozen, ps.get(0).toDoubleArray(), 0.0);
        assertNotEquals(moving[0], ps.get(2).getFlat(0));
        assertEquals(0.9, sgd.paramGroups().get(1).getDouble("momentum"));
        assertEquals(0.0, sgd.paramGroups().get(0).getDouble("momentum"));
        assertThrows(UsageException.class, () -> sgd.addParamGroup(new ParamGroup(ps.subList(0, 1), Map.of("lr", 1.0))));
        assertThrows(UsageException.class, () -> SGD.withGroups(List.of(new ParamGroup(ps, Map.of()))));
    }

    @Test
    void noDecaySparesTheNamedParameters() {
        Sequential m = model();
        List<Parameter> ps = m.parameters();
        Optimizer opt = Optimizers.create("sgd:lr=0.1,weight_decay=0.5,no_decay=bias", ps);
        for (Parameter p : ps) {
            p.setGrad(Tensor.zeros(p.dtype(), p.shape()));
        }
        double w = ps.get(0).getFlat(0);
        double b = ps.get(1).getFlat(0);
        opt.step();
        assertEquals(w * (1 - 0.1 * 0.5), ps.get(0).getFlat(0), 1e-12);
        assertEquals(b, ps.get(1).getFlat(0), 0.0);
    }

    @Test
    void decoupledWeightDecayShrinksBeforeTheUpdate() {
        Parameter p = new Parameter(Tensor.of(2.0));
        Optimizer opt = Optimizers.create("sgd:lr=0.1,momentum=0.9,weight_decay=0.5,decoupled_weight_decay=true",
                List.of(p));
        p.setGrad(Tensor.of(1.0));
        opt.step();
        // Decoupled: p = 2 (1 - 0.05) - 0.1 * 1; coupled would be 2 - 0.1 (1 + 0.5 * 2).
        assertEquals(2 * 0.95 - 0.1, p.getFlat(0), 1e-12);
    }

    @Test
    void emptyParameterListAndUnknownOptionsAreRefused() {
        assertEquals("optimizer got an empty parameter list",
                assertThrows(UsageException.class, () -> new SGD(List.of(), 0.1)).getMessage());
        assertTrue(assertThrows(UsageException.class, () -> new SGD(model().parameters(), Map.of("lr", 0.1, "betas", 1.0)))
                .getMessage().contains("betas"));
        assertEquals("Nesterov momentum requires a momentum and zero dampening",
                assertThrows(UsageException.class, () -> Optimizers.create("sgd:lr=0.1,nesterov=true", model().parameters()))
                        .getMessage());
    }
}
