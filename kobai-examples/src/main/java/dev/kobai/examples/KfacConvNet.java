package dev.kobai.examples;

import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.LossKind;
import dev.kobai.data.Batch;
import dev.kobai.data.DataLoader;
import dev.kobai.data.Dataset;
import dev.kobai.data.Datasets;
import dev.kobai.data.TrainTest;
import dev.kobai.nn.Models;
import dev.kobai.nn.Sequential;
import dev.kobai.optim.KFAC;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.train.Evaluation;

/**
 * K-FAC, the Kronecker-factored natural gradient, on a small convolutional network: the 8x8 digits
 * seen as one-channel images, two convolutions with batch norm, a linear classifier. K-FAC needs
 * the model's loss as a {@link CurvatureProblem} (the Fisher of its softmax outputs), given one
 * minibatch at a time. Argument: [epochs, default 3].
 */
public class KfacConvNet {
    public static void main(String[] args) {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        TrainTest digits = Datasets.fromSpec("digits");
        Dataset train = digits.train().withSampleShape(1, 8, 8);
        Dataset test = digits.test().withSampleShape(1, 8, 8);
        Sequential model = Models.fromSpec("conv2d(1,16,3,padding=1),batchnorm2d(16),relu,"
                + "conv2d(16,32,3,padding=1,stride=2),batchnorm2d(32),relu,flatten,linear(512,10)",
                new Rng(3), DType.FLOAT32);

        DataLoader loader = new DataLoader(train, 64, new Rng(4));
        CurvatureProblem problem = null;
        KFAC kfac = null;
        for (int epoch = 1; epoch <= epochs; epoch++) {
            double lossSum = 0;
            int batches = 0;
            for (Batch b : loader.nextEpoch()) {
                if (problem == null) {
                    problem = CurvatureProblem.of(model, LossKind.CROSS_ENTROPY, b.features(), b.labels());
                    kfac = KFAC.builder().lr(0.02).momentum(0.9).damping(1e-2).build(problem);
                } else {
                    problem.setBatch(b.features(), b.labels());
                }
                lossSum += kfac.step(null);
                batches++;
            }
            Evaluation e = Evaluation.of(model, test);
            System.out.printf("epoch %d: training loss %.4f, test accuracy %.4f%n", epoch, lossSum / batches,
                    e.accuracy());
        }
    }
}
