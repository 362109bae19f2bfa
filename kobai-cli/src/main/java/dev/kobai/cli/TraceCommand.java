package dev.kobai.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
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
import java.util.List;
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
        List<Trace.Sample> samples = Trace.run(s, params -> {
            try {
                return Optimizers.create(optimizer, params);
            } catch (UsageException e) {
                throw usage("--optimizer '" + optimizer + "': " + e.getMessage());
            }
        }, from, steps, type);
        PrintWriter out = spec.commandLine().getOut();
        if (fmt.equals("csv")) {
            writeCsv(out, samples, type);
        } else {
            writeJson(out, s, optimizer, type, samples);
        }
        out.flush();
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

    static void writeCsv(PrintWriter out, List<Trace.Sample> samples, DType type) {
        out.println("step,x,y,loss");
        StringBuilder row = new StringBuilder();
        for (Trace.Sample s : samples) {
            row.setLength(0);
            row.append(s.step()).append(',').append(number(s.x(), type)).append(',').append(number(s.y(), type))
                    .append(',').append(number(s.loss(), type));
            out.println(row);
        }
    }

    /** The shortest decimal that reads back as the same value in the run's dtype. */
    static String number(double v, DType type) {
        return type == DType.FLOAT32 ? Float.toString((float) v) : Double.toString(v);
    }

    static void writeJson(PrintWriter out, Surface surface, String optimizerSpec, DType type,
                          List<Trace.Sample> samples) {
        JsonObject o = new JsonObject();
        o.addProperty("surface", surface.name());
        o.addProperty("formula", surface.formula());
        o.addProperty("optimizer", optimizerSpec);
        o.addProperty("dtype", type.toString());
        o.addProperty("steps", samples.size() - 1);
        JsonArray points = new JsonArray();
        for (Trace.Sample s : samples) {
            JsonObject p = new JsonObject();
            p.addProperty("step", s.step());
            p.add("x", json(s.x(), type));
            p.add("y", json(s.y(), type));
            p.add("loss", json(s.loss(), type));
            points.add(p);
        }
        o.add("points", points);
        out.println(GSON.toJson(o));
    }

    /** A number in the run's precision; null for NaN and infinities, which JSON cannot hold. */
    private static JsonElement json(double v, DType type) {
        if (!Double.isFinite(v)) {
            return JsonNull.INSTANCE;
        }
        return type == DType.FLOAT32 ? new JsonPrimitive((float) v) : new JsonPrimitive(v);
    }
}
