package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kobai.train.EpochMetrics;
import java.io.PrintWriter;
import java.io.StringWriter;
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
}
