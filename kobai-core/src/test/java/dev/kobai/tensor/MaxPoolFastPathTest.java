package dev.kobai.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kobai.autograd.Autograd;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The float32 2x2 stride-2 max pooling has a loop of its own; it must pick the same element as the
 * general loop (which float64 takes) in every window: first maximum in row-major order, a NaN
 * always, odd sizes dropping the last row and column.
 */
class MaxPoolFastPathTest {
    @Test
    void agreesWithTheGeneralLoopOnTiesNaNsAndOddSizes() {
        check(new int[] {3, 2, 7, 9}, 4);
    }

    /**
     * Rows of many windows take the vector loop (as many windows at a time as half a vector has
     * lanes, 2 to 8) and the scalar loop for the rest of the row: widths 28 and 71 give 14 and 35
     * windows, so both loops run on every row at every width.
     */
    @Test
    void vectorRowsAndTheirTailsAgreeToo() {
        check(new int[] {2, 3, 28, 28}, 5);
        check(new int[] {1, 2, 9, 71}, 6);
    }

    /**
     * Rows of fewer windows than the lanes (7 windows of a 14-wide row at 512 bits; 3, 1 and 5 at
     * every width down to 128 bits' 2 lanes for some) take one vector per row whose extra lanes spill
     * into the next rows' outputs; the last rows of a plane, whose vector would leave it, take the
     * scalar loop. Every window must still agree, and the planes around must not be touched.
     */
    @Test
    void narrowRowsAgreeAndStayInTheirPlane() {
        check(new int[] {2, 3, 14, 14}, 7);
        check(new int[] {1, 2, 15, 6}, 8);
        check(new int[] {1, 2, 9, 2}, 9);
        check(new int[] {3, 1, 4, 10}, 10);
        check(new int[] {1, 3, 6, 7}, 11);
    }

    /** With ceil_mode on odd sizes the last windows hang over the edge; they must read only what is there. */
    @Test
    void ceilModeOnOddSizesAgrees() {
        check(new int[] {2, 2, 5, 7}, 12, true);
        check(new int[] {1, 3, 15, 15}, 13, true);
    }

    /** The same checks on the scalar loop alone, in a JVM without the Vector API (Kobai's fallback). */
    public static final class ScalarProbe {
        public static void main(String[] args) {
            MaxPoolFastPathTest t = new MaxPoolFastPathTest();
            t.agreesWithTheGeneralLoopOnTiesNaNsAndOddSizes();
            t.vectorRowsAndTheirTailsAgreeToo();
            t.narrowRowsAgreeAndStayInTheirPlane();
            t.ceilModeOnOddSizesAgrees();
            System.out.print("vector " + Pointwise.VECTOR);
        }
    }

    /** Rows narrower than a vector once sent the scalar fallback into the Vector API's loop, which it lacks. */
    @Test
    void withoutTheVectorApiTheScalarLoopAgrees() throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), ScalarProbe.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(true, p.waitFor(60, TimeUnit.SECONDS), "the probe JVM finished");
        assertEquals(0, p.exitValue(), out);
        assertEquals(true, out.endsWith("vector false"), out);
    }

    private static void check(int[] shape, long seed) {
        check(shape, seed, false);
    }

    private static void check(int[] shape, long seed, boolean ceilMode) {
        Rng rng = new Rng(seed);
        Tensor x32 = Tensor.zeros(DType.FLOAT32, shape);
        for (int i = 0; i < x32.numel(); i++) {
            double u = rng.nextDouble();
            // few distinct values, so ties are common; some NaNs and infinities
            x32.setFlat(i, u < 0.05 ? Double.NaN : u < 0.1 ? Double.NEGATIVE_INFINITY : rng.nextInt(3));
        }
        Tensor x64 = x32.to(DType.FLOAT64).detach();
        Window2d w = Window2d.square(2, 2, 0, 1);
        x32.requiresGrad(true);
        x64.requiresGrad(true);
        Tensor y32 = Spatial.maxPool2d(x32, w, ceilMode);
        Tensor y64 = Spatial.maxPool2d(x64, w, ceilMode);
        int round = ceilMode ? 1 : 0;
        assertArrayEquals(new int[] {shape[0], shape[1], (shape[2] + round) / 2, (shape[3] + round) / 2}, y32.shape());
        for (int i = 0; i < y32.numel(); i++) {
            assertEquals(y64.getFlat(i), y32.getFlat(i), 0.0, "value " + i);
        }
        Tensor g = Tensor.randn(rng, DType.FLOAT64, y64.shape());
        Tensor gx64 = Autograd.grad(new Tensor[] {y64}, new Tensor[] {g}, new Tensor[] {x64}, false)[0];
        Tensor gx32 = Autograd.grad(new Tensor[] {y32}, new Tensor[] {g.to(DType.FLOAT32).detach()},
                new Tensor[] {x32}, false)[0];
        for (int i = 0; i < gx64.numel(); i++) {
            assertEquals((float) gx64.getFlat(i), gx32.getFlat(i), 0.0, "gradient routed to element " + i);
        }
    }
}
