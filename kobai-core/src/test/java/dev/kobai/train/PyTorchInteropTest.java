package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kobai.io.Json;
import dev.kobai.io.SafeTensors;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Models;
import dev.kobai.nn.Module;
import dev.kobai.nn.Sequential;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.Optimizers;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Kobai's presets against the same networks written with torch.nn ({@code tools/golden_interop.py},
 * PyTorch 1.13), both ways:
 * <ul>
 *   <li>PyTorch's state dicts (saved as safetensors with numpy) load into Kobai's models with
 *       {@code loadStateDict(strict = true)} and give PyTorch's outputs, in evaluation and training
 *       mode, to 1e-6 in float32 and 1e-12 in float64 (relative to the largest output), batch
 *       norm's running statistics after a training-mode pass included;</li>
 *   <li>Kobai's exported weights have PyTorch's keys, order, shapes and dtypes (the manifest), for
 *       every preset; and PyTorch loads them with {@code load_state_dict(strict=True)} and gives
 *       Kobai's outputs ({@code golden_interop.py --check-kobai}, run when PyTorch is installed; the
 *       files stay in {@code target/interop-kobai} for running it by hand).</li>
 * </ul>
 */
class PyTorchInteropTest {
    private static final double TOL32 = 1e-6;
    private static final double TOL64 = 1e-12;

    @TempDir
    Path dir;

    record Entry(String name, String spec, int[] input, int classes, boolean batchNorm, boolean weights,
                 List<String> manifest) {
        Sequential build(long seed, DType dtype) {
            return Models.fromSpec(spec, input, classes, new Rng(seed), dtype);
        }

        Map<String, Tensor> io(String file) throws Exception {
            return SafeTensors.loadStateDict(resource("/interop/" + file));
        }
    }

    static Path resource(String name) throws Exception {
        return Path.of(PyTorchInteropTest.class.getResource(name).toURI());
    }

    @SuppressWarnings("unchecked")
    static List<Entry> manifest() throws Exception {
        Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(resource("/interop/manifest.json")),
                10_000_000);
        List<Entry> out = new ArrayList<>();
        for (Object o : (List<Object>) m.get("models")) {
            Map<String, Object> e = (Map<String, Object>) o;
            int[] input = ((List<Object>) e.get("input")).stream().mapToInt(v -> ((Long) v).intValue()).toArray();
            List<String> keys = new ArrayList<>();
            for (Object k : (List<Object>) e.get("state_dict")) {
                List<Object> kds = (List<Object>) k;
                keys.add(kds.get(0) + " " + kds.get(1) + " " + kds.get(2).toString().replace(" ", ""));
            }
            out.add(new Entry((String) e.get("name"), (String) e.get("spec"), input, ((Long) e.get("classes")).intValue(),
                    (Boolean) e.get("batch_norm"), (Boolean) e.get("weights"), keys));
        }
        return out;
    }

    static Stream<Arguments> withWeights() throws Exception {
        List<Arguments> out = new ArrayList<>();
        for (Entry e : manifest()) {
            if (e.weights()) {
                out.add(Arguments.of(e.name(), e, DType.FLOAT32));
                out.add(Arguments.of(e.name(), e, DType.FLOAT64));
            }
        }
        return out.stream();
    }

    static Stream<Arguments> all() throws Exception {
        return manifest().stream().map(e -> Arguments.of(e.name(), e));
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("withWeights")
    void torchsWeightsLoadStrictlyAndGiveTorchsOutputs(String name, Entry e, DType dtype) throws Exception {
        Map<String, Tensor> state = SafeTensors.loadStateDict(resource("/interop/" + name + ".safetensors"));
        Map<String, Tensor> io = e.io(name + "_io.safetensors");
        String d = dtype == DType.FLOAT32 ? "float32" : "float64";
        double tol = dtype == DType.FLOAT32 ? TOL32 : TOL64;
        Tensor x = io.get("input").to(dtype);

        Sequential model = e.build(99, dtype);
        assertTrue(model.loadStateDict(state, true).isEmpty());
        model.eval();
        assertClose(io.get("eval." + d), forward(model, x), tol, name + " eval " + d);

        if (e.batchNorm()) {
            Sequential training = e.build(99, dtype);
            training.loadStateDict(state, true);
            training.train();
            assertClose(io.get("train." + d), forward(training, x), tol, name + " train " + d);
            for (Map.Entry<String, Tensor> b : stateOf(training).entrySet()) {
                Tensor expected = io.get("after_train." + d + "." + b.getKey());
                if (expected != null) {
                    assertClose(expected, b.getValue(), tol, name + " " + b.getKey() + " after a training-mode pass");
                }
            }
            assertEquals(8, stateOf(training).get("1.num_batches_tracked").getFlat(0), "7 loaded, one pass counted");
        } else {
            assertTrue(io.keySet().stream().noneMatch(k -> k.startsWith("train.")), "no batch norm, one mode");
        }
    }

    /** A Kobai model's exported weights: PyTorch's keys in PyTorch's order, with its shapes and dtypes. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void exportedWeightsHaveTorchsKeysShapesAndDtypes(String name, Entry e) throws Exception {
        Sequential model = e.build(5, DType.FLOAT32);
        Path file = dir.resolve(name + ".safetensors");
        Checkpoint.exportWeights(file, model);
        List<String> exported = new ArrayList<>();
        for (SafeTensors.Entry t : SafeTensors.read(file).entries().values()) {
            exported.add(t.name() + " " + t.dtype() + " " + Arrays.toString(t.shape()).replace(" ", ""));
        }
        assertEquals(e.manifest(), exported);
        assertEquals(e.manifest().stream().map(k -> k.substring(0, k.indexOf(' '))).toList(),
                List.copyOf(model.stateDict().keySet()));
    }

    /**
     * Kobai's own weights (its initialisation, then two SGD steps in training mode, so batch norm's
     * statistics and counts moved) exported as {@code --export-weights} writes them, float32 and
     * float64, with Kobai's outputs on the fixture's input; PyTorch then loads each strictly and
     * must give the same outputs.
     */
    @Test
    void torchLoadsKobaisExportAndGivesKobaisOutputs() throws Exception {
        Path out = Path.of("target", "interop-kobai");
        Files.createDirectories(out);
        for (Entry e : manifest()) {
            if (!e.weights()) {
                continue;
            }
            Sequential model = e.build(7, DType.FLOAT32);
            Tensor x = e.io(e.name() + "_io.safetensors").get("input");
            trainTwoSteps(model, x, e.classes());
            Sequential model64 = e.build(8, DType.FLOAT64);
            model64.loadStateDict(model.stateDict(), true);
            Map<String, Tensor> io = new LinkedHashMap<>();
            io.put("input", x);
            Checkpoint.exportWeights(out.resolve(e.name() + ".safetensors"), model);
            Checkpoint.exportWeights(out.resolve(e.name() + "_f64.safetensors"), model64);
            for (Sequential m : List.of(model, model64)) {
                String d = m == model ? "float32" : "float64";
                Tensor xd = x.to(m == model ? DType.FLOAT32 : DType.FLOAT64);
                m.eval();
                io.put("eval." + d, forward(m, xd));
                if (e.batchNorm()) {
                    m.train();
                    io.put("train." + d, forward(m, xd));
                }
            }
            SafeTensors.saveStateDict(out.resolve(e.name() + "_kobai_io.safetensors"), io, Map.of());
        }
        Path python = Path.of("/usr/bin/python3");
        assumeTrue(Files.isExecutable(python), "python3 is missing");
        Process check = new ProcessBuilder(python.toString(), "-c", "import torch").start();
        assumeTrue(check.waitFor(120, TimeUnit.SECONDS) && check.exitValue() == 0, "torch is not installed");
        Path script = Path.of("..", "tools", "golden_interop.py").toAbsolutePath().normalize();
        Process p = new ProcessBuilder(python.toString(), script.toString(), "--check-kobai", out.toString())
                .redirectErrorStream(true).start();
        String report = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), report);
        assertTrue(report.contains("all match") && report.contains("resnet8_f64.safetensors"), report);
    }

    private static void trainTwoSteps(Sequential model, Tensor x, int classes) {
        Optimizer opt = Optimizers.create("sgd:lr=0.1", model.parameters());
        int[] labels = new int[x.size(0)];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % classes;
        }
        model.train();
        for (int step = 0; step < 2; step++) {
            opt.zeroGrad();
            Losses.crossEntropy(model.forward(x), labels).backward();
            opt.step();
        }
    }

    private static Tensor forward(Module model, Tensor x) {
        try (GradMode.Scope _ = GradMode.noGrad()) {
            return model.forward(x);
        }
    }

    private static Map<String, Tensor> stateOf(Module m) {
        return m.stateDict();
    }

    /** max |actual - expected| <= tol * max(1, max |expected|), shapes equal. */
    static void assertClose(Tensor expected, Tensor actual, double tol, String what) {
        assertEquals(Arrays.toString(expected.shape()), Arrays.toString(actual.shape()), what + ": shape");
        double scale = 1;
        double err = 0;
        for (int i = 0; i < expected.numel(); i++) {
            scale = Math.max(scale, Math.abs(expected.getFlat(i)));
            err = Math.max(err, Math.abs(expected.getFlat(i) - actual.getFlat(i)));
        }
        assertTrue(err <= tol * scale, what + ": max error " + err + " > " + tol + " x " + scale);
    }
}
