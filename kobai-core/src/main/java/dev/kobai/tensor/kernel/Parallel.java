package dev.kobai.tensor.kernel;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits a loop over [0, n) across the machine's cores. Small loops run inline on the caller:
 * handing work to another thread costs microseconds, which only pays off above {@code grain}.
 *
 * <p>The helpers are plain daemon threads, one per extra core, that spin for a short while
 * ({@code -Dkobai.spin.us}, default {@value #DEFAULT_SPIN_MICROS} microseconds) after each piece of
 * work before they park, as OpenMP and OpenBLAS threads do. A training step alternates parallel
 * kernels with short serial stretches (autograd bookkeeping, small element-wise ops); a parked
 * thread takes tens of microseconds to wake, and with a ForkJoinPool that was paid on almost
 * every kernel, so the second core helped Adam's step by a quarter and K-FAC's hardly at all.
 * One caller uses the helpers at a time; a second concurrent caller, or a call from inside a
 * helper, runs its loop inline.
 */
public final class Parallel {
    static final int DEFAULT_SPIN_MICROS = 200;
    private static final long SPIN_NANOS = 1000L * Integer.getInteger("kobai.spin.us", DEFAULT_SPIN_MICROS);
    private static final int CORES = Math.max(1, Runtime.getRuntime().availableProcessors());
    private static volatile int threads = defaultThreads();
    private static final Helper[] HELPERS = new Helper[Math.max(0, CORES - 1)];
    private static final AtomicBoolean IN_USE = new AtomicBoolean();
    private static final AtomicInteger REMAINING = new AtomicInteger();
    /** Set on a thread inside {@link #serially}: its loops run inline and kernels pick their one-thread paths. */
    private static final ThreadLocal<Boolean> SERIAL = ThreadLocal.withInitial(() -> Boolean.FALSE);

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
        return CORES;
    }

    /** Number of threads large loops are split across. */
    public static int threads() {
        return threads;
    }

    /**
     * Whether a loop split here would run on the calling thread alone: the caller is one of the
     * helpers, or some loop holds the helpers (the caller's own, when it runs the first chunk of
     * one). Kernels called from inside a split loop use it to choose their single-thread strategy
     * (a convolution's per-sample products, say), since their own split would run inline anyway.
     */
    public static boolean busy() {
        return Thread.currentThread() instanceof Helper || IN_USE.get() || SERIAL.get();
    }

    /**
     * Runs {@code body} with every loop and kernel it calls on the calling thread alone, on the
     * one-thread paths. A kernel's path (and a reduction's chunks) otherwise depends on whether
     * another caller holds the helpers at that moment, which can change the last bits of a result;
     * inside this scope the result depends only on the operands and the instruction set, so that
     * the same computation gives the same bits on a driver and on a cluster's task threads.
     */
    public static <T> T serially(java.util.function.Supplier<T> body) {
        if (SERIAL.get()) {
            return body.get();
        }
        SERIAL.set(Boolean.TRUE);
        try {
            return body.get();
        } finally {
            SERIAL.set(Boolean.FALSE);
        }
    }

    /** Sets the number of threads (at least 1); for benchmarks that compare thread counts. */
    public static void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + n);
        }
        threads = n;
    }

    /**
     * Runs {@code body} over [0, n) in at most {@link #threads()} contiguous chunks (and no more
     * than the cores), each at least {@code grain} long; the caller runs the first chunk itself and
     * waits for the others. An exception thrown by any chunk is rethrown here.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        int chunks = Math.min(Math.min(threads, CORES),
                (int) Math.min(Integer.MAX_VALUE, n / Math.max(1L, grain)));
        if (chunks <= 1 || Thread.currentThread() instanceof Helper || SERIAL.get()
                || !IN_USE.compareAndSet(false, true)) {
            if (n > 0) {
                body.run(0, n);
            }
            return;
        }
        try {
            REMAINING.set(chunks - 1);
            for (int c = 1; c < chunks; c++) {
                helper(c - 1).submit(body, (int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
            }
            Throwable first = null;
            try {
                body.run(0, (int) ((long) n / chunks));
            } catch (Throwable t) {
                first = t;
            }
            // the chunks are of equal size, so the wait is short: spin, then yield
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (REMAINING.get() > 0) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
            for (int c = 1; c < chunks; c++) {
                Throwable t = HELPERS[c - 1].takeError();
                if (first == null) {
                    first = t;
                }
            }
            if (first instanceof RuntimeException e) {
                throw e;
            }
            if (first instanceof Error e) {
                throw e;
            }
            if (first != null) {
                throw new RuntimeException(first);
            }
        } finally {
            IN_USE.set(false);
        }
    }

    private static synchronized Helper helper(int i) {
        if (HELPERS[i] == null) {
            HELPERS[i] = new Helper(i);
            HELPERS[i].start();
        }
        return HELPERS[i];
    }

    /** One extra core's thread: waits for a chunk, runs it, counts it done. */
    private static final class Helper extends Thread {
        /** Bumped by the caller after the chunk's fields are set; the helper runs when it moves. */
        private volatile int published;
        private volatile boolean parked;
        private RangeBody body;
        private int from;
        private int to;
        private Throwable error;

        Helper(int index) {
            super("kobai-worker-" + index);
            setDaemon(true);
        }

        void submit(RangeBody b, int f, int t) {
            body = b;
            from = f;
            to = t;
            published++; // volatile write: publishes the fields above
            if (parked) {
                LockSupport.unpark(this);
            }
        }

        Throwable takeError() {
            Throwable t = error;
            error = null;
            return t;
        }

        @Override
        public void run() {
            int seen = 0;
            while (true) {
                long spinUntil = System.nanoTime() + SPIN_NANOS;
                while (published == seen) {
                    if (System.nanoTime() < spinUntil) {
                        Thread.onSpinWait();
                    } else {
                        // set before re-checking, so a submit either sees parked or is seen here
                        parked = true;
                        if (published == seen) {
                            LockSupport.park(this);
                        }
                        parked = false;
                    }
                }
                seen = published;
                try {
                    body.run(from, to);
                } catch (Throwable t) {
                    error = t;
                }
                body = null;
                REMAINING.decrementAndGet();
            }
        }
    }
}
