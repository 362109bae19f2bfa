package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class SuggestionsTest {
    private static final List<String> COMMANDS = List.of("demo", "train", "trace", "race", "compare", "bench",
            "autoencoder", "model", "help");

    @Test
    void aSwapOfNeighboursCountsAsOneEdit() {
        assertEquals(1, Suggestions.distance("trian", "train"));
        assertEquals(3, Suggestions.distance("trian", "trace"));
        assertEquals(3, Suggestions.distance("kitten", "sitting"));
        assertEquals(0, Suggestions.distance("", ""));
        assertEquals(4, Suggestions.distance("", "demo"));
    }

    @Test
    void aMistypedCommandGetsTheNearestOne() {
        assertEquals(List.of("train"), Suggestions.nearest("trian", COMMANDS));
        assertEquals(List.of("train"), Suggestions.nearest("tarin", COMMANDS));
        assertEquals(List.of("train"), Suggestions.nearest("Train", COMMANDS));
        assertEquals(List.of("compare"), Suggestions.nearest("comapre", COMMANDS));
        assertEquals(List.of("autoencoder"), Suggestions.nearest("autoenc", COMMANDS), "a unique prefix");
        assertEquals(List.of("trace", "race"), Suggestions.nearest("rrace", COMMANDS), "a tie names both");
        assertEquals(List.of(), Suggestions.nearest("xyzzy", COMMANDS));
        assertEquals(List.of(), Suggestions.nearest("tr", COMMANDS), "too short to be a prefix of one");
    }

    @Test
    void optionsAreComparedWithoutTheirDashes() {
        List<String> options = List.of("--epochs", "--optimizer", "--out", "--resume", "-h", "--help");
        assertEquals(List.of("--epochs"), Suggestions.nearest("--epoch", options));
        assertEquals(List.of("--optimizer"), Suggestions.nearest("--optimzer", options));
        assertEquals(List.of("--optimizer"), Suggestions.nearest("-optimizer", options));
        assertEquals(List.of("--resume"), Suggestions.nearest("--resum", options));
        assertEquals("'a', 'b' or 'c'", Suggestions.either(List.of("a", "b", "c")));
    }
}
