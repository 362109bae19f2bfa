package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareCommandTest {
    @Test
    void writesChartMetricsAndReportForEachOptimizer(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("cmp");
        CliUsageTest.Result r = CliUsageTest.kobai("compare", "--data", "digits", "--model", "mlp:64-32-10",
                "--optimizer", "SGD=sgd:lr=0.1", "--optimizer", "adam:lr=0.003", "--epochs", "1", "--seed", "3",
                "--batch-size", "32", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        BufferedImage chart = ImageIO.read(out.resolve("curves.png").toFile());
        assertNotNull(chart);
        assertEquals(1280, chart.getWidth());

        List<JsonObject> lines = Files.readAllLines(out.resolve("metrics.jsonl")).stream()
                .map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
        assertEquals(4, lines.size(), "one epoch and one summary per optimizer");
        assertEquals("SGD", lines.get(0).get("optimizer").getAsString());
        assertEquals("sgd:lr=0.1", lines.get(0).get("spec").getAsString());
        assertEquals(1, lines.get(0).get("epoch").getAsInt());
        assertTrue(lines.get(1).get("summary").getAsBoolean());
        assertEquals("adam", lines.get(2).get("optimizer").getAsString());
        assertTrue(lines.get(3).get("final_test_accuracy").getAsDouble() > 0.5, lines.get(3).toString());

        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("| optimizer | settings | final test accuracy | best test accuracy |"
                + " final training loss | seconds | steps to loss 0.5 |"), report);
        assertTrue(report.contains("| SGD | `sgd:lr=0.1` | "), report);
        assertTrue(report.contains("| adam | `adam:lr=0.003` | "), report);
    }

    @Test
    void everyOptimizerStartsFromTheSameWeightsAndBatches(@TempDir Path dir) throws Exception {
        // Two runs of one optimizer under different labels must record identical step losses.
        CompareCommand.Result result = CompareCommand.run("digits", "mlp:64-16-10", List.of(
                new RacePresets.Entry("a", "sgd:lr=0.05"), new RacePresets.Entry("b", "sgd:lr=0.05")), 1, 64, 7, 0.5,
                dir, new java.io.PrintWriter(java.io.Writer.nullWriter()));
        assertArrayEquals(result.runs().get(0).stepLosses(), result.runs().get(1).stepLosses());
    }

    @Test
    void everyOptimizerWarmsUpUntimedAndTheTimedRunsAreUnchanged(@TempDir Path dir) throws Exception {
        // The seconds column charged the JIT's warm-up to the first optimizer; now each takes untimed
        // steps first, which must not change what the timed runs compute.
        List<RacePresets.Entry> entries = List.of(new RacePresets.Entry("sgd", "sgd:lr=0.05"),
                new RacePresets.Entry("adam", "adam"));
        dev.kobai.train.TrainSettings settings = new dev.kobai.train.TrainSettings("digits", "mlp:64-16-10",
                "adam", 1, 16, 7);
        dev.kobai.data.TrainTest set = dev.kobai.train.Training.load(settings);
        int[] warm = CompareCommand.warmUp(set, "digits", "mlp:64-16-10", entries, 16, 7);
        int perEpoch = dev.kobai.data.DataLoader.batchesPerEpoch(set.train().size(), 16);
        assertTrue(perEpoch > CompareCommand.WARM_UP_STEPS, "digits has more batches of 16 than the warm-up takes");
        assertArrayEquals(new int[] {CompareCommand.WARM_UP_STEPS, CompareCommand.WARM_UP_STEPS}, warm);

        dev.kobai.train.Training.Setup plain = dev.kobai.train.Training.build(settings, set);
        double[] losses = new double[perEpoch];
        new dev.kobai.train.Trainer(plain.model(), plain.optimizer()).fit(plain.loader(), set.test(), 1,
                new dev.kobai.train.TrainingListener() {
                    @Override
                    public void onBatchEnd(int epoch, int batch, double loss) {
                        losses[batch - 1] = loss;
                    }
                });
        CompareCommand.Result result = CompareCommand.run("digits", "mlp:64-16-10", entries, 1, 16, 7, 0.5, dir,
                new java.io.PrintWriter(java.io.Writer.nullWriter()));
        assertArrayEquals(losses, result.runs().get(1).stepLosses());
        assertTrue(Files.readString(dir.resolve("report.md")).contains(CompareCommand.WARM_UP_STEPS
                + " untimed steps to warm up"));
    }

    /** compare takes every model train takes: a preset and a layer list of convolutions on 8x8 digits. */
    @Test
    void comparesConvolutionalModels(@TempDir Path dir) throws Exception {
        for (String model : List.of("cnn", "conv2d(1,4,3,padding=1),relu,maxpool2d(2),flatten,linear(64,10)")) {
            CompareCommand.Result result = CompareCommand.run("digits", model, List.of(
                    new RacePresets.Entry("sgd", "sgd:lr=0.05,momentum=0.9"), new RacePresets.Entry("adam", "adam")),
                    1, 64, 5, 0.5, dir.resolve(model.length() > 3 ? "list" : model),
                    new java.io.PrintWriter(java.io.Writer.nullWriter()));
            for (CompareCommand.Run run : result.runs()) {
                double[] losses = run.stepLosses();
                assertTrue(losses[losses.length - 1] < losses[0], model + " " + run);
            }
        }
        CliUsageTest.Result r = CliUsageTest.kobai("compare", "--data", "digits", "--model", "cnn", "--optimizer",
                "adam", "--epochs", "1", "--out", dir.resolve("cli").toString());
        assertEquals(0, r.code(), r.err());
        CliUsageTest.Result bad = CliUsageTest.kobai("compare", "--model", "conv2d(1,4,3,paddin=1)", "--optimizer",
                "adam", "--out", dir.resolve("bad").toString());
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().startsWith("kobai compare: --model: "), bad.err());
    }

    @Test
    void stepsToTargetUsesTheRunningMean() {
        double[] losses = {3, 2, 1, 0.4, 0.4, 0.4};
        assertEquals(5, CompareCommand.stepsToTarget(losses, 2, 0.5));
        assertEquals(-1, CompareCommand.stepsToTarget(losses, 6, 0.5));
        assertArrayEquals(new double[] {3, 2.5, 1.5}, java.util.Arrays.copyOf(CompareCommand.runningMean(losses, 2), 3));
    }

    @Test
    void badInputIsAUsageError(@TempDir Path dir) {
        CliUsageTest.Result r = CliUsageTest.kobai("compare", "--optimizer", "sgd:lr=0.1", "--epochs", "0", "--out",
                dir.toString());
        assertEquals(2, r.code());
        CliUsageTest.Result bad = CliUsageTest.kobai("compare", "--optimizer", "adamm", "--out", dir.toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().startsWith("kobai compare: --optimizer 'adamm': "), bad.err());
        CliUsageTest.Result model = CliUsageTest.kobai("compare", "--optimizer", "adam", "--model", "mlp:10-10",
                "--out", dir.toString());
        assertEquals(2, model.code(), model.err());
    }

    /** Each step's loss is kept: a run of more steps than that can hold is refused before training, not overflowed. */
    @Test
    void moreStepsThanCompareRecordsAreAUsageErrorBeforeTraining(@TempDir Path dir) {
        CliUsageTest.Result r = CliUsageTest.kobai("compare", "--optimizer", "sgd:lr=0.1", "--epochs", "2000000",
                "--batch-size", "1", "--out", dir.resolve("c").toString());
        assertEquals(2, r.code(), r.err());
        assertEquals("kobai compare: --epochs 2000000 of 1437 batches make 2874000000 steps; compare records the loss"
                + " of each step and takes at most 10000000", r.err().strip());
        assertTrue(r.out().isEmpty(), r.out());
    }

    /** Every optimizer's run is checked against the heap before the first trains (Newton's matrix here). */
    @Test
    void aRunThatCannotFitTheHeapIsRefusedBeforeAnyTrains(@TempDir Path dir) {
        CliUsageTest.Result r = CliUsageTest.kobai("compare", "--model", "mlp:64-2000-10", "--optimizer", "sgd:lr=0.1",
                "--optimizer", "newton:max_params=100000000", "--epochs", "1", "--out", dir.resolve("c").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("kobai compare: model mlp:64-2000-10 with newton:max_params=100000000 on digits,"
                + " batch 64 needs an estimated "), r.err());
        assertTrue(r.err().contains("the heap has left (Runtime.maxMemory() "), r.err());
        assertEquals("", r.out(), "sgd did not train first");
    }
}
