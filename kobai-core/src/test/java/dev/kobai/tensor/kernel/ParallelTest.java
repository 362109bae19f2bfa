package dev.kobai.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The spinning helper threads of Parallel: every index once, errors rethrown, nested and concurrent callers. */
class ParallelTest {
    private static final int THREADS = Parallel.threads();

    @BeforeEach
    void twoThreads() {
        Parallel.setThreads(2);
    }

    @AfterEach
    void restore() {
        Parallel.setThreads(THREADS);
    }

    private static void assertEachOnce(AtomicIntegerArray hits) {
        for (int i = 0; i < hits.length(); i++) {
            assertEquals(1, hits.get(i), "index " + i);
        }
    }

    @Test
    void coversEveryIndexOnceManyTimesOver() {
        for (int round = 0; round < 2000; round++) {
            int n = 1 + round % 97;
            AtomicIntegerArray hits = new AtomicIntegerArray(n);
            Parallel.forRange(n, 1, (from, to) -> {
                for (int i = from; i < to; i++) {
                    hits.incrementAndGet(i);
                }
            });
            assertEachOnce(hits);
        }
    }

    @Test
    void anExceptionInAnyChunkReachesTheCaller() {
        // a chunk other than the caller's: the second half, run by a helper when there are two cores
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(100, 1,
                (from, to) -> {
                    if (to == 100) {
                        throw new IllegalStateException("chunk ending at " + to);
                    }
                }));
        assertEquals("chunk ending at 100", e.getMessage());
        // and the helpers still work afterwards
        AtomicIntegerArray hits = new AtomicIntegerArray(64);
        Parallel.forRange(64, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                hits.incrementAndGet(i);
            }
        });
        assertEachOnce(hits);
    }

    @Test
    void nestedCallsRunInline() {
        AtomicIntegerArray hits = new AtomicIntegerArray(40 * 40);
        Parallel.forRange(40, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                int row = i;
                Parallel.forRange(40, 1, (f2, t2) -> {
                    for (int j = f2; j < t2; j++) {
                        hits.incrementAndGet(row * 40 + j);
                    }
                });
            }
        });
        assertEachOnce(hits);
    }

    @Test
    void concurrentCallersBothFinish() throws Exception {
        int n = 10_000;
        AtomicIntegerArray a = new AtomicIntegerArray(n);
        AtomicIntegerArray b = new AtomicIntegerArray(n);
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread other = new Thread(() -> {
            try {
                start.await();
                for (int r = 0; r < 200; r++) {
                    Parallel.forRange(n, 16, (from, to) -> {
                        for (int i = from; i < to; i++) {
                            b.incrementAndGet(i);
                        }
                    });
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        other.start();
        start.countDown();
        for (int r = 0; r < 200; r++) {
            Parallel.forRange(n, 16, (from, to) -> {
                for (int i = from; i < to; i++) {
                    a.incrementAndGet(i);
                }
            });
        }
        other.join();
        assertEquals(null, failure.get());
        for (int i = 0; i < n; i++) {
            assertTrue(a.get(i) == 200 && b.get(i) == 200, "index " + i + ": " + a.get(i) + ", " + b.get(i));
        }
    }
}
