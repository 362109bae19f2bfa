package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kobai.DataFormatException;
import dev.kobai.io.Json;
import dev.kobai.io.SafeTensors;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** StateCodec's tags read back to the same Java types and bits. */
class StateCodecTest {
    private static Object roundTrip(Object value) {
        SafeTensors.Builder b = SafeTensors.builder();
        String json = Json.write(StateCodec.writer(b).encode(value, "x"));
        SafeTensors.Contents c = SafeTensors.read(b.toBytes(true), "state.safetensors");
        return StateCodec.reader(c).decode(Json.parse(json, 1 << 20), "x");
    }

    @Test
    void longArraysKeepEveryBit() {
        long[] state = {Long.MIN_VALUE, Long.MAX_VALUE, -1, 0, 1, Double.doubleToRawLongBits(-0.0)};
        Object back = roundTrip(state);
        assertArrayEquals(state, (long[]) back);
        assertEquals("{\"longs\":[-9223372036854775808,9223372036854775807,-1,0,1,-9223372036854775808]}",
                Json.write(StateCodec.writer(SafeTensors.builder()).encode(state, "x")));
        assertArrayEquals(new long[0], (long[]) roundTrip(new long[0]));
    }

    @Test
    void otherArraysAndNumbersKeepTheirTypes() {
        Object back = roundTrip(Map.of("a", new int[] {3, -4}, "b", List.of(1, 2L, 0.5)));
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) back;
        assertArrayEquals(new int[] {3, -4}, (int[]) m.get("a"));
        assertEquals(List.of(1, 2L, 0.5), m.get("b"));
    }

    @Test
    void longsThatAreNotIntegersAreRefused() {
        SafeTensors.Contents c = SafeTensors.read(SafeTensors.builder().toBytes(true), "state.safetensors");
        StateCodec reader = StateCodec.reader(c);
        String message = assertThrows(DataFormatException.class,
                () -> reader.decode(Json.parse("{\"longs\":[1,2.5]}", 100), "optimizer.state.0.weight.generator"))
                .getMessage();
        assertEquals("state.safetensors: optimizer.state.0.weight.generator: \"longs\" holds 2.5", message);
        assertThrows(DataFormatException.class, () -> reader.decode(Json.parse("{\"longs\":3}", 100), "g"));
    }
}
