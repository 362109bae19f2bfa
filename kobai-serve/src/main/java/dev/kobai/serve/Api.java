package dev.kobai.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import dev.kobai.UsageException;
import dev.kobai.cli.RacePresets;
import dev.kobai.serve.HttpError.Problem;
import dev.kobai.nn.Parameter;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.OptimizerSpec;
import dev.kobai.optim.Optimizers;
import dev.kobai.surface.Expression;
import dev.kobai.surface.Surface;
import dev.kobai.surface.Surface.Domain;
import dev.kobai.surface.Surface.Point;
import dev.kobai.surface.Surfaces;
import dev.kobai.surface.Trace;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON API behind the pages. Every endpoint bounds its work: at most {@link #MAX_STEPS} steps
 * per path, {@link #MAX_RUNNERS} optimizers per race, {@link #MAX_EXPRESSION} characters of a
 * typed formula, a contour grid of at most {@link #MAX_GRID} points a side, and
 * {@link #MAX_SECONDS} seconds per request. Input outside them is a 400 with one line saying what
 * and where; nothing is computed for it.
 *
 * <ul>
 *   <li>{@code GET /api/surfaces}: the surfaces, the lecture's race presets and these limits.</li>
 *   <li>{@code GET /api/surface?surface=NAME[&domain=XMIN,XMAX,YMIN,YMAX][&nx=N&ny=N]}: the surface's
 *       formula, minima, domain, start, and its values on a grid for the contours. The same
 *       parameters may come form-encoded in the body of a POST, where a long formula fits.</li>
 *   <li>{@code POST /api/race} with {@code {"surface", "start": [x, y], "steps", "runners":
 *       [{"label", "spec"}], "dtype"}}: the paths, streamed as JSON lines as they are computed: a
 *       header line, then one line per point, {@code {"r": runner, "step", "x", "y", "loss"}}, then
 *       {@code {"done": true}}. Every point is what {@code kobai trace} prints for the same surface,
 *       start, optimizer and steps, as the same shortest decimals (null for NaN and infinities).</li>
 *   <li>{@code GET /api/natural?method=sgd|natural&lr=X&steps=N}: {@link NaturalDemo}.</li>
 *   <li>{@code GET /api/sgd?batch=B}: {@link SgdDemo}.</li>
 *   <li>{@code GET /api/train?...}: the training lab's server-sent events, {@link TrainLab}.</li>
 * </ul>
 */
final class Api {
    static final int MAX_STEPS = 5000;
    static final int MAX_RUNNERS = 12;
    static final int MAX_EXPRESSION = 2000;
    static final int MAX_SPEC = 300;
    static final int MAX_GRID = 300;
    static final int MAX_SECONDS = 20;

    /**
     * What a handler reads: the query parameters (the first of each name), every value of each
     * name, and the body of a POST.
     */
    record Request(Map<String, String> query, Map<String, List<String>> multi, String body) {
        List<String> all(String name) {
            return multi.getOrDefault(name, List.of());
        }
    }

    interface Handler {
        void handle(Request request, Response response) throws IOException;
    }



    /**
     * An endpoint: the methods it answers and its handler. With {@code form}, a POST's body is
     * form-encoded parameters read as if they were in the query (for a formula too long for an
     * address); without it, a POST's body is handed to the handler as it is.
     */
    record Endpoint(List<String> methods, boolean form, Handler handler) {
        Endpoint(String method, Handler handler) {
            this(List.of(method), false, handler);
        }
    }

    private final Map<String, Endpoint> endpoints = new LinkedHashMap<>();
    private SgdDemo sgdDemo;

    Api() {
        endpoints.put("surfaces", new Endpoint("GET", this::surfaces));
        endpoints.put("surface", new Endpoint(List.of("GET", "POST"), true, this::surface));
        endpoints.put("race", new Endpoint("POST", this::race));
        endpoints.put("natural", new Endpoint("GET", (req, res) -> res.json(NaturalDemo.run(req.query()))));
        endpoints.put("sgd", new Endpoint("GET", (req, res) -> res.json(sgdDemo().run(req.query()))));
        endpoints.put("train", new Endpoint("GET", (req, res) -> TrainLab.handle(req, res.exchange())));
    }

    /** The SGD figure's problem, built on its first request rather than for every server. */
    private synchronized SgdDemo sgdDemo() {
        if (sgdDemo == null) {
            sgdDemo = new SgdDemo();
        }
        return sgdDemo;
    }

    Endpoint endpoint(String name) {
        return endpoints.get(name);
    }

    List<String> names() {
        return List.copyOf(endpoints.keySet());
    }

    private void surfaces(Request req, Response res) throws IOException {
        JsonObject o = new JsonObject();
        JsonArray surfaces = new JsonArray();
        for (Surface s : Surfaces.all()) {
            surfaces.add(describe(s));
        }
        o.add("surfaces", surfaces);
        JsonArray presets = new JsonArray();
        for (String name : RacePresets.names()) {
            RacePresets.Preset p = RacePresets.byName(name);
            JsonObject j = new JsonObject();
            j.addProperty("name", p.name());
            j.addProperty("surface", p.surface());
            j.add("start", point(p.start()));
            j.add("domain", domain(p.domain()));
            j.addProperty("steps", p.steps());
            j.add("runners", entries(p.runners()));
            j.addProperty("caption", p.caption());
            presets.add(j);
        }
        o.add("presets", presets);
        JsonObject limits = new JsonObject();
        limits.addProperty("steps", MAX_STEPS);
        limits.addProperty("runners", MAX_RUNNERS);
        limits.addProperty("expression", MAX_EXPRESSION);
        limits.addProperty("spec", MAX_SPEC);
        limits.addProperty("grid", MAX_GRID);
        limits.addProperty("seconds", MAX_SECONDS);
        o.add("limits", limits);
        // The training lab offers Fashion-MNIST only where Debian's copy is installed.
        JsonArray data = new JsonArray();
        data.add("digits");
        if (java.nio.file.Files.isDirectory(dev.kobai.data.Datasets.FASHION_MNIST_DIR)) {
            data.add("fashion-mnist");
        }
        o.add("data", data);
        res.json(o);
    }

    private void surface(Request req, Response res) throws IOException {
        Surface s = surfaceByName(req.query().get("surface"));
        Domain d = req.query().containsKey("domain") ? parseDomain(req.query().get("domain")) : s.domain();
        int nx = intParam(req.query(), "nx", 120, 2, MAX_GRID);
        int ny = intParam(req.query(), "ny", 90, 2, MAX_GRID);
        JsonObject o = describe(s);
        o.add("domain", domain(d));
        JsonObject grid = new JsonObject();
        grid.addProperty("nx", nx);
        grid.addProperty("ny", ny);
        JsonArray values = new JsonArray(nx * ny);
        long deadline = deadline();
        for (int j = 0; j < ny; j++) {
            double y = d.yMin() + (d.yMax() - d.yMin()) * j / (ny - 1);
            for (int i = 0; i < nx; i++) {
                double x = d.xMin() + (d.xMax() - d.xMin()) * i / (nx - 1);
                double v = s.value(x, y);
                values.add(Double.isFinite(v) ? new com.google.gson.JsonPrimitive(v) : com.google.gson.JsonNull.INSTANCE);
            }
            checkDeadline(deadline);
        }
        grid.add("values", values);
        o.add("grid", grid);
        res.json(o);
    }

    private void race(Request req, Response res) throws IOException {
        JsonObject body = parseObject(req.body());
        Surface s = surfaceByName(string(body, "surface", true));
        Point start = body.has("start") && !body.get("start").isJsonNull() ? parsePoint(body.get("start")) : null;
        int steps = integer(body, "steps", 100, 0, MAX_STEPS);
        DType dtype = DType.FLOAT64;
        String dt = string(body, "dtype", false);
        if (dt != null) {
            try {
                dtype = DType.parse(dt);
            } catch (UsageException e) {
                throw HttpError.badRequest(Problem.DTYPE, "value", dt);
            }
        }
        JsonElement rs = body.get("runners");
        if (rs == null || !rs.isJsonArray() || rs.getAsJsonArray().isEmpty()) {
            throw HttpError.badRequest(Problem.NO_RUNNERS);
        }
        if (rs.getAsJsonArray().size() > MAX_RUNNERS) {
            throw HttpError.badRequest(Problem.TOO_MANY_RUNNERS, "max", MAX_RUNNERS, "count", rs.getAsJsonArray().size());
        }
        List<RacePresets.Entry> runners = new ArrayList<>();
        int index = 0;
        for (JsonElement e : rs.getAsJsonArray()) {
            if (!e.isJsonObject()) {
                throw HttpError.badRequest(Problem.RUNNER_NOT_OBJECT, "index", index);
            }
            String spec = string(e.getAsJsonObject(), "spec", true);
            String label = string(e.getAsJsonObject(), "label", false);
            if (spec.length() > MAX_SPEC) {
                throw HttpError.badRequest(Problem.SPEC_LONG, "index", index, "length", spec.length(), "max", MAX_SPEC);
            }
            checkSpec(spec, index);
            runners.add(new RacePresets.Entry(label == null || label.isBlank() ? OptimizerSpec.parse(spec).name()
                    : label.length() > 80 ? label.substring(0, 80) : label, spec));
            index++;
        }
        Point from = start == null ? s.start() : start;
        JsonObject head = describe(s);
        head.add("start", point(from));
        head.addProperty("steps", steps);
        head.addProperty("dtype", dtype.toString());
        head.add("runners", entries(runners));
        res.startLines();
        res.line(head.toString());
        long deadline = deadline();
        StringBuilder line = new StringBuilder(96);
        DType type = dtype;
        for (int r = 0; r < runners.size(); r++) {
            int runner = r;
            String spec = runners.get(r).spec();
            try {
                Trace.run(s, params -> Optimizers.create(spec, params), from, steps, type, sample -> {
                    line.setLength(0);
                    line.append("{\"r\":").append(runner).append(",\"step\":").append(sample.step())
                            .append(",\"x\":").append(number(sample.x(), type))
                            .append(",\"y\":").append(number(sample.y(), type))
                            .append(",\"loss\":").append(number(sample.loss(), type)).append('}');
                    res.line(line);
                    if ((sample.step() & 63) == 0) {
                        checkDeadline(deadline);
                    }
                });
            } catch (HttpError | UsageException | ArithmeticException | IllegalArgumentException
                     | IllegalStateException e) {
                // After the header the status is sent: the page reads the error from the stream.
                JsonObject err = KobaiServer.errorJson(e instanceof HttpError h ? h
                        : HttpError.badRequest(Problem.PATH_FAILED, "index", runner, "detail", e.getMessage()));
                err.addProperty("r", runner);
                res.line(err.toString());
                res.finish();
                return;
            }
            res.flush();
        }
        res.line("{\"done\":true}");
        res.finish();
    }

    /** Builds the optimizer on a throw-away point, so that a bad name, option or value is a 400 before any output. */
    private static void checkSpec(String spec, int index) {
        try {
            Optimizers.create(spec, List.of(new Parameter(Tensor.of(0, 0))));
        } catch (UsageException | IllegalArgumentException e) {
            throw HttpError.badRequest(Problem.BAD_SPEC, "index", index, "spec", spec, "detail", e.getMessage());
        }
    }

    /** The shortest decimal that reads back as the same value, as kobai trace prints it; null when not finite. */
    static String number(double v, DType type) {
        if (!Double.isFinite(v)) {
            return "null";
        }
        return type == DType.FLOAT32 ? Float.toString((float) v) : Double.toString(v);
    }

    static Surface surfaceByName(String name) {
        if (name == null || name.isBlank()) {
            throw HttpError.badRequest(Problem.NO_SURFACE);
        }
        if (name.regionMatches(true, 0, Expression.PREFIX, 0, Expression.PREFIX.length())
                && name.length() - Expression.PREFIX.length() > MAX_EXPRESSION) {
            throw HttpError.badRequest(Problem.EXPRESSION_LONG, "length", name.length() - Expression.PREFIX.length(),
                    "max", MAX_EXPRESSION);
        }
        try {
            return Surfaces.byName(name);
        } catch (UsageException e) {
            throw HttpError.badRequest(Problem.BAD_SURFACE, "detail", e.getMessage());
        }
    }

    private static JsonObject describe(Surface s) {
        JsonObject o = new JsonObject();
        o.addProperty("name", s.name());
        o.addProperty("formula", s.formula());
        o.add("domain", domain(s.domain()));
        o.add("start", point(s.start()));
        JsonArray minima = new JsonArray();
        for (Point p : s.minima()) {
            minima.add(point(p));
        }
        o.add("minima", minima);
        double m = s.minimumValue();
        o.add("minimumValue", Double.isFinite(m) ? new com.google.gson.JsonPrimitive(m) : com.google.gson.JsonNull.INSTANCE);
        return o;
    }

    /** Optimizers as [{"label", "spec"}], as races and trainings list them. */
    static JsonArray entries(List<RacePresets.Entry> entries) {
        JsonArray list = new JsonArray();
        for (RacePresets.Entry e : entries) {
            JsonObject r = new JsonObject();
            r.addProperty("label", e.label());
            r.addProperty("spec", e.spec());
            list.add(r);
        }
        return list;
    }

    private static JsonArray point(Point p) {
        JsonArray a = new JsonArray();
        a.add(p.x());
        a.add(p.y());
        return a;
    }

    private static JsonArray domain(Domain d) {
        JsonArray a = new JsonArray();
        a.add(d.xMin());
        a.add(d.xMax());
        a.add(d.yMin());
        a.add(d.yMax());
        return a;
    }

    private static Point parsePoint(JsonElement e) {
        if (!e.isJsonArray() || e.getAsJsonArray().size() != 2) {
            throw HttpError.badRequest(Problem.START_NOT_POINT);
        }
        double x = finite(e.getAsJsonArray().get(0));
        double y = finite(e.getAsJsonArray().get(1));
        return new Point(x, y);
    }

    private static double finite(JsonElement e) {
        try {
            double v = e.getAsDouble();
            if (Double.isFinite(v) && Math.abs(v) <= 1e12) {
                return v;
            }
        } catch (RuntimeException ignored) {
            // falls through to the message
        }
        throw HttpError.badRequest(Problem.START_RANGE, "value", e);
    }

    static Domain parseDomain(String text) {
        String[] parts = text == null ? new String[0] : text.split(",", -1);
        if (parts.length != 4) {
            throw HttpError.badRequest(Problem.DOMAIN_PARTS, "value", text);
        }
        double[] v = new double[4];
        for (int i = 0; i < 4; i++) {
            try {
                v[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw HttpError.badRequest(Problem.DOMAIN_NOT_NUMBERS, "value", text);
            }
            if (!Double.isFinite(v[i]) || Math.abs(v[i]) > 1e12) {
                throw HttpError.badRequest(Problem.DOMAIN_RANGE, "value", text);
            }
        }
        if (!(v[0] < v[1]) || !(v[2] < v[3])) {
            throw HttpError.badRequest(Problem.DOMAIN_EMPTY, "value", text);
        }
        return new Domain(v[0], v[1], v[2], v[3]);
    }

    static int intParam(Map<String, String> query, String name, int fallback, int min, int max) {
        String text = query.get(name);
        if (text == null) {
            return fallback;
        }
        long v;
        try {
            v = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw HttpError.badRequest(Problem.NOT_WHOLE, "name", name, "value", "'" + text + "'");
        }
        if (v < min || v > max) {
            throw HttpError.badRequest(Problem.OUT_OF_RANGE, "name", name, "min", min, "max", max, "value", text.trim());
        }
        return (int) v;
    }

    static double doubleParam(Map<String, String> query, String name, double fallback, double min, double max) {
        String text = query.get(name);
        if (text == null) {
            return fallback;
        }
        double v;
        try {
            v = Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            throw HttpError.badRequest(Problem.NOT_A_NUMBER, "name", name, "value", text);
        }
        if (!(v >= min && v <= max)) {
            throw HttpError.badRequest(Problem.OUT_OF_RANGE, "name", name, "min", min, "max", max, "value", text.trim());
        }
        return v;
    }

    private static JsonObject parseObject(String body) {
        if (body == null || body.isBlank()) {
            throw HttpError.badRequest(Problem.NOT_AN_OBJECT);
        }
        try {
            JsonElement e = JsonParser.parseString(body);
            if (!e.isJsonObject()) {
                throw HttpError.badRequest(Problem.NOT_AN_OBJECT);
            }
            return e.getAsJsonObject();
        } catch (JsonParseException | StackOverflowError e) {
            throw HttpError.badRequest(Problem.MALFORMED_JSON);
        }
    }

    private static String string(JsonObject o, String name, boolean required) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            if (required) {
                throw HttpError.badRequest(Problem.MISSING, "name", name);
            }
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw HttpError.badRequest(Problem.NOT_A_STRING, "name", name);
        }
        return e.getAsString();
    }

    private static int integer(JsonObject o, String name, int fallback, int min, int max) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        double v;
        try {
            v = e.getAsDouble();
        } catch (RuntimeException ex) {
            throw HttpError.badRequest(Problem.NOT_WHOLE, "name", name, "value", e);
        }
        if (v != Math.rint(v)) {
            throw HttpError.badRequest(Problem.NOT_WHOLE, "name", name, "value", e);
        }
        if (v < min || v > max) {
            throw HttpError.badRequest(Problem.OUT_OF_RANGE, "name", name, "min", min, "max", max, "value", e);
        }
        return (int) v;
    }

    static long deadline() {
        return System.nanoTime() + MAX_SECONDS * 1_000_000_000L;
    }

    static void checkDeadline(long deadline) {
        if (System.nanoTime() - deadline > 0) {
            throw new HttpError(503, Problem.DEADLINE, "seconds", MAX_SECONDS);
        }
    }

    /** Writes one answer: a JSON object, or JSON lines streamed as they come. */
    static final class Response {
        private final HttpExchange exchange;
        private OutputStream out;
        private int pending;

        Response(HttpExchange exchange) {
            this.exchange = exchange;
        }

        HttpExchange exchange() {
            return exchange;
        }

        void json(JsonObject o) throws IOException {
            byte[] bytes = o.toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream o2 = exchange.getResponseBody()) {
                o2.write(bytes);
            }
        }

        void startLines() throws IOException {
            exchange.getResponseHeaders().set("Content-Type", "application/x-ndjson; charset=utf-8");
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.sendResponseHeaders(200, 0);
            out = new java.io.BufferedOutputStream(exchange.getResponseBody(), 1 << 14);
        }

        /** One line; a client that has gone stops the computation (see {@link KobaiServer.StreamGone}). */
        void line(CharSequence text) {
            try {
                out.write(text.toString().getBytes(StandardCharsets.UTF_8));
                out.write('\n');
                if (++pending >= 256) {
                    flush();
                }
            } catch (IOException e) {
                throw new KobaiServer.StreamGone(e);
            }
        }

        void flush() {
            try {
                out.flush();
                pending = 0;
            } catch (IOException e) {
                throw new KobaiServer.StreamGone(e);
            }
        }

        void finish() {
            try {
                out.close();
            } catch (IOException e) {
                throw new KobaiServer.StreamGone(e);
            }
        }
    }
}
