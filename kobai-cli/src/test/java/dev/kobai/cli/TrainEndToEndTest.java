package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainEndToEndTest {
    @Test
    void trainOnDigitsWritesTwoEpochsAndASummary(@TempDir Path dir) throws Exception {
        Path metrics = dir.resolve("m.jsonl");
        CliUsageTest.Result r = CliUsageTest.kobai("train", "--data", "digits", "--model", "mlp:64-32-10",
                "--optimizer", "sgd:lr=0.1,momentum=0.9", "--epochs", "2", "--batch-size", "32", "--seed", "3",
                "--metrics", metrics.toString());
        assertEquals(0, r.code(), r.err());

        List<String> printed = r.out().lines().toList();
        assertEquals(2, printed.size(), r.out());
        assertTrue(printed.get(0).startsWith("epoch 1/2  train_loss "), printed.get(0));
        assertTrue(printed.get(1).startsWith("epoch 2/2  train_loss "), printed.get(1));

        List<JsonObject> lines = Files.readAllLines(metrics).stream()
                .map(l -> JsonParser.parseString(l).getAsJsonObject())
                .toList();
        assertEquals(3, lines.size());
        assertEquals(1, lines.get(0).get("epoch").getAsInt());
        assertEquals(2, lines.get(1).get("epoch").getAsInt());
        JsonObject summary = lines.get(2);
        assertTrue(summary.get("summary").getAsBoolean());
        assertEquals("digits", summary.get("data").getAsString());
        assertEquals("mlp:64-32-10", summary.get("model").getAsString());
        assertEquals(3, summary.get("seed").getAsLong());
        assertEquals(2, summary.get("epochs").getAsInt());
        double finalAccuracy = summary.get("final_test_accuracy").getAsDouble();
        assertEquals(lines.get(1).get("test_accuracy").getAsDouble(), finalAccuracy);
        // Two epochs of SGD with momentum lift the 8x8 digits far above chance (0.1).
        assertTrue(finalAccuracy > 0.5, "final accuracy " + finalAccuracy);
    }

    @Test
    void aBadSpecFromTheCoreIsAUsageError() {
        CliUsageTest.Result r = CliUsageTest.kobai("train", "--optimizer", "nosuch:lr=1", "--epochs", "1");
        assertEquals(2, r.code());
        assertTrue(r.err().lines().findFirst().orElse("").contains("nosuch"), r.err());
    }

    @Test
    void aStepSchedulerHalvesTheLearningRateEachEpochInTheMetrics(@TempDir Path dir) throws Exception {
        Path metrics = dir.resolve("m.jsonl");
        CliUsageTest.Result r = CliUsageTest.kobai("train", "--data", "digits", "--model", "mlp:64-32-10",
                "--optimizer", "sgd:lr=0.1", "--scheduler", "steplr:step_size=1,gamma=0.5", "--epochs", "2",
                "--batch-size", "32", "--metrics", metrics.toString());
        assertEquals(0, r.code(), r.err());
        List<JsonObject> lines = Files.readAllLines(metrics).stream()
                .map(l -> JsonParser.parseString(l).getAsJsonObject())
                .toList();
        assertEquals(3, lines.size());
        assertEquals(0.1, lines.get(0).get("lr").getAsDouble());
        assertEquals(0.05, lines.get(1).get("lr").getAsDouble());
        assertEquals("steplr:step_size=1,gamma=0.5", lines.get(2).get("scheduler").getAsString());
        assertTrue(lines.get(2).get("clip_grad_norm").isJsonNull());
    }

    @Test
    void oneCycleWithClippingStartsAtMaxLrOverDivFactor(@TempDir Path dir) throws Exception {
        Path metrics = dir.resolve("m.jsonl");
        CliUsageTest.Result r = CliUsageTest.kobai("train", "--optimizer", "sgd:lr=0.1,momentum=0.9",
                "--scheduler", "onecycle:max_lr=0.5", "--clip-grad-norm", "1.0", "--clip-grad-value", "0.5",
                "--epochs", "1", "--metrics", metrics.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject first = JsonParser.parseString(Files.readAllLines(metrics).getFirst()).getAsJsonObject();
        assertEquals(0.5 / 25, first.get("lr").getAsDouble(), 1e-15);
        assertTrue(first.get("test_accuracy").getAsDouble() > 0.3, first.toString());
    }

    @Test
    void badSchedulerSpecsAndClippingBoundsAreUsageErrors() {
        CliUsageTest.Result unknown = CliUsageTest.kobai("train", "--scheduler", "cosin:T_max=3", "--epochs", "1");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown scheduler 'cosin'; valid: "), unknown.err());
        CliUsageTest.Result missing = CliUsageTest.kobai("train", "--scheduler", "cosine", "--epochs", "1");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("CosineAnnealingLR needs T_max"), missing.err());
        CliUsageTest.Result range = CliUsageTest.kobai("train", "--scheduler", "linear:start_factor=2", "--epochs", "1");
        assertEquals(2, range.code());
        assertTrue(range.err().contains("Starting multiplicative factor expected to be between 0 and 1."), range.err());
        CliUsageTest.Result clip = CliUsageTest.kobai("train", "--clip-grad-norm", "0", "--epochs", "1");
        assertEquals(2, clip.code());
        assertTrue(clip.err().contains("--clip-grad-norm must be a positive number, got 0.0"), clip.err());
    }

    @Test
    void demoEndsWithASentence(@TempDir Path dir) throws Exception {
        CliUsageTest.Result r = CliUsageTest.kobai("demo", "--epochs", "1", "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().strip().endsWith(DemoCommand.SERVE_HINT), r.out());
        for (String file : List.of("index.html", "beale.gif", "long-valley.gif", "saddle.gif", "compare/curves.png",
                "compare/report.md", "compare/metrics.jsonl")) {
            assertTrue(Files.isRegularFile(dir.resolve(file)), file);
        }
        // The page shows the three races side by side: one grid of three columns holding them all.
        String page = Files.readString(dir.resolve("index.html"));
        assertTrue(page.contains(".races { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr));"), page);
        int start = page.indexOf("<div class=\"races\">");
        int end = page.indexOf("</div>", start);
        assertTrue(start >= 0, page);
        for (String race : List.of("beale", "long-valley", "saddle")) {
            int at = page.indexOf("<img src=\"" + race + ".gif\"");
            assertTrue(at > start && at < end, race + " outside the row of races: " + page);
        }
        // Each caption ends with what its race ended with, computed from the paths (issue 13, item 24).
        for (String outcome : List.of("After 250 steps f is (minimum 0.000): ", "After 150 steps f is (minimum 0.000): ",
                "After 150 steps f is (unbounded below): ")) {
            assertTrue(page.contains(outcome), outcome + " missing: " + page);
        }
        assertTrue(page.matches("(?s).*minimum 0\\.000\\): [A-Za-z -]+ \\d.*"), page);
        List<String> lines = r.out().lines().toList();
        // The closing sentence, then the pointer to kobai serve.
        assertTrue(lines.get(lines.size() - 2).startsWith("After 1 epoch the network classifies "), r.out());
        // The table: a header and one row per lecture optimizer, with its settings.
        int header = lines.indexOf(lines.stream().filter(l -> l.startsWith("optimizer")).findFirst().orElseThrow());
        assertTrue(lines.get(header).contains("test acc") && lines.get(header).contains("seconds"), r.out());
        for (String name : List.of("SGD", "Momentum", "Adagrad", "Adadelta", "RMSprop", "Adam")) {
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(name + " ") && l.matches(".*\\d\\.\\d{4}.*")),
                    name + " row missing: " + r.out());
        }
    }
}
