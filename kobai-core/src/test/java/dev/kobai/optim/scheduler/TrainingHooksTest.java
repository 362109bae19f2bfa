package dev.kobai.optim.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kobai.nn.Parameter;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.SGD;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a training loop's calls step each kind of scheduler. */
class TrainingHooksTest {
    private static Optimizer sgd() {
        return new SGD(List.of(new Parameter(Tensor.zeros(DType.FLOAT64, 1))), 0.1);
    }

    private static double lr(Optimizer o) {
        return o.paramGroups().getFirst().lr();
    }

    @Test
    void epochSchedulersIgnoreBatchesAndStepOncePerEpoch() {
        Optimizer o = sgd();
        LRScheduler s = new StepLR(o, 1, 0.5);
        for (int b = 1; b <= 5; b++) {
            s.afterBatch(1, b, 5);
        }
        assertEquals(0.1, lr(o));
        s.afterEpoch(1, 0.3);
        assertEquals(0.05, lr(o));
    }

    @Test
    void warmRestartsFollowFractionalEpochsAndRestartOnWholeOnes() {
        Optimizer o = sgd();
        CosineAnnealingWarmRestarts s = new CosineAnnealingWarmRestarts(o, 2);
        for (int b = 1; b <= 4; b++) {
            s.afterBatch(1, b, 4);
        }
        s.afterEpoch(1, 0.3);
        assertEquals(1.0, s.tCur());
        assertEquals(0.05, lr(o), 1e-15);
        for (int b = 1; b <= 4; b++) {
            s.afterBatch(2, b, 4);
            if (b == 2) {
                assertEquals(1.5, s.tCur());
            }
        }
        assertEquals(0.0, s.tCur());
        assertEquals(0.1, lr(o), 1e-15);
    }

    @Test
    void oneCycleStepsEveryBatchAndPlateauWatchesTheTestLoss() {
        Optimizer o = sgd();
        OneCycleLR one = new OneCycleLR(o, 1.0, 4);
        for (int b = 1; b <= 4; b++) {
            one.afterBatch(1, b, 4);
        }
        one.afterEpoch(1, 0.5);
        assertEquals(4, one.lastEpoch());

        Optimizer p = sgd();
        ReduceLROnPlateau plateau = new ReduceLROnPlateau(p, "min", 0.5, 0, 1e-4, "rel", 0, new double[] {0}, 1e-8);
        plateau.afterBatch(1, 1, 1);
        plateau.afterEpoch(1, 1.0);
        assertEquals(0.1, lr(p));
        plateau.afterEpoch(2, 1.0);
        assertEquals(0.05, lr(p));
    }
}
