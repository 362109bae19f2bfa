package dev.kobai.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kobai.cli.Kobai;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server over real HTTP on 127.0.0.1 (an ephemeral port): the API, its limits, and bad requests. */
class ServerTest {
    private static KobaiServer server;
    private static HttpClient client;

    @BeforeAll
    static void start() {
        server = KobaiServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    record Reply(int status, String contentType, String body) {
        JsonObject json() {
            return JsonParser.parseString(body).getAsJsonObject();
        }
    }

    static Reply get(String path) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(server.uri().resolve(path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    static Reply post(String path, String body) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(server.uri().resolve(path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    /** kobai trace's CSV rows for the same settings, run in this JVM through the CLI. */
    static List<double[]> trace(String surface, String start, String optimizer, int steps) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Kobai.execute(new String[] {"trace", "--surface", surface, "--start=" + start, "--optimizer",
            optimizer, "--steps", Integer.toString(steps)}, new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, code, err.toString());
        List<double[]> rows = new ArrayList<>();
        out.toString().lines().skip(1).forEach(line -> {
            String[] p = line.split(",");
            rows.add(new double[] {Double.parseDouble(p[1]), Double.parseDouble(p[2]), Double.parseDouble(p[3])});
        });
        return rows;
    }

    @Test
    void aRaceStreamsExactlyWhatKobaiTracePrints() throws Exception {
        String[] specs = {"sgd:lr=0.001,momentum=0.9", "adam:lr=0.05", "newton:indefinite=saddle-free"};
        JsonObject body = new JsonObject();
        body.addProperty("surface", "rosenbrock");
        JsonArray start = new JsonArray();
        start.add(-1.2);
        start.add(1);
        body.add("start", start);
        body.addProperty("steps", 120);
        JsonArray runners = new JsonArray();
        for (String s : specs) {
            JsonObject r = new JsonObject();
            r.addProperty("spec", s);
            runners.add(r);
        }
        body.add("runners", runners);
        Reply reply = post("api/race", body.toString());
        assertEquals(200, reply.status(), reply.body());
        assertTrue(reply.contentType().startsWith("application/x-ndjson"), reply.contentType());
        List<String> lines = reply.body().lines().toList();
        JsonObject head = JsonParser.parseString(lines.getFirst()).getAsJsonObject();
        assertEquals("rosenbrock", head.get("name").getAsString());
        assertEquals("{\"done\":true}", lines.getLast());
        assertEquals(1 + specs.length * 121 + 1, lines.size());
        for (int r = 0; r < specs.length; r++) {
            List<double[]> expected = trace("rosenbrock", "-1.2,1", specs[r], 120);
            for (int k = 0; k <= 120; k++) {
                JsonObject p = JsonParser.parseString(lines.get(1 + r * 121 + k)).getAsJsonObject();
                assertEquals(r, p.get("r").getAsInt());
                assertEquals(k, p.get("step").getAsInt());
                // Exactly: the same doubles, not merely close ones.
                assertEquals(expected.get(k)[0], p.get("x").getAsDouble(), 0, specs[r] + " x at step " + k);
                assertEquals(expected.get(k)[1], p.get("y").getAsDouble(), 0, specs[r] + " y at step " + k);
                assertEquals(expected.get(k)[2], p.get("loss").getAsDouble(), 0, specs[r] + " loss at step " + k);
            }
        }
    }

    @Test
    void aTypedSurfaceRacesAndADivergingPathIsNull() throws Exception {
        Reply reply = post("api/race", "{\"surface\":\"expr:0.5*(x^2+100*y^2)\",\"start\":[-9,-1],\"steps\":200,"
                + "\"runners\":[{\"label\":\"too fast\",\"spec\":\"sgd:lr=0.5\"}]}");
        assertEquals(200, reply.status(), reply.body());
        List<String> lines = reply.body().lines().toList();
        assertTrue(JsonParser.parseString(lines.getFirst()).getAsJsonObject().get("runners").toString()
                .contains("too fast"), lines.getFirst());
        // lr 0.5 multiplies y by -49 a step: the loss, 50 y^2, passes the largest double first (at step
        // 91), y itself later (at 183); infinities are sent as null, and the path goes on.
        assertTrue(lines.get(1 + 90).matches(".*\"y\":[-0-9].*\"loss\":[0-9].*"), lines.get(1 + 90));
        assertTrue(lines.get(1 + 91).matches(".*\"y\":[-0-9].*\"loss\":null.*"), lines.get(1 + 91));
        assertTrue(lines.get(1 + 200).contains("\"y\":null"), lines.get(1 + 200));
        assertEquals("{\"done\":true}", lines.getLast());
    }

    @Test
    void badRequestsGetAStatusAndOneLineNeverAStackTrace() throws Exception {
        String race = "{\"surface\":\"%s\",\"steps\":%s,\"runners\":[{\"spec\":\"%s\"}]}";
        record Case(String name, Reply reply, int status, String says) {}
        String longFormula = "x" + "+x".repeat(1500);
        List<Case> cases = List.of(
                new Case("unknown surface", post("api/race", race.formatted("nope", 10, "sgd:lr=0.1")), 400,
                        "unknown surface 'nope'"),
                new Case("malformed spec", post("api/race", race.formatted("beale", 10, "sgd:lr==")), 400,
                        "runners[0].spec"),
                new Case("unknown optimizer", post("api/race", race.formatted("beale", 10, "sgdd:lr=0.1")), 400,
                        "sgdd"),
                new Case("bad value", post("api/race", race.formatted("beale", 10, "adam:lr=-1")), 400,
                        "Invalid learning rate"),
                new Case("no predictive distribution", post("api/race", race.formatted("beale", 10, "kfac")), 400,
                        "runners[0].spec 'kfac'"),
                new Case("huge step count", post("api/race", race.formatted("beale", 1000000000, "sgd:lr=0.1")), 400,
                        "steps must be between 0 and 5000"),
                new Case("negative steps", post("api/race", race.formatted("beale", -1, "sgd:lr=0.1")), 400,
                        "steps must be between 0 and 5000"),
                new Case("fractional steps", post("api/race", race.formatted("beale", 2.5, "sgd:lr=0.1")), 400,
                        "whole number"),
                new Case("bad expression", post("api/race", race.formatted("expr:x^2+*y", 10, "sgd:lr=0.1")), 400,
                        "bad expression at column 5"),
                new Case("long expression", post("api/race", race.formatted("expr:" + longFormula, 10, "sgd:lr=0.1")), 400,
                        "at most " + Api.MAX_EXPRESSION),
                new Case("1 MB expression", post("api/race", race.formatted("expr:" + "x+".repeat(500_000) + "x", 10,
                        "sgd:lr=0.1")), 413, "at most " + KobaiServer.MAX_BODY),
                new Case("malformed JSON", post("api/race", "{\"surface\": [}"), 400, "malformed JSON"),
                new Case("not an object", post("api/race", "[1, 2]"), 400, "JSON object"),
                new Case("no runners", post("api/race", "{\"surface\":\"beale\",\"runners\":[]}"), 400, "runners"),
                new Case("too many runners", post("api/race", "{\"surface\":\"beale\",\"runners\":["
                        + "{\"spec\":\"sgd:lr=0.1\"},".repeat(Api.MAX_RUNNERS) + "{\"spec\":\"sgd:lr=0.1\"}]}"), 400,
                        "at most " + Api.MAX_RUNNERS + " runners"),
                new Case("start not a point", post("api/race", "{\"surface\":\"beale\",\"start\":[1],"
                        + "\"runners\":[{\"spec\":\"sgd:lr=0.1\"}]}"), 400, "start must be [x, y]"),
                new Case("start too far", post("api/race", "{\"surface\":\"beale\",\"start\":[1e300,0],"
                        + "\"runners\":[{\"spec\":\"sgd:lr=0.1\"}]}"), 400, "at most 1e12"),
                new Case("deeply nested JSON", post("api/race", "[".repeat(30_000)), 400, "JSON"),
                new Case("wrong method", get("api/race"), 405, "use POST"),
                new Case("unknown endpoint", get("api/nothing"), 404, "no API endpoint /api/nothing"),
                new Case("bad domain", get("api/surface?surface=beale&domain=1,0,0,1"), 400, "domain is empty"),
                new Case("huge grid", get("api/surface?surface=beale&nx=100000"), 400, "nx must be between"),
                new Case("repeated parameter", get("api/surface?surface=beale&surface=booth"), 400, "given twice"),
                new Case("long expression in a query", get("api/surface?surface=expr:" + longFormula.replace("+", "%2B")),
                        400, "at most " + Api.MAX_EXPRESSION),
                new Case("bad natural method", get("api/natural?method=adam"), 400, "method must be sgd or natural"),
                new Case("bad batch", get("api/sgd?batch=0"), 400, "batch must be between 1 and"),
                new Case("path outside the pages", get("../../etc/passwd"), 404, "no such page"),
                new Case("encoded dot segment", get("%2e%2e/pom.xml"), 404, "no such page"),
                new Case("a class file", get("dev/kobai/serve/KobaiServer.class"), 404, "no such page"));
        for (Case c : cases) {
            assertEquals(c.status(), c.reply().status(), c.name() + ": " + c.reply().body());
            String error = c.reply().json().get("error").getAsString();
            assertTrue(error.contains(c.says()), c.name() + ": " + error);
            assertFalse(error.contains("\n") || error.contains("\tat ") || error.contains("Exception"),
                    c.name() + ": " + error);
        }
        // And the server goes on serving.
        assertEquals(200, get("api/surfaces").status());
        assertEquals(200, post("api/race", race.formatted("beale", 3, "sgd:lr=0.1")).status());
    }

    static Reply postForm(String path, String form) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(server.uri().resolve(path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    /**
     * A formula of a megabyte, in the address and in a body, gets a status and one line naming the
     * limit (the JDK's server alone would cut such an address by closing the connection); a formula
     * in a POST body is read as in the query, and the server goes on serving.
     */
    @Test
    void aMegabyteExpressionGetsAStatusInTheAddressAndInABody() throws Exception {
        String megabyte = "x+".repeat(500_000) + "x";
        assertEquals(1_000_001, megabyte.length());
        String encoded = java.net.URLEncoder.encode("expr:" + megabyte, StandardCharsets.UTF_8);
        record Case(String name, Reply reply, int status, String says) {}
        for (Case c : List.of(
                new Case("in the address", get("api/surface?surface=" + encoded), 414, "at most " + KobaiServer.MAX_URI),
                new Case("in a page's address", get("race.html?surface=" + encoded), 414, "at most " + KobaiServer.MAX_URI),
                new Case("in a form body", postForm("api/surface", "surface=" + encoded), 413,
                        "at most " + KobaiServer.MAX_BODY),
                new Case("in a race", post("api/race", "{\"surface\":\"expr:" + megabyte + "\",\"runners\":[{\"spec\":\"sgd\"}]}"),
                        413, "at most " + KobaiServer.MAX_BODY))) {
            assertEquals(c.status(), c.reply().status(), c.name() + ": " + c.reply().body());
            String error = c.reply().json().get("error").getAsString();
            assertTrue(error.contains(c.says()), c.name() + ": " + error);
        }
        // Past the expression limit but within the body's: the expression's own 400.
        String longFormula = "x" + "+x".repeat(1500);
        Reply tooLong = postForm("api/surface", "surface=" + java.net.URLEncoder.encode("expr:" + longFormula,
                StandardCharsets.UTF_8));
        assertEquals(400, tooLong.status(), tooLong.body());
        assertTrue(tooLong.json().get("error").getAsString().contains("at most " + Api.MAX_EXPRESSION), tooLong.body());
        // A formula in a POST body is the same request as in the query; a parameter in both is refused.
        String formula = java.net.URLEncoder.encode("expr:(x-1)^2+3*(y+0.5)^2", StandardCharsets.UTF_8);
        Reply byGet = get("api/surface?surface=" + formula + "&nx=7&ny=5");
        Reply byPost = postForm("api/surface?nx=7", "surface=" + formula + "&ny=5\n");
        assertEquals(200, byGet.status(), byGet.body());
        assertEquals(200, byPost.status(), byPost.body());
        assertEquals(byGet.json(), byPost.json());
        assertEquals(35, byPost.json().getAsJsonObject("grid").getAsJsonArray("values").size());
        Reply twice = postForm("api/surface?surface=beale", "surface=" + formula);
        assertEquals(400, twice.status(), twice.body());
        assertTrue(twice.json().get("error").getAsString().contains("given twice"), twice.body());
        assertEquals(405, postForm("api/surfaces", "x=1").status());
        // And the server goes on serving.
        assertEquals(200, get("api/surface?surface=beale&nx=10&ny=10").status());
        assertEquals(200, get("race.html").status());
    }

    /**
     * A client that opens a connection and sends nothing, or sends its request a byte at a time and
     * never finishes, has its connection closed within the request time limit (plus the server's
     * one-second clock) rather than holding the server forever; a body that stops short is cut the
     * same way; the server answers others meanwhile and after.
     */
    @Test
    void aSilentOrDribblingClientIsCutOffAfterTheRequestTimeLimit() throws Exception {
        long limit = KobaiServer.REQUEST_SECONDS * 1000L;
        long started = System.nanoTime();
        try (Socket silent = new Socket(InetAddress.getLoopbackAddress(), server.uri().getPort());
             Socket dribbling = new Socket(InetAddress.getLoopbackAddress(), server.uri().getPort());
             Socket shortBody = new Socket(InetAddress.getLoopbackAddress(), server.uri().getPort())) {
            for (Socket s : List.of(silent, dribbling, shortBody)) {
                s.setSoTimeout((int) (3 * limit));
            }
            shortBody.getOutputStream().write(("POST /api/race HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n"
                    + "\r\n{\"surface\":").getBytes(StandardCharsets.US_ASCII));
            byte[] request = "GET /api/surfaces HTTP/1.1\r\nHost: localhost\r\n".getBytes(StandardCharsets.US_ASCII);
            OutputStream out = dribbling.getOutputStream();
            long dribblingCut = -1;
            // One byte every 100 ms: the request line and headers never end within the limit.
            for (int i = 0; dribblingCut < 0 && System.nanoTime() - started < 3 * limit * 1_000_000L; i++) {
                try {
                    out.write(request[i % request.length] == '\n' ? 'x' : request[i % request.length]);
                    out.flush();
                } catch (java.io.IOException e) {
                    dribblingCut = System.nanoTime();
                    break;
                }
                if (dribbling.getInputStream().available() > 0) {
                    break;
                }
                Thread.sleep(100);
                if (i == 5) {
                    // Others are served meanwhile.
                    assertEquals(200, get("api/surfaces").status());
                }
            }
            // The server closed it: reading gives the end of the stream (or a reset), never a response.
            assertTrue(closedWithoutAnswer(dribbling), "the dribbling client got an answer");
            assertTrue(closedWithoutAnswer(silent), "the silent client got an answer");
            double seconds = (System.nanoTime() - started) / 1e9;
            assertTrue(seconds < KobaiServer.REQUEST_SECONDS + 5, "cut after " + seconds + " s");
            assertTrue(seconds >= KobaiServer.REQUEST_SECONDS - 0.5, "cut after only " + seconds + " s");
            assertTrue(closedWithoutAnswer(shortBody), "the short body got an answer");
        }
        assertEquals(0, server.busyComputations());
        assertEquals(200, get("api/surfaces").status());
    }

    /** True when the server closes the socket without writing anything; false when it answers. */
    private static boolean closedWithoutAnswer(Socket socket) {
        try {
            return socket.getInputStream().read() < 0;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (java.io.IOException e) {
            return true;
        }
    }

    @Test
    void manyClientsAtOnceEachGetTheirOwnExactAnswer() throws Exception {
        List<double[]> expected = trace("beale", "1,1.5", "adam:lr=0.05", 200);
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<Reply>> replies = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                int steps = 200;
                replies.add(pool.submit(() -> post("api/race", "{\"surface\":\"beale\",\"start\":[1,1.5],\"steps\":"
                        + steps + ",\"runners\":[{\"spec\":\"adam:lr=0.05\"}]}")));
                replies.add(pool.submit(() -> get("api/surface?surface=rosenbrock&nx=60&ny=40")));
            }
            for (Future<Reply> f : replies) {
                Reply r = f.get();
                assertEquals(200, r.status(), r.body());
                if (r.contentType().startsWith("application/x-ndjson")) {
                    List<String> lines = r.body().lines().toList();
                    JsonObject last = JsonParser.parseString(lines.get(lines.size() - 2)).getAsJsonObject();
                    assertEquals(expected.getLast()[0], last.get("x").getAsDouble(), 0);
                    assertEquals(expected.getLast()[1], last.get("y").getAsDouble(), 0);
                } else {
                    assertEquals(60 * 40, r.json().getAsJsonObject("grid").getAsJsonArray("values").size());
                }
            }
        }
        assertEquals(0, server.busyComputations());
        assertEquals(200, get("api/surfaces").status());
    }

    /**
     * A client that goes away mid-race stops its computation: the race asked for (12 runners of 5000
     * Newton steps each) takes far longer than the wait below, and the server's computation slots
     * are all free again within it.
     */
    @Test
    void aClientThatDisconnectsStopsItsComputation() throws Exception {
        String runner = "{\"spec\":\"newton:indefinite=saddle-free\"},";
        String body = "{\"surface\":\"expr:sin(x)*cos(y)+0.1*(x^2+y^2)\",\"steps\":5000,\"runners\":["
                + runner.repeat(11) + runner.substring(0, runner.length() - 1) + "]}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        long started = System.nanoTime();
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.uri().getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/race HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("HTTP/1.1 200 OK", in.readLine());
            // Read into the stream until the first points arrive, then hang up.
            for (String line; (line = in.readLine()) != null; ) {
                if (line.contains("\"step\":")) {
                    break;
                }
            }
            assertTrue(server.busyComputations() > 0, "the race is not counted while it runs");
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (server.busyComputations() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, server.busyComputations(), "the race went on after its client left");
        double seconds = (System.nanoTime() - started) / 1e9;
        // The whole race, measured on one runner's share: 5000 steps of saddle-free Newton.
        long t0 = System.nanoTime();
        Reply one = post("api/race", "{\"surface\":\"expr:sin(x)*cos(y)+0.1*(x^2+y^2)\",\"steps\":1000,"
                + "\"runners\":[{\"spec\":\"newton:indefinite=saddle-free\"}]}");
        assertEquals(200, one.status());
        double wholeRace = (System.nanoTime() - t0) / 1e9 * 5 * 12;
        assertTrue(seconds < wholeRace / 2, "stopped after " + seconds + " s; the whole race takes about " + wholeRace);
    }

    @Test
    void pagesAndKatexComeFromTheJar() throws Exception {
        Reply index = get("");
        assertEquals(200, index.status());
        assertTrue(index.contentType().startsWith("text/html"), index.contentType());
        assertTrue(index.body().contains("lecture.html"), index.body());
        for (String page : List.of("lecture.html", "race.html", "lab.html", "app.css", "plot.js", "i18n.js", "home.js",
                "race.js", "lecture.js", "lab.js",
                "katex/katex.min.js", "katex/katex.min.css", "katex/fonts/KaTeX_Main-Regular.woff2")) {
            Reply r = get(page);
            assertEquals(200, r.status(), page);
            assertFalse(r.body().isEmpty(), page);
        }
        // No page refers to anything but its own server: it works offline, and the browser is told
        // to load nothing from elsewhere.
        for (String page : List.of("index.html", "lecture.html", "race.html", "lab.html")) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(server.uri().resolve(page)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertFalse(r.body().contains("http://") || r.body().contains("https://") || r.body().contains("//cdn"), page);
            assertTrue(r.headers().firstValue("Content-Security-Policy").orElse("").startsWith("default-src 'self';"),
                    page);
        }
    }

    @Test
    void naturalGradientTakesOnePathInBothParametrisationsAndGradientDescentTwo() throws Exception {
        JsonObject natural = get("api/natural?method=natural&lr=0.25&steps=30").json();
        JsonObject sgd = get("api/natural?method=sgd&lr=2&steps=30").json();
        assertEquals(31, natural.getAsJsonArray("direct").size());
        assertTrue(gap(natural) < 1e-8, "natural gradient differs by " + gap(natural));
        assertTrue(gap(sgd) > 0.1, "gradient descent should depend on the parametrisation, differs by " + gap(sgd));
    }

    private static double gap(JsonObject o) {
        JsonArray a = o.getAsJsonArray("direct");
        JsonArray b = o.getAsJsonArray("reparametrised");
        assertEquals(a.size(), b.size());
        double worst = 0;
        for (int k = 0; k < a.size(); k++) {
            for (int i = 0; i < 2; i++) {
                worst = Math.max(worst, Math.abs(a.get(k).getAsJsonArray().get(i).getAsDouble()
                        - b.get(k).getAsJsonArray().get(i).getAsDouble()));
            }
        }
        return worst;
    }

    @Test
    void minibatchGradientsScatterLessAsTheBatchGrows() throws Exception {
        JsonObject one = get("api/sgd?batch=1").json();
        JsonObject many = get("api/sgd?batch=64").json();
        assertEquals(SgdDemo.SAMPLES, one.getAsJsonArray("samples").size());
        double ratio = one.get("meanSquaredError").getAsDouble() / many.get("meanSquaredError").getAsDouble();
        // About 64 (less the finite-population correction of drawing 64 of 357 without replacement).
        assertTrue(ratio > 25 && ratio < 150, "variance ratio " + ratio);
        // The same request gives the same draws.
        assertEquals(one.getAsJsonArray("samples"), get("api/sgd?batch=1").json().getAsJsonArray("samples"));
    }

    @Test
    void theCommandIsFoundThroughServiceLoaderAndChecksItsFlags() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, Kobai.execute(new String[] {"--help"}, new PrintWriter(out), new PrintWriter(err)));
        assertTrue(out.toString().contains("serve"), out.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, Kobai.execute(new String[] {"serve", "--port", "70000"}, new PrintWriter(out),
                new PrintWriter(err)));
        assertTrue(err.toString().contains("--port must be between 0 and 65535"), err.toString());
        assertTrue(ServeCommand.warning(InetAddress.getLoopbackAddress()).isEmpty());
        assertTrue(ServeCommand.warning(new InetSocketAddress("0.0.0.0", 0).getAddress()).orElseThrow()
                .contains("other machines can reach"));
    }

    @Test
    void aPortInUseIsOneLineThatSaysWhatToDo() {
        int port = server.uri().getPort();
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.kobai.KobaiException.class,
                () -> KobaiServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
        assertTrue(e.getMessage().contains("choose another with --port"), e.getMessage());
        assertEquals(URI.create("http://127.0.0.1:" + port + "/"), server.uri());
    }

    /** The events of a stream, as (name, data) pairs. */
    static List<Map.Entry<String, JsonObject>> events(String body) {
        List<Map.Entry<String, JsonObject>> out = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            String name = null;
            JsonObject data = null;
            for (String line : block.split("\n")) {
                if (line.startsWith("event: ")) {
                    name = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data = JsonParser.parseString(line.substring(6)).getAsJsonObject();
                }
            }
            if (name != null) {
                out.add(Map.entry(name, data));
            }
        }
        return out;
    }

    @Test
    void theTrainingLabStreamsOneEpochEventPerEpochWithKobaiComparesNumbers(@TempDir Path dir) throws Exception {
        Reply reply = get("api/train?data=digits&model=mlp:64-32-10&epochs=2&batch=64&seed=3"
                + "&opt=SGD%3Dsgd:lr%3D0.1&opt=Adam%3Dadam:lr%3D0.003");
        assertEquals(200, reply.status(), reply.body());
        assertTrue(reply.contentType().startsWith("text/event-stream"), reply.contentType());
        List<Map.Entry<String, JsonObject>> events = events(reply.body());
        assertEquals("start", events.getFirst().getKey());
        assertEquals("done", events.getLast().getKey());
        int perEpoch = events.getFirst().getValue().get("batchesPerEpoch").getAsInt();
        List<JsonObject> epochs = events.stream().filter(e -> e.getKey().equals("epoch")).map(Map.Entry::getValue).toList();
        assertEquals(4, epochs.size());
        long batches = events.stream().filter(e -> e.getKey().equals("batch")).count();
        assertEquals(2 * 2 * (perEpoch / 5 + (perEpoch % 5 == 0 ? 0 : 1)), batches);
        JsonObject start = events.getFirst().getValue();
        assertEquals("digits", start.get("data").getAsString());
        assertEquals("mlp:64-32-10", start.get("model").getAsString());
        assertEquals(2, start.get("epochs").getAsInt());
        assertEquals(64, start.get("batch").getAsInt());
        assertEquals(3, start.get("seed").getAsInt());
        assertEquals(dev.kobai.data.Datasets.digitsAll().size(), start.get("train").getAsInt() + start.get("test").getAsInt());
        assertEquals((start.get("train").getAsInt() + 63) / 64, perEpoch);
        assertEquals("[{\"label\":\"SGD\",\"spec\":\"sgd:lr=0.1\"},{\"label\":\"Adam\",\"spec\":\"adam:lr=0.003\"}]",
                start.get("runs").toString());
        // A batch event every five steps and at each epoch's end, numbered from the run's start.
        for (int run = 0; run < 2; run++) {
            List<String> expected = new ArrayList<>();
            for (int epoch = 1; epoch <= 2; epoch++) {
                for (int b = 1; b <= perEpoch; b++) {
                    if (b % 5 == 0 || b == perEpoch) {
                        expected.add(epoch + ":" + ((epoch - 1) * perEpoch + b));
                    }
                }
            }
            int r = run;
            List<JsonObject> got = events.stream().filter(e -> e.getKey().equals("batch")).map(Map.Entry::getValue)
                    .filter(o -> o.get("run").getAsInt() == r).toList();
            assertEquals(expected, got.stream().map(o -> o.get("epoch").getAsInt() + ":" + o.get("step").getAsInt()).toList());
            assertTrue(got.stream().allMatch(o -> o.get("loss").getAsDouble() > 0), got.toString());
        }
        // kobai compare with the same settings: the same numbers, run for run and epoch for epoch.
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, Kobai.execute(new String[] {"compare", "--data", "digits", "--model", "mlp:64-32-10",
            "--epochs", "2", "--batch-size", "64", "--seed", "3", "--optimizer", "SGD=sgd:lr=0.1",
            "--optimizer", "Adam=adam:lr=0.003", "--out", dir.toString()}, new PrintWriter(out), new PrintWriter(err)),
                err.toString());
        List<JsonObject> compared = Files.readAllLines(dir.resolve("metrics.jsonl")).stream()
                .map(l -> JsonParser.parseString(l).getAsJsonObject()).filter(o -> o.has("epoch")).toList();
        assertEquals(4, compared.size());
        for (int i = 0; i < 4; i++) {
            JsonObject ours = epochs.get(i);
            JsonObject theirs = compared.get(i);
            assertEquals(i / 2, ours.get("run").getAsInt());
            assertEquals(theirs.get("epoch").getAsInt(), ours.get("epoch").getAsInt());
            for (String key : List.of("train_loss", "test_loss", "test_accuracy")) {
                assertEquals(theirs.get(key).getAsDouble(), ours.get(key).getAsDouble(), 0, key + " of epoch " + i);
            }
            assertTrue(ours.get("seconds").getAsDouble() > 0, ours.toString());
        }
    }

    @Test
    void theTrainingLabRefusesWhatItCannotOrMayNotDo() throws Exception {
        record Case(String query, String says) {}
        for (Case c : List.of(
                new Case("data=/etc/passwd&opt=sgd:lr%3D0.1", "data must be digits or fashion-mnist"),
                new Case("data=csv:/etc/passwd&opt=sgd:lr%3D0.1", "data must be digits or fashion-mnist"),
                new Case("opt=sgd:lr%3D-1", "opt 'sgd:lr=-1': Invalid learning rate"),
                new Case("opt=nope", "opt 'nope'"),
                new Case("", "give 1 to 6 optimizers"),
                new Case("epochs=1000&opt=sgd:lr%3D0.1", "epochs must be between 1 and 20"),
                new Case("model=mlp:64-99999-99999-10&opt=sgd:lr%3D0.1", "layer 99999x99999 has more than"),
                // Every layer within bounds, the whole beyond the heap: refused before anything is allocated.
                new Case("model=mlp:64" + "-9000".repeat(8) + "-10&opt=sgd:lr%3D0.1", "with sgd:lr=0.1 on digits"),
                new Case("model=mlp:10-10&opt=sgd:lr%3D0.1", "mlp"),
                new Case("opt=a%3Dsgd:lr%3D0.1".repeat(1) + "&opt=sgd:lr%3D0.1".repeat(6), "give 1 to 6"))) {
            Reply r = get("api/train?" + c.query());
            assertEquals(400, r.status(), c.query() + ": " + r.body());
            String error = r.json().get("error").getAsString();
            assertTrue(error.contains(c.says()), c.query() + ": " + error);
        }
        assertFalse(TrainLab.running());
    }

    /**
     * The page's Stop closes the stream; the training stops at its next minibatch. The client reads
     * one epoch, timing it, then hangs up with 119 such epochs of work left: the server must be
     * idle again well within the time of 30 of them.
     */
    @Test
    void aTrainingWhoseClientLeavesStops() throws Exception {
        double epochSeconds;
        long left;
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.uri().getPort())) {
            socket.getOutputStream().write(("GET /api/train?epochs=20&batch=8&model=mlp:64-32-10&opt=sgd:lr%3D0.01"
                    + "&opt=adam&opt=adagrad&opt=rmsprop&opt=adadelta&opt=nadam HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("HTTP/1.1 200 OK", in.readLine());
            long start = 0;
            for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("event: start")) {
                    start = System.nanoTime();
                } else if (line.equals("event: epoch")) {
                    break;
                }
            }
            epochSeconds = (System.nanoTime() - start) / 1e9;
            assertTrue(TrainLab.running());
            // Others are answered while the training streams: each exchange has its own thread.
            HttpResponse<String> meanwhile = client.send(HttpRequest.newBuilder(server.uri().resolve("api/surfaces"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, meanwhile.statusCode());
            assertTrue(TrainLab.running());
            left = System.nanoTime();
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (TrainLab.running() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertFalse(TrainLab.running(), "the training went on after its client left");
        double stoppedAfter = (System.nanoTime() - left) / 1e9;
        assertTrue(stoppedAfter < 30 * epochSeconds, "stopped " + stoppedAfter + " s after the client left; an epoch"
                + " takes " + epochSeconds + " s and 119 were left");
        // And the server goes on serving, a new training included.
        assertEquals(200, get("api/surfaces").status());
        Reply again = get("api/train?epochs=1&batch=256&model=mlp:64-10&opt=sgd:lr%3D0.1");
        assertEquals(200, again.status(), again.body());
        assertEquals("done", events(again.body()).getLast().getKey());
    }
}
