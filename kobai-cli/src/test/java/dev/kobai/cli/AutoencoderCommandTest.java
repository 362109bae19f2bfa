package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kobai.UsageException;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AutoencoderCommandTest {
    @Test
    void trainsEachOptimizerAndWritesChartMetricsAndReport(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("ae");
        CliUsageTest.Result r = CliUsageTest.kobai("autoencoder", "--data", "digits", "--model", "autoencoder:64-16-4",
                "--train-size", "400", "--eval-size", "200", "--batch-size", "100", "--max-iters", "12",
                "--target-loss", "0.05", "--optimizer", "SGD=sgd:lr=0.1,momentum=0.9",
                "--optimizer", "KFAC=kfac:fisher=mc,lr=0.3,damping=0.01,kl_clip=0,inv_update_period=5@200",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| SGD | `sgd:lr=0.1,momentum=0.9` | 100 | not reached |"), r.out());
        assertTrue(r.out().contains("| KFAC | `kfac:fisher=mc,lr=0.3,damping=0.01,kl_clip=0,inv_update_period=5` | 200 |"),
                r.out());
        BufferedImage chart = ImageIO.read(out.resolve("curves.png").toFile());
        assertNotNull(chart);
        assertEquals(1280, chart.getWidth());
        List<JsonObject> lines = Files.readAllLines(out.resolve("metrics.jsonl")).stream()
                .map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
        JsonObject firstSummary = lines.stream().filter(l -> l.has("summary")).findFirst().orElseThrow();
        assertEquals("SGD", firstSummary.get("optimizer").getAsString());
        assertEquals(-1, firstSummary.get("iterations_to_target").getAsInt());
        assertEquals(0, lines.getFirst().get("iteration").getAsInt());
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("| optimizer | settings | batch | iterations to 0.05 | seconds to 0.05 |"), report);
        assertTrue(report.contains("![loss against iterations and seconds](curves.png)"), report);
        assertTrue(report.contains("the first row's also include the JVM compiling the code"), report);
    }

    @Test
    void parsesLabelsSpecsAndBatchSizes() {
        AutoencoderCommand.Entry e = AutoencoderCommand.parseEntry("HF=hessian-free:cg_max_iters=50@1000", 500);
        assertEquals(new AutoencoderCommand.Entry("HF", "hessian-free:cg_max_iters=50", 1000), e);
        assertEquals(new AutoencoderCommand.Entry("adam", "adam:lr=0.001", 500),
                AutoencoderCommand.parseEntry("adam:lr=0.001", 500));
        assertThrows(UsageException.class, () -> AutoencoderCommand.parseEntry("adam@x", 500));
        assertThrows(UsageException.class, () -> AutoencoderCommand.parseEntry("adam@0", 500));
    }

    @Test
    void badInputIsAUsageError(@TempDir Path dir) {
        CliUsageTest.Result model = CliUsageTest.kobai("autoencoder", "--data", "digits", "--model", "mlp:64-10",
                "--optimizer", "adam", "--out", dir.toString());
        assertEquals(2, model.code(), model.err());
        CliUsageTest.Result sizes = CliUsageTest.kobai("autoencoder", "--data", "digits", "--model",
                "autoencoder:784-16", "--optimizer", "adam", "--out", dir.toString());
        assertEquals(2, sizes.code(), sizes.err());
        assertTrue(sizes.err().contains("784"), sizes.err());
        CliUsageTest.Result target = CliUsageTest.kobai("autoencoder", "--data", "digits", "--optimizer", "adam",
                "--target-loss", "0", "--out", dir.toString());
        assertEquals(2, target.code(), target.err());
    }

    /** Each run's batch size and optimizer are checked before the first run starts, not when their turn comes. */
    @Test
    void everyRunIsCheckedBeforeTheFirstStarts(@TempDir Path dir) {
        CliUsageTest.Result big = CliUsageTest.kobai("autoencoder", "--data", "digits", "--model", "autoencoder:64-16-4",
                "--train-size", "100", "--batch-size", "50", "--max-iters", "3", "--optimizer", "sgd:lr=0.1", "--optimizer",
                "Adam=adam@500",
                "--out", dir.resolve("a").toString());
        assertEquals(2, big.code(), big.err());
        assertEquals("kobai autoencoder: Adam: batch size 500 is larger than the 100 training images (--train-size)",
                big.err().strip());
        assertEquals("", big.out(), "no run started");
        CliUsageTest.Result option = CliUsageTest.kobai("autoencoder", "--data", "digits", "--model",
                "autoencoder:64-16-4", "--train-size", "100", "--max-iters", "3", "--optimizer", "sgd:lr=0.1",
                "--optimizer", "adam:lrr=1@50", "--out", dir.resolve("b").toString());
        assertEquals(2, option.code(), option.err());
        assertTrue(option.err().startsWith("kobai autoencoder: --optimizer 'adam:lrr=1@50': unknown option 'lrr'"),
                option.err());
        assertEquals("", option.out(), "no run started");
    }

    /** As compare: a run whose estimate exceeds the heap is refused before the first run starts. */
    @Test
    void aRunThatCannotFitTheHeapIsRefusedBeforeAnyTrains(@TempDir Path dir) {
        CliUsageTest.Result r = CliUsageTest.kobai("autoencoder", "--data", "digits", "--model", "autoencoder:64-2000-16",
                "--train-size", "100", "--batch-size", "50", "--max-iters", "3", "--optimizer", "sgd:lr=0.1",
                "--optimizer", "Newton=newton:max_params=100000000", "--out", dir.resolve("a").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("kobai autoencoder: model autoencoder:64-2000-16 with Newton"
                + " (newton:max_params=100000000), batch 50 needs an estimated "), r.err());
        assertEquals("", r.out(), "no run started");
    }
}
