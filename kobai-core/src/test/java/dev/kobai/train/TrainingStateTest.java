package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.DataFormatException;
import dev.kobai.data.Batch;
import dev.kobai.data.DataLoader;
import dev.kobai.data.Datasets;
import dev.kobai.data.TrainTest;
import dev.kobai.io.SafeTensors;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Models;
import dev.kobai.nn.Sequential;
import dev.kobai.optim.Adam;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.SGD;
import dev.kobai.optim.scheduler.LRScheduler;
import dev.kobai.optim.scheduler.StepLR;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Checkpoint#saveState} and {@link Checkpoint#loadState}: a loop of one's own, stopped, saved,
 * loaded into freshly built objects and continued, ends on the same bits as the loop never stopped.
 */
class TrainingStateTest {
    @TempDir
    Path dir;

    private static final TrainTest DATA = Datasets.fromSpec("digits");

    /** A model, optimizer (Adam with AMSGrad: state in every slot) and scheduler as a user builds them. */
    private record Loop(Sequential model, Optimizer optimizer, LRScheduler scheduler) {
        static Loop fresh(long seed) {
            Sequential model = Models.fromSpec("mlp:64-32-10", new Rng(seed), DType.FLOAT32);
            Adam adam = Adam.builder().lr(3e-3).amsgrad(true).weightDecay(1e-4).build(model.parameters());
            StepLR steps = StepLR.builder().stepSize(1).gamma(0.7).build(adam);
            return new Loop(model, adam, steps);
        }

        void epochs(DataLoader loader, int n) {
            for (int e = 0; e < n; e++) {
                for (Batch b : loader.nextEpoch()) {
                    optimizer.zeroGrad();
                    Losses.crossEntropy(model.forward(b.features()), b.labels()).backward();
                    optimizer.step();
                }
                scheduler.step();
            }
        }
    }

    private static Map<String, Tensor> weights(Loop loop) {
        return loop.model().stateDict();
    }

    @Test
    void aLoopResumedFromItsSavedStateEndsOnTheSameBits() {
        Loop straight = Loop.fresh(1);
        DataLoader straightData = new DataLoader(DATA.train(), 64, new Rng(2));
        straight.epochs(straightData, 3);

        Loop first = Loop.fresh(1);
        DataLoader data = new DataLoader(DATA.train(), 64, new Rng(2));
        first.epochs(data, 2);
        Path file = dir.resolve("state.safetensors");
        Checkpoint.saveState(file, first.model(), first.optimizer(), first.scheduler());
        long[] shuffle = data.rngState();

        Loop resumed = Loop.fresh(99); // other initial weights: all of them must come from the file
        Checkpoint.loadState(file, resumed.model(), resumed.optimizer(), resumed.scheduler());
        assertEquals(first.optimizer().paramGroups().getFirst().getDouble("lr"),
                resumed.optimizer().paramGroups().getFirst().getDouble("lr"), 0.0, "the scheduler's lr is restored");
        DataLoader resumedData = new DataLoader(DATA.train(), 64, new Rng(2));
        resumedData.setRngState(shuffle);
        resumed.epochs(resumedData, 1);

        Map<String, Tensor> a = weights(straight);
        Map<String, Tensor> b = weights(resumed);
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), k);
        }
    }

    @Test
    void theFileIsReadableAsAStateDictAndRefusedWhereItDoesNotFit() throws Exception {
        Loop loop = Loop.fresh(1);
        loop.epochs(new DataLoader(DATA.train(), 256, new Rng(2)), 1);
        Path file = dir.resolve("s.safetensors");
        Checkpoint.saveState(file, loop.model(), loop.optimizer(), loop.scheduler());
        SafeTensors.Contents c = SafeTensors.read(file);
        assertEquals(Checkpoint.STATE_FORMAT, c.metadata().get("format"));
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(c.stateDict("model.").keySet()));

        Loop withoutScheduler = Loop.fresh(1);
        String noScheduler = assertThrows(DataFormatException.class, () -> Checkpoint.loadState(file,
                withoutScheduler.model(), withoutScheduler.optimizer(), null)).getMessage();
        assertTrue(noScheduler.endsWith("the checkpoint has a scheduler state but the run has no scheduler"),
                noScheduler);
        Sequential model = Models.fromSpec("mlp:64-32-10", new Rng(1), DType.FLOAT32);
        SGD sgd = SGD.builder().lr(0.1).build(model.parameters());
        String otherOptimizer = assertThrows(DataFormatException.class,
                () -> Checkpoint.loadState(file, model, sgd, null)).getMessage();
        assertTrue(otherOptimizer.contains("holds the state of Adam, the run's optimizer is SGD"), otherOptimizer);

        Path weightsOnly = dir.resolve("w.safetensors");
        SafeTensors.saveStateDict(weightsOnly, loop.model().stateDict(), Map.of());
        String notState = assertThrows(DataFormatException.class, () -> Checkpoint.loadState(weightsOnly,
                loop.model(), loop.optimizer(), loop.scheduler())).getMessage();
        assertTrue(notState.contains("not a Kobai training state"), notState);
        assertTrue(Files.exists(file));
    }
}
