package dev.kobai.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kobai.io.SafeTensors;
import dev.kobai.nn.Models;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every example as a user would, with a small budget, and checks what it prints: accuracies
 * above what an untrained model reaches, Newton's minimum, the Hessian-vector product against the
 * one worked out by hand. And the README's library section is the first example, verbatim.
 */
class ExamplesTest {
    @TempDir
    Path dir;

    interface Main {
        void run(String[] args) throws Exception;
    }

    private static String run(Main main, String... args) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            main.run(args);
        } finally {
            System.setOut(old);
        }
        String out = buffer.toString(StandardCharsets.UTF_8);
        old.print(out);
        return out;
    }

    /** Every number after {@code label} in the output, in order. */
    private static List<Double> numbersAfter(String out, String label) {
        List<Double> found = new ArrayList<>();
        Matcher m = Pattern.compile(Pattern.quote(label) + " (-?[0-9.]+(?:e[-+]?[0-9]+)?)").matcher(out);
        while (m.find()) {
            found.add(Double.parseDouble(m.group(1)));
        }
        return found;
    }

    @Test
    void theReadmeShowsTheFirstExampleVerbatim() throws Exception {
        String readme = Files.readString(Path.of("../README.md"));
        String section = readme.substring(readme.indexOf("## Using the library"));
        section = section.substring(0, section.indexOf("\n## ", 1));
        int start = section.indexOf("```java\n") + "```java\n".length();
        String block = section.substring(start, section.indexOf("```\n", start));
        String source = Files.readString(Path.of("src/main/java/dev/kobai/examples/FashionMnistMlp.java"));
        assertEquals(source, block, "README.md's library example must be FashionMnistMlp.java as it is");
    }

    @Test
    void fashionMnistMlpTrainsAndResumesFromItsCheckpoint() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/usr/share/datasets/fashion-mnist")), "needs dataset-fashion-mnist");
        Path checkpoint = dir.resolve("mlp.safetensors");
        String first = run(FashionMnistMlp::main, "1", checkpoint.toString());
        double accuracy = numbersAfter(first, "test accuracy").getFirst();
        assertTrue(accuracy > 0.80, "one epoch of Adam on Fashion-MNIST: " + accuracy);
        assertTrue(Files.exists(checkpoint));
        String second = run(FashionMnistMlp::main, "1", checkpoint.toString());
        assertTrue(second.startsWith("resumed from " + checkpoint), second);
        assertTrue(numbersAfter(second, "test accuracy").getFirst() > 0.82, second);
    }

    @Test
    void twoGroupsWithClippingTrainTheDigits() throws Exception {
        String out = run(TwoGroupsClipped::main, "5");
        assertTrue(out.contains("groups: 2 weights at lr 0.05, 2 biases at lr 0.10"), out);
        assertTrue(numbersAfter(out, "clipping:").getFirst() > 0, out);
        assertTrue(numbersAfter(out, "test accuracy").getFirst() > 0.93, out);
    }

    @Test
    void newtonFindsRosenbrocksMinimumAndHvMatchesTheHandWorkedHessian() throws Exception {
        String out = run(NewtonOnAFunction::main, "50");
        Matcher hv = Pattern.compile("double backward: \\((-?[0-9.]+), (-?[0-9.]+)\\); by hand: \\((-?[0-9.]+), "
                + "(-?[0-9.]+)\\)").matcher(out);
        assertTrue(hv.find(), out);
        assertEquals(Double.parseDouble(hv.group(3)), Double.parseDouble(hv.group(1)), 1e-5);
        assertEquals(Double.parseDouble(hv.group(4)), Double.parseDouble(hv.group(2)), 1e-5);
        Matcher end = Pattern.compile("after (\\d+) steps: x = (-?[0-9.]+), y = (-?[0-9.]+)").matcher(out);
        assertTrue(end.find(), out);
        assertTrue(Integer.parseInt(end.group(1)) < 50, "Newton needs only a few dozen steps: " + out);
        assertEquals(1.0, Double.parseDouble(end.group(2)), 1e-8);
        assertEquals(1.0, Double.parseDouble(end.group(3)), 1e-8);
    }

    @Test
    void kfacTrainsTheConvolutionalNetwork() throws Exception {
        String out = run(KfacConvNet::main, "2");
        List<Double> accuracies = numbersAfter(out, "test accuracy");
        assertEquals(2, accuracies.size(), out);
        assertTrue(accuracies.getLast() > 0.9, out);
    }

    @Test
    void pytorchWeightsLoadTrainAndGoBackOut() throws Exception {
        Path fromPyTorch = Path.of("../kobai-core/src/test/resources/interop/mlp.safetensors");
        Path out = dir.resolve("trained.safetensors");
        String printed = run(PyTorchWeights::main, fromPyTorch.toString(), "3", out.toString());
        assertTrue(printed.startsWith("loaded 4 tensors from " + fromPyTorch), printed);
        List<Double> accuracies = numbersAfter(printed, "test accuracy");
        assertTrue(accuracies.get(0) < 0.5, "PyTorch's initial weights, untrained: " + printed);
        assertTrue(accuracies.get(1) > 0.9, printed);
        Sequential again = Models.mlp(new int[] {64, 32, 10}, "relu", new Rng(9), DType.FLOAT32);
        again.loadStateDict(SafeTensors.loadStateDict(out), true);
    }
}
