package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.data.Datasets;
import dev.kobai.data.TrainTest;
import dev.kobai.nn.Models;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A run that cannot fit the heap is refused before the model is built, with the estimate and the
 * limit; one that fits is not. It used to allocate the model (gigabytes), then fail with an
 * OutOfMemoryError, or train until the activations of a batch ran out of memory.
 */
class MemoryEstimateTest {
    /** The formula of the class comment, worked by hand for a small mlp on the digits. */
    @Test
    void theEstimateIsTheFormula() {
        TrainTest digits = Datasets.digits();
        // an mlp takes rows: kobai train gives it the digits as [64]
        List<String> texts = Models.layerTexts("mlp:64-32-10", new int[] {64}, 10);
        assertEquals(List.of("linear(64,32)", "relu", "linear(32,10)"), texts);
        ModelShapes shapes = ModelShapes.of(texts, new int[] {64});
        long p = 64 * 32 + 32 + 32 * 10 + 10;
        assertEquals(p, shapes.parameters());
        assertEquals(p, ModelShapes.parameterCount(texts));
        assertArrayEquals(new int[] {10}, shapes.outputShape());
        MemoryEstimate e = MemoryEstimate.of(shapes, "adam:amsgrad=true", 32, digits);
        assertEquals(4 * p, e.modelBytes());
        assertEquals(4 * p, e.gradientBytes());
        assertEquals(4 * 3 * p, e.optimizerBytes());
        long perSample = 64 + 32 + 32 + 10; // input, linear, relu, linear
        long widest = 64 + 32; // the first linear's input and output
        assertEquals(Math.max(10L * 32 * perSample, 5L * digits.test().size() * widest), e.activationBytes());
        assertEquals(0, e.scratchBytes());
        assertEquals(4 * 203L * p, MemoryEstimate.optimizerBytes("lbfgs", shapes, 32, 10));
        assertEquals(0, MemoryEstimate.optimizerBytes("sgd:lr=0.1", shapes, 32, 10));
        assertEquals(4 * p, MemoryEstimate.optimizerBytes("sgd:lr=0.1,momentum=0.9", shapes, 32, 10));
        assertEquals(8 * 3 * p * p, MemoryEstimate.optimizerBytes("newton", shapes, 32, 10));
        long kfac = 8 * (4 * (65 * 65 + 32 * 32) + 32 * (65 + 32) + 4 * (33 * 33 + 10 * 10) + 32 * (33 + 10));
        assertEquals(kfac, MemoryEstimate.optimizerBytes("kfac", shapes, 32, 10));
    }

    /** Linear and Conv2d are counted from their arguments, unbuilt; the count is the built layer's. */
    @Test
    void largeLayersAreCountedWithoutBuildingThem() {
        for (String text : List.of("linear(64,10)", "fc(in_features=7,out_features=3,bias=false)", "conv2d(3,8,3)",
                "conv2d(4,8,(3,5),groups=2,bias=False)", "conv(in_channels=1,out_channels=6,kernel_size=5,padding=2)")) {
            assertEquals(Models.layer(text).parameterCount(), Models.parameterCount(text), text);
        }
        assertEquals(-1, Models.parameterCount("relu"));
        assertEquals(100_000L * 100_000 + 100_000, Models.parameterCount("linear(100000,100000)"));
    }

    /** A child JVM with a 64 MB heap: what does not fit is refused with the estimate and the limit, exit 2. */
    @Test
    void whatDoesNotFitASmallHeapIsRefusedWithTheEstimateAndTheLimit() throws Exception {
        String params = run("--model", "mlp:64-4096-4096-10");
        assertTrue(params.startsWith("Exit 2: model mlp:64-4096-4096-10 with sgd:lr=0.1 on digits has 17,088,522"
                + " parameters, which with their gradients need at least 0.14 GB, more than the 0.0"), params);
        assertTrue(params.contains("Runtime.maxMemory() 0.06 GB less 0.00 GB of data"), params);
        String activations = run("--model", "conv2d(1,2048,3,padding=1),relu,flatten,linear(131072,10)",
                "--batch-size", "2000");
        assertTrue(activations.startsWith("Exit 2: model conv2d(1,2048,3,padding=1),relu,flatten,linear(131072,10)"
                + " with sgd:lr=0.1 on digits, batch 2000 needs an estimated 5.66 GB of memory (model 0.01 GB,"
                + " gradients 0.01 GB, optimizer state 0.00 GB, activations 5.65 GB for batches of 1437)"), activations);
        assertEquals("Exit 0", run("--model", "mlp:64-64-10"));
    }

    /** Trains one epoch in a child JVM with -Xmx64m; "Exit CODE" and, on a failure, the message. */
    private static String run(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx64m", "-XX:+UseSerialGC", "--add-modules", "jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), Child.class.getName(), "--epochs", "1"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        return ("Exit " + p.exitValue() + (p.exitValue() == 0 ? "" : ": " + out.lines()
                .filter(l -> !l.startsWith("WARNING")).findFirst().orElse(""))).strip();
    }

    /** kobai train's core, without the CLI: settings from the arguments, the run, the exit code. */
    static final class Child {
        public static void main(String[] args) {
            String model = "mlp:64-64-10";
            int epochs = 1;
            int batch = 64;
            for (int i = 0; i < args.length; i += 2) {
                switch (args[i]) {
                    case "--model" -> model = args[i + 1];
                    case "--epochs" -> epochs = Integer.parseInt(args[i + 1]);
                    case "--batch-size" -> batch = Integer.parseInt(args[i + 1]);
                    default -> throw new IllegalArgumentException(args[i]);
                }
            }
            try {
                Training.run(new TrainSettings("digits", model, "sgd:lr=0.1", epochs, batch, 1), new TrainingListener() {});
            } catch (UsageException e) {
                System.out.println(e.getMessage());
                System.exit(2);
            }
        }
    }
}
