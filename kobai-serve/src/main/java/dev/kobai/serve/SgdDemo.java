package dev.kobai.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.kobai.autograd.Autograd;
import dev.kobai.data.Dataset;
import dev.kobai.data.Datasets;
import dev.kobai.nn.Losses;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.Map;

/**
 * The lecture's "SGD as random sampling" figure: logistic regression telling the built-in digits 3
 * and 8 apart (65 weights with the bias, float64), after 2 full-batch gradient steps of lr 1 from
 * zero. At that point the full gradient and {@link #SAMPLES} minibatch gradients of the requested
 * size (each drawn without replacement, seed 3 + size) are computed by backpropagation through
 * {@link Losses#bceWithLogits}, and projected onto the plane of the full gradient's direction and
 * the direction across it in which single examples' gradients vary most (the top principal
 * direction of their deviations, from 60 of them). The mean squared distance of a
 * minibatch gradient from the full one, over all 65 coordinates, falls as about 1/B.
 */
final class SgdDemo {
    static final int SAMPLES = 60;

    private final Problem problem = new Problem();

    /**
     * Builds the data, the point and the plane (a fraction of a second); a server builds one on the
     * figure's first request and keeps it.
     */
    SgdDemo() {}

    /** The data, the point the gradients are taken at, the full gradient and the projection plane. */
    private static final class Problem {
        final double[][] x;
        final double[] y;
        final Tensor w;
        final double[] full;
        final double[] u;
        final double[] v;
        final double radius;

        Problem() {
            Dataset all = Datasets.digitsAll();
            int d = all.featureCount();
            int n = 0;
            for (int label : all.labels()) {
                n += label == 3 || label == 8 ? 1 : 0;
            }
            x = new double[n][d + 1];
            y = new double[n];
            int row = 0;
            for (int i = 0; i < all.labels().length; i++) {
                int label = all.labels()[i];
                if (label != 3 && label != 8) {
                    continue;
                }
                for (int j = 0; j < d; j++) {
                    x[row][j] = all.features()[i * d + j];
                }
                x[row][d] = 1;
                y[row] = label == 8 ? 1 : 0;
                row++;
            }
            double[] weights = new double[d + 1];
            int[] everyone = new int[n];
            for (int i = 0; i < n; i++) {
                everyone[i] = i;
            }
            for (int k = 0; k < 2; k++) {
                double[] g = gradient(weights, everyone);
                for (int j = 0; j < weights.length; j++) {
                    weights[j] -= g[j];
                }
            }
            w = Tensor.fromArray(weights, d + 1, 1);
            full = gradient(weights, everyone);
            u = scale(full, 1 / norm(full));
            // The second axis: where single examples' gradients vary most across the full gradient's
            // direction (the top principal direction of their deviations, by power iteration).
            double[][] singles = draws(1);
            double[][] deviations = new double[singles.length][];
            for (int i = 0; i < singles.length; i++) {
                double[] dev = singles[i].clone();
                for (int j = 0; j < dev.length; j++) {
                    dev[j] -= full[j];
                }
                double along = dot(dev, u);
                for (int j = 0; j < dev.length; j++) {
                    dev[j] -= along * u[j];
                }
                deviations[i] = dev;
            }
            Rng rng = new Rng(2);
            double[] r = new double[d + 1];
            for (int j = 0; j < r.length; j++) {
                r[j] = rng.nextGaussian();
            }
            // Every deviation is across u, so each iterate, a sum of them, is too.
            for (int iteration = 0; iteration < 100; iteration++) {
                double[] next = new double[r.length];
                for (double[] dev : deviations) {
                    double c = dot(dev, r);
                    for (int j = 0; j < next.length; j++) {
                        next[j] += c * dev[j];
                    }
                }
                r = scale(next, 1 / norm(next));
            }
            v = r;
            // One scale for every batch size, that of single examples, so the clouds can be compared:
            // wide enough for the full gradient and four in five of the single examples' gradients.
            double[] spread = java.util.Arrays.stream(draws(1)).mapToDouble(g -> Math.hypot(dot(g, u), dot(g, v)))
                    .sorted().toArray();
            radius = Math.max(norm(full), spread[(int) (0.8 * (spread.length - 1))]) * 1.1;
        }

        /** The gradient of the mean cross-entropy over {@code rows} at {@code weights}, by autograd. */
        double[] gradient(double[] weights, int[] rows) {
            int d = x[0].length;
            double[] xs = new double[rows.length * d];
            double[] ys = new double[rows.length];
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(x[rows[i]], 0, xs, i * d, d);
                ys[i] = y[rows[i]];
            }
            Tensor wt = Tensor.fromArray(weights.clone(), d, 1).requiresGrad(true);
            Tensor loss = Losses.bceWithLogits(Tensor.fromArray(xs, rows.length, d).matmul(wt),
                    Tensor.fromArray(ys, rows.length, 1));
            return Autograd.grad(loss, new Tensor[] {wt}, false)[0].toDoubleArray();
        }

        double[][] draws(int batch) {
            Rng rng = new Rng(3 + batch);
            double[] weights = w.toDoubleArray();
            double[][] out = new double[SAMPLES][];
            for (int s = 0; s < SAMPLES; s++) {
                int[] perm = rng.permutation(y.length);
                out[s] = gradient(weights, java.util.Arrays.copyOf(perm, batch));
            }
            return out;
        }
    }

    JsonObject run(Map<String, String> query) {
        Problem p = problem;
        int batch = Api.intParam(query, "batch", 8, 1, p.y.length);
        double[][] draws = p.draws(batch);
        JsonArray samples = new JsonArray();
        double squared = 0;
        for (double[] g : draws) {
            JsonArray a = new JsonArray();
            a.add(dot(g, p.u));
            a.add(dot(g, p.v));
            samples.add(a);
            for (int j = 0; j < g.length; j++) {
                squared += (g[j] - p.full[j]) * (g[j] - p.full[j]);
            }
        }
        JsonObject o = new JsonObject();
        o.addProperty("batch", batch);
        o.addProperty("examples", p.y.length);
        JsonArray full = new JsonArray();
        full.add(dot(p.full, p.u));
        full.add(dot(p.full, p.v));
        o.add("full", full);
        o.add("samples", samples);
        o.addProperty("meanSquaredError", squared / draws.length);
        o.addProperty("radius", p.radius);
        return o;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    private static double[] scale(double[] a, double k) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] * k;
        }
        return out;
    }
}
