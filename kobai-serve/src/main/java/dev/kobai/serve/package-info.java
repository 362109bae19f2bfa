/**
 * {@code kobai serve}: the lecture and the race playground as a local web application, computed by
 * Kobai's own engine ({@link dev.kobai.surface.Trace}, the optimizers, the curvature problems).
 *
 * <p>The HTTP server is the JDK's own {@code com.sun.net.httpserver} (module jdk.httpserver),
 * chosen over Javalin on Jetty or Helidon SE because:
 * <ul>
 *   <li>it is an exported, supported JDK API, maintained and security-patched with every JDK release,
 *       so it adds no dependency to update and nothing to the class path but this module's jar and
 *       KaTeX's files;</li>
 *   <li>what the pages need is small: static files from the jar, JSON requests, and responses
 *       streamed line by line (chunked transfer encoding), which also carries server-sent events;
 *       routing, WebSocket and HTTP/2, a framework's strengths, are not needed;</li>
 *   <li>with a virtual thread per exchange it serves many tabs at once, and every limit (request
 *       size, steps, expression length, concurrent computations) is enforced here, in a few lines
 *       the tests exercise over real HTTP, rather than in a framework's configuration.</li>
 * </ul>
 * What it lacks (a request-body limit, a per-request time limit) is added in {@link KobaiServer},
 * which also sets the limits the JDK's server has but leaves open by default (the time a request
 * may take to arrive, the length of its request line).
 *
 * <p>Every file the pages use (HTML, JavaScript, CSS, KaTeX and its fonts) is served from the class
 * path: the application works offline, and no request reaches the file system.
 */
package dev.kobai.serve;
