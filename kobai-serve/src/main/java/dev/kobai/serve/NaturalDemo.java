package dev.kobai.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.LossKind;
import dev.kobai.nn.Parameter;
import dev.kobai.optim.NaturalGradient;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.SGD;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The lecture's natural-gradient figure: one logistic regression p(y = 1 | x) = sigmoid(w x + b) on
 * 40 points (x evenly spaced in [-2, 2], labels drawn from sigmoid(2x - 0.5) with seed 1), trained
 * from (w, b) = (-1.5, 1.5) in two parametrisations: theta = (w, b) itself, and theta = M phi + c with phi the
 * parameter (M = [[0.3, 0], [1.2, 2]], c = (0.5, -0.5)). Both paths are drawn in theta. Gradient
 * descent moves along a different path in each, since its step depends on the coordinates; natural
 * gradient (Fisher, damping 0) takes the same path in both, since F changes with the coordinates as
 * the gradient does (F_phi = M^T F_theta M), which makes its step in theta the same. A path whose
 * step fails (a long step into saturation makes F singular) or leaves the finite numbers ends there.
 */
final class NaturalDemo {
    private static final double[][] M = {{0.3, 0}, {1.2, 2}};
    private static final double[] C = {0.5, -0.5};
    private static final double[] START = {-1.5, 1.5};
    /** The window drawn: (w, b) in [-4, 5] x [-3, 4]. */
    private static final double[] WINDOW = {-4, 5, -3, 4};
    private static final int N = 40;
    private static final int GRID = 60;

    private NaturalDemo() {}

    static JsonObject run(Map<String, String> query) {
        String method = query.getOrDefault("method", "natural");
        if (!method.equals("sgd") && !method.equals("natural")) {
            throw HttpError.badRequest(HttpError.Problem.NATURAL_METHOD, "value", method);
        }
        double lr = Api.doubleParam(query, "lr", method.equals("sgd") ? 2 : 0.25, 1e-4, 10);
        int steps = Api.intParam(query, "steps", 30, 0, 500);
        Tensor x = inputs();
        Tensor y = targets(x);
        JsonObject o = new JsonObject();
        o.addProperty("method", method);
        o.addProperty("lr", lr);
        o.addProperty("steps", steps);
        JsonArray window = new JsonArray();
        for (double v : WINDOW) {
            window.add(v);
        }
        o.add("domain", window);
        o.add("direct", path(method, lr, steps, x, y, false));
        o.add("reparametrised", path(method, lr, steps, x, y, true));
        o.add("grid", lossGrid(x, y));
        return o;
    }

    /** [N, 2]: the column of x, then a column of ones for the bias. */
    private static Tensor inputs() {
        double[] v = new double[2 * N];
        for (int n = 0; n < N; n++) {
            v[2 * n] = -2 + 4.0 * n / (N - 1);
            v[2 * n + 1] = 1;
        }
        return Tensor.fromArray(v, N, 2);
    }

    private static Tensor targets(Tensor x) {
        Rng rng = new Rng(1);
        double[] t = new double[N];
        for (int n = 0; n < N; n++) {
            double p = 1 / (1 + Math.exp(-(2 * x.get(n, 0) - 0.5)));
            t[n] = rng.nextDouble() < p ? 1 : 0;
        }
        return Tensor.fromArray(t, N, 1);
    }

    private static JsonArray path(String method, double lr, int steps, Tensor x, Tensor y, boolean reparametrised) {
        Tensor m = Tensor.fromArray(new double[] {M[0][0], M[0][1], M[1][0], M[1][1]}, 2, 2);
        Tensor c = Tensor.fromArray(C, 2, 1);
        Parameter p;
        Function<Tensor, Tensor> forward;
        if (reparametrised) {
            // phi0 = M^-1 (theta0 - c), so that both runs start at the same theta.
            double det = M[0][0] * M[1][1] - M[0][1] * M[1][0];
            double a = START[0] - C[0];
            double b = START[1] - C[1];
            p = new Parameter(Tensor.fromArray(new double[] {(M[1][1] * a - M[0][1] * b) / det,
                (-M[1][0] * a + M[0][0] * b) / det}, 2, 1));
            forward = in -> in.matmul(m.matmul(p).add(c));
        } else {
            p = new Parameter(Tensor.fromArray(START.clone(), 2, 1));
            forward = in -> in.matmul(p);
        }
        CurvatureProblem problem = CurvatureProblem.of(List.of(p), forward, LossKind.BCE, x, y);
        Optimizer opt;
        if (method.equals("natural")) {
            opt = new NaturalGradient(problem, Map.of("lr", lr, "damping", 0.0));
        } else {
            SGD sgd = new SGD(problem.parameters(), lr);
            opt = sgd;
        }
        JsonArray out = new JsonArray();
        out.add(theta(p, reparametrised));
        for (int k = 0; k < steps; k++) {
            try {
                if (opt instanceof SGD sgd) {
                    sgd.step(problem::evaluate);
                } else {
                    opt.step(null);
                }
            } catch (RuntimeException e) {
                // A step too long for the Fisher there (it saturates and turns singular): the path ends.
                break;
            }
            JsonArray t = theta(p, reparametrised);
            if (!Double.isFinite(t.get(0).getAsDouble()) || !Double.isFinite(t.get(1).getAsDouble())) {
                break;
            }
            out.add(t);
        }
        return out;
    }

    private static JsonArray theta(Parameter p, boolean reparametrised) {
        double u = p.getFlat(0);
        double v = p.getFlat(1);
        JsonArray a = new JsonArray();
        a.add(reparametrised ? M[0][0] * u + M[0][1] * v + C[0] : u);
        a.add(reparametrised ? M[1][0] * u + M[1][1] * v + C[1] : v);
        return a;
    }

    /** The mean cross-entropy over the window, GRID points a side, for the contours. */
    private static JsonObject lossGrid(Tensor x, Tensor y) {
        Parameter theta = new Parameter(Tensor.zeros(DType.FLOAT64, 2, 1));
        CurvatureProblem problem = CurvatureProblem.of(List.of(theta), in -> in.matmul(theta), LossKind.BCE, x, y);
        JsonArray values = new JsonArray(GRID * GRID);
        for (int j = 0; j < GRID; j++) {
            for (int i = 0; i < GRID; i++) {
                theta.setFlat(0, WINDOW[0] + (WINDOW[1] - WINDOW[0]) * i / (GRID - 1));
                theta.setFlat(1, WINDOW[2] + (WINDOW[3] - WINDOW[2]) * j / (GRID - 1));
                values.add(problem.lossValue());
            }
        }
        JsonObject g = new JsonObject();
        g.addProperty("nx", GRID);
        g.addProperty("ny", GRID);
        g.add("values", values);
        return g;
    }
}
