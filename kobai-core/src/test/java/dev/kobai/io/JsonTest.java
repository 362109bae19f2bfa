package dev.kobai.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.DataFormatException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Json's reader value by value, the inputs its strictness is about (each refused with the message
 * and offset it promises), and its writer: what is written reads back equal.
 */
class JsonTest {
    private static Object parse(String text) {
        return Json.parse(text, 10_000);
    }

    private static String refusal(String text) {
        return assertThrows(DataFormatException.class, () -> parse(text), text).getMessage();
    }

    @Test
    void readsEachKindOfValue() {
        assertEquals(Map.of(), parse("{}"));
        assertEquals(List.of(), parse("[]"));
        assertEquals(Boolean.TRUE, parse("true"));
        assertEquals(Boolean.FALSE, parse("false"));
        assertNull(parse("null"));
        assertEquals("", parse("\"\""));
        assertEquals(List.of(1L, List.of(), Map.of("a", List.of(2L))), parse("[1,[],{\"a\":[2]}]"));
        assertEquals(List.of(), parse("[ ]"));
        assertEquals(Map.of(), parse("{\n}"));
        assertEquals("\u00ff\u00af", parse("\"\\u00ff\\u00Af\""), "the hex digits f and F are digits");
    }

    @Test
    void whitespaceOfAllFourKindsAroundEveryToken() {
        Object expected = parse("{\"a\":[1,2],\"b\":{}}");
        assertEquals(expected, parse(" \t\n\r{ \"a\" :\n[ 1 ,\t2 ] , \"b\"\r: { } }\n "));
    }

    @Test
    void keysKeepTheirFileOrder() {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) parse("{\"z\":1,\"a\":2,\"m\":3}");
        assertEquals(List.of("z", "a", "m"), new ArrayList<>(m.keySet()));
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "0; 0", "-0; 0", "7; 7", "-12; -12", "9223372036854775807; 9223372036854775807",
        "-9223372036854775808; -9223372036854775808"})
    void integersAreLongs(String text, long value) {
        Object v = parse(text);
        assertInstanceOf(Long.class, v);
        assertEquals(value, v);
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "1.5; 1.5", "-0.25; -0.25", "1e3; 1000", "1E3; 1000", "1e+3; 1000", "1e-3; 0.001", "2.5E-2; 0.025",
        "-1.0e0; -1", "9223372036854775808; 9.223372036854775808e18", "123456789012345678901234; 1.2345678901234568e23"})
    void otherNumbersAreDoubles(String text, double value) {
        Object v = parse(text);
        assertInstanceOf(Double.class, v);
        assertEquals(value, (Double) v, 0.0);
    }

    @Test
    void escapesOfEveryKind() {
        assertEquals("\" \\ / \b \f \n \r \t", parse("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\""));
        assertEquals("A\u00e9\u4e2d", parse("\"\\u0041\\u00E9\\u4e2d\""));
        assertEquals("\uD83D\uDE00", parse("\"\\ud83d\\ude00\""), "an escaped surrogate pair is one code point");
        assertEquals("x\uD83D\uDE00y", parse("\"x\uD83D\uDE00y\""), "a raw pair passes through");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "``| unexpected end of text, expected a value| 0",
        "`{`| expected a string key| 1",
        "`{\"a\" 1}`| expected ':' after a key| 5",
        "`{\"a\":1 \"b\":2}`| expected ',' or '}' in an object| 7",
        "`{\"a\":1,}`| expected a string key| 7",
        "`[1,]`| unexpected character ']'| 3",
        "`[1 2]`| expected ',' or ']' in an array| 3",
        "`{\"a\":1,\"a\":2}`| duplicate key \"a\"| 7",
        "`tru`| expected true| 0",
        "`nul`| expected null| 0",
        "`01`| unexpected text after the JSON value| 1",
        "`-`| expected a digit| 1",
        "`+1`| unexpected character '+'| 0",
        "`1.`| expected a digit after '.'| 2",
        "`.5`| unexpected character '.'| 0",
        "`2e`| expected a digit in the exponent| 2",
        "`2e+`| expected a digit in the exponent| 3",
        "`\"abc`| unterminated string| 4",
        "`\"\\`| unterminated escape| 2",
        "`\"\\x\"`| invalid escape \\'x'| 2",
        "`\"\\u12zz\"`| invalid \\u escape| 2",
        "`\"\\u12`| truncated \\u escape| 2",
        "`\"\\ud83d\"`| lone surrogate escape in a string| 1",
        "`\"\\ude00\"`| lone surrogate escape in a string| 1",
        "`\"ab\\ud83d\\u0041\"`| lone surrogate escape in a string| 3",
        "`[1] x`| unexpected text after the JSON value| 4",
        "`~`| unexpected character '~'| 0",
        "`\"\\ \"`| invalid escape \\' '| 2",
        "`\"\\u0041`| unterminated string| 7"})
    void malformedTextIsRefusedAtItsOffset(String text, String what, int offset) {
        assertEquals("invalid JSON at offset " + offset + ": " + what, refusal(text));
    }

    @Test
    void rawControlCharactersAndLoneSurrogatesAreRefused() {
        assertEquals("invalid JSON at offset 2: control character U+000A in a string", refusal("\"a\nb\""));
        assertEquals("invalid JSON at offset 1: lone surrogate in a string", refusal("\"\uD83Dx\""));
        assertEquals("invalid JSON at offset 1: lone surrogate in a string", refusal("\"\uDE00\""));
        assertEquals("invalid JSON at offset 1: lone surrogate in a string", refusal("\"\uD83D"));
        assertEquals("invalid JSON at offset 0: unexpected character U+00E9", refusal("\u00e9"));
    }

    @Test
    void hexDigitsAreAsciiOnly() {
        // Character.digit accepts fullwidth and other scripts' digits; JSON does not.
        assertTrue(refusal("\"\\u00\uFF11\uFF11\"").endsWith("invalid \\u escape"));
        assertTrue(refusal("\"\\u00g0\"").endsWith("invalid \\u escape"));
    }

    @Test
    void nestingIsBoundedExactlyAtTheLimit() {
        Object v = parse("[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH));
        for (int i = 1; i < Json.MAX_DEPTH; i++) {
            v = ((List<?>) v).getFirst();
        }
        assertEquals(List.of(), v, "MAX_DEPTH arrays deep is read");
        String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
        assertEquals("invalid JSON at offset " + Json.MAX_DEPTH + ": nested deeper than " + Json.MAX_DEPTH + " levels",
                refusal(deep));
        Object o = parse("{\"a\":".repeat(Json.MAX_DEPTH) + "1" + "}".repeat(Json.MAX_DEPTH));
        for (int i = 0; i < Json.MAX_DEPTH; i++) {
            o = ((Map<?, ?>) o).get("a");
        }
        assertEquals(1L, o);
        assertTrue(refusal("{\"a\":".repeat(Json.MAX_DEPTH + 1) + "1" + "}".repeat(Json.MAX_DEPTH + 1))
                .contains("nested deeper than"));
        // Depth is given back when an array or object closes, empty or not: siblings do not add up.
        String open = "[".repeat(Json.MAX_DEPTH - 1);
        String close = "]".repeat(Json.MAX_DEPTH - 1);
        assertEquals(List.of(Map.of(), List.of(), Map.of("k", 2L), List.of(1L), Map.of()),
                unwrap(parse(open + "{},[],{\"k\":2},[1],{}" + close), Json.MAX_DEPTH - 2));
        assertTrue(refusal(open + "[],[[]]" + close).contains("nested deeper than"));
    }

    private static Object unwrap(Object v, int levels) {
        for (int i = 0; i < levels; i++) {
            v = ((List<?>) v).getFirst();
        }
        return v;
    }

    @Test
    void lengthLimitIsCheckedBeforeReading() {
        assertEquals(List.of(1L), Json.parse("[1]", 3));
        assertEquals("JSON text of 4 characters is longer than the limit of 3",
                assertThrows(DataFormatException.class, () -> Json.parse("[1] ", 3)).getMessage());
        assertEquals("JSON text is missing", assertThrows(DataFormatException.class, () -> Json.parse(null, 3))
                .getMessage());
    }

    @Test
    void writesCompactJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "a\"b\\c\nd\re\tf\u0001 \u001f~");
        m.put("i", 3);
        m.put("l", -4L);
        m.put("d", 0.1);
        m.put("f", 0.5f);
        m.put("b", true);
        m.put("n", null);
        m.put("list", Arrays.asList(1, "x", null));
        m.put("o", Map.of());
        assertEquals("{\"s\":\"a\\\"b\\\\c\\nd\\re\\tf\\u0001 \\u001f~\",\"i\":3,\"l\":-4,\"d\":0.1,\"f\":0.5,\"b\":true,"
                + "\"n\":null,\"list\":[1,\"x\",null],\"o\":{}}", Json.write(m));
    }

    @Test
    void writerRefusesWhatJsonCannotHold() {
        assertEquals("JSON has no NaN", assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN))
                .getMessage());
        assertEquals("JSON has no Infinity",
                assertThrows(IllegalArgumentException.class, () -> Json.write(List.of(Double.POSITIVE_INFINITY)))
                        .getMessage());
        assertThrows(IllegalArgumentException.class, () -> Json.write(Float.NEGATIVE_INFINITY));
        assertEquals("JSON object keys must be strings, got 1",
                assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of(1, 2))).getMessage());
        assertEquals("cannot write Object as JSON",
                assertThrows(IllegalArgumentException.class, () -> Json.write(new Object())).getMessage());
    }

    @Test
    void writerNestsExactlyAsDeepAsTheReaderReads() {
        Object lists = List.of();
        Object maps = Map.of();
        for (int i = 1; i < Json.MAX_DEPTH; i++) {
            lists = List.of(lists);
            maps = Map.of("k", maps);
        }
        assertEquals(lists, parse(Json.write(lists)), "MAX_DEPTH arrays");
        assertEquals(maps, parse(Json.write(maps)), "MAX_DEPTH objects");
        Object tooDeepLists = List.of(lists);
        Object tooDeepMaps = Map.of("k", maps);
        assertEquals("value nested deeper than " + Json.MAX_DEPTH + " levels",
                assertThrows(IllegalArgumentException.class, () -> Json.write(tooDeepLists)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Json.write(tooDeepMaps));
        Object mixed = List.of(Map.of("k", lists));
        assertThrows(IllegalArgumentException.class, () -> Json.write(mixed));
    }

    @Test
    void loneSurrogatesAreWrittenEscapedAndPairsRaw() {
        assertEquals("\"\\ud83d\"", Json.write("\uD83D"));
        assertEquals("\"x\\ude00\"", Json.write("x\uDE00"));
        assertEquals("\"\uD83D\uDE00\"", Json.write("\uD83D\uDE00"));
        assertEquals("\"\\ude00\\ud83d\"", Json.write("\uDE00\uD83D"), "a low then a high surrogate is no pair");
    }

    @Test
    void doublesReadBackToTheSameBits() {
        for (double d : new double[] {0.1, -0.0, Double.MIN_VALUE, Double.MAX_VALUE, 1e-300, 1.0 / 3, 12345.678e90}) {
            Object back = parse(Json.write(d));
            assertEquals(Double.doubleToRawLongBits(d), Double.doubleToRawLongBits((Double) back), "" + d);
        }
    }

    @Property(tries = 300, seed = "11")
    void whatIsWrittenReadsBackEqual(@ForAll("values") Object value) {
        assertEquals(value, parse(Json.write(value)));
    }

    @Provide
    Arbitrary<Object> values() {
        Arbitrary<Object> scalars = Arbitraries.oneOf(
                Arbitraries.longs().map(l -> (Object) l),
                Arbitraries.doubles().filter(d -> d != Math.rint(d) || Math.abs(d) > 1e16).map(d -> (Object) d),
                Arbitraries.strings().filter(JsonTest::noLoneSurrogate).map(s -> (Object) s),
                Arbitraries.of(true, false).map(b -> (Object) b));
        return Arbitraries.recursive(() -> scalars, inner -> Arbitraries.oneOf(
                inner.list().ofMaxSize(4).map(l -> (Object) l),
                Arbitraries.maps(Arbitraries.strings().ofMaxLength(6).filter(JsonTest::noLoneSurrogate), inner)
                        .ofMaxSize(4).map(m -> (Object) new LinkedHashMap<>(m))), 3);
    }

    private static boolean noLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1)))) {
                return false;
            }
            if (Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)))) {
                return false;
            }
        }
        return true;
    }
}
