package dev.kobai.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.io.SafeTensors;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Module.stateDict and loadStateDict, and their safetensors files, as torch's state_dict and load_state_dict. */
class StateDictTest {
    @TempDir
    Path dir;

    private static Sequential model(long seed, DType dtype) {
        Rng rng = new Rng(seed);
        return new Sequential(new Linear(4, 6, true, rng, dtype), new BatchNorm1d(6, dtype), Activation.relu(),
                new Linear(6, 3, true, rng, dtype));
    }

    @Test
    void keysInTorchsOrderWithBuffersBesideTheirModule() {
        Sequential m = model(1, DType.FLOAT32);
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                "1.num_batches_tracked", "3.weight", "3.bias"), List.copyOf(m.stateDict().keySet()));
        Sequential resnet = Models.fromSpec("resnet8", new int[] {1, 8, 8}, 10, new Rng(1), DType.FLOAT32);
        List<String> keys = List.copyOf(resnet.stateDict().keySet());
        assertEquals(List.of("3.conv1.weight", "3.bn1.weight", "3.bn1.bias", "3.bn1.running_mean"),
                keys.subList(6, 10));
        assertTrue(keys.contains("4.downsample.1.num_batches_tracked"));
    }

    @Test
    void valuesShareStorageAndAreDetached() {
        Sequential m = model(1, DType.FLOAT32);
        Tensor w = m.stateDict().get("0.weight");
        assertFalse(w.requiresGrad(), "a state dict's tensors are detached, as torch's");
        w.setFlat(0, 42);
        assertEquals(42, m.namedParameters().get("0.weight").getFlat(0), "and share storage with the module");
        assertTrue(m.stateDict().get("1.num_batches_tracked").holdsInt64());
        assertFalse(m.stateDict().get("1.running_mean").holdsInt64());
        assertThrows(UnsupportedOperationException.class, () -> m.stateDict().put("x", w));
    }

    @Test
    void loadsAnotherModelsStateAndConvertsDtypes() {
        Sequential source = model(1, DType.FLOAT64);
        source.stateDict().get("1.running_mean").fill(0.25);
        source.stateDict().get("1.num_batches_tracked").fill(5);
        Sequential target = model(2, DType.FLOAT32);
        IncompatibleKeys keys = target.loadStateDict(source.stateDict(), true);
        assertTrue(keys.isEmpty());
        assertEquals(DType.FLOAT32, target.stateDict().get("0.weight").dtype(), "the module keeps its dtype");
        assertArrayEquals(source.stateDict().get("3.bias").toFloatArray(), target.stateDict().get("3.bias").floatData());
        assertEquals(0.25, target.stateDict().get("1.running_mean").getFlat(3));
        assertEquals(5, ((BatchNorm1d) target.layers().get(1)).numBatchesTracked());
    }

    @Test
    void aStrictLoadThatFailsNamesEverythingAndChangesNothing() {
        Sequential source = model(1, DType.FLOAT32);
        Map<String, Tensor> state = new LinkedHashMap<>(source.stateDict());
        state.remove("1.running_var");
        state.put("9.weight", Tensor.zeros(DType.FLOAT32, 2));
        state.put("3.bias", Tensor.zeros(DType.FLOAT32, 4)); // the last key written: a mismatch found before any write
        Sequential target = model(2, DType.FLOAT32);
        Map<String, double[]> before = snapshot(target);
        StateDictMismatchException e = assertThrows(StateDictMismatchException.class,
                () -> target.loadStateDict(state, true));
        assertEquals("cannot load state_dict into Sequential: missing key(s) 1.running_var; unexpected key(s) 9.weight;"
                + " size mismatch for 3.bias: copying a tensor of shape [4], the shape in the model is [3]", e.getMessage());
        assertEquals(List.of("1.running_var"), e.missingKeys());
        assertEquals(List.of("9.weight"), e.unexpectedKeys());
        assertEquals(1, e.sizeMismatches().size());
        assertSame(before, snapshot(target));
        // not strict, the size mismatch still refuses the whole load, as torch's
        assertThrows(StateDictMismatchException.class, () -> target.loadStateDict(state, false));
        assertSame(before, snapshot(target));

        state.put("3.bias", source.stateDict().get("3.bias"));
        IncompatibleKeys keys = target.loadStateDict(state, false);
        assertEquals(List.of("1.running_var"), keys.missingKeys());
        assertEquals(List.of("9.weight"), keys.unexpectedKeys());
        assertArrayEquals(source.stateDict().get("0.weight").floatData(), target.stateDict().get("0.weight").floatData());
        assertArrayEquals(before.get("1.running_var"), target.stateDict().get("1.running_var").toDoubleArray(),
                "what was missing is left as it was");
    }

    @Test
    void safetensorsFilesCarryAStateDictWithTorchsDtypes() throws Exception {
        Sequential m = model(1, DType.FLOAT32);
        m.stateDict().get("1.num_batches_tracked").fill(12);
        Path file = dir.resolve("m.safetensors");
        SafeTensors.saveStateDict(file, m.stateDict(), Map.of("note", "kobai"));
        SafeTensors.Contents c = SafeTensors.read(file);
        assertEquals(List.copyOf(m.stateDict().keySet()), List.copyOf(c.entries().keySet()));
        assertEquals(SafeTensors.Dtype.I64, c.entry("1.num_batches_tracked").dtype());
        assertEquals(0, c.entry("1.num_batches_tracked").shape().length, "0-dimensional, as torch's counter");
        assertEquals(SafeTensors.Dtype.F32, c.entry("1.running_mean").dtype());
        assertEquals("kobai", c.metadata().get("note"));

        Sequential back = model(2, DType.FLOAT32);
        assertTrue(back.loadStateDict(SafeTensors.loadStateDict(file), true).isEmpty());
        assertSame(snapshot(m), snapshot(back));
        assertEquals(12, ((BatchNorm1d) back.layers().get(1)).numBatchesTracked());
    }

    private static Map<String, double[]> snapshot(Module m) {
        Map<String, double[]> out = new LinkedHashMap<>();
        m.stateDict().forEach((k, v) -> out.put(k, v.toDoubleArray()));
        return out;
    }

    private static void assertSame(Map<String, double[]> expected, Map<String, double[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((k, v) -> assertArrayEquals(v, actual.get(k), k));
    }
}
