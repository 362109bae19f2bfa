package dev.kobai.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@link Kernels}' choices inside this JVM (the start-up choice in other JVMs is
 * KernelsFallbackTest's): the element loops that follow the product kernel, and the warm-up.
 */
class KernelsTest {
    /** Surefire and PIT start the JVM with the incubator module: the vector loops go with the vector product. */
    @Test
    void theElementLoopsFollowTheProductKernel() {
        boolean vector = Kernels.choose(System.getProperty("kobai.simd"),
                ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) instanceof VectorGemm;
        assertEquals(vector, Kernels.vectorAvailable());
        assertEquals(vector ? VectorBlas1.class : ScalarBlas1.class, Kernels.blas1().getClass());
        assertInstanceOf(ScalarBlas1.class, Kernels.scalarBlas1());
        assertSame(Kernels.scalarBlas1(), Kernels.scalarBlas1());
    }

    /** Counts the products a warm-up asks for, by shape, and computes them with the vector kernel. */
    private static final class Recording implements Gemm {
        final Map<String, Integer> calls = new TreeMap<>();

        @Override
        public void sgemm(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda, float[] b,
                          int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
            calls.merge("ta=" + transA + " tb=" + transB, 1, Integer::sum);
            calls.merge("accumulate=" + accumulate, 1, Integer::sum);
            calls.merge(m + "x" + n + "x" + k, 1, Integer::sum);
            operands(a);
            operands(b);
            // The kernel checks the leading dimensions and array lengths for each transpose.
            TestKernels.VECTOR.sgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            for (int i = 0; i < m * n; i++) {
                if (!Float.isFinite(c[cOff + i])) {
                    throw new AssertionError("warm-up product not finite at " + i);
                }
            }
        }

        /** Operands in [-1, 1], not all zero: real multiply-adds whose sums stay far from overflow. */
        private static void operands(float[] x) {
            boolean nonzero = false;
            for (float v : x) {
                if (!(Math.abs(v) <= 1)) {
                    throw new AssertionError("warm-up operand " + v + " outside [-1, 1]");
                }
                nonzero |= v != 0;
            }
            if (!nonzero) {
                throw new AssertionError("warm-up operands all zero");
            }
        }

        @Override
        public void dgemm(boolean transA, boolean transB, int m, int n, int k, double[] a, int aOff, int lda,
                          double[] b, int bOff, int ldb, double[] c, int cOff, int ldc, boolean accumulate) {
            throw new AssertionError("the warm-up is float32 only");
        }

        @Override
        public PackedB packB(boolean transB, int k, int n, float[] b, int bOff, int ldb, PackedB reuse) {
            throw new AssertionError("not used by the warm-up");
        }

        @Override
        public void sgemm(boolean transA, int m, float[] a, int aOff, int lda, PackedB b, float[] c, int cOff, int ldc,
                          boolean accumulate) {
            throw new AssertionError("not used by the warm-up");
        }

        @Override
        public String name() {
            return "recording";
        }
    }

    /**
     * Every transpose and both modes equally often, 7 x 101 products with k = 12 and, every 64th
     * round, k = 260 (two k blocks): 1500 rounds of four, on operands in [-1, 1].
     */
    @Test
    void theWarmUpRunsEveryPathOfTheKernel() {
        Recording r = new Recording();
        Kernels.warmUp(r);
        int rounds = Kernels.WARM_UP_ROUNDS;
        int wide = rounds / 64; // rounds 63, 127, ...
        Map<String, Integer> expected = new TreeMap<>(Map.of(
                "ta=false tb=false", rounds, "ta=true tb=false", rounds, "ta=false tb=true", rounds,
                "ta=true tb=true", rounds, "accumulate=false", 2 * rounds, "accumulate=true", 2 * rounds,
                "7x101x12", 4 * (rounds - wide), "7x101x260", 4 * wide));
        assertEquals(expected, r.calls);
    }

    @Test
    void theWarmUpIsOnUnlessSetToFalse() {
        assertTrue(Kernels.warmUpWanted(null));
        assertTrue(Kernels.warmUpWanted(""));
        assertTrue(Kernels.warmUpWanted("true"));
        assertFalse(Kernels.warmUpWanted("false"));
        assertFalse(Kernels.warmUpWanted(" FALSE "));
    }

    /** One background thread per JVM, however often it is asked for. */
    @Test
    void theBackgroundWarmUpStartsOnce() throws Exception {
        assumeTrue(Kernels.warmUpWanted(System.getProperty("kobai.warmup")), "warm-up turned off for this JVM");
        Kernels.warmUpInBackground();
        Thread first = Kernels.warmUpThread();
        assertNotNull(first);
        assertTrue(first.isDaemon());
        assertEquals("kobai-kernel-warm-up", first.getName());
        Kernels.warmUpInBackground();
        assertSame(first, Kernels.warmUpThread());
    }
}
