package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every file a command writes: a path that is not a regular file is refused up front (exit 2, one
 * line) and left as it was; a symbolic link is followed and stays a link; a stream may go into a
 * FIFO. Device nodes are only named in kobai-core's OutputPathTest, whose checks write nothing.
 */
class OutputPathsCliTest {
    @TempDir
    Path dir;

    static void mkfifo(Path p) throws Exception {
        Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        assertTrue(mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0, "mkfifo " + p);
    }

    private static boolean isFifo(Path p) throws Exception {
        return Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
                && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(p);
    }

    /** A refusal: exit 2, one line on stderr, starting with the command and the flag. */
    private static void refused(CliUsageTest.Result r, String prefix, String says) {
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith(prefix) && r.err().contains(says), r.err());
    }

    private List<String> names() throws Exception {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void trainRefusesAFifoOrADirectoryAsACheckpointOrWeightsAndLeavesThemAlone() throws Exception {
        Path fifo = dir.resolve("pipe");
        mkfifo(fifo);
        Path sub = Files.createDirectory(dir.resolve("sub"));
        for (String flag : List.of("--checkpoint", "--export-weights")) {
            refused(CliUsageTest.kobai("train", "--epochs", "1", flag, fifo.toString()), "kobai train: " + flag + ": "
                    + fifo, "is a FIFO, not a regular file");
            refused(CliUsageTest.kobai("train", "--epochs", "1", flag, sub.toString()), "kobai train: " + flag + ": "
                    + sub, "is a directory, not a regular file");
        }
        // The data spec is bogus: a refusal naming the output shows it was checked before loading.
        refused(CliUsageTest.kobai("train", "--data", "no-such-data", "--checkpoint", fifo.toString()),
                "kobai train: --checkpoint", "FIFO");
        assertTrue(isFifo(fifo), "the FIFO is still a FIFO");
        assertTrue(Files.isDirectory(sub));
        assertEquals(List.of("pipe", "sub"), names());
    }

    @Test
    void aCheckpointOrWeightsBehindASymbolicLinkReplaceItsTargetAndTheLinkStays() throws Exception {
        Path real = Files.createDirectory(dir.resolve("real"));
        Files.writeString(real.resolve("w.safetensors"), "old weights");
        Path ckptLink = Files.createSymbolicLink(dir.resolve("run.safetensors"), Path.of("real/run.safetensors"));
        Path weightsLink = Files.createSymbolicLink(dir.resolve("w.safetensors"), real.resolve("w.safetensors"));
        CliUsageTest.Result r = CliUsageTest.kobai("train", "--model", "mlp:64-8-10", "--epochs", "1",
                "--checkpoint", ckptLink.toString(), "--export-weights", weightsLink.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isSymbolicLink(ckptLink) && Files.isSymbolicLink(weightsLink), "the links stay links");
        assertTrue(Files.isRegularFile(real.resolve("run.safetensors"), LinkOption.NOFOLLOW_LINKS));
        assertTrue(Files.size(real.resolve("w.safetensors")) > 100, "the target holds the new weights");
        assertEquals(List.of("run.safetensors", "w.safetensors"), List.of(real.toFile().list()).stream().sorted()
                .toList(), "nothing else, no temporary file, beside the targets");
    }

    @Test
    void metricsStreamIntoAFifoWhichStaysAFifo() throws Exception {
        Path fifo = dir.resolve("metrics.pipe");
        mkfifo(fifo);
        CompletableFuture<String> reader = CompletableFuture.supplyAsync(() -> {
            try {
                return Files.readString(fifo, StandardCharsets.UTF_8);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        CliUsageTest.Result r = CliUsageTest.kobai("train", "--model", "mlp:64-8-10", "--epochs", "2",
                "--metrics", fifo.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = reader.get(60, TimeUnit.SECONDS).lines().toList();
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(JsonParser.parseString(lines.get(2)).getAsJsonObject().get("summary").getAsBoolean());
        assertTrue(isFifo(fifo));
        assertEquals(List.of("metrics.pipe"), names());
    }

    @Test
    void metricsOfARunThatFailsBeforeItsFirstEpochLeaveTheOldFileAlone() throws Exception {
        Path m = Files.writeString(dir.resolve("m.jsonl"), "{\"old\":true}\n");
        CliUsageTest.Result r = CliUsageTest.kobai("train", "--data", "idx:" + dir.resolve("none"), "--metrics",
                m.toString());
        assertEquals(2, r.code(), r.err());
        assertEquals("{\"old\":true}\n", Files.readString(m));
        assertEquals(List.of("m.jsonl"), names());
    }

    @Test
    void raceRefusesADirectoryOrAFifoForEachOfItsFiles() throws Exception {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        Path fifo = dir.resolve("pipe");
        mkfifo(fifo);
        String[] race = {"race", "--surface", "booth", "--optimizer", "sgd:lr=0.05", "--steps", "3"};
        refused(CliUsageTest.kobai(concat(race, "--out", empty.toString())), "kobai race: --out: " + empty,
                "is a directory");
        refused(CliUsageTest.kobai(concat(race, "--out", dir.resolve("r.gif").toString(), "--png", fifo.toString())),
                "kobai race: --png: " + fifo, "is a FIFO");
        refused(CliUsageTest.kobai(concat(race, "--out", dir.resolve("r.gif").toString(), "--csv", empty.toString())),
                "kobai race: --csv: " + empty, "is a directory");
        assertTrue(Files.isDirectory(empty) && isFifo(fifo));
        assertEquals(List.of("empty", "pipe"), names(), "nothing written");
    }

    @Test
    void raceReplacesItsFilesThroughSymbolicLinks() throws Exception {
        Path real = Files.createDirectory(dir.resolve("real"));
        for (String name : List.of("r.gif", "r.png", "r.csv")) {
            Files.writeString(real.resolve(name), "old");
            Files.createSymbolicLink(dir.resolve(name), real.resolve(name));
        }
        CliUsageTest.Result r = CliUsageTest.kobai("race", "--surface", "booth", "--optimizer", "sgd:lr=0.05",
                "--steps", "3", "--out", dir.resolve("r.gif").toString(), "--png", dir.resolve("r.png").toString(),
                "--csv", dir.resolve("r.csv").toString());
        assertEquals(0, r.code(), r.err());
        for (String name : List.of("r.gif", "r.png", "r.csv")) {
            assertTrue(Files.isSymbolicLink(dir.resolve(name)), name + " stays a link");
            assertTrue(Files.size(real.resolve(name)) > 3, name + "'s target was replaced");
        }
        assertTrue(Files.readString(real.resolve("r.csv")).startsWith("optimizer,spec,step,x,y,loss\n"));
    }

    @Test
    void compareDemoAndAutoencoderRefuseAnOutputDirectoryThatIsAFile() throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "keep");
        refused(CliUsageTest.kobai("compare", "--optimizer", "sgd:lr=0.1", "--epochs", "1", "--out", file.toString()),
                "kobai compare: --out: " + file, "is a regular file, not a directory");
        refused(CliUsageTest.kobai("demo", "--epochs", "1", "--out", file.toString()),
                "kobai demo: --out: " + file, "is a regular file, not a directory");
        refused(CliUsageTest.kobai("autoencoder", "--data", "digits", "--model", "autoencoder:64-8-2",
                "--optimizer", "adam", "--out", file.resolve("sub").toString()), "kobai autoencoder: --out: " + file,
                "not a directory");
        assertEquals("keep", Files.readString(file));
    }

    @Test
    void compareRefusesAFileOfItsDirectoryThatIsNotARegularFileBeforeTraining() throws Exception {
        Path out = Files.createDirectory(dir.resolve("cmp"));
        Files.createDirectory(out.resolve("curves.png"));
        refused(CliUsageTest.kobai("compare", "--data", "no-such-data", "--optimizer", "sgd:lr=0.1", "--epochs", "1",
                "--out", out.toString()), "kobai compare: --out: " + out.resolve("curves.png"), "is a directory");
        try (var files = Files.list(out)) {
            assertEquals(List.of(out.resolve("curves.png")), files.toList(), "no metrics.jsonl begun");
        }
    }

    @Test
    void temporaryFilesAKilledRunLeftAreRemovedByTheNextRunThatWritesTheSameFiles() throws Exception {
        List<String> orphans = List.of(".run.safetensors.123.tmp", ".w.safetensors.9.tmp", ".m.jsonl.77.tmp",
                ".r.gif.5.tmp", ".r.png.6.tmp", ".r.csv.7.tmp");
        List<String> others = List.of(".run.safetensors.x.tmp", "run.safetensors.1.tmp", ".other.gif.5.tmp");
        for (String name : orphans) {
            Files.writeString(dir.resolve(name), "left by a kill");
        }
        for (String name : others) {
            Files.writeString(dir.resolve(name), "not ours");
        }
        CliUsageTest.Result train = CliUsageTest.kobai("train", "--model", "mlp:64-8-10", "--epochs", "1",
                "--checkpoint", dir.resolve("run.safetensors").toString(), "--export-weights",
                dir.resolve("w.safetensors").toString(), "--metrics", dir.resolve("m.jsonl").toString());
        assertEquals(0, train.code(), train.err());
        CliUsageTest.Result race = CliUsageTest.kobai("race", "--surface", "booth", "--optimizer", "sgd:lr=0.05",
                "--steps", "3", "--out", dir.resolve("r.gif").toString(), "--png", dir.resolve("r.png").toString(),
                "--csv", dir.resolve("r.csv").toString());
        assertEquals(0, race.code(), race.err());
        List<String> expected = new java.util.ArrayList<>(others);
        expected.addAll(List.of("m.jsonl", "r.csv", "r.gif", "r.png", "run.safetensors", "w.safetensors"));
        assertEquals(expected.stream().sorted().toList(), names());
    }

    @Test
    void benchRefusesItsJsonPathBeforeMeasuring() throws Exception {
        long start = System.nanoTime();
        refused(CliUsageTest.kobai("bench", "--quick", "--only", "epoch", "--json", dir.toString()),
                "kobai bench: --json: " + dir, "is a directory");
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "refused before any measurement");
    }

    private static String[] concat(String[] head, String... tail) {
        String[] all = java.util.Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }

    /**
     * An output where no file can be created (/proc, where access(2) says yes to root) is refused
     * before any work, as a usage error naming the flag: it used to fail after the race was drawn,
     * the comparison trained or the benchmarks measured, as an I/O error naming a temporary file.
     */
    @Test
    void everyCommandRefusesAnOutputWhereNoFileCanBeCreatedBeforeWorking() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc")));
        String[][] cases = {
            {"race", "--out", "/proc/x.gif", "--surface", "booth", "--optimizer", "sgd:lr=0.01", "--steps", "5"},
            {"race", "--png", "/proc/x.png", "--out", dir.resolve("r.gif").toString(), "--surface", "booth",
                "--optimizer", "sgd:lr=0.01", "--steps", "5"},
            {"race", "--csv", "/proc/x.csv", "--out", dir.resolve("r.gif").toString(), "--surface", "booth",
                "--optimizer", "sgd:lr=0.01", "--steps", "5"},
            {"compare", "--out", "/proc/cmp", "--epochs", "1", "--optimizer", "sgd:lr=0.1"},
            {"autoencoder", "--out", "/proc/ae", "--data", "digits", "--model", "autoencoder:64-8", "--optimizer",
                "sgd:lr=0.1"},
            {"demo", "--out", "/proc/demo", "--epochs", "1"},
            {"train", "--checkpoint", "/proc/c.safetensors", "--epochs", "1"},
            {"train", "--export-weights", "/proc/w.safetensors", "--epochs", "1"},
            {"train", "--metrics", "/proc/m.jsonl", "--epochs", "1"},
            {"bench", "--json", "/proc/b.json", "--quick", "--only", "matmul"},
        };
        for (String[] args : cases) {
            CliUsageTest.Result r = CliUsageTest.kobai(args);
            refused(r, "kobai " + args[0] + ": " + args[1] + ": cannot write ", args[2]);
            assertEquals("", r.out(), String.join(" ", args) + " did work first");
        }
        assertEquals(List.of(), names(), "nothing written");
    }
}
