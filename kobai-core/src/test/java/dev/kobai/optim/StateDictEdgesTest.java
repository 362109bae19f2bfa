package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kobai.UsageException;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An optimizer's state dict at the edges issue 19 named: a state tensor with the parameter's size
 * but another shape (refused, nothing changed), one of another dtype (converted to the parameter's),
 * another optimizer's dict, other groups, an unknown parameter.
 */
class StateDictEdgesTest {
    private static Parameter param() {
        return new Parameter(Tensor.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
    }

    private static Adam steppedAdam(Parameter p) {
        Adam adam = Adam.builder().lr(0.1).build(List.of(p));
        p.setGrad(Tensor.fromArray(new float[] {1, -1, 2, -2, 3, -3}, 2, 3));
        adam.step();
        return adam;
    }

    /** The dict with one state entry of parameter {@code #0} replaced. */
    private static StateDict with(StateDict sd, String entry, Object value) {
        Map<String, Map<String, Object>> state = new LinkedHashMap<>();
        sd.state().forEach((k, v) -> state.put(k, new LinkedHashMap<>(v)));
        state.get("#0").put(entry, value);
        return new StateDict(sd.optimizer(), sd.groups(), state);
    }

    @Test
    void aStateTensorOfTheSameSizeButAnotherShapeIsRefusedChangingNothing() {
        Parameter p = param();
        Adam adam = steppedAdam(p);
        StateDict sd = adam.stateDict();
        Tensor avg = (Tensor) sd.state().get("#0").get("exp_avg");
        float[] before = adam.state(p).expAvg().toFloatArray();
        UsageException e = assertThrows(UsageException.class,
                () -> adam.loadStateDict(with(sd, "exp_avg", avg.reshape(3, 2))));
        assertEquals("state 'exp_avg' of parameter '#0' has shape [3, 2], parameter has [2, 3]", e.getMessage());
        assertArrayEquals(before, adam.state(p).expAvg().toFloatArray(), "nothing was loaded");
    }

    @Test
    void aStateTensorOfAnotherDtypeIsConvertedToTheParameters() {
        Parameter p = param();
        Adam adam = steppedAdam(p);
        StateDict sd = adam.stateDict();
        Tensor avg = (Tensor) sd.state().get("#0").get("exp_avg");
        Tensor wide = avg.to(DType.FLOAT64).mul(2.0);
        Parameter q = param();
        Adam other = Adam.builder().lr(0.1).build(List.of(q));
        other.loadStateDict(with(sd, "exp_avg", wide));
        Tensor loaded = other.state(q).expAvg();
        assertEquals(DType.FLOAT32, loaded.dtype());
        assertArrayEquals(wide.to(DType.FLOAT32).toFloatArray(), loaded.toFloatArray());
        assertArrayEquals(new int[] {2, 3}, loaded.shape());
    }

    @Test
    void dictsOfAnotherKindOrOtherGroupsOrParametersAreRefused() {
        Parameter p = param();
        Adam adam = steppedAdam(p);
        StateDict sd = adam.stateDict();
        SGD sgd = SGD.builder().lr(0.1).build(List.of(p));
        assertEquals("state dict is for Adam, not SGD",
                assertThrows(UsageException.class, () -> sgd.loadStateDict(sd)).getMessage());
        Adam two = Adam.builder().lr(0.1).group(List.of(param())).group(List.of(param())).build();
        assertEquals("state dict has 1 parameter groups, optimizer has 2",
                assertThrows(UsageException.class, () -> two.loadStateDict(sd)).getMessage());
        StateDict renamed = new StateDict("Adam", List.of(new StateDict.Group(List.of("w"), sd.groups().getFirst()
                .options())), Map.of());
        assertEquals("parameter group 0 holds [#0] but the state dict's holds [w]",
                assertThrows(UsageException.class, () -> adam.loadStateDict(renamed)).getMessage());
        StateDict stranger = new StateDict("Adam", sd.groups(), Map.of("#7", Map.of("step", 1.0)));
        assertEquals("state dict has state for unknown parameter '#7'",
                assertThrows(UsageException.class, () -> adam.loadStateDict(stranger)).getMessage());
    }
}
