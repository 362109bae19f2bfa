package dev.kobai.serve;

import dev.kobai.cli.CommandProvider;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kobai serve}: the lecture, the race playground and the training lab at
 * http://127.0.0.1:8080/ until stopped.
 * Only this machine can reach it unless {@code --host} names another address, which is warned
 * about: the server has no authentication, and anyone who reaches it can make it compute.
 */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        versionProvider = dev.kobai.cli.Kobai.Version.class,
        description = "Serve the lecture, the race playground and the training lab as a local web application.",
        footer = {
            "",
            "Prints the URL to open and runs until stopped (Ctrl-C); opens nothing.",
            "Everything is served from the jar: it works offline.",
            "Examples:",
            "  kobai serve",
            "  kobai serve --port 9000",
            "  kobai serve --host 0.0.0.0   (other machines can reach it: a warning)"
        })
public final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080",
            description = "The port, 0 for any free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "The address to listen on (default: ${DEFAULT-VALUE}, this machine only).")
    String host;

    /** Registers the command with kobai-cli through {@link java.util.ServiceLoader}. */
    public static final class Provider implements CommandProvider {
        @Override
        public Object command() {
            return new ServeCommand();
        }
    }

    /** The warning for listening on {@code address}: none for a loopback address, which only this machine reaches. */
    static java.util.Optional<String> warning(InetAddress address) {
        if (address.isLoopbackAddress()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of("warning: listening on " + address.getHostAddress() + ", so other machines can"
                + " reach this server; it has no authentication and computes for anyone who can. The default"
                + " --host 127.0.0.1 keeps it to this machine.");
    }

    @Override
    public Integer call() throws InterruptedException {
        KobaiServer server = open();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }

    /**
     * Checks the flags, warns about an address other machines reach, starts the server and prints
     * its URL: everything {@link #call} does before it waits for Ctrl-C.
     */
    KobaiServer open() {
        if (port < 0 || port > 65535) {
            throw new ParameterException(spec.commandLine(), "--port must be between 0 and 65535, got " + port);
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new ParameterException(spec.commandLine(), "--host: unknown host '" + host + "'");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        warning(address).ifPresent(w -> {
            err.println("kobai serve: " + w);
            err.flush();
        });
        KobaiServer server = KobaiServer.start(new InetSocketAddress(address, port));
        out.println("Kobai is serving the lecture, the race playground and the training lab at " + server.uri()
                + " (Ctrl-C stops it)");
        out.flush();
        return server;
    }
}
