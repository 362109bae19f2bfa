package dev.kobai.optim.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kobai.UsageException;
import dev.kobai.nn.Parameter;
import dev.kobai.optim.SGD;
import dev.kobai.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * ReduceLROnPlateau's counters step by step, as torch 1.13's step() moves them: a bad epoch counts,
 * patience is exceeded before a reduction, a reduction starts the cooldown, and the cooldown zeroes
 * the bad-epoch count as it runs down; eps keeps a change too small from being applied.
 */
class PlateauCountersTest {
    private static SGD sgd(double lr) {
        return SGD.builder().lr(lr).build(List.of(new Parameter(Tensor.of(1.0))));
    }

    /** After each metric: lr, best, bad epochs, cooldown counter. */
    private static void expect(ReduceLROnPlateau p, SGD opt, double metric, double lr, double best, int bad,
                               int cooldown) {
        p.step(metric);
        String at = "after metric " + metric;
        assertEquals(lr, opt.paramGroups().getFirst().lr(), 1e-15, at);
        assertEquals(best, p.best(), 0.0, at);
        assertEquals(bad, p.numBadEpochs(), at);
        assertEquals(cooldown, p.cooldownCounter(), at);
    }

    @Test
    void countersMoveAsTorchMovesThem() {
        SGD opt = sgd(0.1);
        ReduceLROnPlateau p = ReduceLROnPlateau.builder().factor(0.5).patience(1).cooldown(2).build(opt);
        assertEquals(Double.POSITIVE_INFINITY, p.best());
        expect(p, opt, 1.0, 0.1, 1.0, 0, 0);
        expect(p, opt, 1.0, 0.1, 1.0, 1, 0);
        expect(p, opt, 1.0, 0.05, 1.0, 0, 2); // two bad epochs exceed patience 1: halved, cooldown starts
        expect(p, opt, 1.0, 0.05, 1.0, 0, 1); // in cooldown: the bad epoch is forgotten
        expect(p, opt, 1.0, 0.05, 1.0, 0, 0);
        expect(p, opt, 1.0, 0.05, 1.0, 1, 0);
        expect(p, opt, 0.5, 0.05, 0.5, 0, 0); // an improvement resets the count
        expect(p, opt, 0.6, 0.05, 0.5, 1, 0);
        expect(p, opt, 0.6, 0.025, 0.5, 0, 2);
        assertEquals("per epoch, on the test loss", p.cadence());
        assertEquals(List.of(0.025), java.util.Arrays.stream(p.lastLr()).boxed().toList());
    }

    @Test
    void aReductionSmallerThanEpsIsNotApplied() {
        SGD opt = sgd(1e-3);
        ReduceLROnPlateau p = ReduceLROnPlateau.builder().factor(0.9).patience(0).eps(1e-4).build(opt);
        p.step(1.0);
        p.step(1.0); // 1e-3 -> 9e-4 would change it by 1e-4, not more than eps: kept
        assertEquals(1e-3, opt.paramGroups().getFirst().lr(), 0.0);
        ReduceLROnPlateau q = ReduceLROnPlateau.builder().factor(0.8).patience(0).eps(1e-4).build(opt);
        q.step(1.0);
        q.step(1.0); // 1e-3 -> 8e-4 changes it by 2e-4: applied
        assertEquals(8e-4, opt.paramGroups().getFirst().lr(), 1e-18);
        assertThrows(UsageException.class, q::step);
    }
}
