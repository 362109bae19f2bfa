package dev.kobai.tensor.kernel;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;

/**
 * Splits a loop over [0, n) across the machine's cores. Small loops run inline on the caller:
 * handing work to another thread costs microseconds, which only pays off above {@code grain}.
 */
public final class Parallel {
    private static volatile int threads = defaultThreads();
    private static final ForkJoinPool POOL = new ForkJoinPool(
            Math.max(1, Runtime.getRuntime().availableProcessors()),
            pool -> {
                ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                t.setDaemon(true);
                t.setName("kobai-worker-" + t.getPoolIndex());
                return t;
            },
            null, false);

    /** A body that handles indices in [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private Parallel() {}

    private static int defaultThreads() {
        String prop = System.getProperty("kobai.threads");
        if (prop != null) {
            try {
                return Math.max(1, Integer.parseInt(prop.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("kobai.threads must be a positive integer, got '" + prop + "'");
            }
        }
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** Number of threads large loops are split across. */
    public static int threads() {
        return threads;
    }

    /** Sets the number of threads (at least 1); for benchmarks that compare thread counts. */
    public static void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + n);
        }
        threads = n;
    }

    /**
     * Runs {@code body} over [0, n) in at most {@link #threads()} contiguous chunks, each at least
     * {@code grain} long; the caller runs the first chunk itself and waits for the others.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        int chunks = Math.min(threads, (int) Math.min(Integer.MAX_VALUE, n / Math.max(1L, grain)));
        if (chunks <= 1 || ForkJoinTask.inForkJoinPool()) {
            if (n > 0) {
                body.run(0, n);
            }
            return;
        }
        @SuppressWarnings("unchecked")
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[chunks - 1];
        for (int c = 1; c < chunks; c++) {
            int from = (int) ((long) n * c / chunks);
            int to = (int) ((long) n * (c + 1) / chunks);
            tasks[c - 1] = POOL.submit(() -> body.run(from, to));
        }
        body.run(0, (int) ((long) n / chunks));
        for (ForkJoinTask<?> t : tasks) {
            t.join();
        }
    }
}
