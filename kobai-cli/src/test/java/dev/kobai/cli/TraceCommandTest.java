package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kobai.surface.Surfaces;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TraceCommandTest {
    private static CliUsageTest.Result kobai(String... args) {
        return CliUsageTest.kobai(args);
    }

    @Test
    void csvHasTheHeaderAndOneRowPerStepPlusTheStart() {
        CliUsageTest.Result r = kobai("trace", "--surface", "booth", "--start", "-6,8", "--optimizer", "sgd:lr=0.05",
                "--steps", "7");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("step,x,y,loss", lines.getFirst());
        assertEquals(1 + 8, lines.size());
        assertEquals("0,-6.0,8.0," + Surfaces.byName("booth").value(-6, 8), lines.get(1));
        for (int k = 0; k <= 7; k++) {
            String[] cells = lines.get(k + 1).split(",");
            assertEquals(4, cells.length);
            assertEquals(k, Integer.parseInt(cells[0]));
        }
        // Row 1: one SGD step with the gradient of booth worked out by hand, printed to full precision.
        double gx = 2 * (-6 + 16 - 7) + 4 * (-12 + 8 - 5);
        double gy = 4 * (-6 + 16 - 7) + 2 * (-12 + 8 - 5);
        String[] row1 = lines.get(2).split(",");
        assertEquals(-6 - 0.05 * gx, Double.parseDouble(row1[1]), 1e-14);
        assertEquals(8 - 0.05 * gy, Double.parseDouble(row1[2]), 1e-14);
    }

    @Test
    void numbersReadBackExactly() {
        CliUsageTest.Result r = kobai("trace", "--surface", "rosenbrock", "--optimizer", "sgd:lr=0.001,momentum=0.9",
                "--steps", "30");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(32, lines.size());
        assertEquals("0,-1.2,1.0,24.199999999999996", lines.get(1), "default start (-1.2, 1)");
        String[] last = lines.getLast().split(",");
        double x = Double.parseDouble(last[1]);
        double y = Double.parseDouble(last[2]);
        assertEquals(Surfaces.byName("rosenbrock").value(x, y), Double.parseDouble(last[3]));
    }

    @Test
    void float32RowsAreFloat32Numbers() {
        CliUsageTest.Result r = kobai("trace", "--surface", "rosenbrock", "--start=-1.2,1", "--optimizer",
                "sgd:lr=0.001", "--steps", "3", "--dtype", "float32");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(5, lines.size());
        assertTrue(lines.get(1).startsWith("0,-1.2,1.0,24.2"), lines.get(1));
    }

    @Test
    void jsonIsOneObjectWithTheRunAndItsPoints() {
        CliUsageTest.Result r = kobai("trace", "--surface", "long-valley", "--optimizer", "sgd:lr=0.015", "--steps",
                "4", "--format", "json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals("long-valley", o.get("surface").getAsString());
        assertEquals("sgd:lr=0.015", o.get("optimizer").getAsString());
        assertEquals("float64", o.get("dtype").getAsString());
        assertEquals(4, o.get("steps").getAsInt());
        JsonArray points = o.getAsJsonArray("points");
        assertEquals(5, points.size());
        JsonObject p0 = points.get(0).getAsJsonObject();
        assertEquals(0, p0.get("step").getAsInt());
        assertEquals(-9, p0.get("x").getAsDouble());
        assertEquals(-1, p0.get("y").getAsDouble());
        assertEquals(0.5 * (81 + 100), p0.get("loss").getAsDouble());
        JsonObject p1 = points.get(1).getAsJsonObject();
        assertEquals(-9 * 0.985, p1.get("x").getAsDouble(), 1e-14);
        assertEquals(0.5, p1.get("y").getAsDouble(), 1e-14);
    }

    @Test
    void aDivergedRunStillSucceedsWithNonFiniteValues() {
        CliUsageTest.Result csv = kobai("trace", "--surface", "long-valley", "--optimizer", "sgd:lr=0.03", "--steps",
                "1100");
        assertEquals(0, csv.code(), csv.err());
        assertTrue(csv.out().lines().toList().getLast().endsWith(",NaN,NaN"), csv.out().lines().toList().getLast());

        CliUsageTest.Result json = kobai("trace", "--surface", "long-valley", "--optimizer", "sgd:lr=0.03", "--steps",
                "1100", "--format", "json");
        assertEquals(0, json.code(), json.err());
        JsonArray points = JsonParser.parseString(json.out()).getAsJsonObject().getAsJsonArray("points");
        assertEquals(1101, points.size());
        assertTrue(points.get(1100).getAsJsonObject().get("loss").isJsonNull());
    }

    @Test
    void zeroStepsPrintsTheStartAlone() {
        CliUsageTest.Result r = kobai("trace", "--surface", "saddle", "--optimizer", "sgd:lr=0.1", "--steps", "0");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("step,x,y,loss", "0,-1.5,0.001,2.249999"), r.out().lines().toList());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "unknown surface | --surface | nowhere | --surface: unknown surface 'nowhere'; valid: rosenbrock,",
        "one number | --start | 1.5 | --start must be two numbers X,Y, got '1.5'",
        "three numbers | --start | 1,2,3 | --start must be two numbers X,Y, got '1,2,3'",
        "not a number | --start | a,2 | --start must be two numbers X,Y, got 'a,2'",
        "not finite | --start | 1,NaN | --start must be two finite numbers X,Y, got '1,NaN'",
        "negative steps | --steps | -1 | --steps must be at least 0, got -1",
        "steps not a number | --steps | ten | ten",
        "unknown optimizer | --optimizer | bogus:lr=1 | --optimizer 'bogus:lr=1': unknown optimizer 'bogus'",
        "missing lr | --optimizer | sgd | --optimizer 'sgd': optimizer sgd needs lr",
        "bad option | --optimizer | sgd:lr=x | --optimizer 'sgd:lr=x': optimizer sgd, option lr: 'x'",
        "bad dtype | --dtype | float16 | --dtype must be float32 or float64, got 'float16'",
        "bad format | --format | xml | --format must be csv or json, got 'xml'",
    })
    void badInputExitsTwoWithOneLineNamingTheFlagAndValue(String what, String flag, String value, String expected) {
        List<String> args = new java.util.ArrayList<>(List.of("trace", "--surface", "booth", "--optimizer",
                "sgd:lr=0.01", "--steps", "3"));
        int at = args.indexOf(flag);
        if (at >= 0) {
            args.set(at + 1, value);
        } else {
            args.add(flag);
            args.add(value);
        }
        CliUsageTest.Result r = kobai(args.toArray(String[]::new));
        assertEquals(2, r.code(), what + ": " + r.err());
        assertEquals("", r.out(), what);
        String line = r.firstErrLine();
        assertTrue(line.startsWith("kobai trace: "), line);
        assertTrue(line.contains(flag) && line.contains(value), what + ": " + line);
        assertTrue(line.contains(expected), what + ": " + line);
    }

    @Test
    void surfaceAndOptimizerAreRequired() {
        CliUsageTest.Result r = kobai("trace", "--surface", "booth");
        assertEquals(2, r.code());
        assertTrue(r.firstErrLine().contains("--optimizer"), r.err());
    }

    @Test
    void helpListsTheSurfaces() {
        CliUsageTest.Result r = kobai("trace", "--help");
        assertEquals(0, r.code());
        for (String name : Surfaces.names()) {
            assertTrue(r.out().contains(name), name + " in " + r.out());
        }
        assertTrue(kobai("--help").out().contains("trace"));
    }

    /** A flat sum of 6,000 terms used to end in "internal error: StackOverflowError" (exit 1). */
    @Test
    void aLongFormulaTracesAndAMistakeInItIsAUsageErrorPointingAtIt() {
        String sum = "0.001*x^2" + "+0.001*x^2".repeat(5_999) + "+y^2";
        CliUsageTest.Result r = kobai("trace", "--surface", "expr:" + sum, "--optimizer", "sgd:lr=0.1", "--steps", "3");
        assertEquals(0, r.code(), r.err());
        assertEquals(5, r.out().lines().count());
        CliUsageTest.Result bad = kobai("trace", "--surface", "expr:" + sum + "+2e", "--optimizer", "sgd:lr=0.1");
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().startsWith("kobai trace: --surface: bad expression at column " + (sum.length() + 2)
                + ": bad number '2e'"), bad.err());
        assertTrue(bad.err().lines().allMatch(l -> l.length() < 200), "the long formula is shown around the fault");
    }

    /** Streamed, the output is what printing the whole run at the end gave: the same CSV, and Gson's JSON object. */
    @Test
    void streamedOutputIsTheWholeRunsOutput() {
        var surface = Surfaces.byName("beale");
        for (String dtype : List.of("float64", "float32")) {
            var type = dev.kobai.tensor.DType.parse(dtype);
            List<dev.kobai.surface.Trace.Sample> run = dev.kobai.surface.Trace.run(surface, "adam:lr=0.05", null, 200,
                    type);
            StringBuilder csv = new StringBuilder("step,x,y,loss\n");
            JsonArray points = new JsonArray();
            for (var p : run) {
                csv.append(p.step()).append(',').append(TraceCommand.number(p.x(), type)).append(',')
                        .append(TraceCommand.number(p.y(), type)).append(',').append(TraceCommand.number(p.loss(), type))
                        .append('\n');
                JsonObject o = new JsonObject();
                o.addProperty("step", p.step());
                for (String k : List.of("x", "y", "loss")) {
                    double v = k.equals("x") ? p.x() : k.equals("y") ? p.y() : p.loss();
                    o.add(k, type == dev.kobai.tensor.DType.FLOAT32 ? new com.google.gson.JsonPrimitive((float) v)
                            : new com.google.gson.JsonPrimitive(v));
                }
                points.add(o);
            }
            JsonObject whole = new JsonObject();
            whole.addProperty("surface", "beale");
            whole.addProperty("formula", surface.formula());
            whole.addProperty("optimizer", "adam:lr=0.05");
            whole.addProperty("dtype", dtype);
            whole.addProperty("steps", 200);
            whole.add("points", points);
            String json = new com.google.gson.GsonBuilder().serializeNulls().disableHtmlEscaping().create().toJson(whole);
            assertEquals(csv.toString(), kobai("trace", "--surface", "beale", "--optimizer", "adam:lr=0.05", "--steps",
                    "200", "--dtype", dtype).out(), dtype);
            assertEquals(json + "\n", kobai("trace", "--surface", "beale", "--optimizer", "adam:lr=0.05", "--steps",
                    "200", "--dtype", dtype, "--format", "json").out(), dtype);
        }
    }

    /**
     * Memory does not grow with --steps: 400,000 steps as JSON run in a 24 MB heap. Held until the end,
     * they took about 1 GB per million steps (a list of samples, then Gson's tree of them).
     */
    @Test
    void aLongTraceRunsInASmallHeap() throws Exception {
        for (String format : List.of("json")) {
            Process p = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-Xmx24m", "-XX:+UseSerialGC", "--add-modules", "jdk.incubator.vector", "-cp",
                    System.getProperty("java.class.path"), Kobai.class.getName(), "trace", "--surface", "rosenbrock",
                    "--optimizer", "sgd:lr=0.0001", "--steps", "400000", "--format", format)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), format + ": " + err);
        }
    }

    /** Output that cannot be written stops the run; Integer.MAX_VALUE steps no longer overflow a list's size. */
    @Test
    void aClosedOutputStopsTheRun() {
        java.io.OutputStream closed = new java.io.OutputStream() {
            private long written;

            @Override
            public void write(int b) throws java.io.IOException {
                if (++written > 10_000) {
                    throw new java.io.IOException("Broken pipe");
                }
            }
        };
        java.io.StringWriter err = new java.io.StringWriter();
        int code = Kobai.execute(new String[] {"trace", "--surface", "booth", "--optimizer", "sgd:lr=0.01", "--steps",
            "2147483647"}, new java.io.PrintWriter(closed, true), new java.io.PrintWriter(err, true));
        assertEquals(1, code, err.toString());
        assertEquals("kobai trace: cannot write the output (standard output closed?); stopped after 1024 of 2147483648"
                + " rows\n", err.toString());
    }
}
