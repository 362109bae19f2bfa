package dev.kobai.examples;

import dev.kobai.data.Batch;
import dev.kobai.data.DataLoader;
import dev.kobai.data.Datasets;
import dev.kobai.data.TrainTest;
import dev.kobai.io.SafeTensors;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Models;
import dev.kobai.nn.Sequential;
import dev.kobai.optim.Adam;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import dev.kobai.train.Evaluation;
import java.nio.file.Path;
import java.util.Map;

/**
 * Weights made by PyTorch, trained further in Kobai and handed back. In PyTorch:
 * <pre>
 *   model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
 *   # safetensors.torch.save_file(model.state_dict(), "mlp.safetensors"), or tools/golden_interop.py
 * </pre>
 * Kobai's {@code mlp:64-32-10} has the same state dict keys (0.weight, 0.bias, 2.weight, 2.bias),
 * so the file loads strictly; the weights Kobai writes load into the PyTorch model with
 * {@code load_state_dict(strict=True)}. Arguments: [weights file] [epochs, default 5] [output file].
 */
public class PyTorchWeights {
    public static void main(String[] args) throws Exception {
        Path in = Path.of(args.length > 0 ? args[0] : "mlp.safetensors");
        int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path out = Path.of(args.length > 2 ? args[2] : "mlp-trained.safetensors");

        TrainTest data = Datasets.fromSpec("digits");
        Sequential model = Models.mlp(new int[] {64, 32, 10}, "relu", new Rng(0), DType.FLOAT32);
        Map<String, Tensor> fromPyTorch = SafeTensors.loadStateDict(in);
        model.loadStateDict(fromPyTorch, true); // every key, shape and dtype checked before anything changes
        System.out.printf("loaded %d tensors from %s; test accuracy %.4f%n", fromPyTorch.size(), in,
                Evaluation.of(model, data.test()).accuracy());

        Adam adam = Adam.builder().lr(3e-3).build(model.parameters());
        DataLoader loader = new DataLoader(data.train(), 32, new Rng(5));
        for (int epoch = 0; epoch < epochs; epoch++) {
            for (Batch b : loader.nextEpoch()) {
                adam.zeroGrad();
                Losses.crossEntropy(model.forward(b.features()), b.labels()).backward();
                adam.step();
            }
        }
        SafeTensors.saveStateDict(out, model.stateDict(), Map.of("format", "pt"));
        System.out.printf("after %d epochs: test accuracy %.4f; weights written to %s%n", epochs,
                Evaluation.of(model, data.test()).accuracy(), out);
    }
}
