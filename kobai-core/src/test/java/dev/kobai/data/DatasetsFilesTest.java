package dev.kobai.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Datasets#files}: the files a data spec would read, found without reading them, so that a
 * command can refuse an output that would overwrite its own input.
 */
class DatasetsFilesTest {
    @TempDir
    Path dir;

    @Test
    void theIdxFilesPresentInEveryNamingAreFoundInOrder() throws Exception {
        Path trainImages = Files.writeString(dir.resolve("train-images-idx3-ubyte.gz"), "");
        Path trainLabels = Files.writeString(dir.resolve("train-labels.idx1-ubyte"), "");
        Path testImages = Files.writeString(dir.resolve("t10k-images-idx3-ubyte"), "");
        Path testLabelsGz = Files.writeString(dir.resolve("t10k-labels-idx1-ubyte.gz"), "");
        Path testLabels = Files.writeString(dir.resolve("t10k-labels-idx1-ubyte"), "");
        Files.writeString(dir.resolve("notes.txt"), "");
        Files.createDirectory(dir.resolve("t10k-images.idx3-ubyte")); // a directory is not a file to read
        List<Path> expected = List.of(trainImages, trainLabels, testImages, testLabels, testLabelsGz);
        assertEquals(expected, Datasets.files("fashion-mnist:" + dir));
        assertEquals(expected, Datasets.files("idx:" + dir));
        assertEquals(expected, Datasets.files("idx:" + dir + ",crop=2"), "options do not change the files");
    }

    @Test
    void aCsvSpecNamesItsFileAndOthersNameNone() {
        assertEquals(List.of(Path.of("/data/x.csv")), Datasets.files("csv:/data/x.csv"));
        assertEquals(List.of(), Datasets.files("digits"));
        assertEquals(List.of(), Datasets.files("csv:"));
        assertEquals(List.of(), Datasets.files("idx: "));
        assertEquals(List.of(), Datasets.files("fashion-mnist:" + dir.resolve("absent")));
        assertEquals(List.of(), Datasets.files("mystery:" + dir));
        assertEquals(List.of(), Datasets.files("csv:bad\0name.csv"), "a path the OS cannot name reads nothing");
    }
}
