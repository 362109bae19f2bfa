package dev.kobai.cli;

import dev.kobai.train.EpochMetrics;
import dev.kobai.train.TrainingListener;
import java.io.Console;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressState;

/**
 * Progress of a training run on standard output: a live bar per epoch on a terminal, and one plain
 * line per epoch everywhere (the only output when piped, so logs stay greppable).
 */
final class Progress {
    private Progress() {}

    /** A bar and lines when stdout is an interactive terminal, otherwise lines alone. */
    static Reporter choose(PrintWriter out, int totalEpochs) {
        return choose(out, totalEpochs, false);
    }

    /**
     * As above; with {@code countSkipped} (a run with skip-nonfinite on) every epoch's line says how
     * many steps it skipped, zero included, so that what was skipped is seen where the losses are.
     */
    static Reporter choose(PrintWriter out, int totalEpochs, boolean countSkipped) {
        return isInteractiveTerminal() ? new Bar(out, totalEpochs, countSkipped)
                : new Lines(out, totalEpochs, countSkipped);
    }

    static boolean isInteractiveTerminal() {
        // Since JDK 22 System.console() may be non-null when redirected; isTerminal() is the real test.
        Console console = System.console();
        String term = System.getenv("TERM");
        return console != null && console.isTerminal() && !"dumb".equals(term);
    }

    /**
     * One epoch's line, for example
     * {@code epoch 1/3  train_loss 0.5123  test_loss 0.4821  test_acc 0.8312  2.1s}. Always with a
     * decimal point, whatever the default locale, so the lines read the same everywhere.
     */
    static String line(EpochMetrics m, int totalEpochs) {
        return line(m, totalEpochs, false);
    }

    /**
     * As above, with {@code skipped N} before the seconds when {@code countSkipped} is set or the
     * epoch skipped steps (which only a run with skip-nonfinite on does).
     */
    static String line(EpochMetrics m, int totalEpochs, boolean countSkipped) {
        String skipped = countSkipped || m.skippedSteps() > 0 ? "  skipped " + m.skippedSteps() : "";
        return String.format(Locale.ROOT, "epoch %d/%d  train_loss %.4f  test_loss %.4f  test_acc %.4f%s  %.1fs",
                m.epoch(), totalEpochs, m.trainLoss(), m.testLoss(), m.testAccuracy(), skipped, m.seconds());
    }

    /** The narrowest bar worth drawing; below it the bar is dropped and the numbers kept. */
    private static final int MIN_BAR = 10;

    /** Eighths of a cell, for the bar's last, partly filled cell. */
    private static final String EIGHTHS = " \u258f\u258e\u258d\u258c\u258b\u258a\u2589";

    /**
     * The live line of a bar, for example
     * {@code epoch 1/3  41% │█████▌       │ 118/281 batches (0:00:05 / 0:00:07) loss 0.5123}, in at most
     * {@code width} characters and padded to it (so that it covers a longer line before it). The
     * library's own renderer gave the bar what was left and cut the end of the line at the width, so
     * the loss went first on a narrow terminal; here the bar goes first, then the times, then the
     * batch count, and the loss stays as long as the task name and the loss fit at all.
     */
    static String barLine(String task, long current, long max, Duration elapsed, String extra, int width) {
        String percent = String.format(Locale.ROOT, "%3d%%", max > 0 ? current * 100 / max : 0);
        String ratio = current + "/" + max + " batches";
        String times = "(" + clock(elapsed) + " / "
                + (current > 0 && max >= current ? clock(elapsed.multipliedBy(max - current).dividedBy(current)) : "?")
                + ")";
        String tail = extra == null || extra.isEmpty() ? "" : " " + extra;
        String head = task + " " + percent;
        String line;
        int barWidth = width - (head + "  ││ " + ratio + " " + times + tail).length();
        if (barWidth >= MIN_BAR) {
            line = head + " │" + bar(current, max, barWidth) + "│ " + ratio + " " + times + tail;
        } else if ((head + " " + ratio + " " + times + tail).length() <= width) {
            line = head + " " + ratio + " " + times + tail;
        } else if ((head + " " + ratio + tail).length() <= width) {
            line = head + " " + ratio + tail;
        } else if ((head + tail).length() <= width) {
            line = head + tail;
        } else {
            line = (task + tail).length() <= width ? task + tail : (task + tail).substring(0, Math.max(0, width));
        }
        return line + " ".repeat(Math.max(0, width - line.length()));
    }

    private static String bar(long current, long max, int cells) {
        long eighths = max > 0 ? Math.min(current, max) * cells * 8 / max : 0;
        int full = (int) (eighths / 8);
        StringBuilder sb = new StringBuilder(cells);
        sb.append("\u2588".repeat(full));
        if (full < cells) {
            sb.append(EIGHTHS.charAt((int) (eighths % 8)));
            sb.append(" ".repeat(cells - full - 1));
        }
        return sb.toString();
    }

    private static String clock(Duration d) {
        long s = d.toSeconds();
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }

    /** A listener that may hold a live display, which {@link #close} takes down even after a failure. */
    interface Reporter extends TrainingListener, AutoCloseable {
        @Override
        default void close() {}
    }

    /** One line per finished epoch. */
    static class Lines implements Reporter {
        final PrintWriter out;
        final int totalEpochs;
        final boolean countSkipped;

        Lines(PrintWriter out, int totalEpochs) {
            this(out, totalEpochs, false);
        }

        Lines(PrintWriter out, int totalEpochs, boolean countSkipped) {
            this.out = out;
            this.totalEpochs = totalEpochs;
            this.countSkipped = countSkipped;
        }

        @Override
        public void onEpochEnd(EpochMetrics metrics) {
            out.println(line(metrics, totalEpochs, countSkipped));
            out.flush();
        }
    }

    /** A bar over the epoch's batches showing the mean loss so far, replaced by the epoch's line when done. */
    static final class Bar extends Lines {
        private ProgressBar bar;
        private double lossSum;
        private int batches;

        Bar(PrintWriter out, int totalEpochs, boolean countSkipped) {
            super(out, totalEpochs, countSkipped);
        }

        @Override
        public void onEpochStart(int epoch, int totalBatches) {
            closeBar();
            out.flush();
            lossSum = 0;
            batches = 0;
            bar = new ProgressBarBuilder()
                    .setTaskName(String.format(Locale.ROOT, "epoch %d/%d", epoch, totalEpochs))
                    .setInitialMax(totalBatches)
                    .setRenderer((state, width) -> barLine(state.getTaskName(), state.getCurrent(), state.getMax(),
                            state.getTotalElapsed(), state.getExtraMessage(), width))
                    .setUpdateIntervalMillis(200)
                    .setConsumer(new LineConsumer(System.out))
                    .clearDisplayOnFinish()
                    .build();
        }

        @Override
        public void onBatchEnd(int epoch, int batch, double loss) {
            if (bar == null) {
                return;
            }
            lossSum += loss;
            batches++;
            bar.stepTo(batch);
            bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f", lossSum / batches));
        }

        @Override
        public void onEpochEnd(EpochMetrics metrics) {
            closeBar();
            super.onEpochEnd(metrics);
        }

        @Override
        public void close() {
            closeBar();
        }

        /**
         * The library's console consumer ends with a newline after clearing the bar, which would leave
         * a blank line above every epoch's line; this one returns to the start of the cleared line.
         */
        private static final class LineConsumer extends ConsoleProgressBarConsumer {
            private final PrintStream stream;

            LineConsumer(PrintStream stream) {
                super(stream);
                this.stream = stream;
            }

            @Override
            public void close() {
                stream.print('\r');
                stream.flush();
            }
        }

        private void closeBar() {
            if (bar != null) {
                bar.close();
                bar = null;
            }
        }
    }
}
