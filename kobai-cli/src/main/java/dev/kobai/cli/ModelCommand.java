package dev.kobai.cli;

import dev.kobai.UsageException;
import dev.kobai.nn.LayerSpec;
import dev.kobai.nn.ModelSummary;
import dev.kobai.nn.Models;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kobai model}: a model's layers with each output shape and parameter count, and the total,
 * for one input of the given shape, as torchinfo's summary prints them; a preset is also shown
 * written out as the layer list it stands for.
 */
@Command(
        name = "model",
        mixinStandardHelpOptions = true,
        versionProvider = Kobai.Version.class,
        description = "Print a model's layers, their output shapes and parameter counts.",
        footer = {
            "",
            "SPEC: mlp:IN-HIDDEN...-OUT[:ACTIVATION], a preset (cnn, lenet5, resnet8,",
            "  resnet20), or layers as torch.nn calls separated by commas:",
            "  conv2d(1,32,3,padding=1),batchnorm2d(32),relu,maxpool2d(2),flatten,",
            "  linear(6272,10)   (docs/models.md lists every layer)",
            "Example:",
            "  kobai model cnn --input 1x28x28"
        })
public final class ModelCommand implements Callable<Integer>, Kobai.Verbosity {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SPEC", description = "The model, as for kobai train --model.")
    String model;

    @Option(names = "--input", paramLabel = "CxHxW", defaultValue = "1x28x28",
            description = "The shape of one input sample, e.g. 1x28x28 or 784 (default: ${DEFAULT-VALUE}).")
    String input;

    @Option(names = "--classes", paramLabel = "K", defaultValue = "10",
            description = "Classes, for the last layer of a preset (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    @Override
    public boolean verbose() {
        return verbose;
    }

    @Override
    public Integer call() {
        int[] shape = parseShape(input);
        if (classes < 1) {
            throw new UsageException("--classes must be at least 1, got " + classes);
        }
        if (!Models.isPreset(model) && !LayerSpec.isLayerList(model)) {
            // an mlp takes rows, as kobai train gives them: one sample flattened
            shape = new int[] {java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)};
        }
        Sequential m = Models.fromSpec(model, shape, classes, new Rng(1), DType.FLOAT32);
        ModelSummary summary = ModelSummary.of(m, shape);
        var out = spec.commandLine().getOut();
        if (Models.isPreset(model)) {
            out.println(model.strip() + " = " + Models.expand(model, shape, classes));
            out.println();
        }
        out.print(summary.table());
        out.flush();
        return 0;
    }

    /** "1x28x28" or "784" as a shape; a UsageException names what is wrong. */
    static int[] parseShape(String text) {
        String[] parts = text.strip().split("x", -1);
        int[] shape = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                shape[i] = Integer.parseInt(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new UsageException("--input " + text + ": '" + parts[i] + "' is not a whole number; write a shape as "
                        + "CxHxW (1x28x28) or a feature count (784)");
            }
            if (shape[i] < 1 || shape[i] > 100_000) {
                throw new UsageException("--input " + text + ": each size must be between 1 and 100000, got " + shape[i]);
            }
        }
        if ((long) shape.length > 3) {
            throw new UsageException("--input " + text + ": at most three sizes (CxHxW)");
        }
        long n = 1;
        for (int s : shape) {
            n *= s;
        }
        if (n > 50_000_000) {
            throw new UsageException("--input " + text + ": one sample of " + n + " numbers is too large");
        }
        return shape;
    }
}
