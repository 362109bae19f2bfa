package dev.kobai.cli;

import dev.kobai.data.Datasets;
import dev.kobai.io.AtomicFile;
import dev.kobai.io.OutputPath;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * The paths one command writes and reads, checked together before it does any work (see
 * {@link OutputPath}: what exists at each, and that no two land on one file), and the writers that
 * replace files atomically ({@link AtomicFile}). Each fault is a {@link dev.kobai.UsageException}
 * (exit 2) naming the flag.
 */
final class Outputs {
    private final List<OutputPath.Use> uses = new ArrayList<>();

    /** A file the command replaces; null stays null. */
    Path file(String flag, Path path) {
        if (path == null) {
            return null;
        }
        Path target = OutputPath.file(flag, path);
        uses.add(OutputPath.Use.output(flag, target));
        return target;
    }

    /**
     * A stream the command writes as it goes (metrics): true when it is written in place (a FIFO
     * or a character device), false when it is a file replaced at the end.
     */
    boolean stream(String flag, Path path) {
        boolean inPlace = OutputPath.inPlace(flag, path);
        if (!inPlace) {
            file(flag, path);
        }
        return inPlace;
    }

    /** A directory the command writes into, created if missing, with the files it writes there. */
    Path directory(String flag, Path path, String... files) {
        Path dir = OutputPath.directory(flag, path);
        for (String name : files) {
            uses.add(OutputPath.Use.output(flag, OutputPath.fileIn(flag, dir, name)));
        }
        return dir;
    }

    /** A file the command reads. */
    void input(String flag, Path path) {
        if (path != null) {
            uses.add(OutputPath.Use.input(flag, path));
        }
    }

    /** The files a data set spec reads (none for the embedded digits). */
    void data(String flag, String spec) {
        for (Path p : Datasets.files(spec)) {
            input(flag, p);
        }
    }

    /** Refuses two outputs on one file, or an output on an input, naming both flags. */
    void requireDistinct() {
        OutputPath.requireDistinct(uses);
    }

    // ---------------------------------------------------------------- atomic writers

    static void writeString(Path file, String text) throws IOException {
        AtomicFile.write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Writes through a UTF-8 writer, replacing the file atomically. */
    static void writeText(Path file, AtomicFile.IoConsumer<Writer> body) throws IOException {
        AtomicFile.write(file, out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            body.accept(w);
            w.flush();
        });
    }

    /** Writes a PNG, replacing the file atomically; ImageIO's cache stays in memory, not in a temporary directory. */
    static void writePng(Path file, BufferedImage image) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
        try {
            AtomicFile.write(file, out -> {
                try (ImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
                    writer.setOutput(ios);
                    writer.write(image);
                }
            });
        } finally {
            writer.dispose();
        }
    }
}
