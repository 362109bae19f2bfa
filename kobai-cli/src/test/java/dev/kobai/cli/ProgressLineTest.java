package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.train.EpochMetrics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class ProgressLineTest {
    @Test
    void lineHasTheDocumentedFormat() {
        EpochMetrics m = new EpochMetrics(1, 0.51234, 0.48211, 0.83119, 2.14);
        assertEquals("epoch 1/3  train_loss 0.5123  test_loss 0.4821  test_acc 0.8312  2.1s", Progress.line(m, 3));
    }

    @Test
    void lineUsesADecimalPointInEveryLocale() {
        Locale saved = Locale.getDefault();
        try {
            Locale.setDefault(Locale.GERMANY);
            EpochMetrics m = new EpochMetrics(12, 1.5, 2.25, 0.5, 10.04);
            assertEquals("epoch 12/20  train_loss 1.5000  test_loss 2.2500  test_acc 0.5000  10.0s",
                    Progress.line(m, 20));
        } finally {
            Locale.setDefault(saved);
        }
    }

    @Test
    void plainReporterPrintsOneLinePerEpochAndNothingPerBatch() {
        StringWriter sink = new StringWriter();
        Progress.Lines lines = new Progress.Lines(new PrintWriter(sink), 2);
        lines.onEpochStart(1, 10);
        lines.onBatchEnd(1, 1, 0.9);
        lines.onEpochEnd(new EpochMetrics(1, 0.9, 0.8, 0.7, 1.0));
        lines.onEpochEnd(new EpochMetrics(2, 0.6, 0.5, 0.8, 1.0));
        assertEquals(String.join(System.lineSeparator(),
                        "epoch 1/2  train_loss 0.9000  test_loss 0.8000  test_acc 0.7000  1.0s",
                        "epoch 2/2  train_loss 0.6000  test_loss 0.5000  test_acc 0.8000  1.0s", ""),
                sink.toString());
    }

    @Test
    void lineCountsSkippedStepsWhenSkippingIsOnOrAnEpochSkipped() {
        EpochMetrics none = new EpochMetrics(1, 0.5, 0.5, 0.5, 1.0, 0.1, 0);
        EpochMetrics three = new EpochMetrics(2, 0.5, 0.5, 0.5, 1.0, 0.1, 3);
        assertEquals("epoch 1/2  train_loss 0.5000  test_loss 0.5000  test_acc 0.5000  skipped 0  1.0s",
                Progress.line(none, 2, true));
        assertEquals("epoch 2/2  train_loss 0.5000  test_loss 0.5000  test_acc 0.5000  skipped 3  1.0s",
                Progress.line(three, 2, true));
        assertEquals("epoch 1/2  train_loss 0.5000  test_loss 0.5000  test_acc 0.5000  1.0s", Progress.line(none, 2));
        assertEquals(Progress.line(three, 2, true), Progress.line(three, 2));
    }

    @Test
    void theBarGivesWayBeforeTheLossAtEveryWidth() {
        // At 80 columns there is room for everything, at 26 only the epoch, percentage and loss.
        String wide = Progress.barLine("epoch 1/3", 118, 281, Duration.ofSeconds(5), "loss 0.5123", 80);
        assertTrue(wide.contains("│") && wide.contains("118/281 batches") && wide.contains("(0:00:05 / 0:00:06)"),
                wide);
        for (int width = 26; width <= 140; width++) {
            String line = Progress.barLine("epoch 1/3", 118, 281, Duration.ofSeconds(5), "loss 0.5123", width);
            assertEquals(width, line.length(), "width " + width + ": '" + line + "'");
            assertTrue(line.startsWith("epoch 1/3  41%") && line.stripTrailing().endsWith("loss 0.5123"),
                    "width " + width + ": '" + line + "'");
        }
        assertEquals("epoch 1/3 loss 0.5123   ",
                Progress.barLine("epoch 1/3", 118, 281, Duration.ofSeconds(5), "loss 0.5123", 24));
        String narrow = Progress.barLine("epoch 1/3", 118, 281, Duration.ofSeconds(5), "loss 0.5123", 60);
        assertTrue(!narrow.contains("│") && narrow.contains("118/281 batches"), narrow);
    }

    @Test
    void theBarFillsInEighthsAndIsFullAtTheEnd() {
        String done = Progress.barLine("e", 10, 10, Duration.ofSeconds(1), "", 60);
        String bar = done.substring(done.indexOf('│') + 1, done.lastIndexOf('│'));
        assertEquals("█".repeat(bar.length()), bar);
        String start = Progress.barLine("e", 0, 10, Duration.ZERO, "", 60);
        assertTrue(start.contains("(0:00:00 / ?)") && start.substring(start.indexOf('│') + 1,
                start.lastIndexOf('│')).isBlank(), start);
    }
}
