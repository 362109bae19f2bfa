package dev.kobai.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The layer-list grammar of --model, the presets, and the shape checks of the model summary. */
class LayerSpecTest {
    static final String SMALL = "conv2d(1, 8, 3, padding=1), relu, maxpool2d(2), conv2d(8, 16, (3, 3), stride=2), "
            + "relu, flatten, linear(576, 10)";

    @Test
    void buildsTheLayersInOrderWithTorchsNames() {
        Sequential m = LayerSpec.build(SMALL, new Rng(1), DType.FLOAT32);
        assertEquals(7, m.layers().size());
        assertEquals(List.of("0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"),
                List.copyOf(m.namedParameters().keySet()));
        Conv2d second = (Conv2d) m.layers().get(3);
        assertEquals(2, second.window().strideH());
        assertEquals(0, second.window().padTop());
        ModelSummary s = ModelSummary.of(m, new int[] {1, 28, 28});
        assertArrayEquals(new int[] {8, 28, 28}, s.layers().get(0).outputShape());
        assertArrayEquals(new int[] {16, 6, 6}, s.layers().get(3).outputShape());
        assertArrayEquals(new int[] {10}, s.outputShape());
        assertEquals(80 + 1168 + 5770, s.totalParameters());
    }

    @Test
    void lenet5HasTheClassicParameterCount() {
        Sequential m = Models.fromSpec("lenet5", new int[] {1, 28, 28}, 10, new Rng(1), DType.FLOAT32);
        ModelSummary s = ModelSummary.of(m, new int[] {1, 28, 28});
        assertEquals(61_706, s.totalParameters());
        assertArrayEquals(new int[] {16, 5, 5}, s.layers().get(5).outputShape());
        assertTrue(Models.takesImages(m));
        assertFalse(Models.takesImages(Models.fromSpec("mlp:784-10", new Rng(1), DType.FLOAT32)));
    }

    @Test
    void theSameSeedGivesTheSameWeights() {
        Sequential a = LayerSpec.build(SMALL, new Rng(5), DType.FLOAT32);
        Sequential b = LayerSpec.build(SMALL, new Rng(5), DType.FLOAT32);
        assertArrayEquals(a.parameters().get(2).toFloatArray(), b.parameters().get(2).toFloatArray());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "conv2d(1, 32)|layer 0 'conv2d(1, 32)': Conv2d needs kernel_size",
        "conv2d(1,32,3,pading=1)|unknown argument 'pading' for Conv2d; valid: in_channels, out_channels",
        "relu, , flatten|layer 1 is empty",
        "conv2d(1,32,3,padding=1|unclosed '('",
        "relu)|unmatched ')'",
        "linear(10, 5), softmaxx|layer 1 'softmaxx': unknown layer 'softmaxx'; valid: Conv2d [conv]",
        "linear(10, 2.5)|out_features must be a whole number, got 2.5",
        "conv2d(1, 32, 3, padding=full)|padding must be a whole number, a pair, 'same' or 'valid', got 'full'",
        "conv2d(3, 32, 3, groups=2)|in_channels must be divisible by groups",
        "conv2d(1, 32, 3, stride=2, padding=same)|padding='same' is not supported for strided convolutions",
        "relu(2)|ReLU() takes no arguments",
        "dropout(1.5)|dropout probability has to be in [0, 1), got 1.5",
        "linear(in_features=3, 4)|positional argument '4' after keyword arguments",
        "linear(3, 4, out_features=4)|argument 'out_features' given both by position and by name",
        "maxpool2d(2, 2, 0, 1, false, 7)|MaxPool2d takes at most 5 arguments",
        "linear(100000, 100000)|has more than 100000000 weights",
    })
    void badSpecsAreOneLineUsageErrors(String spec, String message) {
        UsageException e = assertThrows(UsageException.class, () -> Models.checkSpec(spec));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void aLinearLayerThatDoesNotFitNamesBothShapes() {
        Sequential m = LayerSpec.build("conv2d(1,32,3,padding=1),relu,maxpool2d(2),flatten,linear(1568,10)", new Rng(1),
                DType.FLOAT32);
        UsageException e = assertThrows(UsageException.class, () -> ModelSummary.of(m, new int[] {1, 28, 28}));
        assertEquals("layer 4 Linear(1568, 10) expects 1568 inputs but gets 6272 = 32x14x14", e.getMessage());
    }

    @Test
    void aConvolutionOnTheWrongChannelsOrRowsSaysSo() {
        Sequential m = LayerSpec.build("conv2d(3,8,3)", new Rng(1), DType.FLOAT32);
        assertEquals("layer 0 Conv2d(3, 8, kernel_size=(3, 3)) expects 3 input channels but gets 1 (1x28x28)",
                assertThrows(UsageException.class, () -> ModelSummary.of(m, new int[] {1, 28, 28})).getMessage());
        assertEquals("layer 0 Conv2d(3, 8, kernel_size=(3, 3)) expects images [3, H, W] but gets [784]",
                assertThrows(UsageException.class, () -> ModelSummary.of(m, new int[] {784})).getMessage());
        Sequential big = LayerSpec.build("conv2d(1,8,5)", new Rng(1), DType.FLOAT32);
        assertTrue(assertThrows(UsageException.class, () -> ModelSummary.of(big, new int[] {1, 3, 3})).getMessage()
                .contains("does not fit a 3x3 input"));
        Sequential unflattened = LayerSpec.build("conv2d(1,8,3),linear(26,10)", new Rng(1), DType.FLOAT32);
        assertTrue(assertThrows(UsageException.class, () -> ModelSummary.of(unflattened, new int[] {1, 28, 28}))
                .getMessage().contains("add flatten before it"));
    }

    @Test
    void presetsAdaptToTheImageAndTheClasses() {
        assertTrue(Models.preset("cnn", new int[] {1, 28, 28}, 10).contains("linear(3136,128)"));
        assertTrue(Models.preset("cnn", new int[] {1, 8, 8}, 10).contains("linear(256,128)"));
        assertTrue(Models.preset("cnn", new int[] {3, 32, 32}, 7).endsWith("linear(128,7)"));
        assertTrue(Models.preset("resnet20", new int[] {1, 28, 28}, 10).startsWith("conv2d(1,16,3,padding=1,bias=false)"));
        assertEquals(9, Models.preset("resnet20", new int[] {1, 28, 28}, 10).split("basicblock").length - 1);
        assertEquals(3, Models.preset("resnet8", new int[] {1, 28, 28}, 10).split("basicblock").length - 1);
        assertThrows(UsageException.class, () -> Models.preset("cnn", new int[] {784}, 10));
    }

    @Test
    void theSummaryTableListsEveryLayerAndTheTotal() {
        Sequential m = LayerSpec.build(SMALL, new Rng(1), DType.FLOAT32);
        String table = ModelSummary.of(m, new int[] {1, 28, 28}).table();
        assertTrue(table.contains("Conv2d(1, 8, kernel_size=(3, 3), padding=1)"), table);
        assertTrue(table.contains("[16, 6, 6]"), table);
        assertTrue(table.contains("total parameters: 7,018"), table);
        assertEquals(7 + 3, table.split("\n").length, table);
    }
}
