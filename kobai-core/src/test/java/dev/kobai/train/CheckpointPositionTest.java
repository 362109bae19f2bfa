package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.DataFormatException;
import dev.kobai.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint's position must lie inside the run it belongs to: a batch past the end of the epoch
 * was accepted (the epoch then ran no step and was reported as if trained), and so was an epoch past
 * the last. Each is a fault of the file, reported before anything is trained.
 */
class CheckpointPositionTest {
    @TempDir
    Path dir;

    private static final TrainSettings SETTINGS = new TrainSettings("digits", "mlp:64-10", "sgd:lr=0.1", 2, 32, 1);

    /** A checkpoint saved at step 5, in the middle of epoch 1 (45 batches of 32). */
    private Path midEpoch() {
        Path file = dir.resolve("run.safetensors");
        RuntimeException stop = new RuntimeException("stop");
        RuntimeException e = assertThrows(RuntimeException.class, () -> Training.run(SETTINGS, new TrainingListener() {
            @Override
            public void onBatchEnd(int epoch, int batch, double loss) {
                if (batch == 7) {
                    throw stop;
                }
            }
        }, new Training.Checkpointing(file, "5", null)));
        assertEquals(stop, e);
        assertEquals(5, Checkpoint.read(file).position().batch());
        return file;
    }

    /** Rewrites one metadata entry, keeping every tensor, with a checksum that matches again. */
    static void rewrite(Path file, String key, UnaryOperator<String> change) throws IOException {
        rewrite(file, key, change, null);
    }

    /** As above, also dropping the tensor {@code drop} (null: none). */
    static void rewrite(Path file, String key, UnaryOperator<String> change, String drop) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        SafeTensors.Builder b = SafeTensors.builder();
        for (SafeTensors.Entry e : c.entries().values()) {
            if (e.name().equals(drop)) {
                continue;
            }
            if (e.dtype() == SafeTensors.Dtype.I64) {
                b.putLongs(e.name(), c.longs(e.name()));
            } else {
                b.put(e.name(), c.tensor(e.name()));
            }
        }
        c.metadata().forEach((k, v) -> b.metadata(k, k.equals(key) ? change.apply(v) : v));
        b.write(file);
    }

    @Test
    void aBatchPastTheEndOfTheEpochIsRefusedBeforeTraining() throws IOException {
        Path file = midEpoch();
        rewrite(file, "position", p -> p.replace("\"batch\":5", "\"batch\":999"));
        Checkpoint.Saved saved = Checkpoint.read(file);
        List<Integer> trained = new ArrayList<>();
        DataFormatException e = assertThrows(DataFormatException.class, () -> Training.run(saved.settings(),
                new TrainingListener() {
                    @Override
                    public void onBatchEnd(int epoch, int batch, double loss) {
                        trained.add(batch);
                    }
                }, new Training.Checkpointing(file, "5", saved)));
        assertEquals(file + ": position epoch 1, batch 999 lies past the end of the epoch: the data give 45 batches"
                + " of 32", e.getMessage());
        assertEquals(List.of(), trained);
    }

    @Test
    void anEpochPastTheRunOrAPositionTheFileCannotReplayIsAFaultOfTheFile() throws IOException {
        Path file = midEpoch();
        rewrite(file, "position", p -> p.replace("\"epoch\":1", "\"epoch\":4"));
        DataFormatException past = assertThrows(DataFormatException.class, () -> Checkpoint.read(file));
        assertEquals(file + ": position epoch 4, batch 5 lies past the end of the run's 2 epochs", past.getMessage());
        rewrite(file, "position", p -> p.replace("\"epoch\":4", "\"epoch\":2"));
        DataFormatException history = assertThrows(DataFormatException.class, () -> Checkpoint.read(file));
        assertEquals(file + ": metadata 'history' holds 0 epochs but the position, epoch 2, follows 1",
                history.getMessage());
        rewrite(file, "position", p -> p.replace("\"epoch\":2", "\"epoch\":3"));
        assertTrue(assertThrows(DataFormatException.class, () -> Checkpoint.read(file)).getMessage()
                .contains("lies past the end of the run's 2 epochs"));
    }

    @Test
    void aPositionInsideAnEpochWithoutTheGeneratorThatReplaysItIsAFault() throws IOException {
        Path file = midEpoch();
        rewrite(file, "position", p -> p, "rng.shuffle.epoch_start");
        DataFormatException e = assertThrows(DataFormatException.class, () -> Checkpoint.read(file));
        assertEquals(file + ": position batch 5 lies inside epoch 1 but tensor 'rng.shuffle.epoch_start', the"
                + " generator state that replays that epoch's order, is missing", e.getMessage());
    }
}
