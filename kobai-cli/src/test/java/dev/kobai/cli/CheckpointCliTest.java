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

/** Exit codes and one-line messages of checkpointing, resuming and numerical faults. */
class CheckpointCliTest {
    @TempDir
    Path dir;

    record Result(int code, String err) {}

    static Result run(String... args) {
        StringWriter err = new StringWriter();
        int code = Kobai.execute(args, new PrintWriter(new StringWriter()), new PrintWriter(err));
        return new Result(code, err.toString());
    }

    @Test
    void usageErrorsExitWith2() {
        Result r = run("train", "--checkpoint", dir.resolve("c").toString(), "--every", "often");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--every takes 'epoch' or a positive number"), r.err());
        Result noFile = run("train", "--every", "3");
        assertEquals(2, noFile.code());
    }

    @Test
    void corruptCheckpointExitsWith1NamingTheFile() throws Exception {
        Path bad = dir.resolve("bad.safetensors");
        Files.write(bad, new byte[] {1, 2, 3});
        Result r = run("train", "--resume", bad.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("kobai train: " + bad) && r.err().contains("too short"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void numericalFaultStopsNamingStepAndLastLossAndKeepsTheCheckpoint() {
        Path ckpt = dir.resolve("run.safetensors");
        Result r = run("train", "--model", "mlp:64-8-10", "--epochs", "1", "--optimizer", "sgd:lr=1e30",
                "--checkpoint", ckpt.toString(), "--every", "1");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("numerical fault at step 2") && r.err().contains("last finite loss was")
                && r.err().contains("is kept: resume with --resume " + ckpt), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(Files.exists(ckpt));

        Result skipped = run("train", "--model", "mlp:64-8-10", "--epochs", "1", "--optimizer", "sgd:lr=1e30",
                "--skip-nonfinite");
        assertEquals(0, skipped.code(), skipped.err());
    }

    @Test
    void weightsAnUpdateMadeNaNStopTheRunWithSkipNonfiniteAndAreNeitherSavedNorExported() throws Exception {
        // Adam with eps=0 divides 0 by 0 where a gradient element is exactly 0: finite loss and
        // gradients, NaN weights. Before, every later step was skipped and the NaN weights exported.
        Path ckpt = dir.resolve("run.safetensors");
        Path weights = dir.resolve("w.safetensors");
        Result r = run("train", "--optimizer", "adam:eps=0", "--skip-nonfinite", "--epochs", "2", "--checkpoint",
                ckpt.toString(), "--every", "1", "--export-weights", weights.toString());
        assertEquals(1, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("kobai train: numerical fault at step 1 (epoch 1, batch 1): the update made"
                + " parameter '") && r.err().contains("which skipping cannot undo")
                && r.err().contains("No checkpoint was written before the fault"), r.err());
        assertFalse(Files.exists(weights));
        assertFalse(Files.exists(ckpt));
    }

    @Test
    void skipNonfiniteShowsEachEpochsSkippedStepsOnTheConsole() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Kobai.execute(new String[] {"train", "--model", "mlp:64-8-10", "--epochs", "2", "--optimizer",
                "sgd:lr=1e30", "--skip-nonfinite"}, new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, code, err.toString());
        java.util.List<String> epochs = out.toString().lines().filter(l -> l.startsWith("epoch ")).toList();
        assertEquals(2, epochs.size(), out.toString());
        long total = 0;
        for (String line : epochs) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("  skipped (\\d+)  ").matcher(line);
            assertTrue(m.find(), line);
            total += Long.parseLong(m.group(1));
        }
        // lr=1e30 blows the weights up within a few steps; from then on every step is skipped.
        assertTrue(total > 0, out.toString());

        StringWriter plain = new StringWriter();
        assertEquals(0, Kobai.execute(new String[] {"train", "--model", "mlp:64-8-10", "--epochs", "1"},
                new PrintWriter(plain), new PrintWriter(new StringWriter())));
        assertFalse(plain.toString().contains("skipped"), plain.toString());
    }

    @Test
    void checkpointsWeightsAndMetricsGetTheSamePermissionsAsAnyNewFile() throws Exception {
        // Checkpoints and weights used to be created 0600 (a temporary file's mode) beside 0644 metrics.
        String usual = java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(
                Files.createFile(dir.resolve("plain"))));
        Path ckpt = dir.resolve("run.safetensors");
        Path weights = dir.resolve("w.safetensors");
        Path metrics = dir.resolve("m.jsonl");
        Result r = run("train", "--model", "mlp:64-8-10", "--epochs", "1", "--checkpoint", ckpt.toString(),
                "--export-weights", weights.toString(), "--metrics", metrics.toString());
        assertEquals(0, r.code(), r.err());
        for (Path p : java.util.List.of(ckpt, weights, metrics)) {
            assertEquals(usual, java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p)),
                    p.toString());
        }
    }

    private static Result runOut(StringWriter out, String... args) {
        StringWriter err = new StringWriter();
        int code = Kobai.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, err.toString());
    }

    @Test
    void resumingAFinishedRunSaysSoAndWhereItsWeightsAre() {
        Path ckpt = dir.resolve("done.safetensors");
        assertEquals(0, run("train", "--model", "mlp:64-8-10", "--epochs", "1", "--checkpoint", ckpt.toString()).code());
        StringWriter out = new StringWriter();
        Result r = runOut(out, "train", "--resume", ckpt.toString());
        assertEquals(0, r.code(), r.err());
        // It used to print nothing at all.
        assertTrue(out.toString().startsWith("the run saved in " + ckpt + " is complete: 1 of 1 epochs, final test"
                + " accuracy 0.") && out.toString().contains("Its weights are in " + ckpt)
                && out.toString().contains("--epochs N"), out.toString());
        assertFalse(out.toString().contains("epoch 1/1"), out.toString());
    }

    @Test
    void aFinishedRunExtendedWithMoreEpochsEndsAsARunGivenThemFromTheStart() throws Exception {
        Path ckpt = dir.resolve("short.safetensors");
        Path extended = dir.resolve("extended.safetensors");
        Path whole = dir.resolve("whole.safetensors");
        String[] common = {"--model", "mlp:64-8-10", "--scheduler", "steplr:step_size=1,gamma=0.5"};
        assertEquals(0, run(concat(new String[] {"train", "--epochs", "2", "--checkpoint", ckpt.toString()}, common))
                .code());
        StringWriter out = new StringWriter();
        Result r = runOut(out, "train", "--resume", ckpt.toString(), "--epochs", "3", "--export-weights",
                extended.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(1, out.toString().lines().filter(l -> l.startsWith("epoch 3/3 ")).count(), out.toString());
        assertFalse(out.toString().contains("epoch 1/") || out.toString().contains("complete"), out.toString());
        assertEquals(0, run(concat(new String[] {"train", "--epochs", "3", "--export-weights", whole.toString()},
                common)).code());
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(whole), Files.readAllBytes(extended)),
                "the extended run's weights are those of a 3-epoch run, bit for bit");
    }

    @Test
    void extendingIsRefusedWhereTheScheduleTakesItsLengthFromTheRunOrWouldShortenIt() {
        Path ckpt = dir.resolve("cycle.safetensors");
        assertEquals(0, run("train", "--model", "mlp:64-8-10", "--epochs", "2", "--scheduler", "onecycle:max_lr=0.1",
                "--checkpoint", ckpt.toString()).code());
        Result longer = run("train", "--resume", ckpt.toString(), "--epochs", "3");
        assertEquals(2, longer.code(), longer.err());
        assertEquals(1, longer.err().strip().lines().count(), longer.err());
        assertTrue(longer.err().startsWith("kobai train: cannot extend the run saved in " + ckpt + " to 3 epochs:")
                && longer.err().contains("OneCycleLR") && longer.err().contains("takes its length from the run's 2"
                + " epochs"), longer.err());
        Result shorter = run("train", "--resume", ckpt.toString(), "--epochs", "1");
        assertEquals(2, shorter.code(), shorter.err());
        assertTrue(shorter.err().contains("would shorten the run"), shorter.err());
        Result same = run("train", "--resume", ckpt.toString(), "--epochs", "2");
        assertEquals(0, same.code(), same.err());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
