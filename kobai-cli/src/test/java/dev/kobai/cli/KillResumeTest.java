package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.io.SafeTensors;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Real crashes: {@code kobai train --checkpoint} runs in a child JVM on this test's classpath, is
 * killed with SIGKILL ({@link Process#destroyForcibly()}) at a random moment once its first
 * checkpoint exists (so mid-step, mid-write or mid-epoch), then {@code --resume} finishes it in a
 * new JVM; the final weights and optimizer state must equal, bit for bit, those of the same run
 * left alone. A representative few optimizers and schedulers; the full matrix resumes in-process
 * in kobai-core's CheckpointResumeTest.
 */
class KillResumeTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(value = {
        "adam:lr=0.01 NONE",
        "sgd:lr=0.05,momentum=0.9 onecycle:max_lr=0.1",
        "rmsprop:lr=0.005 sgdr:T_0=1,T_mult=2"
    }, delimiter = ' ')
    void killedRunResumesBitIdentical(String optimizer, String scheduler) throws Exception {
        List<String> args = new ArrayList<>(List.of("train", "--model", "mlp:64-12-10", "--epochs", "3",
                "--batch-size", "32", "--seed", "11", "--optimizer", optimizer));
        if (!scheduler.equals("NONE")) {
            args.addAll(List.of("--scheduler", scheduler));
        }
        // Uninterrupted, in this JVM (same kernels and flags as the child).
        Path reference = dir.resolve("reference.safetensors");
        List<String> ref = new ArrayList<>(args);
        ref.addAll(List.of("--checkpoint", reference.toString()));
        StringWriter refErr = new StringWriter();
        assertEquals(0, Kobai.execute(ref.toArray(String[]::new), new PrintWriter(new StringWriter()),
                new PrintWriter(refErr)), refErr.toString());

        Path ckpt = dir.resolve("run.safetensors");
        List<String> run = new ArrayList<>(args);
        run.addAll(List.of("--checkpoint", ckpt.toString(), "--every", "3"));
        Process child = start(run);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(ckpt) && child.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Thread.sleep(new Random(optimizer.hashCode()).nextInt(300));
        boolean finished = !child.isAlive();
        child.destroyForcibly();
        child.waitFor(30, TimeUnit.SECONDS);
        assertTrue(Files.exists(ckpt), "the child wrote no checkpoint");

        Process resumed = start(List.of("train", "--resume", ckpt.toString()));
        assertTrue(resumed.waitFor(120, TimeUnit.SECONDS), "resume did not finish");
        String err = new String(resumed.getErrorStream().readAllBytes());
        assertEquals(0, resumed.exitValue(), err);

        SafeTensors.Contents a = SafeTensors.read(reference);
        SafeTensors.Contents b = SafeTensors.read(ckpt);
        assertEquals(a.entries().keySet(), b.entries().keySet());
        for (String name : a.entries().keySet()) {
            if (name.startsWith("rng.")) {
                assertArrayEquals(a.longs(name), b.longs(name), name);
            } else {
                assertArrayEquals(a.tensor(name).floatData(), b.tensor(name).floatData(), 0f, name
                        + (finished ? " (the child had finished before the kill)" : ""));
            }
        }
        assertEquals(a.metadata().get("optimizer.groups"), b.metadata().get("optimizer.groups"));
        assertEquals(a.metadata().get("scheduler"), b.metadata().get("scheduler"));
        // A temporary file a kill mid-write left, and the killed run's lock file, are gone.
        try (var files = Files.list(dir)) {
            assertEquals(List.of("reference.safetensors", "run.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    /** Starts {@code kobai ARGS} in a child JVM on this test's classpath, its stdout discarded. */
    static Process start(List<String> kobaiArgs) throws Exception {
        return start(kobaiArgs, null);
    }

    /** As {@link #start(List)}, with the run's standard error written to {@code errors} when it is not null. */
    static Process start(List<String> kobaiArgs, Path errors) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            cmd.add("--add-modules");
            cmd.add("jdk.incubator.vector");
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Kobai.class.getName());
        cmd.addAll(kobaiArgs);
        ProcessBuilder builder = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        if (errors != null) {
            builder.redirectError(errors.toFile());
        }
        return builder.start();
    }
}
