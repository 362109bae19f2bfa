package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.DataFormatException;
import dev.kobai.io.SafeTensors;
import dev.kobai.nn.Models;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files written by Kobai before checkpoint format 2, when an mlp began with a Flatten at index 0
 * and its weights were named {@code 1.weight}, {@code 3.weight}, still load into today's mlp
 * ({@code 0.weight}, {@code 2.weight}). The two files under {@code /legacy} were written by the
 * Kobai of main before this change:
 * <pre>
 * kobai train --data digits --model mlp:64-12-10 --optimizer adam:lr=0.01 --epochs 1 --batch-size 64 --seed 3 \
 *     --checkpoint v1-checkpoint.safetensors
 * kobai train --resume (a copy of v1-checkpoint.safetensors) --epochs 2 --export-weights v1-weights-epoch2.safetensors
 * </pre>
 */
class LegacyMlpNamesTest {
    @TempDir
    Path dir;

    private static Path resource(String name) throws Exception {
        return Path.of(LegacyMlpNamesTest.class.getResource(name).toURI());
    }

    @Test
    void aVersionOneCheckpointResumesAndEndsAsTheOldKobaiEnded() throws Exception {
        Path ckpt = dir.resolve("run.safetensors");
        Files.copy(resource("/legacy/v1-checkpoint.safetensors"), ckpt, StandardCopyOption.REPLACE_EXISTING);
        Checkpoint.Saved saved = Checkpoint.read(ckpt);
        assertEquals("1", saved.contents().metadata().get("format_version"));
        assertTrue(saved.contents().entries().containsKey("model.3.weight"), "the old names are in the file");
        Path weights = dir.resolve("w.safetensors");
        Training.run(Training.extended(saved, 2), new TrainingListener() {}, new Training.Checkpointing(ckpt, "epoch",
                saved), weights);

        Map<String, Tensor> now = SafeTensors.loadStateDict(weights);
        Map<String, Tensor> then = SafeTensors.loadStateDict(resource("/legacy/v1-weights-epoch2.safetensors"));
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(now.keySet()));
        assertEquals(List.of("1.weight", "1.bias", "3.weight", "3.bias"), List.copyOf(then.keySet()));
        for (String[] pair : new String[][] {{"0.weight", "1.weight"}, {"0.bias", "1.bias"}, {"2.weight", "3.weight"},
                {"2.bias", "3.bias"}}) {
            assertArrayEquals(then.get(pair[1]).floatData(), now.get(pair[0]).floatData(),
                    "weights and Adam's moments came across under the new names, bit for bit: " + pair[0]);
        }
        assertEquals("2", SafeTensors.read(ckpt).metadata().get("format_version"), "rewritten in the new format");
        assertTrue(SafeTensors.read(ckpt).entries().containsKey("model.2.weight"));
    }

    @Test
    void versionOneWeightsLoadIntoTodaysMlpButNotIntoAModelTheyDoNotFit() throws Exception {
        Path old = resource("/legacy/v1-weights-epoch2.safetensors");
        Sequential mlp = Models.fromSpec("mlp:64-12-10", new Rng(9), DType.FLOAT32);
        assertTrue(Checkpoint.loadWeights(old, mlp, true).isEmpty());
        assertArrayEquals(SafeTensors.read(old).tensor("3.bias").floatData(), mlp.stateDict().get("2.bias").floatData());
        Sequential init = Models.fromSpec("mlp:64-12-10", new Rng(9), DType.FLOAT32);
        Checkpoint.initialWeights(old, init);
        assertArrayEquals(SafeTensors.read(old).tensor("1.weight").floatData(), init.stateDict().get("0.weight").floatData());

        // a layer list whose names really are 1.weight and 3.weight keeps them: no renaming
        Sequential listed = dev.kobai.nn.LayerSpec.build("flatten,linear(64,12),relu,linear(12,10)", new Rng(9),
                DType.FLOAT32);
        assertTrue(Checkpoint.loadWeights(old, listed, true).isEmpty());
        // a wider mlp: the names fit once renamed, the shapes do not, and the refusal speaks of today's names
        Sequential wider = Models.fromSpec("mlp:64-13-10", new Rng(9), DType.FLOAT32);
        float[] before = wider.stateDict().get("0.weight").floatData().clone();
        String message = assertThrows(DataFormatException.class, () -> Checkpoint.loadWeights(old, wider, true))
                .getMessage();
        assertTrue(message.contains("size mismatch for 0.weight: copying a tensor of shape [12, 64], the shape in the"
                + " model is [13, 64]"), message);
        assertArrayEquals(before, wider.stateDict().get("0.weight").floatData(), "nothing loaded");
    }
}
