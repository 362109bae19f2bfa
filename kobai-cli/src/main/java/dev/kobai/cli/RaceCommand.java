package dev.kobai.cli;

import dev.kobai.UsageException;
import dev.kobai.surface.Expression;
import dev.kobai.surface.Surface;
import dev.kobai.surface.Surface.Domain;
import dev.kobai.surface.Surfaces;
import dev.kobai.surface.Trace;
import dev.kobai.tensor.DType;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kobai race}: several optimizers descending one surface from one start, drawn as an
 * animated GIF, with the last frame as a PNG and the paths as CSV. Each path is exactly what
 * {@code kobai trace} prints for the same surface, start, optimizer and steps (float64).
 */
@Command(
        name = "race",
        mixinStandardHelpOptions = true,
        versionProvider = Kobai.Version.class,
        description = "Race optimizers across a 2-D surface and draw it as an animated GIF.",
        footer = {
            "",
            "Presets (the lecture's animations): beale, long-valley, saddle.",
            "SPEC is name[:key=value,...] as for kobai train, optionally named for the",
            "  legend as LABEL=SPEC, e.g. Momentum=sgd:lr=0.001,momentum=0.9.",
            "Surfaces: the names kobai trace takes, or expr:FORMULA in x and y with",
            "  + - * / ^, sin cos exp log sqrt abs, pi and e, e.g. 'expr:x^2+10*y^2'.",
            "A path that leaves the plot is drawn up to where it left and the legend",
            "  says at which step; one that turns NaN or infinite is marked diverged,",
            "  in red. The race goes on.",
            "Examples:",
            "  kobai race --preset beale --out beale.gif --png beale.png",
            "  kobai race --surface rosenbrock --optimizer adam:lr=0.05 \\",
            "      --optimizer Momentum=sgd:lr=0.001,momentum=0.9 --steps 300"
        })
public final class RaceCommand implements Callable<Integer>, Kobai.Verbosity {
    @Spec
    CommandSpec spec;

    @Option(names = "--surface", paramLabel = "NAME", description = "The surface, e.g. beale or 'expr:x^2+10*y^2'.")
    String surface;

    @Option(names = "--preset", paramLabel = "NAME",
            description = "A race of the lecture: beale, long-valley or saddle (sets surface, start, steps, optimizers).")
    String preset;

    @Option(names = "--optimizer", paramLabel = "SPEC",
            description = "An optimizer to race, [LABEL=]SPEC; repeat for each (added to a preset's).")
    List<String> optimizers = new ArrayList<>();

    @Option(names = "--start", paramLabel = "X,Y", description = "Starting point (default: the surface's or preset's).")
    String start;

    @Option(names = "--domain", paramLabel = "XMIN,XMAX,YMIN,YMAX",
            description = "The window to draw (default: the surface's usual one).")
    String domain;

    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps (default: 200, or the preset's).")
    Integer steps;

    @Option(names = "--every", paramLabel = "K", defaultValue = "1",
            description = "Draw a frame every K steps, and the last step (default: ${DEFAULT-VALUE}).")
    int every;

    @Option(names = "--out", paramLabel = "FILE", defaultValue = "race.gif",
            description = "The animated GIF to write (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--png", paramLabel = "FILE", description = "Also write the last frame as a PNG.")
    Path png;

    @Option(names = "--csv", paramLabel = "FILE", description = "Also write the paths as CSV.")
    Path csv;

    @Option(names = "--size", paramLabel = "WxH", defaultValue = "860x520",
            description = "Image size in pixels (default: ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--fps", paramLabel = "F", defaultValue = "20",
            description = "Frames per second, 1 to 100 (default: ${DEFAULT-VALUE}).")
    double fps;

    @Option(names = "--hold", paramLabel = "SECONDS", defaultValue = "2",
            description = "How long the last frame stays before the loop starts again (default: ${DEFAULT-VALUE}).")
    double hold;

    @Option(names = "--trail", paramLabel = "N", defaultValue = "0",
            description = "Draw only the last N steps of each path, fading; 0 draws all (default: ${DEFAULT-VALUE}).")
    int trail;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    @Override
    public boolean verbose() {
        return verbose;
    }

    /** Everything one race needs, checked. */
    record Job(Surface surface, Domain domain, Surface.Point start, int steps, List<RacePresets.Entry> runners,
               int width, int height, int every, int delay, int holdDelay, int trail, Path gif, Path png, Path csv) {}

    /** What a race drew: the runners with their paths, and how many frames the GIF has. */
    record Result(List<RaceRenderer.Runner> runners, int frames, Domain domain) {}

    @Override
    public Integer call() throws IOException {
        Job job = job();
        PrintWriter o = spec.commandLine().getOut();
        Result result = run(job);
        report(o, job, result);
        return 0;
    }

    private Job job() {
        RacePresets.Preset p = null;
        if (preset != null) {
            if (surface != null) {
                throw usage("--surface and --preset cannot be used together (the preset names its surface)");
            }
            p = wrap("--preset", () -> RacePresets.byName(preset));
        } else if (surface == null) {
            throw usage("missing --surface NAME or --preset NAME (presets: " + String.join(", ", RacePresets.names())
                    + ")");
        }
        String surfaceName = p != null ? p.surface() : surface;
        Domain window = domain == null ? null : parseDomain(domain);
        Surface.Point given = start == null ? null : parseStart(start);
        Surface s;
        if (surfaceName.regionMatches(true, 0, Expression.PREFIX, 0, Expression.PREFIX.length())) {
            String text = surfaceName.substring(Expression.PREFIX.length());
            s = wrap("--surface", () -> Expression.parse(text).toSurface(window, given));
        } else {
            s = wrap("--surface", () -> Surfaces.byName(surfaceName));
        }
        Surface.Point from = given != null ? given : p != null ? p.start() : s.start();
        List<RacePresets.Entry> runners = new ArrayList<>(p != null ? p.runners() : List.of());
        for (String text : optimizers) {
            runners.add(entry(text));
        }
        runners = new ArrayList<>(RacePresets.distinctLabels(runners));
        if (runners.isEmpty()) {
            throw usage("name at least one --optimizer SPEC to race");
        }
        if (runners.size() > RaceRenderer.RUNNER_COLOURS.length) {
            throw usage("at most " + RaceRenderer.RUNNER_COLOURS.length + " optimizers fit in one race, got "
                    + runners.size());
        }
        int n = steps != null ? steps : p != null ? p.steps() : 200;
        if (n < 1 || n > 100_000) {
            throw usage("--steps must be between 1 and 100000, got " + n);
        }
        if (every < 1) {
            throw usage("--every must be at least 1, got " + every);
        }
        if (!(fps >= 1 && fps <= 100)) {
            throw usage("--fps must be between 1 and 100, got " + fps);
        }
        if (!(hold >= 0 && hold <= 60)) {
            throw usage("--hold must be between 0 and 60 seconds, got " + hold);
        }
        if (trail < 0) {
            throw usage("--trail must be 0 (the whole path) or more, got " + trail);
        }
        int[] wh = parseSize(size);
        int delay = Math.max(1, (int) Math.round(100 / fps));
        int holdDelay = Math.max(delay, (int) Math.round(hold * 100));
        Outputs outputs = new Outputs();
        outputs.file("--out", out);
        outputs.file("--png", png);
        outputs.file("--csv", csv);
        outputs.requireDistinct();
        Domain drawn = window != null ? window : p != null ? p.domain() : s.domain();
        return new Job(s, drawn, from, n, List.copyOf(runners), wh[0], wh[1], every,
                delay, holdDelay, trail, out, png, csv);
    }

    /** Runs each optimizer, draws the frames and writes the files the job asks for. */
    static Result run(Job job) throws IOException {
        RaceRenderer.checkFonts();
        List<RaceRenderer.Runner> runners = new ArrayList<>();
        for (int i = 0; i < job.runners().size(); i++) {
            RacePresets.Entry e = job.runners().get(i);
            List<Trace.Sample> path = Trace.run(job.surface(), e.spec(), job.start(), job.steps(), DType.FLOAT64);
            runners.add(new RaceRenderer.Runner(e.label(), e.spec(), RaceRenderer.RUNNER_COLOURS[i], path));
        }
        RaceRenderer renderer = new RaceRenderer(job.surface(), job.domain(), runners, job.width(), job.height(),
                job.trail());
        List<Integer> shown = shownSteps(job.steps(), job.every());
        BufferedImage last = null;
        if (job.gif() != null) {
            try (GifWriter gif = new GifWriter(job.gif(), renderer.colours())) {
                for (int k = 0; k < shown.size(); k++) {
                    last = renderer.frame(shown.get(k));
                    gif.add(last, k == shown.size() - 1 ? job.holdDelay() : job.delay());
                }
                gif.finish();
            }
        }
        if (job.png() != null) {
            if (last == null) {
                last = renderer.frame(job.steps());
            }
            Outputs.writePng(job.png(), last);
        }
        if (job.csv() != null) {
            writeCsv(job.csv(), runners);
        }
        return new Result(runners, job.gif() == null ? 0 : shown.size(), job.domain());
    }

    /** The steps that get a frame: 0, K, 2K, ... and the last. */
    static List<Integer> shownSteps(int steps, int every) {
        List<Integer> shown = new ArrayList<>();
        for (int k = 0; k < steps; k += every) {
            shown.add(k);
        }
        shown.add(steps);
        return shown;
    }

    /**
     * The paths as CSV, {@code optimizer,spec,step,x,y,loss}, numbers written as {@code kobai trace}
     * writes float64 runs, so that they read back exactly.
     */
    static void writeCsv(Path file, List<RaceRenderer.Runner> runners) throws IOException {
        Outputs.writeText(file, w -> {
            w.write("optimizer,spec,step,x,y,loss\n");
            for (RaceRenderer.Runner r : runners) {
                String head = csvField(r.label()) + "," + csvField(r.spec()) + ",";
                for (Trace.Sample s : r.path()) {
                    w.write(head + s.step() + "," + TraceCommand.number(s.x(), DType.FLOAT64) + ","
                            + TraceCommand.number(s.y(), DType.FLOAT64) + ","
                            + TraceCommand.number(s.loss(), DType.FLOAT64) + "\n");
                }
            }
        });
    }

    private static String csvField(String s) {
        if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }

    private static void report(PrintWriter o, Job job, Result result) {
        o.printf(Locale.ROOT, "%s from (%s, %s), %d steps:%n", job.surface().name(),
                RaceRenderer.compact(job.start().x()), RaceRenderer.compact(job.start().y()), job.steps());
        for (RaceRenderer.Runner r : result.runners()) {
            Trace.Sample end = r.path().getLast();
            int left = r.leftAt(result.domain());
            String fate = left < 0
                    ? String.format(Locale.ROOT, "ends at (%s, %s), f = %s", RaceRenderer.compact(end.x()),
                            RaceRenderer.compact(end.y()), RaceRenderer.compact(end.loss()))
                    : r.fate(result.domain());
            o.printf(Locale.ROOT, "  %-10s %-40s %s%n", r.label(), r.spec(), fate);
        }
        if (job.gif() != null) {
            o.printf(Locale.ROOT, "wrote %s (%d frames)%n", job.gif(), result.frames());
        }
        if (job.png() != null) {
            o.println("wrote " + job.png());
        }
        if (job.csv() != null) {
            o.println("wrote " + job.csv());
        }
        o.flush();
    }

    private RacePresets.Entry entry(String text) {
        return wrap("--optimizer '" + text + "'", () -> RacePresets.parseEntry(text));
    }

    private Domain parseDomain(String text) {
        double[] v = numbers(text, 4, "--domain must be four numbers XMIN,XMAX,YMIN,YMAX");
        if (!(v[0] < v[1]) || !(v[2] < v[3])) {
            throw usage("--domain needs XMIN < XMAX and YMIN < YMAX, got '" + text + "'");
        }
        return new Domain(v[0], v[1], v[2], v[3]);
    }

    private Surface.Point parseStart(String text) {
        double[] v = numbers(text, 2, "--start must be two numbers X,Y");
        return new Surface.Point(v[0], v[1]);
    }

    private double[] numbers(String text, int count, String what) {
        String[] parts = text.split(",", -1);
        if (parts.length != count) {
            throw usage(what + ", got '" + text + "'");
        }
        double[] v = new double[count];
        for (int i = 0; i < count; i++) {
            try {
                v[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw usage(what + ", got '" + text + "'");
            }
            if (!Double.isFinite(v[i])) {
                throw usage(what + " (finite), got '" + text + "'");
            }
        }
        return v;
    }

    private int[] parseSize(String text) {
        String[] parts = text.toLowerCase(Locale.ROOT).split("x", -1);
        try {
            if (parts.length == 2) {
                int w = Integer.parseInt(parts[0].trim());
                int h = Integer.parseInt(parts[1].trim());
                if (w >= 400 && h >= 280 && w <= 4000 && h <= 4000) {
                    return new int[] {w, h};
                }
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw usage("--size must be WxH with W from 400 to 4000 and H from 280 to 4000, got '" + text + "'");
    }

    private <T> T wrap(String option, java.util.function.Supplier<T> body) {
        try {
            return body.get();
        } catch (UsageException e) {
            throw usage(option + ": " + e.getMessage());
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
