package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.data.Datasets;
import dev.kobai.data.TrainTest;
import dev.kobai.nn.Activation;
import dev.kobai.nn.Linear;
import dev.kobai.nn.Models;
import dev.kobai.nn.Module;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The autoencoder model and its training runs, on the digits (64 pixels in [0, 1]). */
class AutoencoderTrainingTest {
    private static final TrainTest DIGITS = Datasets.fromSpec("digits");
    private static final Tensor TRAIN = AutoencoderTraining.images(DIGITS.train(), 600);
    private static final Tensor EVAL = AutoencoderTraining.images(DIGITS.train(), 300);

    @Test
    void modelMirrorsTheEncoderWithLogisticUnitsAndALinearCode() {
        Sequential m = Models.autoencoderFromSpec("autoencoder:64-32-8", new Rng(1), DType.FLOAT32);
        List<Module> layers = m.layers();
        // Flatten, Linear 64-32, Sigmoid, Linear 32-8 (code, linear), Linear 8-32, Sigmoid, Linear 32-64 (logits)
        assertEquals(7, layers.size(), layers.toString());
        assertEquals(32, ((Linear) layers.get(1)).outFeatures());
        assertTrue(layers.get(2) instanceof Activation);
        assertEquals(8, ((Linear) layers.get(3)).outFeatures());
        assertTrue(layers.get(4) instanceof Linear, "the code layer is linear");
        assertTrue(layers.get(5) instanceof Activation);
        assertEquals(64, ((Linear) layers.get(6)).outFeatures());
        // sparse initialisation: 15 non-zero weights per unit, zero biases
        Linear first = (Linear) layers.get(1);
        int nonZero = 0;
        for (double w : first.weight().toDoubleArray()) {
            nonZero += w != 0 ? 1 : 0;
        }
        assertEquals(32 * Models.SPARSE_FAN_IN, nonZero);
        assertEquals(0, first.bias().toDoubleArray()[0]);
        assertThrows(UsageException.class, () -> Models.parseAutoencoderSizes("mlp:64-8"));
        assertThrows(UsageException.class, () -> Models.parseAutoencoderSizes("autoencoder:64-8:relu"));
    }

    private static AutoencoderTraining.Result run(String spec, int batch, int iterations) {
        AutoencoderTraining.Settings s = new AutoencoderTraining.Settings("autoencoder:64-32-8", 0.01, iterations,
                60, 3);
        return AutoencoderTraining.run(spec, spec, batch, TRAIN, EVAL, s, null);
    }

    @Test
    void secondOrderMethodsLowerTheLossInFewerIterationsThanSgd() {
        int iterations = 15;
        AutoencoderTraining.Result sgd = run("sgd:lr=0.1,momentum=0.9", 200, iterations);
        AutoencoderTraining.Result kfac = run("kfac:fisher=mc,lr=0.3,damping=0.01,kl_clip=0,inv_update_period=5", 200,
                iterations);
        AutoencoderTraining.Result hf = run("hessian-free:cg_max_iters=20", 200, iterations);
        double start = sgd.curve().getFirst().loss();
        // same weights for every run
        assertEquals(start, kfac.curve().getFirst().loss(), 0);
        assertEquals(start, hf.curve().getFirst().loss(), 0);
        assertEquals(iterations, sgd.last().iteration());
        assertEquals("iterations", sgd.stopReason());
        assertTrue(kfac.last().loss() < sgd.last().loss(), "kfac " + kfac.last() + " sgd " + sgd.last());
        assertTrue(hf.last().loss() < sgd.last().loss(), "hf " + hf.last() + " sgd " + sgd.last());
    }

    @Test
    void stopsAtTheTargetAndCountsIterations() {
        AutoencoderTraining.Result first = run("adam:lr=0.01", 100, 400);
        double target = first.curve().get(first.curve().size() / 2).loss();
        AutoencoderTraining.Settings s = new AutoencoderTraining.Settings("autoencoder:64-32-8", target, 400, 60, 3);
        AutoencoderTraining.Result r = AutoencoderTraining.run("adam", "adam:lr=0.01", 100, TRAIN, EVAL, s, null);
        assertTrue(r.reached());
        assertEquals("target", r.stopReason());
        assertEquals(r.iterationsToTarget(), r.last().iteration());
        assertTrue(r.last().loss() <= target);
        assertTrue(r.curve().get(r.curve().size() - 2).loss() > target);
    }
}
