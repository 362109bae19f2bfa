package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kobai.DataFormatException;
import dev.kobai.data.Batch;
import dev.kobai.data.DataLoader;
import dev.kobai.data.Dataset;
import dev.kobai.io.Json;
import dev.kobai.io.SafeTensors;
import dev.kobai.nn.Activation;
import dev.kobai.nn.BatchNorm1d;
import dev.kobai.nn.Buffer;
import dev.kobai.nn.IncompatibleKeys;
import dev.kobai.nn.Linear;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.optim.Optimizers;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Buffers in files: checkpoints and exported weights carry batch norm's running statistics under
 * torch's state_dict names (num_batches_tracked as I64 of shape []), restore and loadWeights put
 * them back exactly and check them as strictly as parameters, and torch itself loads an exported
 * file into the same network.
 */
class CheckpointBuffersTest {
    @TempDir
    Path dir;

    static Sequential model(long seed) {
        Rng rng = new Rng(seed);
        return new Sequential(new Linear(4, 6, true, rng, DType.FLOAT32), new BatchNorm1d(6, DType.FLOAT32),
                Activation.relu(), new Linear(6, 3, true, rng, DType.FLOAT32));
    }

    static Dataset data() {
        Rng rng = new Rng(11);
        int n = 40;
        float[] x = new float[n * 4];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 4; j++) {
                x[i * 4 + j] = (float) (rng.nextGaussian() * (j + 1) + j);
            }
            y[i] = rng.nextInt(3);
        }
        return new Dataset("toy", x, y, new int[] {4}, 3, List.of());
    }

    /** A trainer after a few steps, so the running statistics are neither zeros nor ones. */
    static Trainer trained(Sequential model, DataLoader loader) {
        Trainer trainer = new Trainer(model, Optimizers.create("sgd:lr=0.1,momentum=0.9", model.parameters()));
        for (Batch batch : loader.nextEpoch()) {
            trainer.step(batch);
        }
        return trainer;
    }

    static BatchNorm1d norm(Sequential model) {
        return (BatchNorm1d) model.layers().get(1);
    }

    @Test
    void checkpointsKeepTheRunningStatisticsExactly() {
        DataLoader loader = new DataLoader(data(), 8, new Rng(5));
        Sequential model = model(1);
        Trainer trainer = trained(model, loader);
        assertEquals(5, norm(model).numBatchesTracked());
        Path file = dir.resolve("run.safetensors");
        TrainSettings settings = new TrainSettings("toy", "custom", "sgd:lr=0.1,momentum=0.9", 1, 8, 5);
        Checkpoint.save(file, settings, trainer, loader, Trainer.Position.start(), List.of(), "epoch");

        SafeTensors.Contents c = SafeTensors.read(file);
        assertEquals(SafeTensors.Dtype.F32, c.entry("model.1.running_mean").dtype());
        assertEquals(SafeTensors.Dtype.I64, c.entry("model.1.num_batches_tracked").dtype());
        assertEquals(0, c.entry("model.1.num_batches_tracked").shape().length);

        Sequential fresh = model(2);
        Checkpoint.restore(Checkpoint.read(file), fresh,
                Optimizers.create("sgd:lr=0.1,momentum=0.9", fresh.parameters()), null);
        assertArrayEquals(norm(model).runningMean().floatData(), norm(fresh).runningMean().floatData());
        assertArrayEquals(norm(model).runningVar().floatData(), norm(fresh).runningVar().floatData());
        assertEquals(5, norm(fresh).numBatchesTracked());
        model.eval();
        fresh.eval();
        Tensor x = Tensor.randn(new Rng(3), DType.FLOAT32, 5, 4);
        try (GradMode.Scope _ = GradMode.noGrad()) {
            assertArrayEquals(model.forward(x).floatData(), fresh.forward(x).floatData(),
                    "evaluation after restoring gives the same bits");
        }
    }

    @Test
    void restoreIsStrictAboutBuffers() {
        DataLoader loader = new DataLoader(data(), 8, new Rng(5));
        Rng rng = new Rng(1);
        // the same parameters, but batch norm without running statistics: no buffers
        Sequential untracked = new Sequential(new Linear(4, 6, true, rng, DType.FLOAT32),
                BatchNorm1d.builder(6).trackRunningStats(false).build(DType.FLOAT32), Activation.relu(),
                new Linear(6, 3, true, rng, DType.FLOAT32));
        TrainSettings settings = new TrainSettings("toy", "custom", "sgd:lr=0.1", 1, 8, 5);
        Path without = dir.resolve("without.safetensors");
        Checkpoint.save(without, settings, new Trainer(untracked, Optimizers.create("sgd:lr=0.1", untracked.parameters())),
                loader, Trainer.Position.start(), List.of(), "epoch");
        Sequential tracked = model(1);
        assertEquals(without + ": missing key(s) 1.running_mean, 1.running_var, 1.num_batches_tracked",
                assertThrows(DataFormatException.class, () -> Checkpoint.restore(Checkpoint.read(without), tracked,
                        Optimizers.create("sgd:lr=0.1", tracked.parameters()), null)).getMessage());

        Path with = dir.resolve("with.safetensors");
        Checkpoint.save(with, settings, new Trainer(tracked, Optimizers.create("sgd:lr=0.1", tracked.parameters())), loader,
                Trainer.Position.start(), List.of(), "epoch");
        assertTrue(assertThrows(DataFormatException.class, () -> Checkpoint.restore(Checkpoint.read(with), untracked,
                Optimizers.create("sgd:lr=0.1", untracked.parameters()), null)).getMessage()
                .startsWith(with + ": unexpected key(s) 1.running_mean, 1.running_var, 1.num_batches_tracked"));
    }

    @Test
    void loadWeightsChecksBuffersAsStrictlyAsParameters() {
        Sequential model = model(1);
        Map<String, Parameter> params = model.namedParameters();
        SafeTensors.Builder b = SafeTensors.builder();
        params.forEach((k, p) -> b.put(k, p.detach()));
        b.put("1.running_mean", Tensor.full(DType.FLOAT32, 0.5, 6));
        b.put("1.running_var", Tensor.full(DType.FLOAT32, 2, 5));
        b.put("1.num_batches_tracked", Tensor.scalar(3, DType.FLOAT64));
        b.put("1.extra", Tensor.zeros(DType.FLOAT32, 1));
        Path file = dir.resolve("bad.safetensors");
        write(file, b);

        DataFormatException shape = assertThrows(DataFormatException.class,
                () -> Checkpoint.loadWeights(file, model(1), true));
        assertEquals(file + ": unexpected key(s) 1.extra; size mismatch for 1.running_var: copying a tensor of shape [5],"
                + " the shape in the model is [6]", shape.getMessage());
        Sequential target = model(1);
        assertThrows(DataFormatException.class, () -> Checkpoint.loadWeights(file, target, false),
                "a shape mismatch is refused even when not strict, as torch refuses it");
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 0}, norm(target).runningMean().floatData(), "nothing is loaded");

        SafeTensors.Builder fixed = SafeTensors.builder();
        params.forEach((k, p) -> fixed.put(k, p.detach()));
        fixed.put("1.running_mean", Tensor.full(DType.FLOAT32, 0.5, 6));
        fixed.put("1.num_batches_tracked", Tensor.scalar(3, DType.FLOAT64));
        fixed.put("1.extra", Tensor.zeros(DType.FLOAT32, 1));
        Path partial = dir.resolve("partial.safetensors");
        write(partial, fixed);
        IncompatibleKeys keys = Checkpoint.loadWeights(partial, target, false);
        assertEquals(List.of("1.running_var"), keys.missingKeys());
        assertEquals(List.of("1.extra"), keys.unexpectedKeys());
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, norm(target).runningMean().floatData(),
                "what matches is loaded");
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1}, norm(target).runningVar().floatData(), "the rest is kept");
        assertEquals(3, norm(target).numBatchesTracked(), "a float64 count loads into the integral buffer, as torch copies it");

        SafeTensors.Builder missing = SafeTensors.builder();
        params.forEach((k, p) -> missing.put(k, p.detach()));
        Path noBuffers = dir.resolve("params-only.safetensors");
        write(noBuffers, missing);
        assertEquals(noBuffers + ": missing key(s) 1.running_mean, 1.running_var, 1.num_batches_tracked",
                assertThrows(DataFormatException.class, () -> Checkpoint.loadWeights(noBuffers, model(1), true))
                        .getMessage());
    }

    @Test
    void longsTakeAShape() {
        byte[] bytes = SafeTensors.builder().putLongs("count", new long[] {7}).putLongs("scalar", new long[] {9})
                .putLongs("grid", new long[] {1, 2, 3, 4, 5, 6}, 2, 3).toBytes(false);
        SafeTensors.Contents c = SafeTensors.read(bytes, "x");
        assertArrayEquals(new long[] {1}, c.entry("count").shape());
        assertArrayEquals(new long[] {1}, c.entry("scalar").shape());
        assertArrayEquals(new long[] {2, 3}, c.entry("grid").shape());
        assertArrayEquals(new long[] {1, 2, 3, 4, 5, 6}, c.longs("grid"));
        SafeTensors.Contents s = SafeTensors.read(SafeTensors.builder().putLongs("n", new long[] {5}, new int[0])
                .toBytes(false), "y");
        assertArrayEquals(new long[0], s.entry("n").shape());
        assertArrayEquals(new long[] {5}, s.longs("n"));
        assertEquals("tensor 'bad': 3 values do not fit shape [2, 2]", assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.builder().putLongs("bad", new long[] {1, 2, 3}, 2, 2)).getMessage());
    }

    private static void write(Path file, SafeTensors.Builder b) {
        try {
            Files.write(file, b.toBytes(false));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void exportedWeightsHaveTorchsKeysAndDtypesAndLoadBack() {
        DataLoader loader = new DataLoader(data(), 8, new Rng(5));
        Sequential model = model(1);
        trained(model, loader);
        Path file = dir.resolve("w.safetensors");
        Checkpoint.exportWeights(file, model);
        SafeTensors.Contents c = SafeTensors.read(file);
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                "1.num_batches_tracked", "3.weight", "3.bias"), List.copyOf(c.entries().keySet()), "torch's order");
        assertArrayEquals(new long[] {5}, c.longs("1.num_batches_tracked"));
        assertArrayEquals(new long[0], c.entry("1.num_batches_tracked").shape());

        Sequential back = model(9);
        assertTrue(Checkpoint.loadWeights(file, back, true).isEmpty());
        for (Map.Entry<String, Buffer> e : model.namedBuffers().entrySet()) {
            assertArrayEquals(e.getValue().toDoubleArray(), back.namedBuffers().get(e.getKey()).toDoubleArray(),
                    e.getKey());
        }
        assertNotEquals(0, norm(back).runningMean().getFlat(0));
    }

    /**
     * torch reads the exported file (by the format: header length, JSON header, raw data, as torch
     * 1.13 has no safetensors package here) into torch.nn.Sequential(Linear, BatchNorm1d, ReLU,
     * Linear) with a strict load_state_dict, and in evaluation mode gives Kobai's outputs.
     */
    @Test
    void torchLoadsTheExportedStateDictStrictly() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        assumeTrue(Files.isExecutable(python), "python3 is missing");
        Process check = new ProcessBuilder(python.toString(), "-c", "import torch").start();
        assumeTrue(check.waitFor(120, TimeUnit.SECONDS) && check.exitValue() == 0, "torch is not installed");

        DataLoader loader = new DataLoader(data(), 8, new Rng(5));
        Sequential model = model(1);
        trained(model, loader);
        model.eval();
        Path file = dir.resolve("torch.safetensors");
        Checkpoint.exportWeights(file, model);
        Tensor x = Tensor.randn(new Rng(4), DType.FLOAT32, 3, 4);
        float[] ours;
        try (GradMode.Scope _ = GradMode.noGrad()) {
            ours = model.forward(x).floatData();
        }
        String script = String.join("\n",
                "import json, struct, sys, torch",
                "raw = open(sys.argv[1], 'rb').read()",
                "(n,) = struct.unpack('<Q', raw[:8])",
                "header = json.loads(raw[8:8 + n])",
                "header.pop('__metadata__', None)",
                "kinds = {'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64}",
                "state = {}",
                "for name, e in header.items():",
                "    b, end = e['data_offsets']",
                "    t = torch.frombuffer(bytearray(raw[8 + n + b:8 + n + end]), dtype=kinds[e['dtype']])",
                "    state[name] = t.reshape(e['shape'])",
                "net = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(),"
                        + " torch.nn.Linear(6, 3))",
                "net.load_state_dict(state, strict=True)",
                "net.eval()",
                "x = torch.tensor(json.loads(sys.argv[2]), dtype=torch.float32).reshape(3, 4)",
                "print(json.dumps({'y': net(x).detach().flatten().tolist(),"
                        + " 'dtypes': {k: str(v.dtype) for k, v in net.state_dict().items()},"
                        + " 'tracked': int(net[1].num_batches_tracked)}))");
        List<Double> input = new ArrayList<>();
        for (float v : x.floatData()) {
            input.add((double) v);
        }
        Process p = new ProcessBuilder(python.toString(), "-c", script, file.toString(), Json.write(input))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        @SuppressWarnings("unchecked")
        Map<String, Object> read = (Map<String, Object>) Json.parse(out, 1_000_000);
        assertEquals(5L, ((Number) read.get("tracked")).longValue());
        @SuppressWarnings("unchecked")
        Map<String, Object> dtypes = (Map<String, Object>) read.get("dtypes");
        assertEquals("torch.int64", dtypes.get("1.num_batches_tracked"));
        assertEquals("torch.float32", dtypes.get("1.running_var"));
        List<?> y = (List<?>) read.get("y");
        for (int i = 0; i < ours.length; i++) {
            assertEquals(ours[i], ((Number) y.get(i)).doubleValue(), 1e-5, "output " + i);
        }
    }
}
