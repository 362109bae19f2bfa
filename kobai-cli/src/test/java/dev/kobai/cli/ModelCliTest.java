package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.cli.CliUsageTest.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** kobai model, and convolutional models through kobai train: summaries, and bad input as one-line usage errors. */
class ModelCliTest {
    @TempDir
    Path dir;

    static Result kobai(String... args) {
        return CliUsageTest.kobai(args);
    }

    static void assertOneLineUsageError(Result r, String expected) {
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains(expected), r.err());
    }

    @Test
    void theSummaryShowsEveryLayerAndThePresetWrittenOut() {
        Result r = kobai("model", "cnn");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("cnn = conv2d(1,32,3,padding=1),batchnorm2d(32),"), r.out());
        assertTrue(r.out().contains(" 9  Linear(3136, 128)"), r.out());
        assertTrue(r.out().contains("[64, 7, 7]"), r.out());
        assertTrue(r.out().contains("total parameters: 421,834"), r.out());
        Result digits = kobai("model", "cnn", "--input", "1x8x8");
        assertTrue(digits.out().contains("Linear(256, 128)"), digits.out());
        Result mlp = kobai("model", "mlp:784-256-10", "--input", "784");
        assertTrue(mlp.out().contains("total parameters: 203,530"), mlp.out());
        // an mlp takes rows: the default 1x28x28 sample is shown flattened, its first layer is the Linear at 0
        Result rows = kobai("model", "mlp:784-256-10");
        assertEquals(0, rows.code(), rows.err());
        assertTrue(rows.out().contains("input             [784]") && rows.out().contains("0  Linear(784, 256)")
                && rows.out().contains("total parameters: 203,530"), rows.out());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "conv2d(1,32,3,padding=1|unclosed '('",
        "conv2d(1,32,3),relu,flatten,linear(100,10)|layer 3 Linear(100, 10) expects 100 inputs but gets 21632 = 32x26x26",
        "conv2d(3,8,3)|layer 0 Conv2d(3, 8, kernel_size=(3, 3)) expects 3 input channels but gets 1",
        "resnet21|unknown model 'resnet21'",
        "conv2d(1,8,3,stride=0)|stride must be between 1 and 100000, got 0",
        "linear(10,10),bogus(3)|unknown layer 'bogus'",
    })
    void badModelSpecsAreOneLineUsageErrors(String model, String expected) {
        assertOneLineUsageError(kobai("model", model), expected);
    }

    @Test
    void trainRefusesModelsThatDoNotFitTheData() {
        assertOneLineUsageError(kobai("train", "--data", "digits", "--model", "lenet5", "--epochs", "1"),
                "does not fit a 4x4 input");
        assertOneLineUsageError(kobai("train", "--data", "digits", "--model", "conv2d(3,8,3),flatten,linear(288,10)",
                "--epochs", "1"), "expects 3 input channels but gets 1");
    }

    @Test
    void rowDataAndImageModelsAreRefused() throws Exception {
        Path csv = dir.resolve("rows.csv");
        Files.writeString(csv, "1,2,3,0\n4,5,6,1\n7,8,9,0\n1,1,1,1\n2,2,2,0\n");
        assertOneLineUsageError(kobai("train", "--data", "csv:" + csv, "--model", "cnn", "--epochs", "1"),
                "takes images [C, H, W] but csv:" + csv + " holds rows of 3 numbers");
        assertOneLineUsageError(kobai("train", "--data", "digits,flip", "--model", "mlp:64-10", "--epochs", "1"),
                "augmentation, which needs a model that takes images");
    }

    @Test
    void anInitFileThatDoesNotFitIsAUsageErrorNamingEachMismatch() throws Exception {
        Path weights = dir.resolve("small.safetensors");
        assertEquals(0, kobai("train", "--data", "digits", "--model", "conv2d(1,4,3,padding=1),relu,flatten,linear(256,10)",
                "--epochs", "1", "--export-weights", weights.toString()).code());
        Result r = kobai("train", "--data", "digits", "--model", "conv2d(1,4,3,padding=1),relu,flatten,linear(256,12)",
                "--epochs", "1", "--init", weights.toString());
        assertOneLineUsageError(r, "does not fit the model: size mismatch for 3.weight: copying a tensor of shape"
                + " [10, 256], the shape in the model is [12, 256]; size mismatch for 3.bias: copying a tensor of shape"
                + " [10], the shape in the model is [12]");
        Result ok = kobai("train", "--data", "digits", "--model", "conv2d(1,4,3,padding=1),relu,flatten,linear(256,10)",
                "--epochs", "1", "--init", weights.toString());
        assertEquals(0, ok.code(), ok.err());
        assertOneLineUsageError(kobai("train", "--init", dir.resolve("missing.safetensors").toString(), "--epochs", "1"),
                "missing.safetensors");
    }
}
