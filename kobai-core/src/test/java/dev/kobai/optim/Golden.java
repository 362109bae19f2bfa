package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.Tensor;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Replays golden optimizer trajectories written by the scripts in tools/ (see
 * tools/golden_common.py for the fixture layout) and compares every parameter after every step.
 *
 * <p>The network problem is cross_entropy(W2 tanh(W1 x + b1) + b2, y) with parameters named
 * w1, b1, w2, b2 in that order; a case may split them into groups by index. Surface problems take
 * a 2-element parameter and a function of it, supplied by the caller; {@link #surface} gives the
 * surfaces Kobai ships.
 */
public final class Golden {
    public static final double RTOL = 1e-10;
    private static final int[][] MLP_SHAPES = {{3, 4}, {3}, {2, 3}, {2}};
    private static final String[] MLP_NAMES = {"w1", "b1", "w2", "b2"};

    private Golden() {}

    /** Loads a fixture from the test resources, e.g. "/golden/adam.json". */
    public static JsonObject load(String resource) {
        try (var in = Golden.class.getResourceAsStream(resource)) {
            if (in == null) {
                fail("missing fixture " + resource + "; regenerate it with the script in tools/");
            }
            return JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public static double[] doubles(JsonArray a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsDouble();
        }
        return out;
    }

    /** Typed options from JSON: booleans, numbers, strings, and arrays of two numbers as double pairs. */
    public static Map<String, Object> options(JsonObject json) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : json.entrySet()) {
            JsonElement v = e.getValue();
            if (v.isJsonArray()) {
                out.put(e.getKey(), doubles(v.getAsJsonArray()));
            } else {
                JsonPrimitive p = v.getAsJsonPrimitive();
                if (p.isBoolean()) {
                    out.put(e.getKey(), p.getAsBoolean());
                } else if (p.isString()) {
                    out.put(e.getKey(), p.getAsString());
                } else {
                    double d = p.getAsDouble();
                    out.put(e.getKey(), d == Math.rint(d) && isIntegerOption(e.getKey()) ? (Object) (int) d : (Object) d);
                }
            }
        }
        return out;
    }

    /** Options torch treats as counts rather than real numbers. */
    private static boolean isIntegerOption(String key) {
        return switch (key) {
            case "max_iter", "max_eval", "history_size" -> true;
            default -> false;
        };
    }

    /** The parameters of the network problem, fresh from the fixture's initial values. */
    public static List<Parameter> mlpParams(JsonObject fixture) {
        JsonArray init = fixture.getAsJsonObject("mlp").getAsJsonArray("init");
        List<Parameter> params = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Parameter p = new Parameter(Tensor.fromArray(doubles(init.get(i).getAsJsonArray()), MLP_SHAPES[i]));
            params.add(p);
        }
        return params;
    }

    /** The network loss at the current parameters (records the graph). */
    public static Tensor mlpLoss(JsonObject fixture, List<Parameter> p) {
        JsonObject mlp = fixture.getAsJsonObject("mlp");
        Tensor x = Tensor.fromArray(doubles(mlp.getAsJsonArray("x")), 5, 4);
        JsonArray ys = mlp.getAsJsonArray("y");
        int[] y = new int[ys.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = ys.get(i).getAsInt();
        }
        Tensor hidden = x.matmul(p.get(0), false, true).add(p.get(1)).tanh();
        return Losses.crossEntropy(hidden.matmul(p.get(2), false, true).add(p.get(3)), y);
    }

    /** Builds the optimizer a case describes over {@code params}: one group, or the case's groups by index. */
    public static Optimizer optimizer(JsonObject kase, List<Parameter> params) {
        String name = kase.get("optimizer").getAsString();
        Map<String, Object> options = options(kase.getAsJsonObject("options"));
        List<ParamGroup> groups = new ArrayList<>();
        if (kase.has("groups")) {
            for (JsonElement g : kase.getAsJsonArray("groups")) {
                JsonObject go = g.getAsJsonObject();
                List<Parameter> members = new ArrayList<>();
                for (JsonElement idx : go.getAsJsonArray("params")) {
                    members.add(params.get(idx.getAsInt()));
                }
                Map<String, Object> merged = new LinkedHashMap<>(options);
                merged.putAll(options(go.getAsJsonObject("options")));
                groups.add(new ParamGroup(members, merged));
            }
        } else {
            groups.add(new ParamGroup(params, options));
        }
        return Optimizers.createWithGroups(name, groups);
    }

    /**
     * Runs every case of a fixture whose problem is "mlp" and checks each step's flattened
     * parameters (w1, b1, w2, b2) and, when given, each step's loss. Returns the number of cases run.
     */
    public static int checkMlpCases(JsonObject fixture) {
        int n = 0;
        for (JsonElement c : fixture.getAsJsonArray("cases")) {
            JsonObject kase = c.getAsJsonObject();
            if (!"mlp".equals(kase.get("problem").getAsString())) {
                continue;
            }
            List<Parameter> params = mlpParams(fixture);
            Optimizer opt = optimizer(kase, params);
            checkSteps(kase, params, opt, () -> mlpLoss(fixture, params));
            n++;
        }
        return n;
    }

    /**
     * Runs every case whose problem is "surface:NAME" with the function {@code surfaces} gives for
     * NAME (taking the 2-element parameter to the loss). Returns the number of cases run.
     */
    public static int checkSurfaceCases(JsonObject fixture, Function<String, Function<Tensor, Tensor>> surfaces) {
        int n = 0;
        for (JsonElement c : fixture.getAsJsonArray("cases")) {
            JsonObject kase = c.getAsJsonObject();
            String problem = kase.get("problem").getAsString();
            if (!problem.startsWith("surface:")) {
                continue;
            }
            Function<Tensor, Tensor> f = surfaces.apply(problem.substring("surface:".length()));
            Parameter xy = new Parameter(Tensor.fromArray(doubles(kase.getAsJsonArray("start")), 2));
            List<Parameter> params = List.of(xy);
            Optimizer opt = optimizer(kase, params);
            checkSteps(kase, params, opt, () -> f.apply(xy));
            n++;
        }
        return n;
    }

    private static void checkSteps(JsonObject kase, List<Parameter> params, Optimizer opt,
                                   java.util.function.Supplier<Tensor> loss) {
        String label = kase.get("optimizer").getAsString() + " " + kase.getAsJsonObject("options") + " on "
                + kase.get("problem").getAsString() + (kase.has("groups") ? " with groups " + kase.get("groups") : "");
        JsonArray steps = kase.getAsJsonArray("steps");
        JsonArray losses = kase.has("losses") ? kase.getAsJsonArray("losses") : null;
        for (int s = 0; s < steps.size(); s++) {
            double got = opt.step(() -> {
                opt.zeroGrad();
                Tensor l = loss.get();
                l.backward();
                return l.item();
            });
            if (losses != null) {
                double expected = losses.get(s).getAsDouble();
                compare(label + " step " + (s + 1) + " loss", expected, got);
            }
            double[] expected = doubles(steps.get(s).getAsJsonArray());
            int k = 0;
            for (Parameter p : params) {
                for (int i = 0; i < p.numel(); i++, k++) {
                    compare(label + " step " + (s + 1) + " element " + k, expected[k], p.getFlat(i));
                }
            }
            assertEquals(expected.length, k, label + ": parameter count");
        }
    }

    private static void compare(String what, double expected, double got) {
        if (!(Math.abs(got - expected) <= RTOL * Math.max(1e-8, Math.abs(expected))) && !(expected == got)) {
            fail(what + ": expected " + expected + ", got " + got);
        }
    }

    /** The surfaces the fixtures name, as Kobai ships them, so the replay also checks those formulas. */
    public static Function<Tensor, Tensor> surface(String name) {
        return dev.kobai.surface.Surfaces.byName(name)::value;
    }

    /** Parameter names of the network problem, for name-keyed tests. */
    public static String[] mlpNames() {
        return MLP_NAMES.clone();
    }
}
