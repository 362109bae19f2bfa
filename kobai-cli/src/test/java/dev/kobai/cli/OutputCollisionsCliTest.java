package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two outputs of one command on one file, however spelled, or an output on a file the command
 * reads: a usage error before the run, naming both flags, and nothing written.
 */
class OutputCollisionsCliTest {
    @TempDir
    Path dir;

    private static void collides(CliUsageTest.Result r, String command, String first, String second) {
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("kobai " + command + ": " + first) && r.err().contains(second), r.err());
    }

    private List<String> names() throws Exception {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void trainOutputsOnOneFileAreRefused() throws Exception {
        String f = dir.resolve("f").toString();
        String dotted = dir.resolve("sub/../f").toString();
        Files.createDirectory(dir.resolve("sub"));
        String[] train = {"train", "--model", "mlp:64-8-10", "--epochs", "1"};
        collides(CliUsageTest.kobai(concat(train, "--checkpoint", f, "--export-weights", f)), "train",
                "--checkpoint and --export-weights name the same file", f);
        collides(CliUsageTest.kobai(concat(train, "--metrics", dotted, "--checkpoint", f)), "train",
                "--checkpoint and --metrics name the same file", f);
        collides(CliUsageTest.kobai(concat(train, "--metrics", f, "--export-weights", f)), "train",
                "--export-weights and --metrics name the same file", f);
        // --resume alone keeps checkpointing to its file, so that file is an output too.
        collides(CliUsageTest.kobai("train", "--resume", f, "--export-weights", f), "train",
                "--resume and --export-weights name the same file", f);
        Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of("f"));
        collides(CliUsageTest.kobai(concat(train, "--checkpoint", link.toString(), "--export-weights", f)), "train",
                "--checkpoint and --export-weights name the same file", f);
        assertEquals(List.of("link", "sub"), names(), "nothing written");
    }

    @Test
    void trainOutputsOnItsInputsAreRefusedAndTheInputsKept() throws Exception {
        Path csv = Files.writeString(dir.resolve("data.csv"), "a,b,label\n0,1,0\n1,0,1\n0,0,0\n1,1,1\n0,1,0\n");
        collides(CliUsageTest.kobai("train", "--data", "csv:" + csv, "--model", "mlp:2-4-2", "--epochs", "1",
                "--metrics", csv.toString()), "train", "--metrics names " + csv, "which the command reads (--data)");
        assertTrue(Files.readString(csv).startsWith("a,b,label\n"), "the data set is intact");

        Path first = dir.resolve("first.safetensors");
        assertEquals(0, CliUsageTest.kobai("train", "--model", "mlp:64-8-10", "--epochs", "1", "--checkpoint",
                first.toString()).code());
        byte[] saved = Files.readAllBytes(first);
        collides(CliUsageTest.kobai("train", "--resume", first.toString(), "--checkpoint",
                dir.resolve("second.safetensors").toString(), "--export-weights", first.toString()), "train",
                "--export-weights names " + first, "which the command reads (--resume)");
        assertTrue(java.util.Arrays.equals(saved, Files.readAllBytes(first)), "the resumed checkpoint is intact");
        // Resuming into the same file, however spelled, is no collision: it continues in place.
        Files.createDirectory(dir.resolve("sub"));
        CliUsageTest.Result inPlace = CliUsageTest.kobai("train", "--resume", first.toString(), "--checkpoint",
                dir.resolve("sub/../first.safetensors").toString());
        assertEquals(0, inPlace.code(), inPlace.err());
    }

    @Test
    void raceFilesOnOneFileAreRefused() throws Exception {
        String gif = dir.resolve("r.gif").toString();
        String[] race = {"race", "--surface", "booth", "--optimizer", "sgd:lr=0.05", "--steps", "3", "--out", gif};
        collides(CliUsageTest.kobai(concat(race, "--png", gif)), "race", "--out and --png name the same file", gif);
        collides(CliUsageTest.kobai(concat(race, "--csv", dir.resolve(".").resolve("r.gif").toString())), "race",
                "--out and --csv name the same file", gif);
        String png = dir.resolve("r.png").toString();
        collides(CliUsageTest.kobai(concat(race, "--png", png, "--csv", png)), "race",
                "--png and --csv name the same file", png);
        assertEquals(List.of(), names());
    }

    @Test
    void compareOutputOnItsDataIsRefused() throws Exception {
        Path out = Files.createDirectory(dir.resolve("cmp"));
        Path csv = Files.writeString(out.resolve("report.md"), "a,b,label\n0,1,0\n1,0,1\n");
        collides(CliUsageTest.kobai("compare", "--data", "csv:" + csv, "--model", "mlp:2-4-2", "--optimizer",
                "sgd:lr=0.1", "--epochs", "1", "--out", out.toString()), "compare", "--out names " + csv,
                "which the command reads (--data)");
        assertTrue(Files.readString(csv).startsWith("a,b,label"));
    }

    private static String[] concat(String[] head, String... tail) {
        String[] all = java.util.Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }
}
