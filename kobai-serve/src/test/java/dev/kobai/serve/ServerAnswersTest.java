package dev.kobai.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kobai.cli.RacePresets;
import dev.kobai.data.Dataset;
import dev.kobai.data.Datasets;
import dev.kobai.serve.HttpError.Problem;
import dev.kobai.surface.Surface;
import dev.kobai.surface.Surfaces;
import dev.kobai.tensor.Rng;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the API answers, value by value, against what it describes (the surfaces and presets of the
 * core and the CLI) or an independent computation in plain Java (the SGD and natural-gradient
 * figures), and every limit at its edge: the edge accepted, one past it refused. ServerTest checks
 * the streams and the refusals' messages; this class, what a page is given to draw, including the
 * code and arguments beside each refusal's English line from which a page writes it in Japanese.
 */
class ServerAnswersTest {
    private static KobaiServer server;
    private static HttpClient client;

    @BeforeAll
    static void start() {
        server = KobaiServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client = HttpClient.newHttpClient();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(server.uri().resolve(path)));
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return send(HttpRequest.newBuilder(server.uri().resolve(path)).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static JsonObject json(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    private static JsonArray pair(double a, double b) {
        JsonArray p = new JsonArray();
        p.add(a);
        p.add(b);
        return p;
    }

    private static JsonArray domain(Surface.Domain d) {
        JsonArray a = new JsonArray();
        a.add(d.xMin());
        a.add(d.xMax());
        a.add(d.yMin());
        a.add(d.yMax());
        return a;
    }

    private static void assertDescribes(Surface s, JsonObject o) {
        assertEquals(s.name(), o.get("name").getAsString());
        assertEquals(s.formula(), o.get("formula").getAsString());
        assertEquals(pair(s.start().x(), s.start().y()), o.get("start"));
        JsonArray minima = new JsonArray();
        s.minima().forEach(m -> minima.add(pair(m.x(), m.y())));
        assertEquals(minima, o.get("minima"), s.name());
        double m = s.minimumValue();
        assertEquals(Double.isFinite(m) ? m : null, o.get("minimumValue").isJsonNull() ? null
                : o.get("minimumValue").getAsDouble(), s.name());
    }

    @Test
    void theSurfacesListIsTheCoresSurfacesTheClisPresetsAndTheLimits() throws Exception {
        HttpResponse<String> r = get("api/surfaces");
        assertEquals("application/json; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
        assertEquals("no-store", r.headers().firstValue("Cache-Control").orElse(""));
        JsonObject o = json(r);
        JsonArray surfaces = o.getAsJsonArray("surfaces");
        assertEquals(Surfaces.all().size(), surfaces.size());
        for (int i = 0; i < surfaces.size(); i++) {
            Surface s = Surfaces.all().get(i);
            assertDescribes(s, surfaces.get(i).getAsJsonObject());
            assertEquals(domain(s.domain()), surfaces.get(i).getAsJsonObject().get("domain"));
        }
        JsonArray presets = o.getAsJsonArray("presets");
        assertEquals(RacePresets.names().size(), presets.size());
        for (int i = 0; i < presets.size(); i++) {
            RacePresets.Preset p = RacePresets.byName(RacePresets.names().get(i));
            JsonObject j = presets.get(i).getAsJsonObject();
            assertEquals(p.name(), j.get("name").getAsString());
            assertEquals(p.surface(), j.get("surface").getAsString());
            assertEquals(pair(p.start().x(), p.start().y()), j.get("start"));
            assertEquals(domain(p.domain()), j.get("domain"));
            assertEquals(p.steps(), j.get("steps").getAsInt());
            assertEquals(p.caption(), j.get("caption").getAsString());
            assertEquals(Api.entries(p.runners()), j.get("runners"));
            assertTrue(!p.runners().isEmpty() && j.getAsJsonArray("runners").get(0).getAsJsonObject().has("label"));
        }
        JsonObject limits = o.getAsJsonObject("limits");
        assertEquals(Api.MAX_STEPS, limits.get("steps").getAsInt());
        assertEquals(Api.MAX_RUNNERS, limits.get("runners").getAsInt());
        assertEquals(Api.MAX_EXPRESSION, limits.get("expression").getAsInt());
        assertEquals(Api.MAX_SPEC, limits.get("spec").getAsInt());
        assertEquals(Api.MAX_GRID, limits.get("grid").getAsInt());
        assertEquals(Api.MAX_SECONDS, limits.get("seconds").getAsInt());
        JsonArray data = new JsonArray();
        data.add("digits");
        if (Files.isDirectory(Datasets.FASHION_MNIST_DIR)) {
            data.add("fashion-mnist");
        }
        assertEquals(data, o.get("data"));
    }

    @Test
    void aSurfacesGridIsItsValuesAtTheGridsPoints() throws Exception {
        Surface s = Surfaces.byName("beale");
        JsonObject o = json(get("api/surface?surface=beale&domain=-1,3,-2.5,0.5&nx=7&ny=4"));
        assertDescribes(s, o);
        assertEquals(domain(new Surface.Domain(-1, 3, -2.5, 0.5)), o.get("domain"));
        JsonObject grid = o.getAsJsonObject("grid");
        assertEquals(7, grid.get("nx").getAsInt());
        assertEquals(4, grid.get("ny").getAsInt());
        JsonArray values = grid.getAsJsonArray("values");
        assertEquals(28, values.size());
        for (int j = 0; j < 4; j++) {
            for (int i = 0; i < 7; i++) {
                double x = -1 + 4.0 * i / 6;
                double y = -2.5 + 3.0 * j / 3;
                assertEquals(s.value(x, y), values.get(j * 7 + i).getAsDouble(), 1e-12 * (1 + Math.abs(s.value(x, y))),
                        "at " + x + ", " + y);
            }
        }
        // A value that is not finite is null; without a domain, the surface's own is used.
        JsonObject own = json(get("api/surface?surface=" + java.net.URLEncoder.encode("expr:1/x", "UTF-8")
                + "&domain=-1,1,0,1&nx=3&ny=2"));
        assertTrue(own.getAsJsonObject("grid").getAsJsonArray("values").get(1).isJsonNull(), own.toString());
        assertEquals(1.0, own.getAsJsonObject("grid").getAsJsonArray("values").get(2).getAsDouble());
        assertEquals(domain(s.domain()), json(get("api/surface?surface=beale&nx=2&ny=2")).get("domain"));
    }

    @Test
    void aRacesHeaderSaysWhatRunsAndItsDefaults() throws Exception {
        HttpResponse<String> r = post("api/race", "{\"surface\":\"booth\",\"runners\":[{\"spec\":\"adam:lr=0.1\"},"
                + "{\"label\":\"mine\",\"spec\":\"sgd:lr=0.01\"}],\"dtype\":\"float32\"}");
        assertEquals(200, r.statusCode(), r.body());
        List<String> lines = r.body().lines().toList();
        JsonObject head = JsonParser.parseString(lines.getFirst()).getAsJsonObject();
        Surface booth = Surfaces.byName("booth");
        assertDescribes(booth, head);
        assertEquals(100, head.get("steps").getAsInt());
        assertEquals("float32", head.get("dtype").getAsString());
        assertEquals("[{\"label\":\"adam\",\"spec\":\"adam:lr=0.1\"},{\"label\":\"mine\",\"spec\":\"sgd:lr=0.01\"}]",
                head.get("runners").toString());
        // 100 steps by default, from the surface's start, in float32's shortest decimals.
        assertEquals(1 + 2 * 101 + 1, lines.size());
        JsonObject first = JsonParser.parseString(lines.get(1)).getAsJsonObject();
        assertEquals((float) booth.start().x(), first.get("x").getAsFloat());
        assertEquals(Float.toString((float) booth.start().x()), first.get("x").toString());
        // A start given is the start drawn.
        HttpResponse<String> given = post("api/race", "{\"surface\":\"booth\",\"start\":[0.5,-1],\"steps\":1,"
                + "\"runners\":[{\"spec\":\"adam\"}]}");
        assertEquals("[0.5,-1.0]", JsonParser.parseString(given.body().lines().findFirst().orElseThrow()).getAsJsonObject()
                .get("start").toString());
        assertTrue(given.body().lines().skip(1).findFirst().orElseThrow().contains("\"x\":0.5,\"y\":-1.0"), given.body());
        // A bad spec is named by its place in the list.
        HttpResponse<String> bad = post("api/race", "{\"surface\":\"booth\",\"runners\":[{\"spec\":\"adam\"},"
                + "{\"spec\":\"sgd:lr=-2\"}]}");
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("runners[1].spec"), bad.body());
    }

    /**
     * Each limit at its edge: the edge is accepted, one past it refused with the limit in the
     * message. Steps, start, expression length, domain, the SGD figure's batch, the natural-gradient
     * figure's learning rate, the body's size, declared and streamed.
     */
    @Test
    void everyLimitHoldsAtItsEdge() throws Exception {
        String race = "{\"surface\":\"%s\",\"steps\":%s,\"start\":[%s,0],\"runners\":[{\"spec\":\"sgd:lr=1e-9\"}]}";
        assertEquals(200, post("api/race", race.formatted("booth", Api.MAX_STEPS, 0)).statusCode());
        assertEquals(400, post("api/race", race.formatted("booth", Api.MAX_STEPS + 1, 0)).statusCode());
        assertEquals(200, post("api/race", race.formatted("booth", 0, "1e12")).statusCode());
        assertEquals(400, post("api/race", race.formatted("booth", 0, "1.0000001e12")).statusCode());
        String head = Api.MAX_EXPRESSION % 2 == 0 ? "10" : "1";
        String formula = head + "+x".repeat((Api.MAX_EXPRESSION - head.length()) / 2);
        assertEquals(Api.MAX_EXPRESSION, formula.length());
        assertEquals(200, post("api/race", race.formatted("expr:" + formula, 1, 0)).statusCode());
        HttpResponse<String> over = post("api/race", race.formatted("expr:" + formula + "1", 1, 0));
        assertEquals(400, over.statusCode());
        assertTrue(over.body().contains((Api.MAX_EXPRESSION + 1) + " characters long"), over.body());
        assertEquals(200, get("api/surface?surface=booth&domain=-1e12,1e12,0,1&nx=2&ny=2").statusCode());
        assertEquals(400, get("api/surface?surface=booth&domain=-1.0000001e12,1e12,0,1&nx=2&ny=2").statusCode());
        assertEquals(400, get("api/surface?surface=booth&domain=0,1,1,1").statusCode());
        assertEquals(400, get("api/surface?surface=booth&domain=1,1,0,1").statusCode());
        assertEquals(200, get("api/surface?surface=booth&nx=" + Api.MAX_GRID + "&ny=2").statusCode());
        assertEquals(400, get("api/surface?surface=booth&nx=" + (Api.MAX_GRID + 1) + "&ny=2").statusCode());
        assertEquals(200, get("api/natural?method=sgd&lr=10&steps=1").statusCode());
        assertEquals(200, get("api/natural?method=sgd&lr=0.0001&steps=1").statusCode());
        assertEquals(400, get("api/natural?method=sgd&lr=10.000001&steps=1").statusCode());
        assertEquals(400, get("api/natural?method=sgd&lr=0.0000999&steps=1").statusCode());
        // The body: exactly the limit is read, one byte more refused, with or without a length.
        String padded = race.formatted("booth", 1, 0);
        padded = padded + " ".repeat(KobaiServer.MAX_BODY - padded.length());
        assertEquals(200, post("api/race", padded).statusCode());
        assertEquals(413, post("api/race", padded + " ").statusCode());
        for (String body : List.of(padded, padded + " ")) {
            byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            HttpResponse<String> chunked = send(HttpRequest.newBuilder(server.uri().resolve("api/race"))
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bytes))));
            assertEquals(body.length() == KobaiServer.MAX_BODY ? 200 : 413, chunked.statusCode(), chunked.body());
        }
        // A refusal of a method says which it takes; a static page is typed and not sniffed.
        HttpResponse<String> method = send(HttpRequest.newBuilder(server.uri().resolve("api/surfaces"))
                .DELETE());
        assertEquals(405, method.statusCode());
        assertEquals("GET", method.headers().firstValue("Allow").orElse(""));
        assertEquals("application/json; charset=utf-8", method.headers().firstValue("Content-Type").orElse(""));
        HttpResponse<String> page = get("plot.js");
        assertEquals("text/javascript; charset=utf-8", page.headers().firstValue("Content-Type").orElse(""));
        assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(""));
        assertEquals("no-cache", page.headers().firstValue("Cache-Control").orElse(""));
        // A page takes GET and HEAD alone.
        HttpResponse<String> posted = post("race.html", "x");
        assertEquals(405, posted.statusCode());
        assertEquals("GET, HEAD", posted.headers().firstValue("Allow").orElse(""));
        // HEAD of a page: its headers, no body; an unknown endpoint lists the others.
        HttpResponse<String> headers = send(HttpRequest.newBuilder(server.uri().resolve("plot.js"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertEquals(200, headers.statusCode());
        assertEquals("", headers.body());
        assertEquals("text/javascript; charset=utf-8", headers.headers().firstValue("Content-Type").orElse(""));
        HttpResponse<String> none = get("api/none");
        assertEquals(404, none.statusCode());
        assertTrue(none.body().contains("there are surfaces, surface, race, natural, sgd, train"), none.body());
        // The natural-gradient figure's learning rate by default: 2 for gradient descent, 0.25 for natural gradient.
        assertEquals(2.0, json(get("api/natural?method=sgd&steps=1")).get("lr").getAsDouble());
        assertEquals(0.25, json(get("api/natural?steps=1")).get("lr").getAsDouble());
        assertEquals("natural", json(get("api/natural?steps=1")).get("method").getAsString());
        // A message is cut to its first line and 600 characters.
        assertEquals("a".repeat(600), KobaiServer.oneLine("a".repeat(600)));
        assertEquals("a".repeat(600) + "...", KobaiServer.oneLine("a".repeat(601)));
        assertEquals("first", KobaiServer.oneLine("first\nsecond"));
        assertEquals("", KobaiServer.oneLine("\nsecond"));
        assertEquals("first second", KobaiServer.oneLine("first\rsecond"));
        // A name may be empty, and is given twice like any other.
        HttpResponse<String> twice = get("api/surface?surface=booth&nx=2&ny=2&=1&=2");
        assertEquals(400, twice.statusCode());
        assertTrue(twice.body().contains("query parameter '' given twice"), twice.body());
        // The time limit of a request: a deadline not yet reached lets the work go on, one passed stops it.
        Api.checkDeadline(System.nanoTime() + 10_000_000_000L);
        HttpError late = org.junit.jupiter.api.Assertions.assertThrows(HttpError.class,
                () -> Api.checkDeadline(System.nanoTime() - 1));
        assertEquals(503, late.status());
        assertEquals("stopped after " + Api.MAX_SECONDS + " s, the limit of one request", late.getMessage());
        long deadline = Api.deadline();
        long left = deadline - System.nanoTime();
        assertTrue(left > (Api.MAX_SECONDS - 1) * 1_000_000_000L && left <= Api.MAX_SECONDS * 1_000_000_000L, "" + left);
    }

    /**
     * The limits on specs, labels, optimizers and the address, at their edges; a training whose loss
     * diverges says so in a failed event; the command refuses a port outside 0 to 65535.
     */
    @Test
    void specsLabelsRunnersAndAddressesAtTheirEdges() throws Exception {
        String longest = "sgd:lr=0.1" + "0".repeat(Api.MAX_SPEC - 10);
        StringBuilder runners = new StringBuilder("[{\"label\":\"" + "a".repeat(81) + "\",\"spec\":\"" + longest + "\"},"
                + "{\"label\":\"" + "b".repeat(80) + "\",\"spec\":\"adam\"}");
        for (int i = 2; i < Api.MAX_RUNNERS; i++) {
            runners.append(",{\"spec\":\"adam\"}");
        }
        HttpResponse<String> r = post("api/race", "{\"surface\":\"booth\",\"steps\":1,\"runners\":" + runners + "]}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("no-store", r.headers().firstValue("Cache-Control").orElse(""));
        JsonArray heads = JsonParser.parseString(r.body().lines().findFirst().orElseThrow()).getAsJsonObject()
                .getAsJsonArray("runners");
        assertEquals(Api.MAX_RUNNERS, heads.size());
        assertEquals("a".repeat(80), heads.get(0).getAsJsonObject().get("label").getAsString());
        assertEquals("b".repeat(80), heads.get(1).getAsJsonObject().get("label").getAsString());
        HttpResponse<String> tooLong = post("api/race", "{\"surface\":\"booth\",\"runners\":[{\"spec\":\"adam\"},"
                + "{\"spec\":\"" + longest + "0\"}]}");
        assertEquals(400, tooLong.statusCode());
        assertTrue(tooLong.body().contains("runners[1].spec is " + (Api.MAX_SPEC + 1) + " characters; at most "
                + Api.MAX_SPEC), tooLong.body());
        // The address: exactly the limit is answered, one character more is a 414.
        String base = "/api/surface?surface=booth&nx=2&ny=2&pad=";
        String exact = base + "p".repeat(KobaiServer.MAX_URI - base.length());
        assertEquals(200, get(exact.substring(1)).statusCode());
        assertEquals(414, get(exact.substring(1) + "p").statusCode());
        // The training lab: an optimizer spec of exactly the limit trains; a diverging one says so.
        awaitNoTraining();
        HttpResponse<String> train = get("api/train?epochs=1&batch=4096&model=mlp:64-10&opt="
                + java.net.URLEncoder.encode(longest, "UTF-8"));
        assertEquals(200, train.statusCode(), train.body());
        assertEquals("no-store", train.headers().firstValue("Cache-Control").orElse(""));
        assertTrue(train.body().contains("event: done"), train.body());
        HttpResponse<String> over = get("api/train?opt=" + java.net.URLEncoder.encode(longest + "0", "UTF-8"));
        assertEquals(400, over.statusCode());
        assertTrue(over.body().contains("opt is " + (Api.MAX_SPEC + 1) + " characters; at most " + Api.MAX_SPEC), over.body());
        // A model spec of exactly 200 characters trains; one more is refused.
        String model = "mlp:64-11" + "-1".repeat(94) + "-10";
        assertEquals(200, model.length());
        awaitNoTraining();
        HttpResponse<String> longestModel = get("api/train?epochs=1&batch=4096&opt=sgd:lr%3D0.1&model=" + model);
        assertEquals(200, longestModel.statusCode(), longestModel.body());
        assertTrue(longestModel.body().contains("event: done"), longestModel.body());
        HttpResponse<String> longerModel = get("api/train?epochs=1&batch=4096&opt=sgd:lr%3D0.1&model=" + model + "0");
        assertEquals(400, longerModel.statusCode());
        assertTrue(longerModel.body().contains("model is 201 characters; at most 200"), longerModel.body());
        awaitNoTraining();
        HttpResponse<String> diverged = get("api/train?epochs=1&batch=32&model=mlp:64-10&opt=Far%3Dsgd:lr%3D1e300");
        assertEquals(200, diverged.statusCode(), diverged.body());
        assertTrue(diverged.body().contains("event: failed\ndata: {\"run\":0,\"error\":\""), diverged.body());
        assertTrue(diverged.body().contains("event: done"), diverged.body());
        // kobai serve's port.
        for (String port : List.of("-1", "65536")) {
            java.io.StringWriter err = new java.io.StringWriter();
            assertEquals(2, dev.kobai.cli.Kobai.execute(new String[] {"serve", "--port", port},
                    new java.io.PrintWriter(new java.io.StringWriter()), new java.io.PrintWriter(err)));
            assertTrue(err.toString().contains("--port must be between 0 and 65535, got " + port), err.toString());
        }
    }

    /**
     * The JDK server's limits are set by the first start that finds them unset, and a value the JVM
     * was given is kept.
     */
    @Test
    void theJdkServersLimitsAreSetUnlessGiven() throws Exception {
        String time = "sun.net.httpserver.maxReqTime";
        String tick = "sun.net.httpserver.clockTick";
        String oldTime = System.getProperty(time);
        String oldTick = System.getProperty(tick);
        try {
            System.clearProperty(time);
            System.setProperty(tick, "777");
            try (KobaiServer other = KobaiServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                assertEquals(Integer.toString(KobaiServer.REQUEST_SECONDS), System.getProperty(time));
                assertEquals("777", System.getProperty(tick));
                assertEquals(200, client.send(HttpRequest.newBuilder(other.uri().resolve("plot.js")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode());
            }
        } finally {
            restore(time, oldTime);
            restore(tick, oldTick);
        }
    }

    private static void restore(String name, String value) {
        if (value == null) {
            System.clearProperty(name);
        } else {
            System.setProperty(name, value);
        }
    }

    /**
     * kobai serve up to its wait for Ctrl-C: the flags at their edges, the URL printed, and the
     * server answering there.
     */
    @Test
    void serveStartsAtTheEdgesOfItsPortAndPrintsTheUrl() throws Exception {
        // Writers that hold what they are given until flushed, as the terminal's do.
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        ServeCommand command = new ServeCommand();
        picocli.CommandLine line = new picocli.CommandLine(command);
        line.setOut(new java.io.PrintWriter(new java.io.OutputStreamWriter(out, java.nio.charset.StandardCharsets.UTF_8)));
        line.setErr(new java.io.PrintWriter(new java.io.OutputStreamWriter(err, java.nio.charset.StandardCharsets.UTF_8)));
        line.parseArgs("--port", "0");
        try (KobaiServer started = command.open()) {
            assertEquals("Kobai is serving the lecture, the race playground and the training lab at " + started.uri()
                    + " (Ctrl-C stops it)" + System.lineSeparator(), out.toString(java.nio.charset.StandardCharsets.UTF_8));
            assertEquals("", err.toString());
            assertEquals("127.0.0.1", started.uri().getHost());
            assertEquals(200, client.send(HttpRequest.newBuilder(started.uri()).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
        }
        // The highest port passes the check (whether it is free here or not).
        line.parseArgs("--port", "65535", "--host", "localhost");
        try (KobaiServer highest = command.open()) {
            assertEquals(65535, highest.uri().getPort());
        } catch (dev.kobai.KobaiException inUse) {
            assertTrue(inUse.getMessage().startsWith("cannot listen on localhost:65535"), inUse.getMessage());
        }
    }

    /**
     * A stream reaches its client as it is computed: pushed every 256 lines and at the end of each
     * runner, not only when the buffer fills. Observed on a recording stand-in for the connection,
     * since over a socket only timing would tell.
     */
    @Test
    void aStreamIsPushedEvery256LinesAndAfterEachRunner() throws Exception {
        RecordingExchange lines = new RecordingExchange();
        Api.Response response = new Api.Response(lines);
        response.startLines();
        for (int i = 0; i < 600; i++) {
            response.line("x");
        }
        assertEquals(List.of(2 * 256, 2 * 512), lines.flushedAt);
        response.flush();
        assertEquals(List.of(2 * 256, 2 * 512, 2 * 600), lines.flushedAt);

        RecordingExchange race = new RecordingExchange();
        new Api().endpoint("race").handler().handle(new Api.Request(java.util.Map.of(), java.util.Map.of(),
                "{\"surface\":\"booth\",\"steps\":3,\"runners\":[{\"spec\":\"sgd:lr=0.1\"},{\"spec\":\"adam\"}]}"),
                new Api.Response(race));
        List<String> sent = race.written.toString(java.nio.charset.StandardCharsets.UTF_8).lines().toList();
        assertEquals(1 + 2 * 4 + 1, sent.size());
        int afterFirst = 0;
        for (String l : sent.subList(0, 1 + 4)) {
            afterFirst += l.length() + 1;
        }
        int afterSecond = afterFirst;
        for (String l : sent.subList(1 + 4, 1 + 8)) {
            afterSecond += l.length() + 1;
        }
        assertEquals(List.of(afterFirst, afterSecond, race.written.size()), race.flushedAt);
    }

    /**
     * An optimizer that fails mid-path (Newton's shifted Cholesky on a Hessian of NaN, where sqrt(x)
     * is undefined): the stream has the points so far, then the runner's error with its code, and
     * no end.
     */
    @Test
    void aRunnerThatFailsMidPathEndsTheStreamWithItsError() throws Exception {
        HttpResponse<String> r = post("api/race", "{\"surface\":\"expr:sqrt(x)+y^2\",\"start\":[-1,1],\"steps\":5,"
                + "\"runners\":[{\"spec\":\"sgd:lr=0.1\"},{\"spec\":\"newton:indefinite=shift\"}]}");
        assertEquals(200, r.statusCode(), r.body());
        List<String> lines = r.body().lines().toList();
        assertEquals(1 + 6 + 1 + 1, lines.size(), r.body());
        assertTrue(lines.get(1 + 6).startsWith("{\"r\":1,\"step\":0,"), lines.get(1 + 6));
        String detail = "newton: no damping made the curvature positive definite";
        JsonObject error = new JsonObject();
        error.addProperty("error", "runners[1] stopped: " + detail);
        error.addProperty("code", "path_failed");
        JsonObject args = new JsonObject();
        args.addProperty("index", "1");
        args.addProperty("detail", detail);
        error.add("args", args);
        error.addProperty("r", 1);
        assertEquals(error, JsonParser.parseString(lines.getLast()).getAsJsonObject());
    }

    /** An exchange whose response body records how many bytes it held at each flush. */
    private static final class RecordingExchange extends com.sun.net.httpserver.HttpExchange {
        final List<Integer> flushedAt = new java.util.ArrayList<>();
        final java.io.ByteArrayOutputStream written = new java.io.ByteArrayOutputStream() {
            @Override
            public void flush() {
                flushedAt.add(size());
            }
        };
        private final com.sun.net.httpserver.Headers responseHeaders = new com.sun.net.httpserver.Headers();

        @Override
        public com.sun.net.httpserver.Headers getRequestHeaders() {
            return new com.sun.net.httpserver.Headers();
        }

        @Override
        public com.sun.net.httpserver.Headers getResponseHeaders() {
            return responseHeaders;
        }

        @Override
        public java.net.URI getRequestURI() {
            return java.net.URI.create("/api/race");
        }

        @Override
        public String getRequestMethod() {
            return "POST";
        }

        @Override
        public com.sun.net.httpserver.HttpContext getHttpContext() {
            return null;
        }

        @Override
        public void close() {
        }

        @Override
        public java.io.InputStream getRequestBody() {
            return java.io.InputStream.nullInputStream();
        }

        @Override
        public java.io.OutputStream getResponseBody() {
            return written;
        }

        @Override
        public void sendResponseHeaders(int code, long length) {
        }

        @Override
        public InetSocketAddress getRemoteAddress() {
            return null;
        }

        @Override
        public int getResponseCode() {
            return 200;
        }

        @Override
        public InetSocketAddress getLocalAddress() {
            return null;
        }

        @Override
        public String getProtocol() {
            return "HTTP/1.1";
        }

        @Override
        public Object getAttribute(String name) {
            return null;
        }

        @Override
        public void setAttribute(String name, Object value) {
        }

        @Override
        public void setStreams(java.io.InputStream in, java.io.OutputStream out) {
        }

        @Override
        public com.sun.net.httpserver.HttpPrincipal getPrincipal() {
            return null;
        }
    }

    /**
     * Waits until no training runs: one that has sent its last event releases its turn just after,
     * and a training asked for in between is refused with 503.
     */
    private static void awaitNoTraining() throws InterruptedException {
        long idleBy = System.nanoTime() + 60_000_000_000L;
        while (TrainLab.running() && System.nanoTime() < idleBy) {
            Thread.sleep(20);
        }
        assertFalse(TrainLab.running(), "a training was still running after a minute");
    }

    /** A training streaming on one connection does not hold up a page asked for on another. */
    @Test
    void aLongComputationDoesNotHoldUpOtherRequests() throws Exception {
        awaitNoTraining();
        // A server of its own, started here: its executor is what this test is about.
        try (KobaiServer own = KobaiServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             java.net.Socket socket = new java.net.Socket(InetAddress.getLoopbackAddress(), own.uri().getPort())) {
            socket.getOutputStream().write(("GET /api/train?epochs=20&batch=1&model=mlp:64-256-256-10&opt=sgd:lr%3D0.01"
                    + " HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    java.nio.charset.StandardCharsets.UTF_8));
            for (String l = in.readLine(); !"event: batch".equals(l); l = in.readLine()) {
                assertTrue(l != null, "the training's stream ended before its first batch");
            }
            HttpResponse<String> page = client.send(HttpRequest.newBuilder(own.uri().resolve("plot.js"))
                    .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, page.statusCode());
            assertTrue(TrainLab.running(), "the training ended before the page was asked for");
        }
        // Hung up: the training stops at its next minibatch.
        long stoppedBy = System.nanoTime() + 10_000_000_000L;
        while (TrainLab.running() && System.nanoTime() < stoppedBy) {
            Thread.sleep(20);
        }
        assertFalse(TrainLab.running(), "the training went on after its client hung up");
    }

    /** A closed server listens no more: its port refuses connections. */
    @Test
    void aClosedServerStopsListening() throws Exception {
        KobaiServer other = KobaiServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        int port = other.uri().getPort();
        new java.net.Socket(InetAddress.getLoopbackAddress(), port).close();
        other.close();
        org.junit.jupiter.api.Assertions.assertThrows(java.net.ConnectException.class,
                () -> new java.net.Socket(InetAddress.getLoopbackAddress(), port).close());
    }

    /** The logistic regression of the natural-gradient figure, in plain Java. */
    private static final class Logistic {
        final double[] x = new double[40];
        final double[] t = new double[40];

        Logistic() {
            Rng rng = new Rng(1);
            for (int n = 0; n < 40; n++) {
                x[n] = -2 + 4.0 * n / 39;
                t[n] = rng.nextDouble() < 1 / (1 + Math.exp(-(2 * x[n] - 0.5))) ? 1 : 0;
            }
        }

        double loss(double w, double b) {
            double s = 0;
            for (int n = 0; n < 40; n++) {
                double z = w * x[n] + b;
                s += Math.max(z, 0) - z * t[n] + Math.log1p(Math.exp(-Math.abs(z)));
            }
            return s / 40;
        }

        /** The gradient of the mean loss, and the Fisher (the mean of p(1-p) [x 1][x 1]^T). */
        double[] gradientAndFisher(double w, double b) {
            double[] g = new double[5];
            for (int n = 0; n < 40; n++) {
                double p = 1 / (1 + Math.exp(-(w * x[n] + b)));
                g[0] += (p - t[n]) * x[n] / 40;
                g[1] += (p - t[n]) / 40;
                double v = p * (1 - p) / 40;
                g[2] += v * x[n] * x[n];
                g[3] += v * x[n];
                g[4] += v;
            }
            return g;
        }
    }

    @Test
    void theNaturalGradientFigureIsTheLogisticRegressionItDescribes() throws Exception {
        Logistic model = new Logistic();
        double[][] m = {{0.3, 0}, {1.2, 2}};
        for (String method : List.of("sgd", "natural")) {
            double lr = method.equals("sgd") ? 1.5 : 0.3;
            JsonObject o = json(get("api/natural?method=" + method + "&lr=" + lr + "&steps=6"));
            assertEquals(method, o.get("method").getAsString());
            assertEquals(lr, o.get("lr").getAsDouble());
            assertEquals(6, o.get("steps").getAsInt());
            assertEquals("[-4.0,5.0,-3.0,4.0]", o.get("domain").toString());
            for (String which : List.of("direct", "reparametrised")) {
                JsonArray path = o.getAsJsonArray(which);
                assertEquals(7, path.size(), which);
                double w = -1.5;
                double b = 1.5;
                for (int k = 0; k <= 6; k++) {
                    JsonArray p = path.get(k).getAsJsonArray();
                    assertEquals(w, p.get(0).getAsDouble(), 1e-9, method + " " + which + " w at step " + k);
                    assertEquals(b, p.get(1).getAsDouble(), 1e-9, method + " " + which + " b at step " + k);
                    double[] g = model.gradientAndFisher(w, b);
                    double dw;
                    double db;
                    if (method.equals("natural")) {
                        // F^-1 g, the same step in both coordinates.
                        double det = g[2] * g[4] - g[3] * g[3];
                        dw = (g[4] * g[0] - g[3] * g[1]) / det;
                        db = (-g[3] * g[0] + g[2] * g[1]) / det;
                    } else if (which.equals("direct")) {
                        dw = g[0];
                        db = g[1];
                    } else {
                        // A step in phi is M^T g; in theta = M phi + c it is M M^T g.
                        double u = m[0][0] * g[0] + m[1][0] * g[1];
                        double v = m[0][1] * g[0] + m[1][1] * g[1];
                        dw = m[0][0] * u + m[0][1] * v;
                        db = m[1][0] * u + m[1][1] * v;
                    }
                    w -= lr * dw;
                    b -= lr * db;
                }
            }
            JsonObject grid = o.getAsJsonObject("grid");
            assertEquals(60, grid.get("nx").getAsInt());
            assertEquals(60, grid.get("ny").getAsInt());
            JsonArray values = grid.getAsJsonArray("values");
            assertEquals(3600, values.size());
            for (int[] ij : new int[][] {{0, 0}, {59, 0}, {0, 59}, {17, 41}, {59, 59}}) {
                double w = -4 + 9.0 * ij[0] / 59;
                double b = -3 + 7.0 * ij[1] / 59;
                assertEquals(model.loss(w, b), values.get(ij[1] * 60 + ij[0]).getAsDouble(), 1e-12, "loss at " + w + ", " + b);
            }
        }
    }

    @Test
    void theSgdFigureIsTheFullGradientOfThreesAgainstEights() throws Exception {
        Dataset all = Datasets.digitsAll();
        int d = all.featureCount();
        int n = 0;
        for (int label : all.labels()) {
            n += label == 3 || label == 8 ? 1 : 0;
        }
        double[][] x = new double[n][];
        double[] y = new double[n];
        int row = 0;
        for (int i = 0; i < all.labels().length; i++) {
            if (all.labels()[i] == 3 || all.labels()[i] == 8) {
                x[row] = new double[d + 1];
                for (int j = 0; j < d; j++) {
                    x[row][j] = all.features()[i * d + j];
                }
                x[row][d] = 1;
                y[row++] = all.labels()[i] == 8 ? 1 : 0;
            }
        }
        // Two full steps of lr 1 from zero, then the full gradient there.
        double[] weights = new double[d + 1];
        double[] full = null;
        for (int k = 0; k < 3; k++) {
            full = new double[d + 1];
            for (int r = 0; r < n; r++) {
                double z = 0;
                for (int j = 0; j <= d; j++) {
                    z += weights[j] * x[r][j];
                }
                double p = 1 / (1 + Math.exp(-z));
                for (int j = 0; j <= d; j++) {
                    full[j] += (p - y[r]) * x[r][j] / n;
                }
            }
            if (k < 2) {
                for (int j = 0; j <= d; j++) {
                    weights[j] -= full[j];
                }
            }
        }
        double norm = 0;
        for (double v : full) {
            norm += v * v;
        }
        norm = Math.sqrt(norm);
        JsonObject o = json(get("api/sgd?batch=" + n));
        assertEquals(n, o.get("examples").getAsInt());
        assertEquals(n, o.get("batch").getAsInt());
        // The plane's first axis is the full gradient: it lies on it at its length.
        JsonArray f = o.getAsJsonArray("full");
        assertEquals(norm, f.get(0).getAsDouble(), 1e-12);
        assertEquals(0, f.get(1).getAsDouble(), 1e-12);
        assertTrue(o.get("radius").getAsDouble() >= 1.1 * norm - 1e-12);
        // A batch of every example is the full gradient, every draw.
        for (JsonElement s : o.getAsJsonArray("samples")) {
            assertEquals(norm, s.getAsJsonArray().get(0).getAsDouble(), 1e-12);
            assertEquals(0, s.getAsJsonArray().get(1).getAsDouble(), 1e-12);
        }
        assertEquals(0, o.get("meanSquaredError").getAsDouble(), 1e-20);
        // Smaller batches scatter: the plane holds only part of each draw's distance from the full gradient.
        JsonObject eight = json(get("api/sgd?batch=8"));
        double inPlane = 0;
        JsonArray samples = eight.getAsJsonArray("samples");
        for (JsonElement s : samples) {
            double a = s.getAsJsonArray().get(0).getAsDouble() - norm;
            double b = s.getAsJsonArray().get(1).getAsDouble();
            inPlane += a * a + b * b;
        }
        inPlane /= samples.size();
        double mse = eight.get("meanSquaredError").getAsDouble();
        assertTrue(inPlane > 0.05 * mse && inPlane <= mse * (1 + 1e-12), inPlane + " of " + mse);
        assertEquals(o.get("radius"), eight.get("radius"));

        // Single examples: the draws are the documented ones (seed 3 + 1, each the first of a
        // permutation); the plane's second axis is the direction across the full gradient in which
        // their gradients vary most; the scale is 1.1 times the larger of the full gradient's length
        // and the 80th percentile of their lengths in the plane.
        JsonObject one = json(get("api/sgd?batch=1"));
        JsonArray ones = one.getAsJsonArray("samples");
        assertEquals(SgdDemo.SAMPLES, ones.size());
        Rng rng = new Rng(4);
        double[][] deviations = new double[SgdDemo.SAMPLES][];
        double squared = 0;
        double across = 0;
        double[] lengths = new double[SgdDemo.SAMPLES];
        for (int s = 0; s < SgdDemo.SAMPLES; s++) {
            int r = rng.permutation(n)[0];
            double z = 0;
            for (int j = 0; j <= d; j++) {
                z += weights[j] * x[r][j];
            }
            double p = 1 / (1 + Math.exp(-z));
            double[] dev = new double[d + 1];
            double along = 0;
            for (int j = 0; j <= d; j++) {
                dev[j] = (p - y[r]) * x[r][j] - full[j];
                squared += dev[j] * dev[j];
                along += dev[j] * full[j] / norm;
            }
            double a = ones.get(s).getAsJsonArray().get(0).getAsDouble();
            double b = ones.get(s).getAsJsonArray().get(1).getAsDouble();
            assertEquals(norm + along, a, 1e-12, "draw " + s);
            for (int j = 0; j <= d; j++) {
                dev[j] -= along * full[j] / norm;
            }
            deviations[s] = dev;
            across += b * b;
            lengths[s] = Math.hypot(a, b);
        }
        assertEquals(squared / SgdDemo.SAMPLES, one.get("meanSquaredError").getAsDouble(), 1e-12 * squared);
        // Sum of b^2 is the second axis's Rayleigh quotient of C = sum of dev dev^T (the axis is
        // across the full gradient, so g.v = dev.v): at its largest, C's top eigenvalue.
        assertEquals(topEigenvalue(deviations), across, 1e-6 * across);
        Arrays.sort(lengths);
        assertEquals(Math.max(norm, lengths[(int) (0.8 * (SgdDemo.SAMPLES - 1))]) * 1.1,
                one.get("radius").getAsDouble(), 1e-12);
    }

    /** The largest eigenvalue of the sum of the rows' outer products, by power iteration to convergence. */
    private static double topEigenvalue(double[][] rows) {
        int m = rows[0].length;
        double[] v = new double[m];
        Arrays.fill(v, 1 / Math.sqrt(m));
        double lambda = 0;
        for (int iteration = 0; iteration < 20_000; iteration++) {
            double[] next = new double[m];
            for (double[] row : rows) {
                double c = 0;
                for (int j = 0; j < m; j++) {
                    c += row[j] * v[j];
                }
                for (int j = 0; j < m; j++) {
                    next[j] += c * row[j];
                }
            }
            double length = 0;
            for (double e : next) {
                length += e * e;
            }
            lambda = Math.sqrt(length);
            for (int j = 0; j < m; j++) {
                v[j] = next[j] / lambda;
            }
        }
        return lambda;
    }

    // A refusal's code and arguments beside its English line, and the pages' Japanese table of them
    // (web/i18n.js) holding every code the server sends with the same arguments; BrowserTest shows
    // the result on the pages in both languages.

    /** The refusal's JSON, after checking its status. */
    private static JsonObject refusal(int status, HttpResponse<String> r) {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/json; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    /** {"error": english, "code": code, "args": {names and values}}, exactly. */
    private static JsonObject expected(String english, String code, String... namesAndValues) {
        JsonObject o = new JsonObject();
        o.addProperty("error", english);
        o.addProperty("code", code);
        JsonObject args = new JsonObject();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            args.addProperty(namesAndValues[i], namesAndValues[i + 1]);
        }
        o.add("args", args);
        return o;
    }

    /** The Japanese templates of web/i18n.js by code, in the file's order. */
    static Map<String, String> japaneseTemplates() throws Exception {
        String js;
        try (InputStream in = ServerAnswersTest.class.getResourceAsStream("/dev/kobai/serve/web/i18n.js")) {
            js = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        int from = js.indexOf("const KOBAI_ERRORS_JA = {");
        assertTrue(from >= 0, "i18n.js has no KOBAI_ERRORS_JA");
        String table = js.substring(from, js.indexOf("\n};", from));
        Map<String, String> templates = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^  ([a-z_]+): '([^'\\n]*)',$").matcher(table);
        while (m.find()) {
            assertEquals(null, templates.put(m.group(1), m.group(2)), "twice in i18n.js: " + m.group(1));
        }
        // Every line of the table is an entry the pattern read.
        assertEquals(table.lines().count() - 1, templates.size(), table);
        return templates;
    }

    /** The argument names of a template: {name}, and {name+1} (the page's count from 1) as name. */
    private static TreeSet<String> placeholders(String template) {
        TreeSet<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("\\{([a-z]+)(\\+1)?\\}").matcher(template);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    @Test
    void everyProblemHasAJapaneseTemplateWithTheSameArguments() throws Exception {
        Map<String, String> ja = japaneseTemplates();
        List<String> codes = Arrays.stream(Problem.values()).map(Problem::code).toList();
        assertEquals(new TreeSet<>(codes), new TreeSet<>(ja.keySet()), "the server's codes and the page's table");
        for (Problem p : Problem.values()) {
            String template = ja.get(p.code());
            assertEquals(placeholders(p.template()), placeholders(template), p.code() + ": " + template);
            // Japanese: no English sentence left in it (a word of three lower-case letters outside the
            // arguments; expr: is the command line's prefix).
            String words = template.replaceAll("\\{[a-z]+(\\+1)?\\}", "").replace("expr:", "");
            assertFalse(Pattern.compile("\\b[a-z]{3,}\\b").matcher(words).find(), p.code() + ": " + template);
        }
        assertEquals("out_of_range", Problem.OUT_OF_RANGE.code());
    }

    @Test
    void aRefusalCarriesItsCodeAndArgumentsBesideItsEnglishLine() throws Exception {
        assertEquals(expected("steps must be between 0 and 5000, got 1000000000", "out_of_range",
                        "name", "steps", "min", "0", "max", "5000", "value", "1000000000"),
                refusal(400, post("api/race", "{\"surface\":\"beale\",\"steps\":1000000000,\"runners\":[{\"spec\":\"sgd\"}]}")));
        assertEquals(expected("runners[1].spec 'sgd:lr=-1': Invalid learning rate: -1.0", "bad_spec",
                        "index", "1", "spec", "sgd:lr=-1", "detail", "Invalid learning rate: -1.0"),
                refusal(400, post("api/race", "{\"surface\":\"beale\",\"runners\":[{\"spec\":\"adam\"},{\"spec\":\"sgd:lr=-1\"}]}")));
        assertEquals(expected("nx must be a whole number, got 'many'", "not_whole", "name", "nx", "value", "'many'"),
                refusal(400, get("api/surface?surface=beale&nx=many")));
        assertEquals(expected("lr must be a number, got 'fast'", "not_a_number", "name", "lr", "value", "fast"),
                refusal(400, get("api/natural?lr=fast")));
        assertEquals(expected("no API endpoint /api/none; there are surfaces, surface, race, natural, sgd, train",
                        "no_endpoint", "name", "none", "names", "surfaces, surface, race, natural, sgd, train"),
                refusal(404, get("api/none")));
        assertEquals(expected("method GET not allowed here; use POST", "method", "method", "GET", "allowed", "POST"),
                refusal(405, get("api/race")));
        assertEquals(expected("runners must be a non-empty array of {\"label\", \"spec\"}", "no_runners"),
                refusal(400, post("api/race", "{\"surface\":\"beale\"}")));
        assertEquals(expected("opt 'sgd:lr=-1': Invalid learning rate: -1.0", "bad_opt",
                        "spec", "sgd:lr=-1", "detail", "Invalid learning rate: -1.0"),
                refusal(400, get("api/train?opt=sgd:lr%3D-1")));
        // An engine's message of several lines (a formula's, with a caret under the fault) is cut to
        // its first, in the line and in the argument alike.
        JsonObject formula = refusal(400, get("api/surface?surface=expr:x%5E2%2B*y"));
        String detail = formula.getAsJsonObject("args").get("detail").getAsString();
        assertTrue(detail.startsWith("bad expression at column 5: ") && !detail.contains("\n"), detail);
        assertEquals(expected("surface: " + detail, "bad_surface", "detail", detail), formula);
    }

    @Test
    void aFailedTrainingRunSaysSoWithItsCode() throws Exception {
        HttpResponse<String> r = get("api/train?epochs=1&batch=32&model=mlp:64-10&opt=Far%3Dsgd:lr%3D1e300");
        assertEquals(200, r.statusCode(), r.body());
        String failed = r.body().lines().dropWhile(l -> !l.equals("event: failed")).skip(1).findFirst().orElseThrow();
        JsonObject o = JsonParser.parseString(failed.substring("data: ".length())).getAsJsonObject();
        assertEquals(0, o.get("run").getAsInt());
        assertEquals("training_failed", o.get("code").getAsString());
        assertEquals(o.get("error").getAsString(), o.getAsJsonObject("args").get("detail").getAsString());
        assertFalse(o.get("error").getAsString().isBlank());
    }

    @Test
    void theEnglishLineIsTheTemplateFilledInOnePass() {
        // A spec that looks like a placeholder stays as typed.
        HttpError e = HttpError.badRequest(Problem.BAD_SPEC, "index", 2, "spec", "{detail}", "detail", "bad");
        assertEquals("runners[2].spec '{detail}': bad", e.getMessage());
        assertEquals(400, e.status());
        assertEquals(Problem.BAD_SPEC, e.problem());
        assertEquals(List.of("index", "spec", "detail"), new ArrayList<>(e.args().keySet()));
        assertEquals("$1 \\", HttpError.badRequest(Problem.USAGE, "detail", "$1 \\").getMessage());
        // Arguments are one line each, as the English line is.
        HttpError multiline = new HttpError(503, Problem.USAGE, "detail", "first\nsecond");
        assertEquals(Map.of("detail", "first"), multiline.args());
        assertEquals(503, multiline.status());
    }
}
