package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingTest {
    private static List<EpochMetrics> train(String optimizer, long seed, int epochs) {
        return Training.run(new TrainSettings("digits", "mlp:64-64-10", optimizer, epochs, 32, seed),
                new TrainingListener() {});
    }

    @Test
    void sgdWithMomentumLearnsTheDigits() {
        List<EpochMetrics> m = train("sgd:lr=0.05,momentum=0.9", 1, 8);
        assertEquals(8, m.size());
        assertTrue(m.get(7).testAccuracy() > 0.93, "test accuracy " + m.get(7).testAccuracy());
        assertTrue(m.get(7).trainLoss() < m.get(0).trainLoss() / 3, "loss should fall: " + m);
    }

    @Test
    void oneSeedGivesOneRunAndAnotherSeedAnother() {
        List<EpochMetrics> a = train("sgd:lr=0.1", 7, 2);
        List<EpochMetrics> b = train("sgd:lr=0.1", 7, 2);
        List<EpochMetrics> c = train("sgd:lr=0.1", 8, 2);
        for (int i = 0; i < 2; i++) {
            assertEquals(a.get(i).trainLoss(), b.get(i).trainLoss(), 0.0);
            assertEquals(a.get(i).testLoss(), b.get(i).testLoss(), 0.0);
        }
        assertNotEquals(a.get(1).trainLoss(), c.get(1).trainLoss());
    }

    @Test
    void mismatchedModelIsAUsageErrorNamingTheSizes() {
        UsageException e = assertThrows(UsageException.class,
                () -> Training.run(new TrainSettings("digits", "mlp:784-10", "sgd:lr=0.1", 1, 32, 1), new TrainingListener() {}));
        assertTrue(e.getMessage().contains("784") && e.getMessage().contains("64"), e.getMessage());
    }

    @Test
    void outputsOnOneFileOrOnTheDataAreRefusedBeforeTraining(@TempDir Path dir) throws Exception {
        TrainSettings settings = new TrainSettings("digits", "mlp:64-8-10", "sgd:lr=0.1", 1, 32, 1);
        Path f = dir.resolve("f");
        Files.createDirectory(dir.resolve("sub"));
        String same = assertThrows(UsageException.class, () -> Training.run(settings, new TrainingListener() {},
                new Training.Checkpointing(f, "epoch", null), dir.resolve("sub/../f"))).getMessage();
        assertEquals("--checkpoint and --export-weights name the same file, " + dir.toRealPath().resolve("f")
                + "; give each its own", same);
        assertFalse(Files.exists(f));

        Path csv = Files.writeString(dir.resolve("d.csv"), "a,label\n0,0\n1,1\n0,0\n1,1\n0,0\n");
        TrainSettings fromCsv = new TrainSettings("csv:" + csv, "mlp:1-2", "sgd:lr=0.1", 1, 2, 1);
        String input = assertThrows(UsageException.class, () -> Training.run(fromCsv, new TrainingListener() {},
                null, csv)).getMessage();
        assertEquals("--export-weights names " + csv.toRealPath() + ", which the command reads (--data); write it"
                + " elsewhere", input);
        assertTrue(Files.readString(csv).startsWith("a,label\n"));
    }

    @Test
    void badOptimizerSpecsAreUsageErrors() {
        String unknown = assertThrows(UsageException.class, () -> train("adamm:lr=0.1", 1, 1)).getMessage();
        assertTrue(unknown.contains("adamm") && unknown.contains("sgd"), unknown);
        String key = assertThrows(UsageException.class, () -> train("sgd:lr=0.1,momentun=0.9", 1, 1)).getMessage();
        assertTrue(key.contains("momentun") && key.contains("momentum"), key);
        String value = assertThrows(UsageException.class, () -> train("sgd:lr=fast", 1, 1)).getMessage();
        assertTrue(value.contains("fast") && value.contains("lr"), value);
        String negative = assertThrows(UsageException.class, () -> train("sgd:lr=-1", 1, 1)).getMessage();
        assertEquals("Invalid learning rate: -1.0", negative);
        String required = assertThrows(UsageException.class, () -> train("sgd", 1, 1)).getMessage();
        assertTrue(required.contains("needs lr"), required);
    }

    @Test
    void secondOrderMethodsTrainThroughTheSameLoop() {
        // K-FAC gets the model's predictive distribution from the loop; L-BFGS re-evaluates the closure.
        List<EpochMetrics> kfac = Training.run(new TrainSettings("digits", "mlp:64-16-10", "kfac", 2, 128, 1),
                new TrainingListener() {});
        assertTrue(kfac.get(1).testAccuracy() > 0.9, "kfac: " + kfac);
        List<EpochMetrics> lbfgs = Training.run(new TrainSettings("digits", "mlp:64-10",
                "lbfgs:line_search_fn=strong_wolfe,max_iter=5", 2, 256, 1), new TrainingListener() {});
        assertTrue(lbfgs.get(1).testAccuracy() > 0.9, "lbfgs: " + lbfgs);
    }

    /** A batch size past the training set is one batch per epoch; Integer.MAX_VALUE used to train nothing and succeed. */
    @Test
    void aHugeBatchSizeTrainsOneBatchPerEpoch() {
        for (int b : new int[] {1_437, 100_000, Integer.MAX_VALUE}) {
            List<Integer> steps = new java.util.ArrayList<>();
            List<EpochMetrics> m = Training.run(new TrainSettings("digits", "mlp:64-10", "sgd:lr=0.1", 2, b, 1),
                    new TrainingListener() {
                        @Override
                        public void onBatchEnd(int epoch, int batch, double loss) {
                            steps.add(batch);
                        }
                    });
            assertEquals(List.of(1, 1), steps, "batch size " + b);
            assertTrue(Double.isFinite(m.getLast().trainLoss()), "batch size " + b);
            assertTrue(m.getLast().trainLoss() < m.getFirst().trainLoss(), "batch size " + b);
        }
    }

    @Test
    void aSchedulerRunOfMoreStepsThanAnIntHoldsIsRefusedBeforeTraining() {
        UsageException e = assertThrows(UsageException.class, () -> Training.run(new TrainSettings("digits", "mlp:64-10",
                "sgd:lr=0.1", 2_000_000, 1, 1, "onecycle:max_lr=0.1", null, null), new TrainingListener() {}));
        assertEquals("2000000 epochs of 1437 batches make 2874000000 steps, more than a scheduler counts (2147483647)",
                e.getMessage());
    }

    /** Training or testing on no samples is refused; evaluating none measures nothing (NaN, not 0). */
    @Test
    void emptyTrainingOrTestSetsAreRefused() {
        dev.kobai.data.TrainTest digits = dev.kobai.data.Datasets.digits();
        dev.kobai.data.Dataset none = digits.test().subset(new int[0], "digits/none");
        Training.Setup setup = Training.build(new TrainSettings("digits", "mlp:64-10", "sgd:lr=0.1", 1, 32, 1), digits);
        Trainer trainer = new Trainer(setup.model(), setup.optimizer());
        UsageException test = assertThrows(UsageException.class,
                () -> trainer.fit(setup.loader(), none, 1, new TrainingListener() {}));
        assertEquals("data: the test set digits/none holds no samples; a test loss and accuracy would be measured on"
                + " nothing", test.getMessage());
        UsageException train = assertThrows(UsageException.class, () -> trainer.fit(
                new dev.kobai.data.DataLoader(none, 32, new dev.kobai.tensor.Rng(1)), digits.test(), 1,
                new TrainingListener() {}));
        assertTrue(train.getMessage().contains("the training set digits/none holds no samples"), train.getMessage());
        Evaluation e = trainer.evaluate(none);
        assertTrue(Double.isNaN(e.loss()) && Double.isNaN(e.accuracy()), e.toString());
    }
}
