package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.io.SafeTensors;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A convolutional network with batch norm and dropout, on augmented images, stopped in the middle
 * of an epoch and resumed from its checkpoint: the run must end with the same tensors, bit for
 * bit, as the run left alone (batch norm's running statistics, dropout's generator and the
 * augmentation's draws included).
 */
class ConvResumeTest {
    static final String MODEL = "conv2d(1,4,3,padding=1),batchnorm2d(4),relu,maxpool2d(2),dropout(0.3),flatten,"
            + "linear(64,10)";

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"adam:lr=0.01", "sgd:lr=0.05,momentum=0.9,nesterov=true,weight_decay=0.0001"})
    void resumedRunEndsBitIdentical(String optimizer) {
        TrainSettings s = new TrainSettings("digits,crop=1,flip", MODEL, optimizer, 2, 64, 11);
        Path reference = dir.resolve("reference.safetensors");
        List<EpochMetrics> whole = Training.run(s, new TrainingListener() {},
                new Training.Checkpointing(reference, "epoch", null));
        Path ckpt = dir.resolve("run.safetensors");
        // 23 steps per epoch: crash at step 31, after the checkpoint at step 30, in the second epoch
        assertThrows(CheckpointResumeTest.Crash.class, () -> Training.run(s, CheckpointResumeTest.crashAt(31),
                new Training.Checkpointing(ckpt, "6", null)));
        Checkpoint.Saved saved = Checkpoint.read(ckpt);
        assertEquals(30, saved.position().step());
        List<EpochMetrics> resumed = Training.run(saved.settings(), new TrainingListener() {},
                new Training.Checkpointing(ckpt, "6", saved));
        CheckpointResumeTest.assertSameTensors(reference, ckpt);
        SafeTensors.Contents c = SafeTensors.read(ckpt);
        assertTrue(c.entries().containsKey("model.1.running_mean"), "batch norm's statistics are saved");
        assertTrue(c.entries().containsKey("rng.dropout.4"), "dropout's generator is saved");
        assertEquals(46, c.longs("model.1.num_batches_tracked")[0], "one count per training step");
        assertEquals(whole.getLast().trainLoss(), resumed.getLast().trainLoss());
        assertEquals(whole.getLast().testAccuracy(), resumed.getLast().testAccuracy());
    }
}
