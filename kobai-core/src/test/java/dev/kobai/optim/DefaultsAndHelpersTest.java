package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.nn.Parameter;
import dev.kobai.optim.scheduler.LambdaLR;
import dev.kobai.optim.scheduler.MultiStepLR;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The small public helpers around the optimizers: each class's defaultOptions() with torch 1.13's
 * defaults, the loss closure second-order methods take, which specs need a curvature problem,
 * LambdaLR over a function of a double epoch, MultiStepLR's milestones in any order, and the
 * deep copy a state dict makes of array values.
 */
class DefaultsAndHelpersTest {
    @Test
    void defaultOptionsAreTorchs() {
        assertEquals(1e-3, Adam.defaultOptions().get("lr"));
        assertEquals(1e-2, AdamW.defaultOptions().get("weight_decay"));
        assertEquals(2e-3, Adamax.defaultOptions().get("lr"));
        assertEquals(1e-2, Adagrad.defaultOptions().get("lr"));
        assertEquals(1e-10, Adagrad.defaultOptions().get("eps"));
        assertEquals(1.0, Adadelta.defaultOptions().get("lr"));
        assertEquals(0.9, Adadelta.defaultOptions().get("rho"));
        assertEquals(2e-3, NAdam.defaultOptions().get("lr"));
        assertEquals(4e-3, NAdam.defaultOptions().get("momentum_decay"));
        assertEquals(1e-3, RAdam.defaultOptions().get("lr"));
        assertEquals(0.99, RMSprop.defaultOptions().get("alpha"));
        assertEquals(1e-2, RMSprop.defaultOptions().get("lr"));
        assertEquals(20, LBFGS.defaultOptions().get("max_iter"));
        assertEquals(100, LBFGS.defaultOptions().get("history_size"));
        assertTrue(SGD.defaultOptions().containsKey("lr"));
        assertNull(SGD.defaultOptions().get("lr"), "torch's SGD has no default lr");
        assertEquals(0.0, SGD.defaultOptions().get("momentum"));
        assertEquals(1e-4, ASGD.defaultOptions().get("lambd"));
        assertEquals(1e6, ASGD.defaultOptions().get("t0"));
        assertEquals(1e-2, Rprop.defaultOptions().get("lr"));
    }

    @Test
    void aLossClosureBackpropagatesAndReturnsTheLoss() {
        Parameter p = new Parameter(Tensor.of(3.0));
        LossClosure closure = () -> p.mul(p).sum();
        assertEquals(9.0, closure.evaluate());
        assertEquals(6.0, p.grad().getFlat(0));
    }

    @Test
    void onlySecondOrderSpecsNeedACurvatureProblem() {
        assertTrue(Optimizers.usesCurvatureProblem("newton"));
        assertTrue(Optimizers.usesCurvatureProblem("kfac"));
        assertFalse(Optimizers.usesCurvatureProblem("adam:lr=0.1"));
        assertFalse(Optimizers.usesCurvatureProblem("lbfgs"));
    }

    @Test
    void lambdaLrTakesAFunctionOfADoubleEpoch() {
        SGD sgd = SGD.builder().lr(0.1).build(List.of(new Parameter(Tensor.of(1.0))));
        LambdaLR s = LambdaLR.of(sgd, e -> 1 / (e + 1));
        assertEquals(0.1, sgd.paramGroups().getFirst().lr(), 1e-15);
        s.step();
        assertEquals(0.05, sgd.paramGroups().getFirst().lr(), 1e-15);
        s.step();
        assertEquals(0.1 / 3, sgd.paramGroups().getFirst().lr(), 1e-15);
    }

    @Test
    void multiStepMilestonesMayComeInAnyOrder() {
        List<Double> sorted = new ArrayList<>();
        List<Double> unsorted = new ArrayList<>();
        for (int[] milestones : new int[][] {{2, 5}, {5, 2}}) {
            SGD sgd = SGD.builder().lr(1.0).build(List.of(new Parameter(Tensor.of(1.0))));
            MultiStepLR s = new MultiStepLR(sgd, milestones, 0.5);
            List<Double> out = milestones[0] == 2 ? sorted : unsorted;
            for (int i = 0; i < 7; i++) {
                s.step();
                out.add(sgd.paramGroups().getFirst().lr());
            }
        }
        assertEquals(List.of(1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25), sorted);
        assertEquals(sorted, unsorted);
    }

    @Test
    void aStateDictCopiesArrayValues() {
        Map<String, Object> state = new LinkedHashMap<>();
        double[] d = {1, 2};
        int[] i = {3};
        long[] l = {4L};
        state.put("d", d);
        state.put("i", i);
        state.put("l", l);
        state.put("list", List.of(new double[] {5}));
        Map<String, Object> copy = StateDict.deepCopy(state);
        assertNotSame(d, copy.get("d"));
        assertArrayEquals(d, (double[]) copy.get("d"));
        assertNotSame(i, copy.get("i"));
        assertArrayEquals(i, (int[]) copy.get("i"));
        assertNotSame(l, copy.get("l"));
        assertArrayEquals(l, (long[]) copy.get("l"));
        assertArrayEquals(new double[] {5}, (double[]) ((List<?>) copy.get("list")).getFirst());
    }
}
