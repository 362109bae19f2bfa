package dev.kobai.data;

import dev.kobai.KobaiException;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Fuzzes the IDX and CSV readers on a fixed seed and budget: bad input gives Kobai's own error. */
class DataFuzzTest {
    static final byte[] IDX = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8};

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
    Arbitrary<byte[]> idx() {
        Arbitrary<byte[]> mutated = Arbitraries.integers().between(0, IDX.length - 1).list().ofMinSize(1).ofMaxSize(4)
                .flatMap(pos -> Arbitraries.integers().between(0, 255).list().ofSize(pos.size()).map(vals -> {
                    byte[] b = IDX.clone();
                    for (int i = 0; i < pos.size(); i++) {
                        b[pos.get(i)] = (byte) (int) vals.get(i);
                    }
                    return b;
                }));
        Arbitrary<byte[]> gzipLike = Arbitraries.bytes().array(byte[].class).ofMaxSize(64).map(b -> {
            byte[] out = new byte[b.length + 2];
            out[0] = 0x1f;
            out[1] = (byte) 0x8b;
            System.arraycopy(b, 0, out, 2, b.length);
            return out;
        });
        return Arbitraries.oneOf(mutated, gzipLike, Arbitraries.bytes().array(byte[].class).ofMaxSize(64));
    }

    @Property(tries = 300, seed = "11")
    void idxReaderGivesKobaiErrors(@ForAll("idx") byte[] bytes) throws IOException {
        Path f = Files.createTempFile("fuzz", ".idx");
        try {
            Files.write(f, bytes);
            expectOwnError(() -> IdxReader.read(f));
        } finally {
            Files.delete(f);
        }
    }

    @Provide
    Arbitrary<String> csv() {
        return Arbitraries.strings().withChars("0123456789.,-+eE\"\n\r abcNaInf\t;".toCharArray()).ofMaxLength(200);
    }

    @Property(tries = 400, seed = "11")
    void csvReaderGivesKobaiErrors(@ForAll("csv") String text) {
        expectOwnError(() -> {
            try {
                CsvReader.read(new StringReader(text), "fuzz.csv", "fuzz", null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
