package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kobai.data.Batch;
import dev.kobai.data.DataLoader;
import dev.kobai.data.Dataset;
import dev.kobai.io.SafeTensors;
import dev.kobai.nn.Models;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.optim.CurvatureOptimizer;
import dev.kobai.optim.Optimizer;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * In-process crash and resume for every optimizer and every scheduler spec form: a run that
 * checkpoints every few steps is stopped by an exception at a step that is not a checkpoint (so the
 * checkpoint is behind it, often mid-epoch), resumed from its file, and must end with the same
 * tensors and optimizer state, bit for bit, as the same run left alone. Real SIGKILLs of a child
 * JVM are in kobai-cli's KillResumeTest.
 */
class CheckpointResumeTest {
    /** The registered optimizers that train on plain parameters, L-BFGS (with its histories) included. */
    static final List<String> FIRST_ORDER = List.of("lbfgs:max_iter=4,history_size=5",
            "sgd:lr=0.05,momentum=0.9,nesterov=true", "adagrad:lr=0.05", "adadelta", "rmsprop:lr=0.005,momentum=0.5,centered=true",
            "asgd:lr=0.05", "rprop:lr=0.001", "adam:lr=0.01", "adamw:lr=0.01,amsgrad=true", "adamax:lr=0.01",
            "nadam:lr=0.01", "radam:lr=0.01");

    /**
     * The second-order methods, on {@link #SMALL_MODEL}. K-FAC's second spec refreshes its factors
     * and inverses at periods that do not divide the checkpoint interval, so a checkpoint falls
     * between refreshes.
     */
    static final List<String> SECOND_ORDER = List.of("kfac",
            "kfac:damping_mode=eigen,momentum=0.5,factor_update_period=3,inv_update_period=7", "natural:fisher=mc",
            "newton", "hessian-free");

    /** 310 parameters, so that Newton's dense Hessian stays cheap. */
    static final String SMALL_MODEL = "mlp:64-4-10";

    /** A convolutional model on the digits' 1x8x8 images, for K-FAC's convolution layers. */
    static final String CONV_MODEL = "conv2d(1,4,3,padding=1),relu,maxpool2d(2),flatten,linear(64,10)";

    /** K-FAC on {@link #CONV_MODEL}: with momentum, and refreshes that do not divide the checkpoint interval. */
    static final List<String> CONV_SECOND_ORDER = List.of("kfac",
            "kfac:damping_mode=eigen,momentum=0.5,factor_update_period=3,inv_update_period=7",
            "kfac:damping_mode=factored,fisher=true,momentum=0.9,factor_update_period=2,inv_update_period=4");

    static final List<String> SCHEDULERS = List.of("steplr:step_size=1,gamma=0.5", "multistep:milestones=1/2",
            "exponential:gamma=0.8", "linear", "constant", "poly", "cosine:T_max=3", "sgdr:T_0=1,T_mult=2",
            "onecycle:max_lr=0.1", "plateau:patience=0");

    static Stream<Arguments> cases() {
        Stream<Arguments> optimizers = FIRST_ORDER.stream().map(o -> Arguments.of(o, null, "mlp:64-12-10"));
        Stream<Arguments> schedulers = SCHEDULERS.stream()
                .map(s -> Arguments.of("sgd:lr=0.05,momentum=0.9", s, "mlp:64-12-10"));
        Stream<Arguments> secondOrder = SECOND_ORDER.stream().map(o -> Arguments.of(o, null, SMALL_MODEL));
        Stream<Arguments> conv = CONV_SECOND_ORDER.stream().map(o -> Arguments.of(o, null, CONV_MODEL));
        return Stream.of(optimizers, schedulers, secondOrder, conv).flatMap(a -> a);
    }

    @TempDir
    Path dir;

    static TrainSettings settings(String optimizer, String scheduler, String model) {
        return new TrainSettings("digits", model, optimizer, 3, 64, 7, scheduler, null, null);
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

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void resumedRunEndsBitIdentical(String optimizer, String scheduler, String model) throws Exception {
        TrainSettings s = settings(optimizer, scheduler, model);
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

    /**
     * K-FAC's state goes through a checkpoint's encoding and back whole, even where a state tensor
     * has its parameter's size in another shape: with one input, layer 1's factor A and its
     * inverse are 2 x 2, four elements as its [4, 1] weight. The optimizer that loads it then steps
     * as the one that saved it, bit for bit.
     */
    @Test
    void kfacStateSurvivesTheCheckpointEncoding() {
        Rng data = new Rng(3);
        List<Tensor> xs = new ArrayList<>();
        List<int[]> ys = new ArrayList<>();
        for (int b = 0; b < 8; b++) {
            xs.add(Tensor.randn(data, DType.FLOAT32, 5, 1));
            ys.add(new int[] {data.nextInt(3), data.nextInt(3), data.nextInt(3), data.nextInt(3), data.nextInt(3)});
        }
        String spec = "kfac:damping_mode=factored,momentum=0.5,factor_update_period=2,inv_update_period=3";
        Sequential model = Models.fromSpec("mlp:1-4-3", new Rng(1), DType.FLOAT32);
        Optimizer kfac = Training.classifierOptimizer(spec, model, () -> new Batch(xs.get(0), ys.get(0)));
        for (int s = 0; s < 4; s++) {
            step(kfac, xs.get(s), ys.get(s));
        }
        TrainSettings settings = new TrainSettings("digits", "mlp:1-4-3", spec, 1, 5, 1);
        Dataset set = new Dataset("toy", new float[5], new int[5], new int[] {1}, 3, List.of());
        byte[] bytes = Checkpoint.encode(settings, new Trainer(model, kfac), new DataLoader(set, 5, new Rng(2)),
                Trainer.Position.start(), List.of(), "epoch");
        Checkpoint.Saved saved = new Checkpoint.Saved(settings, Trainer.Position.start(), List.of(), "epoch",
                SafeTensors.read(bytes, "kfac.safetensors"));

        Sequential twin = Models.fromSpec("mlp:1-4-3", new Rng(9), DType.FLOAT32);
        Optimizer restored = Training.classifierOptimizer(spec, twin, () -> new Batch(xs.get(0), ys.get(0)));
        Checkpoint.restore(saved, twin, restored, null);
        for (int s = 4; s < 8; s++) {
            step(kfac, xs.get(s), ys.get(s));
            step(restored, xs.get(s), ys.get(s));
        }
        List<Parameter> a = model.parameters();
        List<Parameter> b = twin.parameters();
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).floatData(), b.get(i).floatData(), 0f, a.get(i).name());
        }
    }

    private static void step(Optimizer opt, Tensor x, int[] y) {
        ((CurvatureOptimizer) opt).problem().setBatch(x, y);
        opt.step(null);
    }

    /**
     * Every tensor of both files (weights, optimizer state, generators) has the same bytes, and the
     * optimizer's other state (step counts, generator states, ...), its groups, the position and
     * the scheduler's state are the same.
     */
    static void assertSameTensors(Path expected, Path actual) {
        SafeTensors.Contents a = SafeTensors.read(expected);
        SafeTensors.Contents b = SafeTensors.read(actual);
        assertEquals(new TreeMap<>(a.entries()).keySet(), new TreeMap<>(b.entries()).keySet());
        for (Map.Entry<String, SafeTensors.Entry> e : a.entries().entrySet()) {
            assertArrayEquals(bytes(a, e.getKey()), bytes(b, e.getKey()), e.getKey());
        }
        assertEquals(optimizerState(a), optimizerState(b), "optimizer state");
        for (String key : List.of("optimizer.groups", "position", "scheduler")) {
            assertEquals(a.metadata().get(key), b.metadata().get(key), key);
        }
    }

    /** The metadata entries of the optimizer's per-parameter state, by key. */
    static Map<String, String> optimizerState(SafeTensors.Contents c) {
        Map<String, String> out = new TreeMap<>();
        c.metadata().forEach((k, v) -> {
            if (k.startsWith("optimizer.state.")) {
                out.put(k, v);
            }
        });
        return out;
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
