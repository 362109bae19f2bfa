package dev.kobai.examples;

import dev.kobai.data.Batch;
import dev.kobai.data.DataLoader;
import dev.kobai.data.Datasets;
import dev.kobai.data.TrainTest;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Models;
import dev.kobai.nn.Sequential;
import dev.kobai.optim.Adam;
import dev.kobai.optim.scheduler.StepLR;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.train.Checkpoint;
import dev.kobai.train.Evaluation;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An MLP on Fashion-MNIST with Adam, a learning-rate schedule and a checkpoint after every epoch;
 * run it again and it goes on from the checkpoint. Arguments: [epochs, default 3] [checkpoint file].
 */
public class FashionMnistMlp {
    public static void main(String[] args) {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        Path checkpoint = Path.of(args.length > 1 ? args[1] : "fashion-mnist-mlp.safetensors");

        TrainTest data = Datasets.fromSpec("fashion-mnist"); // Debian's dataset-fashion-mnist
        Sequential model = Models.mlp(new int[] {784, 256, 10}, "relu", new Rng(1), DType.FLOAT32);
        Adam adam = Adam.builder().lr(1e-3).weightDecay(1e-4).build(model.parameters());
        StepLR schedule = StepLR.builder().stepSize(2).gamma(0.5).build(adam);
        if (Files.exists(checkpoint)) {
            Checkpoint.loadState(checkpoint, model, adam, schedule);
            System.out.println("resumed from " + checkpoint);
        }
        DataLoader loader = new DataLoader(data.train(), 128, new Rng(2));
        for (int epoch = 1; epoch <= epochs; epoch++) {
            for (Batch b : loader.nextEpoch()) {
                adam.zeroGrad();
                Losses.crossEntropy(model.forward(b.features()), b.labels()).backward();
                adam.step();
            }
            schedule.step();
            Checkpoint.saveState(checkpoint, model, adam, schedule);
            Evaluation test = Evaluation.of(model, data.test());
            System.out.printf("epoch %d: test accuracy %.4f, loss %.4f%n", epoch, test.accuracy(), test.loss());
        }
    }
}
