package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliUsageTest {
    record Result(int code, String out, String err) {
        String firstErrLine() {
            return err.lines().findFirst().orElse("");
        }
    }

    static Result kobai(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Kobai.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void helpAndVersionSucceed() {
        Result help = kobai("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("train"), help.out());
        assertTrue(help.out().contains("demo"), help.out());

        Result version = kobai("--version");
        assertEquals(0, version.code());
        assertTrue(version.out().startsWith("kobai "), version.out());

        assertEquals(0, kobai("train", "--help").code());
    }

    @Test
    void sparkOptionsAreCheckedAndSparkNeedsItsModule() {
        Result none = kobai("train", "--spark", "local[2]", "--epochs", "1");
        assertEquals(2, none.code());
        assertTrue(none.firstErrLine().startsWith("kobai train: --spark needs the kobai-spark module on the class"
                + " path"), none.err());
        Result partitions = kobai("train", "--partitions", "2");
        assertEquals(2, partitions.code());
        assertEquals("kobai train: --partitions needs --spark MASTER", partitions.firstErrLine());
        Result both = kobai("train", "--shards", "2", "--spark", "local[2]");
        assertEquals(2, both.code());
        assertTrue(both.firstErrLine().startsWith("kobai train: --shards is for a run on this machine"), both.err());
        Result zero = kobai("train", "--shards", "0");
        assertEquals(2, zero.code());
        assertEquals("kobai train: --shards must be at least 1, got 0", zero.firstErrLine());
    }

    @Test
    void zeroEpochsIsAUsageErrorNamingTheFlagAndValue() {
        Result r = kobai("train", "--epochs", "0");
        assertEquals(2, r.code());
        assertEquals("kobai train: --epochs must be at least 1, got 0", r.firstErrLine());
    }

    @Test
    void negativeBatchSizeIsAUsageError() {
        Result r = kobai("train", "--batch-size", "-5");
        assertEquals(2, r.code());
        assertTrue(r.firstErrLine().contains("--batch-size") && r.firstErrLine().contains("-5"), r.err());
    }

    @Test
    void nonNumericEpochsIsAUsageError() {
        Result r = kobai("train", "--epochs", "many");
        assertEquals(2, r.code());
        assertTrue(r.firstErrLine().contains("--epochs") && r.firstErrLine().contains("many"), r.err());
    }

    @Test
    void unknownOptionIsAUsageError() {
        Result r = kobai("train", "--epoch", "3");
        assertEquals(2, r.code());
        assertTrue(r.firstErrLine().contains("--epoch"), r.err());
    }

    @Test
    void unknownCommandIsAUsageError() {
        Result r = kobai("bogus");
        assertEquals(2, r.code());
        assertEquals("kobai: unknown command 'bogus' (commands: demo, train, trace, race, compare, bench, autoencoder,"
                + " model, help)", r.firstErrLine());
    }

    /** Picocli suggested 'trace' for 'trian', on a second line. */
    @Test
    void aMistypedCommandIsOneLineNamingTheNearestCommand() {
        Result r = kobai("trian", "--epochs", "3");
        assertEquals(2, r.code());
        assertEquals("kobai: unknown command 'trian'; did you mean 'train'? (commands: demo, train, trace, race, compare,"
                + " bench, autoencoder, model, help)\n", r.err());
    }

    /** Picocli printed "Unknown options: '--epoch', '3'" and "Possible solutions: --epochs" on two lines. */
    @Test
    void aMistypedOptionIsOneLineNamingTheNearestOption() {
        Result r = kobai("train", "--epoch", "3");
        assertEquals(2, r.code());
        assertEquals("kobai train: unknown option '--epoch'; did you mean '--epochs'?\n", r.err());
        assertEquals("kobai race: unknown option '--optimzer'; did you mean '--optimizer'?\n",
                kobai("race", "--optimzer=sgd").err());
        assertEquals("kobai train: unknown option '--bogus' ('kobai train --help' lists them)\n",
                kobai("train", "--bogus").err());
        assertEquals("kobai: unknown option '--epochs': it is an option of demo, train, compare, bench;"
                + " write it after the command, e.g. 'kobai demo --epochs ...'\n", kobai("--epochs", "3").err());
        assertEquals("kobai train: unexpected argument 'extra' ('kobai train --help' lists what it takes)\n",
                kobai("train", "extra").err());
    }

    /** Every usage error is one line: picocli used to add "Try 'kobai race --help' for more information.". */
    @Test
    void everyUsageErrorIsOneLine() {
        String[][] lines = {
            {"race", "--preset", "beal"},
            {"race"},
            {"compare"},
            {"train", "--epochs", "many"},
            {"train", "--epochs", "0"},
            {"train", "--optimizer", "sgd:lr=x"},
            {"model"},
            {"trace", "--surface", "nowhere"},
            {},
        };
        for (String[] args : lines) {
            Result r = kobai(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().lines().count(), String.join(" ", args) + ": " + r.err());
        }
    }

    @Test
    void noCommandIsAUsageError() {
        Result r = kobai();
        assertEquals(2, r.code());
        assertTrue(r.firstErrLine().contains("missing command"), r.err());
    }

    @Test
    void demoRejectsZeroEpochs() {
        Result r = kobai("demo", "--epochs", "0");
        assertEquals(2, r.code());
        assertTrue(r.firstErrLine().contains("--epochs"), r.err());
    }

    @Test
    void unwritableMetricsPathIsRefusedBeforeTraining(@TempDir Path dir) {
        Path file = dir.resolve("no-such-dir").resolve("m.jsonl");
        // The data spec is bogus too: exit 2 naming --metrics shows the file was checked first.
        Result r = kobai("train", "--data", "no-such-data", "--metrics", file.toString());
        assertEquals(2, r.code());
        assertTrue(r.firstErrLine().startsWith("kobai train: --metrics: cannot write"), r.err());
        assertFalse(Files.exists(file));
    }
}
