package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GifWriterTest {
    @TempDir
    Path dir;

    @Test
    void theOldGifStaysWholeWhileTheNewOneIsWrittenAndWhenWritingFails() throws Exception {
        Path gif = Files.writeString(dir.resolve("race.gif"), "the old GIF");
        BufferedImage frame = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
            try (GifWriter w = new GifWriter(gif, List.of(0xFF0000))) {
                w.add(frame, 5);
                w.add(frame, 5);
                assertEquals("the old GIF", Files.readString(gif), "replaced only when finished");
                throw new IllegalStateException("killed mid-race (injected)");
            }
        });
        assertEquals("killed mid-race (injected)", e.getMessage());
        assertEquals("the old GIF", Files.readString(gif));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(gif), files.toList(), "the temporary file is removed");
        }
        try (GifWriter w = new GifWriter(gif, List.of(0xFF0000))) {
            w.add(frame, 5);
            w.finish();
        }
        assertEquals(1, RaceCommandTest.decode(gif).frames());
    }
}
