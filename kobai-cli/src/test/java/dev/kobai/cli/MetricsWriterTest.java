package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kobai.train.EpochMetrics;
import dev.kobai.train.TrainSettings;
import java.io.StringWriter;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MetricsWriterTest {
    private static final List<EpochMetrics> EPOCHS = List.of(
            new EpochMetrics(1, 0.9, 0.7, 0.75, 1.5, 0.1),
            new EpochMetrics(2, 0.5, 0.45, 0.875, 1.25, 0.05),
            new EpochMetrics(3, 0.4, 0.5, 0.8125, 1.0, 0.025));

    private static List<JsonObject> lines(String text) {
        return text.lines().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
    }

    @Test
    void writesOneObjectPerEpochThenASummary() throws Exception {
        StringWriter sink = new StringWriter();
        TrainSettings settings = new TrainSettings("digits", "mlp:64-64-10", "sgd:lr=0.1", 3, 64, 7);
        try (MetricsWriter w = new MetricsWriter(sink)) {
            EPOCHS.forEach(w::onEpochEnd);
            w.writeSummary(settings, EPOCHS, 4.5);
        }
        List<JsonObject> objects = lines(sink.toString());
        assertEquals(4, objects.size());
        assertTrue(sink.toString().contains("\"optimizer\":\"sgd:lr=0.1\""), "specs are written as typed");
        for (int i = 0; i < 3; i++) {
            JsonObject o = objects.get(i);
            EpochMetrics m = EPOCHS.get(i);
            assertEquals(Set.of("epoch", "train_loss", "test_loss", "test_accuracy", "seconds", "lr"), o.keySet());
            assertEquals(m.lr(), o.get("lr").getAsDouble());
            assertEquals(m.epoch(), o.get("epoch").getAsInt());
            assertEquals(m.trainLoss(), o.get("train_loss").getAsDouble());
            assertEquals(m.testLoss(), o.get("test_loss").getAsDouble());
            assertEquals(m.testAccuracy(), o.get("test_accuracy").getAsDouble());
            assertEquals(m.seconds(), o.get("seconds").getAsDouble());
        }
        JsonObject s = objects.get(3);
        assertTrue(s.get("summary").getAsBoolean());
        assertEquals("digits", s.get("data").getAsString());
        assertEquals("mlp:64-64-10", s.get("model").getAsString());
        assertEquals("sgd:lr=0.1", s.get("optimizer").getAsString());
        assertEquals(7, s.get("seed").getAsLong());
        assertEquals(3, s.get("epochs").getAsInt());
        assertEquals(0.8125, s.get("final_test_accuracy").getAsDouble());
        assertEquals(0.875, s.get("best_test_accuracy").getAsDouble());
        assertEquals(4.5, s.get("total_seconds").getAsDouble());
    }

    @Test
    void eachEpochIsFlushedAsItEnds() {
        StringBuilder flushed = new StringBuilder();
        // A sink that only reveals what was flushed, like a file read by another process.
        StringWriter buffer = new StringWriter() {
            @Override
            public void flush() {
                flushed.setLength(0);
                flushed.append(getBuffer());
            }
        };
        MetricsWriter w = new MetricsWriter(new java.io.BufferedWriter(buffer));
        w.onEpochEnd(EPOCHS.get(0));
        assertEquals(1, lines(flushed.toString()).size());
        w.onEpochEnd(EPOCHS.get(1));
        assertEquals(2, lines(flushed.toString()).size());
    }

    @Test
    void nonFiniteNumbersBecomeNullSoLinesStayValidJson() {
        StringWriter sink = new StringWriter();
        new MetricsWriter(sink).onEpochEnd(new EpochMetrics(1, Double.NaN, Double.POSITIVE_INFINITY, 0.1, 0.5));
        JsonObject o = lines(sink.toString()).getFirst();
        assertTrue(o.get("train_loss").isJsonNull());
        assertTrue(o.get("test_loss").isJsonNull());
        assertEquals(0.1, o.get("test_accuracy").getAsDouble());
    }
}
