package dev.kobai.io;

import dev.kobai.KobaiException;
import dev.kobai.tensor.Tensor;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Fuzzes the safetensors and JSON readers on a fixed seed and budget: random bytes, and valid files
 * with bytes flipped, cut or overwritten, must give Kobai's own error with a message, or read.
 */
class ParserFuzzTest {
    static final byte[] VALID = SafeTensors.builder()
            .put("a.weight", Tensor.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3))
            .put("b", Tensor.fromArray(new double[] {1, 2}, 2))
            .putLongs("rng", new long[] {1, 2, 3})
            .metadata("format", "kobai-weights").toBytes(true);

    static void expectOwnError(Runnable r) {
        try {
            r.run();
        } catch (KobaiException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                throw new AssertionError("empty message", e);
            }
        }
    }

    @Provide
    Arbitrary<byte[]> mutated() {
        return Arbitraries.integers().between(0, VALID.length - 1).list().ofMinSize(1).ofMaxSize(6)
                .flatMap(positions -> Arbitraries.integers().between(0, 255).list().ofSize(positions.size())
                        .flatMap(values -> Arbitraries.integers().between(0, VALID.length).map(cut -> {
                            byte[] b = VALID.clone();
                            for (int i = 0; i < positions.size(); i++) {
                                b[positions.get(i)] = (byte) (int) values.get(i);
                            }
                            return cut < b.length / 4 ? java.util.Arrays.copyOf(b, b.length - cut) : b;
                        })));
    }

    @Property(tries = 400, seed = "7")
    void mutatedSafetensorsGiveKobaiErrors(@ForAll("mutated") byte[] bytes) {
        expectOwnError(() -> SafeTensors.read(bytes, "fuzz.safetensors"));
    }

    @Property(tries = 300, seed = "7")
    void randomBytesGiveKobaiErrors(@ForAll byte[] bytes) {
        expectOwnError(() -> SafeTensors.read(bytes, "fuzz.safetensors"));
    }

    @Property(tries = 300, seed = "7")
    void headersOfRandomTextGiveKobaiErrors(@ForAll("jsonish") String header) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        byte[] file = new byte[8 + h.length + 16];
        java.nio.ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(h.length);
        System.arraycopy(h, 0, file, 8, h.length);
        expectOwnError(() -> SafeTensors.read(file, "fuzz.safetensors"));
    }

    @Provide
    Arbitrary<String> jsonish() {
        return Arbitraries.strings().withChars("{}[]\":,.-+eE0123456789 \\u\ntrfalsenudtypeshapeF32I64_"
                .toCharArray()).ofMaxLength(120).map(s -> "{" + s);
    }

    @Property(tries = 500, seed = "7")
    void jsonReaderNeverThrowsAnythingElse(@ForAll("jsonish") String text) {
        expectOwnError(() -> Json.parse(text, 10_000));
        expectOwnError(() -> Json.parse("[".repeat(100_000), 1_000_000));
    }
}
