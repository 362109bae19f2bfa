package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.data.Batch;
import dev.kobai.data.DataLoader;
import dev.kobai.data.Dataset;
import dev.kobai.nn.Linear;
import dev.kobai.nn.Module;
import dev.kobai.nn.Sequential;
import dev.kobai.optim.Optimizers;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The trainer runs its steps in training mode and its evaluation in evaluation mode, which is
 * what dropout and batch norm read ({@link Module#isTraining()}), and leaves the model training.
 */
class TrainerModesTest {
    /** Passes its input through and notes the mode of every forward pass. */
    static final class Probe extends Module {
        final List<Boolean> seen = new ArrayList<>();

        @Override
        public Tensor forward(Tensor x) {
            seen.add(isTraining());
            return x;
        }
    }

    @Test
    void stepsTrainAndEvaluationEvaluates() {
        Probe probe = new Probe();
        Sequential model = new Sequential(probe, new Linear(4, 3, true, new Rng(1), DType.FLOAT32));
        Dataset data = CheckpointBuffersTest.data();
        DataLoader loader = new DataLoader(data, 8, new Rng(2));
        Trainer trainer = new Trainer(model, Optimizers.create("sgd:lr=0.1", model.parameters()));

        model.eval();
        trainer.runEpoch(1, loader, data, new TrainingListener() {});
        // five training steps over 40 samples in batches of 8, then one evaluation batch of the 40
        assertEquals(List.of(true, true, true, true, true, false), probe.seen);
        assertTrue(model.isTraining(), "the model is left in training mode");

        probe.seen.clear();
        trainer.evaluate(data);
        assertEquals(List.of(false), probe.seen);
        assertTrue(model.isTraining());

        probe.seen.clear();
        model.eval();
        Batch batch = loader.nextEpoch().batch(0);
        trainer.step(batch);
        assertEquals(List.of(true), probe.seen, "a single step trains even after eval()");
    }
}
