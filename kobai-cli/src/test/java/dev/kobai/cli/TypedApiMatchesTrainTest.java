package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.kobai.data.Batch;
import dev.kobai.data.DataLoader;
import dev.kobai.data.Datasets;
import dev.kobai.data.TrainTest;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Models;
import dev.kobai.nn.Sequential;
import dev.kobai.optim.Adam;
import dev.kobai.optim.Clip;
import dev.kobai.optim.scheduler.CosineAnnealingLR;
import dev.kobai.optim.scheduler.OneCycleLR;
import dev.kobai.optim.SGD;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.train.Checkpoint;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A program written against the typed API alone (builders, a hand-written loop) reproduces
 * {@code kobai train}'s weights bit for bit for the same settings: the builders and the spec
 * strings reach the same options, and nothing else in the CLI's path changes the numbers.
 */
class TypedApiMatchesTrainTest {
    @TempDir
    Path dir;

    private static final int EPOCHS = 2;
    private static final int BATCH = 32;
    private static final long SEED = 7;
    private static final String MODEL = "mlp:64-32-10";

    private Path train(String... args) {
        Path weights = dir.resolve("cli-" + args.length + "-" + Math.abs(String.join(" ", args).hashCode())
                + ".safetensors");
        String[] common = {"train", "--data", "digits", "--model", MODEL, "--epochs", Integer.toString(EPOCHS),
                "--batch-size", Integer.toString(BATCH), "--seed", Long.toString(SEED), "--export-weights",
                weights.toString()};
        String[] all = new String[common.length + args.length];
        System.arraycopy(common, 0, all, 0, common.length);
        System.arraycopy(args, 0, all, common.length, args.length);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, Kobai.execute(all, new PrintWriter(out), new PrintWriter(err)), err.toString());
        return weights;
    }

    /** What {@code kobai train} builds from its seed: the model's weights, then the batch order. */
    private record Run(TrainTest data, Sequential model, DataLoader loader) {}

    private static Run setUp() {
        TrainTest data = Datasets.fromSpec("digits");
        Rng seeds = new Rng(SEED);
        Rng init = seeds.fork();
        Rng shuffle = seeds.fork();
        Sequential model = Models.fromSpec(MODEL, data.train().sampleShape(), data.train().numClasses(), init,
                DType.FLOAT32);
        return new Run(data, model, new DataLoader(data.train(), BATCH, shuffle));
    }

    private byte[] export(Sequential model) throws Exception {
        Path file = dir.resolve("typed-" + System.nanoTime() + ".safetensors");
        Checkpoint.exportWeights(file, model);
        return Files.readAllBytes(file);
    }

    @Test
    void adamWithCosineScheduleAndNormClippingMatchesTheCommandLine() throws Exception {
        Path cli = train("--optimizer", "adam:lr=0.01,betas=0.8/0.99,weight_decay=1e-4,amsgrad=true",
                "--scheduler", "cosine:T_max=3,eta_min=1e-4", "--clip-grad-norm", "1.0");

        Run run = setUp();
        byte[] initial = export(run.model());
        Adam adam = Adam.builder().lr(0.01).betas(0.8, 0.99).weightDecay(1e-4).amsgrad(true)
                .build(run.model().parameters());
        CosineAnnealingLR cosine = CosineAnnealingLR.builder().tMax(3).etaMin(1e-4).build(adam);
        for (int epoch = 1; epoch <= EPOCHS; epoch++) {
            DataLoader.Epoch batches = run.loader().nextEpoch();
            for (int k = 0; k < batches.batchCount(); k++) {
                Batch b = batches.batch(k);
                adam.zeroGrad();
                Losses.crossEntropy(run.model().forward(b.features()), b.labels()).backward();
                Clip.gradNorm(run.model().parameters(), 1.0);
                adam.step();
            }
            cosine.step(); // per epoch, as torch's and the trainer's
        }
        byte[] typed = export(run.model());
        assertFalse(java.util.Arrays.equals(initial, typed), "training changed the weights");
        assertArrayEquals(Files.readAllBytes(cli), typed, "the typed program's weights are kobai train's, bit for bit");
    }

    @Test
    void sgdWithOneCyclePerBatchMatchesTheCommandLine() throws Exception {
        Path cli = train("--optimizer", "sgd:lr=0.05,momentum=0.9,nesterov=true,weight_decay=5e-4",
                "--scheduler", "onecycle:max_lr=0.2", "--clip-grad-value", "0.5");

        Run run = setUp();
        SGD sgd = SGD.builder().lr(0.05).momentum(0.9).nesterov(true).weightDecay(5e-4)
                .build(run.model().parameters());
        int batchesPerEpoch = run.loader().batchesPerEpoch();
        OneCycleLR oneCycle = OneCycleLR.builder(sgd, 0.2).totalSteps(EPOCHS * batchesPerEpoch).build();
        for (int epoch = 1; epoch <= EPOCHS; epoch++) {
            DataLoader.Epoch batches = run.loader().nextEpoch();
            for (int k = 0; k < batches.batchCount(); k++) {
                Batch b = batches.batch(k);
                sgd.zeroGrad();
                Losses.crossEntropy(run.model().forward(b.features()), b.labels()).backward();
                Clip.gradValue(run.model().parameters(), 0.5);
                sgd.step();
                oneCycle.step(); // per batch: total_steps counts optimizer steps
            }
        }
        assertArrayEquals(Files.readAllBytes(cli), export(run.model()),
                "the typed program's weights are kobai train's, bit for bit");
    }
}
