package dev.kobai.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.kobai.UsageException;
import dev.kobai.optim.Optimizers;
import dev.kobai.surface.Surface;
import dev.kobai.surface.Surfaces;
import dev.kobai.surface.Trace;
import dev.kobai.tensor.DType;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kobai trace}: the path of one optimizer across a 2-D test surface, as CSV or JSON on
 * standard output. N steps give N + 1 rows, row 0 being the start. Numbers are printed so that they
 * read back exactly: float64 runs as the shortest decimal that parses to the same double, float32
 * runs as the shortest that parses to the same float. A diverged value is NaN or Infinity in CSV
 * and null in JSON.
 */
@Command(
        name = "trace",
        mixinStandardHelpOptions = true,
        versionProvider = Kobai.Version.class,
        description = "Run one optimizer on a 2-D test surface and print its path.",
        footer = {
            "",
            "Surfaces: rosenbrock, beale, himmelblau, booth, saddle, monkey-saddle,",
            "  rastrigin, ackley, goldstein-price, long-valley (docs/surfaces.md)",
            "SPEC is name[:key=value,...], as for kobai train.",
            "Output: CSV with the header step,x,y,loss and N+1 rows (row 0 is the",
            "  start), or one JSON object with the points in an array.",
            "Example:",
            "  kobai trace --surface rosenbrock --start -1.2,1 \\",
            "      --optimizer sgd:lr=0.001,momentum=0.9 --steps 500 > path.csv"
        })
public final class TraceCommand implements Callable<Integer>, Kobai.Verbosity {
    // No HTML escaping, so that sgd:lr=0.1 reads as typed rather than as sgd:lr\u003d0.1.
    private static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

    @Spec
    CommandSpec spec;

    @Option(names = "--surface", paramLabel = "NAME", required = true,
            description = "The surface to descend, e.g. rosenbrock.")
    String surface;

    @Option(names = "--start", paramLabel = "X,Y",
            description = "Starting point (default: the surface's own, see docs/surfaces.md).")
    String start;

    @Option(names = "--optimizer", paramLabel = "SPEC", required = true,
            description = "Optimizer with torch.optim's argument names, e.g. sgd:lr=0.001,momentum=0.9.")
    String optimizer;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "100",
            description = "Optimizer steps, at least 0 (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "float64",
            description = "float32 or float64 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "csv",
            description = "csv or json (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    @Override
    public boolean verbose() {
        return verbose;
    }

    @Override
    public Integer call() {
        Surface s = surfaceByName();
        Surface.Point from = start == null ? null : parseStart(start);
        if (steps < 0) {
            throw usage("--steps must be at least 0, got " + steps);
        }
        DType type = parseDtype();
        String fmt = format.trim().toLowerCase(Locale.ROOT);
        if (!fmt.equals("csv") && !fmt.equals("json")) {
            throw usage("--format must be csv or json, got '" + format + "'");
        }
        PrintWriter out = spec.commandLine().getOut();
        // Rows are printed as they are computed and not kept: memory does not grow with --steps.
        Printer printer = new Printer(out, fmt.equals("json"), s, optimizer, type, steps);
        Trace.run(s, params -> {
            try {
                return Optimizers.create(optimizer, params);
            } catch (UsageException e) {
                throw usage("--optimizer '" + optimizer + "': " + e.getMessage());
            }
        }, from, steps, type, printer);
        printer.finish();
        return 0;
    }

    private Surface surfaceByName() {
        try {
            return Surfaces.byName(surface);
        } catch (UsageException e) {
            throw usage("--surface: " + e.getMessage());
        }
    }

    /** "X,Y" with two finite numbers. */
    private Surface.Point parseStart(String text) {
        String[] parts = text.split(",", -1);
        if (parts.length != 2) {
            throw usage("--start must be two numbers X,Y, got '" + text + "'");
        }
        double[] xy = new double[2];
        for (int i = 0; i < 2; i++) {
            try {
                xy[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw usage("--start must be two numbers X,Y, got '" + text + "'");
            }
            if (!Double.isFinite(xy[i])) {
                throw usage("--start must be two finite numbers X,Y, got '" + text + "'");
            }
        }
        return new Surface.Point(xy[0], xy[1]);
    }

    private DType parseDtype() {
        try {
            return DType.parse(dtype);
        } catch (UsageException e) {
            throw usage("--dtype must be float32 or float64, got '" + dtype + "'");
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /**
     * Prints the samples of a trace as they come, keeping none: CSV rows, or the JSON object with its
     * {@code points} array written point by point (the same bytes Gson writes for the whole object).
     * Nothing is printed before the first sample, so that a bad optimizer spec, found when the
     * optimizer is made, leaves standard output empty. Output that can no longer be written (a
     * closed pipe) stops the run, rather than letting it compute rows no one reads.
     */
    static final class Printer implements java.util.function.Consumer<Trace.Sample> {
        /** How many rows are printed between checks that the output still takes them. */
        private static final int CHECK_EVERY = 1024;

        private final PrintWriter out;
        private final boolean json;
        private final Surface surface;
        private final String optimizerSpec;
        private final DType type;
        private final int steps;
        private final StringBuilder row = new StringBuilder();
        private long printed;

        Printer(PrintWriter out, boolean json, Surface surface, String optimizerSpec, DType type, int steps) {
            this.out = out;
            this.json = json;
            this.surface = surface;
            this.optimizerSpec = optimizerSpec;
            this.type = type;
            this.steps = steps;
        }

        @Override
        public void accept(Trace.Sample s) {
            row.setLength(0);
            if (printed == 0) {
                row.append(json ? header() : "step,x,y,loss\n");
            }
            if (json) {
                JsonObject p = new JsonObject();
                p.addProperty("step", s.step());
                p.add("x", json(s.x(), type));
                p.add("y", json(s.y(), type));
                p.add("loss", json(s.loss(), type));
                row.append(printed == 0 ? "" : ",").append(GSON.toJson(p));
                out.print(row);
            } else {
                row.append(s.step()).append(',').append(number(s.x(), type)).append(',')
                        .append(number(s.y(), type)).append(',').append(number(s.loss(), type));
                out.println(row);
            }
            printed++;
            if (printed % CHECK_EVERY == 0) {
                requireWritable();
            }
        }

        /** The JSON object up to its points array's first element. */
        private String header() {
            JsonObject o = new JsonObject();
            o.addProperty("surface", surface.name());
            o.addProperty("formula", surface.formula());
            o.addProperty("optimizer", optimizerSpec);
            o.addProperty("dtype", type.toString());
            o.addProperty("steps", steps);
            String head = GSON.toJson(o);
            return head.substring(0, head.length() - 1) + ",\"points\":[";
        }

        /** Ends the JSON object, flushes, and fails if anything could not be written. */
        void finish() {
            if (json) {
                out.println("]}");
            }
            out.flush();
            requireWritable();
        }

        private void requireWritable() {
            if (out.checkError()) {
                throw new dev.kobai.KobaiException("cannot write the output (standard output closed?); stopped after "
                        + printed + " of " + (steps + 1L) + " rows");
            }
        }
    }

    /** The shortest decimal that reads back as the same value in the run's dtype. */
    static String number(double v, DType type) {
        return type == DType.FLOAT32 ? Float.toString((float) v) : Double.toString(v);
    }

    /** A number in the run's precision; null for NaN and infinities, which JSON cannot hold. */
    private static JsonElement json(double v, DType type) {
        if (!Double.isFinite(v)) {
            return JsonNull.INSTANCE;
        }
        return type == DType.FLOAT32 ? new JsonPrimitive((float) v) : new JsonPrimitive(v);
    }
}
