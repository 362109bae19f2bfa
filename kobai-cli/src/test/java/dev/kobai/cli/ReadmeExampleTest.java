package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's example of a training run's output (its console lines and metrics file) is what the
 * command it shows prints today, but for the seconds: run again on the embedded digits.
 */
class ReadmeExampleTest {
    @TempDir
    Path dir;

    /** The lines of the first fenced block of {@code lang} that holds {@code marker}. */
    private static List<String> block(List<String> readme, String lang, String marker) {
        for (int i = 0; i < readme.size(); i++) {
            if (readme.get(i).equals("```" + lang)) {
                List<String> lines = new ArrayList<>();
                for (int j = i + 1; j < readme.size() && !readme.get(j).equals("```"); j++) {
                    lines.add(readme.get(j));
                }
                if (String.join("\n", lines).contains(marker)) {
                    return lines;
                }
            }
        }
        throw new AssertionError("no ```" + lang + " block with " + marker + " in the README");
    }

    /** A console line without its seconds, which vary from run to run. */
    private static String withoutSeconds(String line) {
        return line.replaceAll("  [0-9.]+s$", "");
    }

    /** A metrics line without its timings. */
    private static JsonObject withoutTimes(String line) {
        JsonObject o = JsonParser.parseString(line).getAsJsonObject();
        o.remove("seconds");
        o.remove("total_seconds");
        return o;
    }

    @Test
    void theMetricsExampleIsTheOutputOfItsCommand() throws Exception {
        Path readmeFile = Path.of(System.getProperty("user.dir")).getParent().resolve("README.md");
        assumeTrue(Files.isRegularFile(readmeFile), "the README is at the repository's root");
        List<String> readme = Files.readAllLines(readmeFile);
        List<String> console = block(readme, "text", "$ ./kobai train");
        String command = console.getFirst().substring("$ ./kobai ".length());
        assertTrue(command.endsWith(" --metrics m.jsonl"), command);
        List<String> args = new ArrayList<>(List.of(command.split(" ")));
        args.set(args.size() - 1, dir.resolve("m.jsonl").toString());

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, Kobai.execute(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err)),
                err.toString());
        List<String> shown = console.subList(1, console.size()).stream().map(ReadmeExampleTest::withoutSeconds)
                .toList();
        List<String> printed = out.toString().lines().map(ReadmeExampleTest::withoutSeconds).toList();
        assertEquals(shown.size(), printed.size(), out.toString());
        for (int i = 0; i < shown.size(); i++) {
            // Words alike, numbers within a unit of their last printed digit: another CPU's vector
            // width may round the sums differently.
            String[] a = shown.get(i).split(" +");
            String[] b = printed.get(i).split(" +");
            assertEquals(a.length, b.length, printed.get(i));
            for (int k = 0; k < a.length; k++) {
                if (a[k].matches("[0-9]+\\.[0-9]+")) {
                    assertEquals(Double.parseDouble(a[k]), Double.parseDouble(b[k]), 1.01e-4, printed.get(i));
                } else {
                    assertEquals(a[k], b[k], printed.get(i));
                }
            }
        }

        List<String> json = block(readme, "json", "\"summary\":true");
        List<String> written = Files.readAllLines(dir.resolve("m.jsonl"));
        assertEquals(json.size(), written.size(), String.join("\n", written));
        for (int i = 0; i < json.size(); i++) {
            JsonObject a = withoutTimes(json.get(i));
            JsonObject b = withoutTimes(written.get(i));
            assertEquals(a.keySet(), b.keySet(), "line " + (i + 1) + ": " + written.get(i));
            for (String key : a.keySet()) {
                if (a.get(key).isJsonPrimitive() && a.get(key).getAsJsonPrimitive().isNumber()) {
                    double x = a.get(key).getAsDouble();
                    assertEquals(x, b.get(key).getAsDouble(), 1e-9 + 1e-6 * Math.abs(x), key + ", line " + (i + 1));
                } else {
                    assertEquals(a.get(key), b.get(key), key + ", line " + (i + 1));
                }
            }
        }
    }
}
