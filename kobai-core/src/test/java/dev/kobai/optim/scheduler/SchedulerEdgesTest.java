package dev.kobai.optim.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.nn.Parameter;
import dev.kobai.optim.SGD;
import dev.kobai.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Schedulers at their edges: the counters a state dict saves (torch's last_epoch and _step_count),
 * ReduceLROnPlateau's comparisons with a metric exactly on the threshold and a change exactly eps,
 * LinearLR's accepted factor bounds, OneCycleLR's refused lengths, warm restarts stepped per batch,
 * and the spec parser's and help's texts.
 */
class SchedulerEdgesTest {
    private static SGD sgd(double lr) {
        return SGD.builder().lr(lr).momentum(0.9).build(List.of(new Parameter(Tensor.of(1.0))));
    }

    private static double lr(SGD opt) {
        return opt.paramGroups().getFirst().lr();
    }

    @Test
    void theStateDictCountsEpochsAndStepsAsTorchDoes() {
        // torch: the constructor's first step makes _step_count 1 at last_epoch 0; each step adds one to both.
        StepLR step = new StepLR(sgd(0.1), 2, 0.5);
        assertEquals(0, step.stateDict().get("last_epoch"));
        assertEquals(1, step.stateDict().get("_step_count"));
        for (int i = 0; i < 3; i++) {
            step.step();
        }
        assertEquals(3, step.stateDict().get("last_epoch"));
        assertEquals(4, step.stateDict().get("_step_count"));

        SGD opt = sgd(0.1);
        SequentialLR seq = new SequentialLR(opt, List.of(new ConstantLR(opt, 0.5, 2), new StepLR(opt, 1, 0.5)),
                new int[] {2});
        int before = (Integer) seq.stateDict().get("_step_count");
        for (int i = 0; i < 3; i++) {
            seq.step();
        }
        assertEquals(3, seq.stateDict().get("last_epoch"));
        assertEquals(before + 3, seq.stateDict().get("_step_count"));

        ReduceLROnPlateau plateau = ReduceLROnPlateau.builder().build(sgd(0.1));
        int plateauBefore = (Integer) plateau.stateDict().get("_step_count");
        for (int i = 0; i < 3; i++) {
            plateau.step(1.0);
        }
        assertEquals(3, plateau.stateDict().get("last_epoch"));
        assertEquals(plateauBefore + 3, plateau.stateDict().get("_step_count"));

        CosineAnnealingWarmRestarts warm = new CosineAnnealingWarmRestarts(sgd(0.1), 3);
        int warmBefore = (Integer) warm.stateDict().get("_step_count");
        warm.step();
        warm.step(1.5);
        assertEquals(warmBefore + 2, warm.stateDict().get("_step_count"));
    }

    @Test
    void aMetricExactlyOnTheThresholdIsNoImprovement() {
        // min, abs: 1.5 is not below 2.0 - 0.5; max, rel: 3.0 is not above 2.0 * (1 + 0.5). All exact in binary.
        SGD a = sgd(0.1);
        ReduceLROnPlateau minAbs = ReduceLROnPlateau.builder().patience(0).factor(0.5).thresholdMode("abs")
                .threshold(0.5).build(a);
        minAbs.step(2.0);
        minAbs.step(1.5);
        assertEquals(0.05, lr(a), 1e-15);
        assertEquals(2.0, minAbs.best());

        SGD b = sgd(0.1);
        ReduceLROnPlateau maxRel = ReduceLROnPlateau.builder().mode("max").patience(0).factor(0.5).threshold(0.5)
                .build(b);
        maxRel.step(2.0);
        maxRel.step(3.0);
        assertEquals(0.05, lr(b), 1e-15);
        assertEquals(2.0, maxRel.best());
        maxRel.step(3.0000001);
        assertEquals(3.0000001, maxRel.best());

        SGD c = sgd(0.1); // max, abs: 2.5 is not above 2.0 + 0.5
        ReduceLROnPlateau maxAbs = ReduceLROnPlateau.builder().mode("max").patience(0).factor(0.5)
                .thresholdMode("abs").threshold(0.5).build(c);
        maxAbs.step(2.0);
        maxAbs.step(2.5);
        assertEquals(0.05, lr(c), 1e-15);
        assertEquals(2.0, maxAbs.best());
    }

    @Test
    void aReductionOfExactlyEpsIsNotApplied() {
        SGD opt = sgd(1.0);
        ReduceLROnPlateau p = ReduceLROnPlateau.builder().patience(0).factor(0.5).eps(0.5).build(opt);
        p.step(1.0);
        p.step(1.0); // 1.0 -> 0.5 changes it by exactly eps: torch applies only a change greater than eps
        assertEquals(1.0, lr(opt));
    }

    @Test
    void linearLrAcceptsFactorsAtTheirBounds() {
        SGD one = sgd(0.1);
        new LinearLR(one, 1.0, 1.0, 1);
        assertEquals(0.1, lr(one), 1e-15);
        SGD zero = sgd(0.1);
        new LinearLR(zero, 0.0, 0.0, 1);
        assertEquals(0.0, lr(zero));
        assertEquals("Starting multiplicative factor expected to be between 0 and 1.",
                assertThrows(UsageException.class, () -> new LinearLR(sgd(0.1), 1.0000001, 1.0, 1)).getMessage());
        assertEquals("Ending multiplicative factor expected to be between 0 and 1.",
                assertThrows(UsageException.class, () -> new LinearLR(sgd(0.1), 0.5, -1e-9, 1)).getMessage());
        assertEquals("total_iters must be a positive integer, but got 0",
                assertThrows(UsageException.class, () -> new LinearLR(sgd(0.1), 0.5, 1.0, 0)).getMessage());
    }

    @Test
    void oneCycleRefusesZeroEpochsOrStepsPerEpoch() {
        assertEquals("Expected positive integer epochs, but got 0", assertThrows(UsageException.class,
                () -> OneCycleLR.builder(sgd(0.1), 0.1).epochs(0).stepsPerEpoch(5).build()).getMessage());
        assertEquals("Expected positive integer steps_per_epoch, but got 0", assertThrows(UsageException.class,
                () -> OneCycleLR.builder(sgd(0.1), 0.1).epochs(2).stepsPerEpoch(0).build()).getMessage());
        assertEquals(10, OneCycleLR.builder(sgd(0.1), 0.1).epochs(2).stepsPerEpoch(5).build().totalSteps());
        assertEquals(1, OneCycleLR.builder(sgd(0.1), 0.1).epochs(1).stepsPerEpoch(1).build().totalSteps());
    }

    @Test
    void warmRestartsStepPerBatchToTheFractionalEpoch() {
        CosineAnnealingWarmRestarts s = new CosineAnnealingWarmRestarts(sgd(0.1), 3, 2, 0.0);
        assertEquals("per batch, at fractional epochs", s.cadence());
        s.afterBatch(2, 1, 4); // epoch 2, batch 1 of 4: epoch 1.25 of the run
        assertEquals(1.25, s.tCur(), 1e-15);
        assertEquals(3.0, s.tI());
        for (int i = 0; i < 3; i++) {
            s.step();
        }
        // 1.25 -> 4.25 crosses the first period of 3: restarted at 1.25 into a period of 6.
        assertEquals(1.25, s.tCur(), 1e-12);
        assertEquals(6.0, s.tI());
        assertEquals(4, s.stateDict().get("last_epoch"));
    }

    @Test
    void cadencesAndTextForms() {
        assertEquals("per epoch", new StepLR(sgd(0.1), 2).cadence());
        assertEquals("per batch", OneCycleLR.builder(sgd(0.1), 0.1).totalSteps(10).build().cadence());
        assertEquals("StepLR (last_epoch=0, lr=[0.1])", new StepLR(sgd(0.1), 2).toString());
    }

    @Test
    void specErrorsNameWhatIsWrong() {
        assertEquals("scheduler spec ':step_size=2' has no name before ':'",
                assertThrows(UsageException.class, () -> Schedulers.parse(":step_size=2")).getMessage());
        assertEquals("scheduler spec 'steplr:=2': '=2' is not key=value (separate pairs with commas, list items with '/')",
                assertThrows(UsageException.class, () -> Schedulers.parse("steplr:=2")).getMessage());
        assertEquals("scheduler spec 'steplr:step_size=': 'step_size=' is not key=value (separate pairs with commas, "
                + "list items with '/')", assertThrows(UsageException.class, () -> Schedulers.parse("steplr:step_size="))
                .getMessage());
        assertEquals(2, Schedulers.parse("steplr:step_size=2").args().get("step_size"));
        String lambda = assertThrows(UsageException.class, () -> Schedulers.parse("lambdalr")).getMessage();
        assertTrue(lambda.startsWith("LambdaLR has no spec form (it takes a function); use "
                + "dev.kobai.optim.scheduler.LambdaLR from Java."), lambda);
        String sequential = assertThrows(UsageException.class, () -> Schedulers.parse("SequentialLR")).getMessage();
        assertTrue(sequential.startsWith("SequentialLR has no spec form (it takes other schedulers); use "
                + "dev.kobai.optim.scheduler.SequentialLR from Java."), sequential);
    }

    @Test
    void onlyAOneCycleThatTakesItsLengthFromTheRunRefusesExtension() {
        String refusal = Schedulers.extensionRefusal("onecycle:max_lr=0.1", 5);
        assertTrue(refusal != null && refusal.startsWith("its OneCycleLR schedule (onecycle:max_lr=0.1) takes its "
                + "length from the run's 5 epochs"), refusal);
        assertNull(Schedulers.extensionRefusal("onecycle:max_lr=0.1,total_steps=100", 5));
        assertNull(Schedulers.extensionRefusal("onecycle:max_lr=0.1,epochs=3", 5));
        assertNull(Schedulers.extensionRefusal("steplr:step_size=2", 5));
        assertNull(Schedulers.extensionRefusal("cosine:T_max=3", 5));
    }

    @Test
    void describeHasOneLinePerSchedulerWithItsNamesAndArguments() {
        List<String> lines = Schedulers.describe().lines().toList();
        assertEquals(Schedulers.names().size(), lines.size());
        assertEquals("steplr | step: " + StepLR.OPTIONS.describe(), lines.getFirst());
        assertEquals("onecyclelr | onecycle | 1cycle: " + OneCycleLR.OPTIONS.describe(),
                lines.stream().filter(l -> l.startsWith("onecyclelr")).findFirst().orElseThrow());
    }

    @Test
    void aSequentialLrsLaterSchedulerCountsTheStepThatRestartsIt() {
        // torch 1.13: the StepLR after the milestone has _step_count 1 from its constructor, 2 after the
        // step(0) at the milestone, 3 after the next step; the ConstantLR stops at 2.
        SGD opt = sgd(0.1);
        SequentialLR seq = new SequentialLR(opt, List.of(new ConstantLR(opt, 0.5, 2), new StepLR(opt, 1, 0.5)),
                new int[] {2});
        int[][] expected = {{2, 1}, {2, 2}, {2, 3}};
        for (int[] counts : expected) {
            seq.step();
            List<?> children = (List<?>) seq.stateDict().get("_schedulers");
            assertEquals(counts[0], ((Map<?, ?>) children.get(0)).get("_step_count"));
            assertEquals(counts[1], ((Map<?, ?>) children.get(1)).get("_step_count"));
        }
    }

    @Test
    void aChainedSchedulerNeedsAtLeastOneScheduler() {
        UsageException e = assertThrows(UsageException.class, () -> new ChainedScheduler(List.of()));
        assertEquals("a scheduler needs an optimizer", e.getMessage());
    }

    @Test
    void aChainedSchedulerRefusesAnotherOptimizerOrAPlateauScheduler() {
        SGD one = sgd(0.1);
        SGD other = sgd(0.1);
        UsageException mixed = assertThrows(UsageException.class,
                () -> new ChainedScheduler(List.of(new StepLR(one, 1, 0.5), new StepLR(one, 2, 0.5), new StepLR(other, 1, 0.5))));
        assertEquals("ChainedScheduler expects all schedulers to belong to the same optimizer, but got schedulers at "
                + "index 0 and 2 to be different", mixed.getMessage());
        UsageException plateau = assertThrows(UsageException.class,
                () -> new ChainedScheduler(List.of(new StepLR(one, 1, 0.5), ReduceLROnPlateau.builder().build(one))));
        assertEquals("ChainedScheduler cannot run ReduceLROnPlateau, which steps on a metric", plateau.getMessage());
    }

    @Test
    void aChainedSchedulersStateDictResumesTheChain() {
        // A chain has no base_lrs of its own (its schedulers keep theirs); its state dict still saves
        // and loads, and counts its own steps.
        SGD first = sgd(0.1);
        ChainedScheduler chain = new ChainedScheduler(List.of(new ConstantLR(first, 0.5, 2), new ExponentialLR(first, 0.9)));
        for (int i = 0; i < 3; i++) {
            chain.step();
        }
        Map<String, Object> saved = chain.stateDict();
        assertEquals(3, saved.get("_step_count"));
        assertNull(saved.get("base_lrs"));

        SGD second = sgd(0.7);
        ChainedScheduler resumed = new ChainedScheduler(List.of(new ConstantLR(second, 0.5, 2), new ExponentialLR(second, 0.9)));
        second.loadStateDict(first.stateDict());
        resumed.loadStateDict(saved);
        assertEquals(3, resumed.stateDict().get("_step_count"));
        assertArrayEquals(chain.lastLr(), resumed.lastLr(), 0.0);
        assertArrayEquals(chain.lastLr(), (double[]) resumed.stateDict().get("_last_lr"), 0.0);
        for (int i = 0; i < 3; i++) {
            chain.step();
            resumed.step();
            assertEquals(lr(first), lr(second), 0.0);
            assertArrayEquals(chain.lastLr(), resumed.lastLr(), 0.0);
        }
        assertEquals(6, resumed.stateDict().get("_step_count"));
    }

    @Test
    void theEdgesOfConstantAndPolynomialLrAreAccepted() {
        // torch refuses factor > 1 or < 0 and total_iters < 1, so 0, 1 and 1 are accepted.
        SGD zero = sgd(0.1);
        new ConstantLR(zero, 0.0, 2);
        assertEquals(0.0, lr(zero), 0.0);
        SGD one = sgd(0.1);
        new ConstantLR(one, 1.0, 2);
        assertEquals(0.1, lr(one), 0.0);
        SGD poly = sgd(0.1);
        PolynomialLR p = new PolynomialLR(poly, 1, 1.0);
        assertEquals(0.1, lr(poly), 0.0);
        p.step();
        assertEquals(0.0, lr(poly), 0.0);
        p.step();
        assertEquals(0.0, lr(poly), 0.0);
    }
}
