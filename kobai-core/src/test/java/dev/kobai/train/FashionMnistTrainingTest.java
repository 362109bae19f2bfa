package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kobai.data.Datasets;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The foundation's acceptance run: mlp:784-256-10 with plain SGD (lr 0.1, batch 128, seed 1) on
 * Fashion-MNIST for three epochs reaches at least 0.83 test accuracy, as PyTorch 1.13 does
 * (0.834 to 0.841 over four seeds). Needs Debian's dataset-fashion-mnist, which .ci/run installs.
 */
class FashionMnistTrainingTest {
    @Test
    void threeEpochsOfSgdReachThePyTorchAccuracy() {
        assumeTrue(Files.isDirectory(Datasets.FASHION_MNIST_DIR),
                "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
        List<EpochMetrics> m = Training.run(
                new TrainSettings("fashion-mnist", "mlp:784-256-10", "sgd:lr=0.1", 3, 128, 1), new TrainingListener() {});
        assertEquals(3, m.size());
        double accuracy = m.get(2).testAccuracy();
        assertTrue(accuracy >= 0.83, "test accuracy after 3 epochs: " + accuracy);
        assertTrue(m.get(2).trainLoss() < m.get(0).trainLoss());
    }
}
