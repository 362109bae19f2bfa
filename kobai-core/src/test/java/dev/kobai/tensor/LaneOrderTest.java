package dev.kobai.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The vector loops that sum across lanes give the same bits interpreted and compiled. The Vector
 * API leaves the order of {@code reduceLanes(ADD)} open, and HotSpot's compiled code and its Java
 * fallback (what runs before the JIT compiles a loop) add in different orders: a training run then
 * depended, in its last bits, on when its loops were compiled, and two runs of one seed in one JVM
 * differed. Two JVMs compute the same sums, one interpreting only, one compiling every loop before
 * its first result counts, and must print the same bits.
 */
class LaneOrderTest {
    /** Prints the bits of the lane-summing loops' results on fixed operands, after warming them up. */
    public static final class Probe {
        public static void main(String[] args) {
            Rng rng = new Rng(7);
            int n = 1200;
            float[] f = new float[n];
            float[] g = new float[n];
            double[] d = new double[n];
            double[] e = new double[n];
            for (int i = 0; i < n; i++) {
                f[i] = (float) rng.nextGaussian();
                g[i] = (float) rng.nextGaussian();
                d[i] = rng.nextGaussian();
                e[i] = rng.nextGaussian();
            }
            Convolution.Geometry geo = new Convolution.Geometry(1, 1, 9, 40, 4, 7, 38, 1, Window2d.square(3, 1, 0, 1));
            float[] image = new float[9 * 40];
            float[] grad = new float[4 * 7 * 38];
            System.arraycopy(f, 0, image, 0, image.length);
            System.arraycopy(g, 0, grad, 0, grad.length);
            float[] acc = new float[9 * 4];
            float[] pad = new float[SingleChannelConv.scratchSize(geo)];
            StringBuilder out = new StringBuilder();
            int rounds = Integer.parseInt(args[0]);
            for (int round = 0; round < rounds; round++) {
                out.setLength(0);
                out.append(Double.doubleToLongBits(VectorLoops.sum(f, 0, n)));
                double[] m = new double[2];
                VectorLoops.moments(f, 0, n, 0.25, m);
                out.append(' ').append(Double.doubleToLongBits(m[0])).append(' ').append(Double.doubleToLongBits(m[1]));
                VectorLoops.moments(d, 0, n, 0.25, m);
                out.append(' ').append(Double.doubleToLongBits(m[0])).append(' ').append(Double.doubleToLongBits(m[1]));
                VectorLoops.gradSums(g, f, 0, n, 0.1, m);
                out.append(' ').append(Double.doubleToLongBits(m[0])).append(' ').append(Double.doubleToLongBits(m[1]));
                VectorLoops.gradSums(e, d, 0, n, 0.1, m);
                out.append(' ').append(Double.doubleToLongBits(m[0])).append(' ').append(Double.doubleToLongBits(m[1]));
                SingleChannelConv.weightGrad(image, 0, grad, 0, acc, false, geo, pad);
                for (float v : acc) {
                    out.append(' ').append(Float.floatToIntBits(v));
                }
            }
            System.out.print("bits " + out);
        }
    }

    @Test
    void interpretedAndCompiledSumsGiveTheSameBits() throws Exception {
        String interpreted = probe("1", "-Xint");
        // -Xbatch: the loops are compiled before the calls that triggered compilation go on
        String compiled = probe("300", "-Xbatch", "-XX:-TieredCompilation", "-XX:CompileThreshold=100");
        assertTrue(interpreted.startsWith("bits "), interpreted);
        assertEquals(interpreted, compiled);
    }

    private static String probe(String rounds, String... flags) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.addAll(List.of(flags));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName(), rounds));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the probe JVM finished");
        assertEquals(0, p.exitValue(), out);
        // the incubator module's warning comes first
        return out.substring(Math.max(0, out.indexOf("bits ")));
    }
}
