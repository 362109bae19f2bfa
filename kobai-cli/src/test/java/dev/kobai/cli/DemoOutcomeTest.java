package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kobai.surface.Surface;
import dev.kobai.surface.Trace;
import java.awt.Color;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoOutcomeTest {
    private static RaceRenderer.Runner runner(String label, double x, double y, double f) {
        return new RaceRenderer.Runner(label, "sgd:lr=0.1", Color.BLACK,
                List.of(new Trace.Sample(0, 0, 0, 1), new Trace.Sample(1, 0.5, 0.5, 0.7), new Trace.Sample(2, x, y, f)));
    }

    /** Best first, then the paths that left the plot (with the step), then the diverged ones. */
    @Test
    void theCaptionSaysWhereEachRunEnded() {
        Surface.Domain domain = new Surface.Domain(-1, 1, -1, 1);
        RaceCommand.Result raced = new RaceCommand.Result(List.of(
                runner("Slow", 0.2, 0.2, 0.25),
                runner("Gone", 3, 0, 9),
                runner("Fast", 0.01, 0, 2e-4),
                runner("Broken", Double.NaN, 0, Double.NaN)), 3, domain);
        assertEquals("After 2 steps f is (minimum 0.000): Fast 2.0e-04, Slow 0.250, Gone left the plot at step 2,"
                + " Broken diverged.", DemoCommand.outcome(raced, 2, 0));
        assertEquals("After 2 steps f is (unbounded below): Fast 2.0e-04, Slow 0.250, Gone left the plot at step 2,"
                + " Broken diverged.", DemoCommand.outcome(raced, 2, Double.NEGATIVE_INFINITY));
    }
}
