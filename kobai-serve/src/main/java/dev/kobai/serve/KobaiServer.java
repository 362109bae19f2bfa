package dev.kobai.serve;

import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.kobai.KobaiException;
import dev.kobai.serve.HttpError.Problem;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The web application: static files from the class path under {@code /}, KaTeX under
 * {@code /katex/}, and the JSON API of {@link Api} under {@code /api/}.
 *
 * <p>Limits: an address (path and query) of at most {@link #MAX_URI} bytes (414 beyond), a
 * request body of at most {@link #MAX_BODY} bytes (413 beyond), at most {@link #MAX_COMPUTATIONS}
 * computations at once (a request waits up to five seconds for a turn, then gets 503), and the
 * per-request bounds of {@link Api}. A refused request gets its status and
 * {@code {"error": "one line", "code", "args"}} ({@link #errorJson}); an unexpected fault gets 500 with its type and message, never a
 * stack trace, and the server goes on serving.
 *
 * <p>Limits the JDK's server enforces before any handler runs, set through its documented system
 * properties by {@link #start} unless the JVM was started with them ({@code -Dsun.net.httpserver...}):
 * <ul>
 *   <li>{@code sun.net.httpserver.maxReqHeaderSize}, {@link #MAX_HEAD} bytes for the request line
 *       and for the headers (the JDK's default, 380 KiB, cuts a longer request line by closing the
 *       connection; raised so that an address of up to about a megabyte is read and gets its 414,
 *       while a longer one is still cut);</li>
 *   <li>{@code sun.net.httpserver.maxReqTime}, {@link #REQUEST_SECONDS} seconds for a request to
 *       arrive, body included: a client that sends nothing, or dribbles its request, has its
 *       connection closed rather than holding a thread (the JDK's default is forever); with
 *       {@code sun.net.httpserver.clockTick} at one second, a connection that sends nothing at all
 *       is closed as soon;</li>
 *   <li>{@code sun.net.httpserver.maxRspTime}, {@link #RESPONSE_SECONDS} seconds for a response to be
 *       taken: longer than the longest training ({@link TrainLab#MAX_SECONDS}), so only a client that
 *       stops reading is cut.</li>
 * </ul>
 * The JDK reads them once, when its first server starts: in a JVM that started one before, they are
 * what that one had.
 */
public final class KobaiServer implements AutoCloseable {
    /** The largest request body read, in bytes. */
    static final int MAX_BODY = 64 * 1024;
    /** The longest address (path and query, as sent) answered, in bytes; a formula longer than fits goes in a POST body. */
    static final int MAX_URI = 32 * 1024;
    /** The longest request line, and headers, that the JDK's server reads rather than cuts. */
    static final int MAX_HEAD = 4 << 20;
    /** The time a request, body included, has to arrive. */
    static final int REQUEST_SECONDS = 5;
    /** The time a response has to be taken by its client. */
    static final int RESPONSE_SECONDS = TrainLab.MAX_SECONDS + 60;
    /** The largest refused body read to its end before the refusal is sent. */
    private static final long DRAINED = 4L << 20;
    /** How many API computations run at once; more wait for a turn. */
    static final int MAX_COMPUTATIONS = Math.max(2, 2 * Runtime.getRuntime().availableProcessors());

    /** Paths of the static files: letters, digits, '-', '_' and '.', no dot first in a segment. */
    private static final Pattern STATIC_PATH = Pattern.compile("(/[A-Za-z0-9_-][A-Za-z0-9._-]*)+");
    private static final String WEB = "/dev/kobai/serve/web";
    /** Query parameters that may be repeated. */
    private static final java.util.Set<String> REPEATABLE = java.util.Set.of("opt");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8", "woff2", "font/woff2", "png", "image/png",
            "svg", "image/svg+xml", "json", "application/json; charset=utf-8");

    private final HttpServer http;
    private final ExecutorService executor;
    private final Semaphore computations = new Semaphore(MAX_COMPUTATIONS, true);
    private final Api api = new Api();
    private final String katexRoot;

    private KobaiServer(HttpServer http, ExecutorService executor) {
        this.http = http;
        this.executor = executor;
        this.katexRoot = "/META-INF/resources/webjars/katex/" + katexVersion() + "/dist";
    }

    /**
     * Starts a server on {@code address} (port 0 picks a free one). A port in use, or a host that
     * is not this machine's, is a {@link KobaiException} saying so.
     */
    public static KobaiServer start(InetSocketAddress address) {
        configureJdkServer();
        HttpServer http;
        try {
            http = HttpServer.create(address, 64);
        } catch (java.net.BindException e) {
            throw new KobaiException("cannot listen on " + address.getHostString() + ":" + address.getPort() + " ("
                    + e.getMessage() + "); choose another with --port, or --port 0 for any free one");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        KobaiServer server = new KobaiServer(http, executor);
        http.setExecutor(executor);
        http.createContext("/", server::handle);
        http.start();
        return server;
    }

    /** Sets the JDK server's limits (see the class comment) where the JVM was not started with them. */
    private static void configureJdkServer() {
        Map<String, String> limits = new java.util.LinkedHashMap<>();
        limits.put("sun.net.httpserver.maxReqHeaderSize", Integer.toString(MAX_HEAD));
        limits.put("sun.net.httpserver.maxReqTime", Integer.toString(REQUEST_SECONDS));
        limits.put("sun.net.httpserver.maxRspTime", Integer.toString(RESPONSE_SECONDS));
        limits.put("sun.net.httpserver.clockTick", "1000");
        limits.forEach((name, value) -> {
            if (System.getProperty(name) == null) {
                System.setProperty(name, value);
            }
        });
    }

    /** The address the pages are at, such as {@code http://127.0.0.1:8080/}. */
    public URI uri() {
        InetSocketAddress a = http.getAddress();
        String host = a.getAddress().getHostAddress();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/");
    }

    /** How many API computations are running now. */
    int busyComputations() {
        return MAX_COMPUTATIONS - computations.availablePermits();
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            try {
                int length = ex.getRequestURI().toString().length();
                if (length > MAX_URI) {
                    throw new HttpError(414, Problem.ADDRESS_LONG, "length", length, "max", MAX_URI);
                }
                if (path.startsWith("/api/")) {
                    handleApi(ex, path.substring("/api/".length()));
                } else {
                    requireMethod(ex, "GET", "HEAD");
                    serveStatic(ex, path);
                }
            } catch (HttpError e) {
                sendError(ex, e);
            } catch (dev.kobai.UsageException e) {
                sendError(ex, new HttpError(400, Problem.USAGE, "detail", e.getMessage()));
            } catch (StreamGone e) {
                // The client went away mid-response: nothing to tell it.
            } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                sendError(ex, new HttpError(500, Problem.INTERNAL, "detail", e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage())));
            }
        } catch (IOException e) {
            // A client that disconnects while being answered: the exchange is closed above.
        }
    }

    private void handleApi(HttpExchange ex, String name) throws IOException {
        Api.Endpoint endpoint = api.endpoint(name);
        if (endpoint == null) {
            throw new HttpError(404, Problem.NO_ENDPOINT, "name", name, "names", String.join(", ", api.names()));
        }
        requireMethod(ex, endpoint.methods().toArray(String[]::new));
        Map<String, List<String>> multi = new java.util.LinkedHashMap<>();
        parameters(ex.getRequestURI().getRawQuery(), multi);
        String body = ex.getRequestMethod().equals("POST") ? body(ex) : null;
        if (body != null && endpoint.form()) {
            parameters(body.strip(), multi);
            body = null;
        }
        Map<String, String> first = new java.util.LinkedHashMap<>();
        multi.forEach((k, v) -> first.put(k, v.getFirst()));
        Api.Request request = new Api.Request(first, multi, body);
        boolean acquired;
        try {
            acquired = computations.tryAcquire(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (!acquired) {
            throw new HttpError(503, Problem.BUSY, "count", MAX_COMPUTATIONS);
        }
        try {
            endpoint.handler().handle(request, new Api.Response(ex));
        } finally {
            computations.release();
        }
    }

    private static void requireMethod(HttpExchange ex, String... methods) {
        for (String m : methods) {
            if (m.equals(ex.getRequestMethod())) {
                return;
            }
        }
        ex.getResponseHeaders().set("Allow", String.join(", ", methods));
        throw new HttpError(405, Problem.METHOD, "method", ex.getRequestMethod(), "allowed", String.join(" or ", methods));
    }

    /**
     * Adds the parameters of a query string (or a form-encoded body) to {@code out}; only those the
     * API repeats (opt) may be given more than once, in the query and the body together.
     */
    private static void parameters(String raw, Map<String, List<String>> out) {
        if (raw == null || raw.isEmpty()) {
            return;
        }
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            String key = decode(eq < 0 ? part : part.substring(0, eq));
            String value = eq < 0 ? "" : decode(part.substring(eq + 1));
            List<String> values = out.computeIfAbsent(key, k -> new java.util.ArrayList<>());
            if (!values.isEmpty() && !REPEATABLE.contains(key)) {
                throw HttpError.badRequest(Problem.PARAMETER_TWICE, "name", key);
            }
            values.add(value);
        }
    }

    private static String decode(String s) {
        try {
            return java.net.URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw HttpError.badRequest(Problem.MALFORMED_QUERY, "detail", e.getMessage());
        }
    }

    /**
     * The request body as UTF-8, at most {@link #MAX_BODY} bytes: a longer one is a 413, read
     * (and dropped) up to {@link #DRAINED} bytes so that the client, still sending, reads the
     * answer rather than a reset connection; past that the connection is simply closed.
     */
    private static String body(HttpExchange ex) throws IOException {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            long declared;
            try {
                declared = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                throw HttpError.badRequest(Problem.MALFORMED_LENGTH, "value", length);
            }
            if (declared > MAX_BODY) {
                if (declared <= DRAINED) {
                    ex.getRequestBody().skip(declared);
                }
                throw new HttpError(413, Problem.BODY_LONG, "length", declared, "max", MAX_BODY);
            }
        }
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        InputStream in = ex.getRequestBody();
        for (int n; (n = in.read(chunk)) > 0; ) {
            buffer.write(chunk, 0, n);
            if (buffer.size() > MAX_BODY) {
                throw new HttpError(413, Problem.BODY_OVER, "max", MAX_BODY);
            }
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }

    private void serveStatic(HttpExchange ex, String path) throws IOException {
        if (path.equals("/")) {
            path = "/index.html";
        }
        if (!STATIC_PATH.matcher(path).matches()) {
            throw new HttpError(404, Problem.NO_PAGE, "path", path);
        }
        String resource = path.startsWith("/katex/") ? katexRoot + path.substring("/katex".length()) : WEB + path;
        byte[] bytes;
        try (InputStream in = KobaiServer.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new HttpError(404, Problem.NO_PAGE, "path", path);
            }
            bytes = in.readAllBytes();
        }
        String ext = path.substring(path.lastIndexOf('.') + 1);
        ex.getResponseHeaders().set("Content-Type", TYPES.getOrDefault(ext, "application/octet-stream"));
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        // The pages may load and call nothing but this server (KaTeX's typeset math carries inline styles).
        ex.getResponseHeaders().set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline';"
                + " img-src 'self' data:; frame-ancestors 'none'");
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(200, -1);
            return;
        }
        ex.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Sends {@code e}'s status and {@link #errorJson}. */
    static void sendError(HttpExchange ex, HttpError e) {
        byte[] bytes = errorJson(e).toString().getBytes(StandardCharsets.UTF_8);
        try {
            ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            ex.sendResponseHeaders(e.status(), bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        } catch (IOException | IllegalStateException gone) {
            // Headers already sent (a stream that failed midway) or the client is gone.
        }
    }

    /**
     * {@code {"error": "one line", "code": "problem", "args": {...}}}: the English line (cut by
     * {@link #oneLine}), and the problem's code and arguments from which the pages write it in
     * their language.
     */
    static JsonObject errorJson(HttpError e) {
        JsonObject o = new JsonObject();
        o.addProperty("error", oneLine(e.getMessage()));
        o.addProperty("code", e.problem().code());
        JsonObject args = new JsonObject();
        e.args().forEach(args::addProperty);
        o.add("args", args);
        return o;
    }

    /**
     * A message's first line, at most 600 characters: an expression's error goes on to repeat the
     * expression with a caret under the fault, which its first line already names by column.
     */
    static String oneLine(String message) {
        String m = message == null ? "" : message;
        int eol = m.indexOf('\n');
        m = (eol < 0 ? m : m.substring(0, eol)).replace('\r', ' ');
        return m.length() > 600 ? m.substring(0, 600) + "..." : m;
    }

    private static String katexVersion() {
        Properties p = new Properties();
        try (InputStream in = KobaiServer.class.getResourceAsStream("/META-INF/maven/org.webjars.npm/katex/pom.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // Without it the math is left as TeX; the pages still work.
        }
        return p.getProperty("version", "unknown");
    }

    /** Thrown where a streamed response finds its client gone, to stop the computation behind it. */
    static final class StreamGone extends RuntimeException {
        StreamGone(IOException cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }
}
