package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.data.DataLoader;
import dev.kobai.data.Dataset;
import dev.kobai.nn.Models;
import dev.kobai.nn.Sequential;
import dev.kobai.nn.Parameter;
import dev.kobai.optim.LossClosure;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.Optimizers;
import dev.kobai.optim.ParamGroup;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weights an update makes non-finite, with finite losses and gradients: Adam with eps=0 divides
 * 0 by 0 wherever a gradient element is exactly 0 (a dead ReLU unit). Such a run stops at that step,
 * skip-nonfinite or not, and nothing saves or exports the weights; a run whose steps were all
 * skipped fails.
 */
class NonFiniteWeightsTest {
    @TempDir
    Path dir;

    private static TrainSettings adamEps0(boolean skip) {
        return new TrainSettings("digits", "mlp:64-32-10", "adam:eps=0", 2, 32, 1, null, null, null, skip);
    }

    @Test
    void anUpdateThatMakesWeightsNonFiniteStopsTheRunEvenWhenSkippingAndNothingIsExported() throws Exception {
        for (boolean skip : new boolean[] {false, true}) {
            Path weights = dir.resolve("w-" + skip + ".safetensors");
            NumericalFaultException e = assertThrows(NumericalFaultException.class, () -> Training.run(adamEps0(skip),
                    new TrainingListener() {}, null, weights));
            assertEquals(1, e.step(), "the step whose update did it: " + e.getMessage());
            assertTrue(e.getMessage().startsWith("numerical fault at step 1 (epoch 1, batch 1): the update made"
                    + " parameter '" + e.parameter() + "' hold NaN values though the loss ("), e.getMessage());
            assertEquals(skip, e.getMessage().contains("which skipping cannot undo"), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
            assertFalse(Files.exists(weights), "no weights exported");
        }
        Path ckpt = dir.resolve("run.safetensors");
        NumericalFaultException e = assertThrows(NumericalFaultException.class, () -> Training.run(adamEps0(true),
                new TrainingListener() {}, new Training.Checkpointing(ckpt, "1", null), null));
        assertTrue(e.getMessage().startsWith("numerical fault at step 1 (epoch 1, batch 1): the update made")
                && e.getMessage().endsWith("No checkpoint was written before the fault."), e.getMessage());
        assertFalse(Files.exists(ckpt));
    }

    /**
     * A second-order method's shape: it computes the loss and the gradients itself, hands them to
     * the closure's afterGradients (which checks them), then updates; this update poisons a weight.
     */
    static final class PoisonousSecondOrder extends Optimizer {
        PoisonousSecondOrder(List<Parameter> params) {
            super(List.of(new ParamGroup(params)), Map.of("lr", 0.1));
        }

        @Override
        protected void validate(ParamGroup group) {}

        @Override
        public double step(Closure closure) {
            Tensor loss;
            try (GradMode.Scope _ = GradMode.set(true)) {
                zeroGrad();
                loss = ((LossClosure) closure).loss();
                loss.backward();
            }
            closure.afterGradients(loss.item());
            paramGroups().getFirst().params().getLast().floatData()[0] = Float.NaN;
            return loss.item();
        }
    }

    @Test
    void anOptimizerThatChecksThroughAfterGradientsIsCaughtAfterItsUpdateToo() {
        Sequential model = Models.fromSpec("mlp:64-8-10", new Rng(1), DType.FLOAT32);
        Trainer trainer = new Trainer(model, new PoisonousSecondOrder(model.parameters())).skipNonFinite(true);
        DataLoader loader = new DataLoader(dev.kobai.data.Datasets.digits().train(), 32, new Rng(2));
        NumericalFaultException e = assertThrows(NumericalFaultException.class,
                () -> trainer.step(loader.nextEpoch().batch(0)));
        assertEquals("2.bias", e.parameter());
        assertTrue(e.getMessage().contains("the update made parameter '2.bias' hold NaN values"), e.getMessage());
    }

    @Test
    void aRunWhoseStepsWereAllSkippedFails() {
        int n = 40;
        float[] x = new float[n * 4];
        java.util.Arrays.fill(x, Float.NaN);
        int[] y = new int[n];
        Dataset nan = new Dataset("nan", x, y, new int[] {4}, 2, List.of());
        Sequential model = Models.fromSpec("mlp:4-3-2", new Rng(1), DType.FLOAT32);
        float[] before = model.parameters().getFirst().floatData().clone();
        Trainer trainer = new Trainer(model, Optimizers.create("sgd:lr=0.1", model.parameters())).skipNonFinite(true);
        AllStepsSkippedException e = assertThrows(AllStepsSkippedException.class,
                () -> trainer.fit(new DataLoader(nan, 8, new Rng(2)), nan, 2, new TrainingListener() {}));
        assertEquals("all 10 steps of the run were skipped (each had a non-finite loss or gradient), so it trained"
                + " nothing. Lower the learning rate, clip the gradients, or look for NaN or infinite features in the"
                + " data", e.getMessage());
        assertTrue(java.util.Arrays.equals(before, model.parameters().getFirst().floatData()));
    }

    @Test
    void exportedWeightsAreRefusedWhenNotFinite() throws Exception {
        Sequential model = Models.fromSpec("mlp:4-3-2", new Rng(1), DType.FLOAT32);
        Path file = Files.writeString(dir.resolve("w.safetensors"), "older weights");
        model.parameters().get(1).floatData()[2] = Float.POSITIVE_INFINITY;
        NumericalFaultException e = assertThrows(NumericalFaultException.class,
                () -> Checkpoint.exportWeights(file, model));
        assertEquals("parameter '0.bias' is not finite; the weights were not exported to " + file, e.getMessage());
        assertEquals("older weights", Files.readString(file));
    }
}
