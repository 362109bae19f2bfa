package dev.kobai.optim.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.nn.Parameter;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.ParamGroup;
import dev.kobai.optim.SGD;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** torch 1.13's validation messages, and the spec parser's errors naming what is valid. */
class SchedulerValidationTest {
    private static Optimizer sgd(double... lrs) {
        List<ParamGroup> groups = new java.util.ArrayList<>();
        for (double lr : lrs) {
            groups.add(new ParamGroup(List.of(new Parameter(Tensor.zeros(DType.FLOAT64, 1))), Map.of("lr", lr)));
        }
        return SGD.withGroups(groups);
    }

    private static String message(Executable e) {
        return assertThrows(UsageException.class, e).getMessage();
    }

    @Test
    void constructorsRejectWhatTorchRejectsWithItsMessages() {
        Optimizer o = sgd(0.1);
        assertEquals("Constant multiplicative factor expected to be between 0 and 1.",
                message(() -> new ConstantLR(o, 1.5, 5)));
        assertEquals("Starting multiplicative factor expected to be between 0 and 1.",
                message(() -> new LinearLR(o, -0.1, 1.0, 5)));
        assertEquals("Ending multiplicative factor expected to be between 0 and 1.",
                message(() -> new LinearLR(o, 0.5, 1.1, 5)));
        assertEquals("Expected positive integer T_0, but got 0", message(() -> new CosineAnnealingWarmRestarts(o, 0)));
        assertEquals("Expected integer T_mult >= 1, but got 0",
                message(() -> new CosineAnnealingWarmRestarts(o, 2, 0, 0.0)));
        assertEquals("Factor should be < 1.0.",
                message(() -> new ReduceLROnPlateau(o, "min", 1.0, 10, 1e-4, "rel", 0, new double[] {0}, 1e-8)));
        assertEquals("mode avg is unknown!",
                message(() -> new ReduceLROnPlateau(o, "avg", 0.1, 10, 1e-4, "rel", 0, new double[] {0}, 1e-8)));
        assertEquals("threshold mode pct is unknown!",
                message(() -> new ReduceLROnPlateau(o, "min", 0.1, 10, 1e-4, "pct", 0, new double[] {0}, 1e-8)));
        assertEquals("expected 1 min_lrs, got 2",
                message(() -> new ReduceLROnPlateau(o, "min", 0.1, 10, 1e-4, "rel", 0, new double[] {0, 0}, 1e-8)));
        assertEquals("You must define either total_steps OR (epochs AND steps_per_epoch)",
                message(() -> OneCycleLR.builder(o, 0.1).build()));
        assertEquals("Expected positive integer total_steps, but got 0",
                message(() -> OneCycleLR.builder(o, 0.1).totalSteps(0).build()));
        assertEquals("Expected positive integer steps_per_epoch, but got null",
                message(() -> OneCycleLR.builder(o, 0.1).epochs(3).build()));
        assertEquals("Expected float between 0 and 1 pct_start, but got 1.5",
                message(() -> OneCycleLR.builder(o, 0.1).totalSteps(10).pctStart(1.5).build()));
        assertEquals("anneal_strategy must by one of 'cos' or 'linear', instead got exp",
                message(() -> OneCycleLR.builder(o, 0.1).totalSteps(10).annealStrategy("exp").build()));
        assertEquals("expected 1 values for max_lr, got 2",
                message(() -> OneCycleLR.builder(o, 0.1, 0.2).totalSteps(10).build()));
        assertEquals("Expected 2 lr_lambdas, but got 1",
                message(() -> new LambdaLR(sgd(0.1, 0.2), List.of(e -> 1.0))));
        Optimizer other = sgd(0.1);
        assertEquals("Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers "
                        + "at index 1 to be different than the optimizer passed in.",
                message(() -> new SequentialLR(o, List.of(new StepLR(o, 2), new StepLR(other, 2)), new int[] {3})));
        assertEquals("Sequential Schedulers expects number of schedulers provided to be one more than the number of "
                        + "milestone points, but got number of schedulers 2 and the number of milestones to be equal to 2",
                message(() -> new SequentialLR(o, List.of(new StepLR(o, 2), new StepLR(o, 2)), new int[] {3, 4})));
    }

    @Test
    void oneCycleNeedsMomentumAndStopsAfterTotalSteps() {
        Optimizer noMomentum = new Optimizer(List.of(new ParamGroup(List.of(new Parameter(Tensor.zeros(DType.FLOAT64, 1))),
                Map.of())), Map.of("lr", 0.1)) {
            @Override
            protected void validate(ParamGroup group) {}
        };
        assertEquals("optimizer must support momentum with `cycle_momentum` option enabled",
                message(() -> OneCycleLR.builder(noMomentum, 0.1).totalSteps(10).build()));
        OneCycleLR s = new OneCycleLR(sgd(0.1), 0.1, 3);
        s.step();
        s.step();
        s.step();
        assertEquals("Tried to step 5 times. The specified number of total steps is 3", message(s::step));
    }

    @Test
    void plateauNeedsAMetric() {
        ReduceLROnPlateau s = new ReduceLROnPlateau(sgd(0.1));
        assertTrue(message(s::step).contains("step(metric)"));
    }

    @Test
    void specsNameSchedulersByClassNameOrAlias() {
        assertInstanceOf(StepLR.class, Schedulers.create("steplr:step_size=2,gamma=0.5", sgd(0.1), 10, 3));
        assertInstanceOf(StepLR.class, Schedulers.create("StepLR:step_size=2", sgd(0.1), 10, 3));
        assertInstanceOf(CosineAnnealingLR.class, Schedulers.create("cosine:T_max=10", sgd(0.1), 10, 3));
        assertInstanceOf(CosineAnnealingLR.class, Schedulers.create("cosine:t_max=10", sgd(0.1), 10, 3));
        assertInstanceOf(MultiStepLR.class, Schedulers.create("multistep:milestones=2/5/8", sgd(0.1), 10, 3));
        assertInstanceOf(ReduceLROnPlateau.class, Schedulers.create("plateau", sgd(0.1), 10, 3));
        assertInstanceOf(CosineAnnealingWarmRestarts.class, Schedulers.create("sgdr:T_0=2,T_mult=2", sgd(0.1), 10, 3));
        LRScheduler one = Schedulers.create("onecycle:max_lr=0.1/0.2", sgd(0.1, 0.1), 10, 3);
        assertEquals(30, ((OneCycleLR) one).totalSteps());
        assertEquals(30, ((OneCycleLR) Schedulers.create("onecycle:max_lr=0.1,epochs=3", sgd(0.1), 10, 3)).totalSteps());
        assertEquals(List.of("StepLR", "MultiStepLR", "ExponentialLR", "LinearLR", "ConstantLR", "PolynomialLR",
                "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "ReduceLROnPlateau"), Schedulers.names());
    }

    @Test
    void badSpecsSayWhatIsValid() {
        Optimizer o = sgd(0.1);
        String unknown = message(() -> Schedulers.create("cosin:T_max=3", o, 10, 3));
        assertTrue(unknown.startsWith("unknown scheduler 'cosin'; valid: steplr (step), "), unknown);
        assertTrue(unknown.contains("cosineannealinglr (cosine, cos)"), unknown);
        String key = message(() -> Schedulers.create("steplr:step=2", o, 10, 3));
        assertEquals("unknown argument 'step' for StepLR; valid: step_size (required), gamma=0.1", key);
        String missing = message(() -> Schedulers.create("cosine", o, 10, 3));
        assertEquals("CosineAnnealingLR needs T_max (e.g. cosine:T_max=10); arguments: T_max (required), eta_min=0.0",
                missing);
        assertEquals("StepLR, argument step_size: '2.5' is not a whole number",
                message(() -> Schedulers.create("steplr:step_size=2.5", o, 10, 3)));
        assertEquals("ExponentialLR, argument gamma: 'x' is not a finite number",
                message(() -> Schedulers.create("exp:gamma=x", o, 10, 3)));
        assertEquals("ReduceLROnPlateau, argument mode: 'avg' is not one of min, max",
                message(() -> Schedulers.create("plateau:mode=avg", o, 10, 3)));
        assertEquals("OneCycleLR, argument three_phase: 'maybe' is not a boolean (true or false)",
                message(() -> Schedulers.create("onecycle:max_lr=1,three_phase=maybe", o, 10, 3)));
        assertTrue(message(() -> Schedulers.create("lambdalr", o, 10, 3)).startsWith("LambdaLR has no spec form"));
        assertTrue(message(() -> Schedulers.create("steplr:step_size", o, 10, 3)).contains("is not key=value"));
        assertTrue(message(() -> Schedulers.create("steplr:step_size=1,step_size=2", o, 10, 3)).contains("twice"));
        assertTrue(message(() -> Schedulers.create(" ", o, 10, 3)).startsWith("empty scheduler spec"));
        assertTrue(message(() -> Schedulers.create("onecycle:max_lr=0.1,total_steps=20", o, 10, 3))
                .contains("the run takes 30 steps"));
        assertEquals("step_size must be a positive integer, but got 0",
                message(() -> Schedulers.create("steplr:step_size=0", o, 10, 3)));
    }

    @Test
    void theSchedulerStateDictIsForItsOwnKind() {
        Optimizer o = sgd(0.1);
        Map<String, Object> state = new StepLR(o, 2).stateDict();
        assertEquals("state dict is for StepLR, not ExponentialLR",
                message(() -> new ExponentialLR(o, 0.9).loadStateDict(state)));
    }
}
