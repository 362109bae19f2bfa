package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.data.Batch;
import dev.kobai.data.DataLoader;
import dev.kobai.data.Dataset;
import dev.kobai.data.Datasets;
import dev.kobai.data.TrainTest;
import dev.kobai.nn.LayerSpec;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Models;
import dev.kobai.nn.Sequential;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.Optimizers;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Evaluation.of: the README's library call, against a count made by hand and against the trainer's. */
class EvaluationTest {
    @Test
    void accuracyAndLossOfAModelTrainedByHand() {
        TrainTest data = Datasets.fromSpec("digits");
        Sequential model = Models.mlp(new int[] {64, 32, 10}, "relu", new Rng(1), DType.FLOAT32);
        Evaluation untrained = Evaluation.of(model, data.test());
        Optimizer opt = Optimizers.create("sgd:lr=0.1,momentum=0.9", model.parameters());
        DataLoader loader = new DataLoader(data.train(), 32, new Rng(2));
        for (int epoch = 0; epoch < 3; epoch++) {
            for (Batch b : loader.nextEpoch()) {
                opt.zeroGrad();
                Losses.crossEntropy(model.forward(b.features()), b.labels()).backward();
                opt.step();
            }
        }
        assertTrue(model.isTraining());
        Evaluation e = Evaluation.of(model, data.test());
        assertTrue(model.isTraining(), "the model is back in the mode it was in");
        assertTrue(e.accuracy() > 0.9 && e.accuracy() > untrained.accuracy() + 0.5, e + " after " + untrained);
        assertTrue(e.loss() < untrained.loss());

        // by hand: one pass over all test samples at once
        Dataset test = data.test();
        Tensor x = Tensor.fromArray(test.features().clone(), test.size(), test.featureCount());
        long correct = 0;
        double loss;
        try (GradMode.Scope _ = GradMode.noGrad()) {
            Tensor logits = model.forward(x);
            loss = Losses.crossEntropy(logits, test.labels()).item();
            int[] predicted = logits.argmaxRows();
            for (int i = 0; i < predicted.length; i++) {
                correct += predicted[i] == test.label(i) ? 1 : 0;
            }
        }
        assertEquals((double) correct / test.size(), e.accuracy());
        assertEquals(loss, e.loss(), 1e-6);
        Trainer trainer = new Trainer(model, opt);
        assertEquals(e, trainer.evaluate(test), "the trainer's evaluation is this one");
    }

    @Test
    void imagesGoToAConvolutionalModelAndEvaluationModeIsKept() {
        TrainTest data = Datasets.fromSpec("digits");
        Dataset images = data.test().withSampleShape(1, 8, 8);
        Sequential cnn = LayerSpec.build("conv2d(1,4,3,padding=1),batchnorm2d(4),relu,flatten,linear(256,10)",
                new Rng(3), DType.FLOAT32);
        cnn.eval();
        Evaluation e = Evaluation.of(cnn, images);
        assertFalse(cnn.isTraining());
        assertTrue(e.accuracy() >= 0 && e.accuracy() <= 1 && Double.isFinite(e.loss()), e.toString());
        Evaluation none = Evaluation.of(cnn, images.subset(new int[0], "none"));
        assertTrue(Double.isNaN(none.loss()) && Double.isNaN(none.accuracy()));
    }
}
