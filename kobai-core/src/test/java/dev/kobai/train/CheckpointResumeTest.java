package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kobai.io.SafeTensors;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * In-process crash and resume for every first-order optimizer and every scheduler spec form: a run
 * that checkpoints every few steps is stopped by an exception at a step that is not a checkpoint
 * (so the checkpoint is behind it, often mid-epoch), resumed from its file, and must end with the
 * same tensors, bit for bit, as the same run left alone. Real SIGKILLs of a child JVM are in
 * kobai-cli's KillResumeTest.
 */
class CheckpointResumeTest {
    /**
     * The registered optimizers that train on plain parameters, L-BFGS (with its histories) included;
     * the second-order methods that need a curvature problem keep factors outside the state dict.
     */
    static final List<String> FIRST_ORDER = List.of("lbfgs:max_iter=4,history_size=5",
            "sgd:lr=0.05,momentum=0.9,nesterov=true", "adagrad:lr=0.05", "adadelta", "rmsprop:lr=0.005,momentum=0.5,centered=true",
            "asgd:lr=0.05", "rprop:lr=0.001", "adam:lr=0.01", "adamw:lr=0.01,amsgrad=true", "adamax:lr=0.01",
            "nadam:lr=0.01", "radam:lr=0.01");

    static final List<String> SCHEDULERS = List.of("steplr:step_size=1,gamma=0.5", "multistep:milestones=1/2",
            "exponential:gamma=0.8", "linear", "constant", "poly", "cosine:T_max=3", "sgdr:T_0=1,T_mult=2",
            "onecycle:max_lr=0.1", "plateau:patience=0");

    static Stream<Arguments> cases() {
        Stream<Arguments> optimizers = FIRST_ORDER.stream().map(o -> Arguments.of(o, null));
        Stream<Arguments> schedulers = SCHEDULERS.stream().map(s -> Arguments.of("sgd:lr=0.05,momentum=0.9", s));
        return Stream.concat(optimizers, schedulers);
    }

    @TempDir
    Path dir;

    static TrainSettings settings(String optimizer, String scheduler) {
        return new TrainSettings("digits", "mlp:64-12-10", optimizer, 3, 64, 7, scheduler, null, null);
    }

    /** Stops a run after {@code step} steps, as a crash would, before that step's checkpoint. */
    static final class Crash extends RuntimeException {
        Crash() {
            super("crash");
        }
    }

    static TrainingListener crashAt(long step) {
        long[] n = {0};
        return new TrainingListener() {
            @Override
            public void onBatchEnd(int epoch, int batch, double loss) {
                if (++n[0] == step) {
                    throw new Crash();
                }
            }
        };
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void resumedRunEndsBitIdentical(String optimizer, String scheduler) throws Exception {
        TrainSettings s = settings(optimizer, scheduler);
        Path reference = dir.resolve("reference.safetensors");
        List<EpochMetrics> whole = Training.run(s, new TrainingListener() {},
                new Training.Checkpointing(reference, "epoch", null));

        Path ckpt = dir.resolve("run.safetensors");
        // 69 steps in all (23 per epoch); checkpoints every 5 steps, crash at a step between two.
        long crashStep = 5 + Math.floorMod(optimizer.hashCode() + String.valueOf(scheduler).hashCode(), 55);
        if (crashStep % 5 == 0) {
            crashStep++;
        }
        long at = crashStep;
        assertThrows(Crash.class, () -> Training.run(s, crashAt(at), new Training.Checkpointing(ckpt, "5", null)));
        Checkpoint.Saved saved = Checkpoint.read(ckpt);
        assertEquals(at / 5 * 5, saved.position().step());
        List<EpochMetrics> resumed = Training.run(saved.settings(), new TrainingListener() {},
                new Training.Checkpointing(ckpt, "5", saved));

        assertSameTensors(reference, ckpt);
        assertEquals(whole.size(), resumed.size());
        for (int i = 0; i < whole.size(); i++) {
            assertEquals(whole.get(i).trainLoss(), resumed.get(i).trainLoss(), "train loss of epoch " + (i + 1));
            assertEquals(whole.get(i).testLoss(), resumed.get(i).testLoss(), "test loss of epoch " + (i + 1));
        }
    }

    /** Every tensor of both files (weights, optimizer state, generators) has the same bytes. */
    static void assertSameTensors(Path expected, Path actual) {
        SafeTensors.Contents a = SafeTensors.read(expected);
        SafeTensors.Contents b = SafeTensors.read(actual);
        assertEquals(new TreeMap<>(a.entries()).keySet(), new TreeMap<>(b.entries()).keySet());
        for (Map.Entry<String, SafeTensors.Entry> e : a.entries().entrySet()) {
            assertArrayEquals(bytes(a, e.getKey()), bytes(b, e.getKey()), e.getKey());
        }
        for (String key : List.of("optimizer.groups", "position", "scheduler")) {
            assertEquals(a.metadata().get(key), b.metadata().get(key), key);
        }
    }

    static byte[] bytes(SafeTensors.Contents c, String name) {
        SafeTensors.Entry e = c.entry(name);
        if (e.dtype() == SafeTensors.Dtype.I64) {
            ByteBuffer b = ByteBuffer.allocate((int) (e.end() - e.begin()));
            for (long x : c.longs(name)) {
                b.putLong(x);
            }
            return b.array();
        }
        ByteBuffer b = ByteBuffer.allocate((int) (e.end() - e.begin()));
        if (e.dtype() == SafeTensors.Dtype.F32) {
            for (float x : c.tensor(name).floatData()) {
                b.putInt(Float.floatToRawIntBits(x));
            }
        } else {
            for (double x : c.tensor(name).doubleData()) {
                b.putLong(Double.doubleToRawLongBits(x));
            }
        }
        return b.array();
    }

}
