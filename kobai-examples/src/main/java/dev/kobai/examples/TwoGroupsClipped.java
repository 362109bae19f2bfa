package dev.kobai.examples;

import dev.kobai.data.Batch;
import dev.kobai.data.DataLoader;
import dev.kobai.data.Datasets;
import dev.kobai.data.TrainTest;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Models;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.optim.Clip;
import dev.kobai.optim.SGD;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.train.Evaluation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A training loop of one's own with two parameter groups, as torch.optim takes them: the weights
 * with weight decay, the biases without and at a larger learning rate; every gradient clipped to a
 * total norm of 1 before the step. Argument: [epochs, default 10].
 */
public class TwoGroupsClipped {
    public static void main(String[] args) {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        TrainTest data = Datasets.fromSpec("digits");
        Sequential model = Models.mlp(new int[] {64, 64, 10}, "tanh", new Rng(7), DType.FLOAT32);

        List<Parameter> weights = new ArrayList<>();
        List<Parameter> biases = new ArrayList<>();
        for (Map.Entry<String, Parameter> p : model.namedParameters().entrySet()) {
            (p.getKey().endsWith(".bias") ? biases : weights).add(p.getValue());
        }
        SGD sgd = SGD.builder().lr(0.05).momentum(0.9).nesterov(true).weightDecay(1e-3)
                .group(weights)
                .group(biases, g -> g.lr(0.1).weightDecay(0))
                .build();

        DataLoader loader = new DataLoader(data.train(), 32, new Rng(8));
        double largestNorm = 0;
        for (int epoch = 1; epoch <= epochs; epoch++) {
            for (Batch b : loader.nextEpoch()) {
                sgd.zeroGrad();
                Losses.crossEntropy(model.forward(b.features()), b.labels()).backward();
                largestNorm = Math.max(largestNorm, Clip.gradNorm(model.parameters(), 1.0)); // the norm before clipping
                sgd.step();
            }
        }
        Evaluation test = Evaluation.of(model, data.test());
        System.out.printf("groups: %d weights at lr %.2f, %d biases at lr %.2f%n", weights.size(),
                sgd.paramGroups().get(0).getDouble("lr"), biases.size(), sgd.paramGroups().get(1).getDouble("lr"));
        System.out.printf("largest gradient norm before clipping: %.3f%n", largestNorm);
        System.out.printf("test accuracy %.4f, loss %.4f%n", test.accuracy(), test.loss());
    }
}
