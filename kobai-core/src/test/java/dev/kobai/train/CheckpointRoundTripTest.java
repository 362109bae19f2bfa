package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.DataFormatException;
import dev.kobai.data.DataLoader;
import dev.kobai.data.Datasets;
import dev.kobai.data.TrainTest;
import dev.kobai.io.SafeTensors;
import dev.kobai.nn.Dropout;
import dev.kobai.nn.Models;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.optim.SGD;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a checkpoint holds comes back as it was written, field by field: every setting (skip_nonfinite
 * both ways, clipping, a scheduler or none), every number of the position, a dropout layer's
 * generator; and a training state file with a version this Kobai does not read is refused.
 */
class CheckpointRoundTripTest {
    @TempDir
    Path dir;

    private static final TrainTest DATA = Datasets.fromSpec("digits");

    private Checkpoint.Saved roundTrip(TrainSettings settings, Trainer.Position position, Sequential model)
            throws Exception {
        List<EpochMetrics> history = new java.util.ArrayList<>();
        for (int e = 1; e < position.epoch(); e++) {
            history.add(new EpochMetrics(e, 1.5 / e, 1.25 / e, 0.5 + 0.125 * e, 2.0, 0.1, e - 1));
        }
        SGD sgd = SGD.builder().lr(0.1).build(model.parameters());
        Trainer trainer = new Trainer(model, sgd);
        DataLoader loader = new DataLoader(DATA.train(), 32, new Rng(4));
        Path file = dir.resolve("c" + System.nanoTime() + ".safetensors");
        Files.write(file, Checkpoint.encode(settings, trainer, loader, position, history, "7"));
        Checkpoint.Saved saved = Checkpoint.read(file);
        assertEquals(history, saved.history());
        return saved;
    }

    @Test
    void settingsComeBackAsWritten() throws Exception {
        for (boolean skip : new boolean[] {true, false}) {
            TrainSettings s = new TrainSettings("digits", "mlp:64-10", "sgd:lr=0.1", 3, 32, 5, "steplr:step_size=1",
                    skip ? 2.5 : null, skip ? null : 0.25, skip, skip ? "init.safetensors" : null);
            Checkpoint.Saved saved = roundTrip(s, Trainer.Position.start(),
                    Models.fromSpec("mlp:64-10", new Rng(1), DType.FLOAT32));
            assertEquals(s, saved.settings());
            assertEquals("7", saved.every());
        }
    }

    @Test
    void everyNumberOfThePositionComesBack() throws Exception {
        long[] rng = new Rng(11).state();
        Trainer.Position p = new Trainer.Position(3, 17, 123, rng, 45.25, 544, 0.0625, 2, 5, 0.875);
        Trainer.Position back = roundTrip(new TrainSettings("digits", "mlp:64-10", "sgd:lr=0.1", 4, 32, 1), p,
                Models.fromSpec("mlp:64-10", new Rng(1), DType.FLOAT32)).position();
        assertEquals(p.epoch(), back.epoch());
        assertEquals(p.batch(), back.batch());
        assertEquals(p.step(), back.step());
        assertArrayEquals(p.epochStartRng(), back.epochStartRng());
        assertEquals(p.lossSum(), back.lossSum(), 0.0);
        assertEquals(p.seen(), back.seen());
        assertEquals(p.epochLr(), back.epochLr(), 0.0);
        assertEquals(p.epochSkipped(), back.epochSkipped());
        assertEquals(p.totalSkipped(), back.totalSkipped());
        assertEquals(p.lastFiniteLoss(), back.lastFiniteLoss(), 0.0);
        Trainer.Position start = roundTrip(new TrainSettings("digits", "mlp:64-10", "sgd:lr=0.1", 4, 32, 1),
                Trainer.Position.start(), Models.fromSpec("mlp:64-10", new Rng(1), DType.FLOAT32)).position();
        assertNull(start.epochStartRng());
        assertTrue(Double.isNaN(start.epochLr()));
    }

    @Test
    void aDropoutGeneratorIsRestoredToWhereItWas() throws Exception {
        Sequential model = Models.fromSpec("linear(64,32),relu,dropout(0.5),linear(32,10)", new Rng(1), DType.FLOAT32);
        Dropout dropout = (Dropout) model.namedModules().get("2");
        dropout.generator().nextLong();
        long[] state = dropout.generator().state();
        SGD sgd = SGD.builder().lr(0.1).build(model.parameters());
        Path file = dir.resolve("state.safetensors");
        Checkpoint.saveState(file, model, sgd, null);

        Sequential other = Models.fromSpec("linear(64,32),relu,dropout(0.5),linear(32,10)", new Rng(2), DType.FLOAT32);
        SGD otherSgd = SGD.builder().lr(0.1).build(other.parameters());
        Checkpoint.loadState(file, other, otherSgd, null);
        assertArrayEquals(state, ((Dropout) other.namedModules().get("2")).generator().state());
    }

    @Test
    void stateFilesAreRefusedWhenNotFiniteOrOfAnotherVersion() throws Exception {
        Sequential model = Models.fromSpec("mlp:64-10", new Rng(1), DType.FLOAT32);
        SGD sgd = SGD.builder().lr(0.1).build(model.parameters());
        Parameter w = model.parameters().getFirst();
        Path file = dir.resolve("s.safetensors");
        float keep = w.floatData()[0];
        w.floatData()[0] = Float.NaN;
        NumericalFaultException e = assertThrows(NumericalFaultException.class,
                () -> Checkpoint.saveState(file, model, sgd, null));
        assertEquals("parameter '0.weight' is not finite; the file was not written, so the last one is kept",
                e.getMessage());
        assertTrue(!Files.exists(file));
        w.floatData()[0] = keep;

        SafeTensors.builder().putStateDict("model.", model.stateDict()).metadata("format", Checkpoint.STATE_FORMAT)
                .metadata("format_version", "9").write(file);
        assertEquals(file + ": format_version 9 is not one this Kobai reads (1, 2)",
                assertThrows(DataFormatException.class, () -> Checkpoint.loadState(file, model, sgd, null)).getMessage());
        SafeTensors.saveStateDict(file, model.stateDict(), Map.of("format", "pt"));
        assertTrue(assertThrows(DataFormatException.class, () -> Checkpoint.loadState(file, model, sgd, null))
                .getMessage().contains("metadata 'format' is 'pt'"));
    }
}
