package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kobai.tensor.StepMemory;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Training with storage reused from step to step ({@link StepMemory}) ends with the same bits as
 * training with fresh storage for every tensor. Reused storage is filled with NaN when it is taken
 * back, so a tensor read after its step ended, or an output a kernel left partly unwritten (it is
 * not zeroed again), would turn the run's numbers into NaN or change them. The models' activations,
 * gradients and some weights are above the size from which storage is reused.
 */
class StepMemoryTest {
    @TempDir
    Path dir;

    @AfterEach
    void restore() {
        StepMemory.setReuse(true);
        StepMemory.setPoison(false);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "digits,crop=1,flip|conv2d(1,32,3,padding=1),batchnorm2d(32),relu,maxpool2d(2),conv2d(32,32,3,padding=1),relu,"
                + "avgpool2d(2),dropout(0.2),flatten,linear(128,128),relu,linear(128,10)|sgd:lr=0.05,momentum=0.9|",
        "digits|conv2d(1,32,3),groupnorm(4,32),tanh,maxpool2d(3,stride=2,padding=1),flatten,linear(288,64),"
                + "layernorm(64),sigmoid,linear(64,10)|adam:lr=0.01|2.0",
        "digits|basicblock(1,32,2),adaptiveavgpool2d(1),flatten,linear(32,10)|lbfgs:max_iter=3,history_size=4|",
        "digits|mlp:64-512-10|rmsprop:lr=0.01|0.5",
    })
    void reusedStorageTrainsBitForBitAsFreshStorage(String data, String model, String optimizer, String clip) {
        Double clipNorm = clip == null ? null : Double.valueOf(clip);
        TrainSettings s = new TrainSettings(data, model, optimizer, 1, 64, 5, null, clipNorm, null);
        StepMemory.setReuse(false);
        Path fresh = dir.resolve("fresh.safetensors");
        List<EpochMetrics> a = Training.run(s, new TrainingListener() {}, new Training.Checkpointing(fresh, "epoch", null));
        StepMemory.setReuse(true);
        StepMemory.setPoison(true);
        Path reused = dir.resolve("reused.safetensors");
        List<EpochMetrics> b = Training.run(s, new TrainingListener() {},
                new Training.Checkpointing(reused, "epoch", null));
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).trainLoss(), b.get(i).trainLoss(), "train loss of epoch " + (i + 1));
            assertEquals(a.get(i).testLoss(), b.get(i).testLoss(), "test loss of epoch " + (i + 1));
        }
        CheckpointResumeTest.assertSameTensors(fresh, reused);
    }
}
