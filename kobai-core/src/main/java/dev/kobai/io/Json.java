package dev.kobai.io;

import dev.kobai.DataFormatException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The small, strict JSON reader and writer that safetensors headers and checkpoint metadata need,
 * so that kobai-core keeps no third-party runtime dependency.
 *
 * <p>Reading follows RFC 8259 strictly: one value, optional whitespace around it, no comments, no
 * trailing commas, no duplicate keys, no control characters in strings, no lone surrogates. Values
 * come back as {@code null}, {@link Boolean}, {@link Long} (a number without fraction or exponent
 * that fits), {@link Double} (any other number), {@link String}, {@link List} and {@link Map}
 * (keys in file order). Nesting deeper than {@link #MAX_DEPTH} and texts longer than the caller's
 * limit are refused before any work is done, so a hostile header costs neither stack nor memory.
 * Every fault is a {@link DataFormatException} naming the offset.
 *
 * <p>Writing takes the same types (plus {@link Integer}, and {@link Float} as its double value);
 * a double is written in Java's shortest form that reads back to the same bits, and a non-finite
 * number is refused, since JSON has none.
 */
public final class Json {
    /** The deepest nesting of arrays and objects accepted. */
    public static final int MAX_DEPTH = 64;

    private final String text;
    private int pos;
    private int depth;

    private Json(String text) {
        this.text = text;
    }

    /**
     * Parses one JSON value.
     *
     * @param maxChars texts longer than this are refused without being read
     * @throws DataFormatException naming the offset of the first fault
     */
    public static Object parse(String text, int maxChars) {
        if (text == null) {
            throw new DataFormatException("JSON text is missing");
        }
        if (text.length() > maxChars) {
            throw new DataFormatException("JSON text of " + text.length() + " characters is longer than the limit of "
                    + maxChars);
        }
        Json p = new Json(text);
        p.skipWhitespace();
        Object value = p.value();
        p.skipWhitespace();
        if (p.pos != text.length()) {
            throw p.fault("unexpected text after the JSON value");
        }
        return value;
    }

    private DataFormatException fault(String what) {
        return new DataFormatException("invalid JSON at offset " + pos + ": " + what);
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                pos++;
            } else {
                break;
            }
        }
    }

    private Object value() {
        if (pos >= text.length()) {
            throw fault("unexpected end of text, expected a value");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw fault("unexpected character " + describe(c));
            }
        };
    }

    private static String describe(char c) {
        return c < 0x20 || c > 0x7e ? String.format("U+%04X", (int) c) : "'" + c + "'";
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, pos)) {
            throw fault("expected " + word);
        }
        pos += word.length();
        return value;
    }

    private void enter() {
        if (++depth > MAX_DEPTH) {
            throw fault("nested deeper than " + MAX_DEPTH + " levels");
        }
    }

    private Map<String, Object> object() {
        enter();
        pos++; // '{'
        Map<String, Object> out = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            depth--;
            return out;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw fault("expected a string key");
            }
            int keyAt = pos;
            String key = string();
            skipWhitespace();
            if (peek() != ':') {
                throw fault("expected ':' after a key");
            }
            pos++;
            skipWhitespace();
            Object v = value();
            if (out.containsKey(key)) {
                pos = keyAt;
                throw fault("duplicate key \"" + key + "\"");
            }
            out.put(key, v);
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == '}') {
                depth--;
                return out;
            }
            if (c != ',') {
                pos--;
                throw fault("expected ',' or '}' in an object");
            }
        }
    }

    private List<Object> array() {
        enter();
        pos++; // '['
        List<Object> out = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            depth--;
            return out;
        }
        while (true) {
            skipWhitespace();
            out.add(value());
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == ']') {
                depth--;
                return out;
            }
            if (c != ',') {
                pos--;
                throw fault("expected ',' or ']' in an array");
            }
        }
    }

    /** The next character, or U+0000 at the end (which no valid position holds). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private String string() {
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw fault("unterminated string");
            }
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                return sb.toString();
            }
            if (c < 0x20) {
                throw fault("control character " + describe(c) + " in a string");
            }
            if (c == '\\') {
                pos++;
                if (pos >= text.length()) {
                    throw fault("unterminated escape");
                }
                char e = text.charAt(pos);
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        sb.append(hex4());
                        continue;
                    }
                    default -> throw fault("invalid escape \\" + describe(e));
                }
                pos++;
                continue;
            }
            if (Character.isHighSurrogate(c)) {
                if (pos + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(pos + 1))) {
                    throw fault("lone surrogate in a string");
                }
                sb.append(c).append(text.charAt(pos + 1));
                pos += 2;
                continue;
            }
            if (Character.isLowSurrogate(c)) {
                throw fault("lone surrogate in a string");
            }
            sb.append(c);
            pos++;
        }
    }

    /**
     * Reads {@code uXXXX} (pos at the 'u'), pairing surrogates; leaves pos after the escape. A lone
     * surrogate is reported at its own escape's backslash.
     */
    private String hex4() {
        int escapeAt = pos - 1;
        char first = hexUnit();
        if (Character.isHighSurrogate(first)) {
            if (text.startsWith("\\u", pos)) {
                pos++;
                char second = hexUnit();
                if (Character.isLowSurrogate(second)) {
                    return new String(new char[] {first, second});
                }
            }
            pos = escapeAt;
            throw fault("lone surrogate escape in a string");
        }
        if (Character.isLowSurrogate(first)) {
            pos = escapeAt;
            throw fault("lone surrogate escape in a string");
        }
        return String.valueOf(first);
    }

    private char hexUnit() {
        // pos at 'u'
        if (pos + 5 > text.length()) {
            throw fault("truncated \\u escape");
        }
        int v = 0;
        for (int i = 1; i <= 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            if (d < 0 || text.charAt(pos + i) > 'f') {
                throw fault("invalid \\u escape");
            }
            v = v * 16 + d;
        }
        pos += 5;
        return (char) v;
    }

    private Object number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (peek() >= '1' && peek() <= '9') {
            while (peek() >= '0' && peek() <= '9') {
                pos++;
            }
        } else {
            throw fault("expected a digit");
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!(peek() >= '0' && peek() <= '9')) {
                throw fault("expected a digit after '.'");
            }
            while (peek() >= '0' && peek() <= '9') {
                pos++;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!(peek() >= '0' && peek() <= '9')) {
                throw fault("expected a digit in the exponent");
            }
            while (peek() >= '0' && peek() <= '9') {
                pos++;
            }
        }
        String s = text.substring(start, pos);
        if (integral && s.length() <= 20) {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                // too large for a long: read it as a double below
            }
        }
        return Double.parseDouble(s);
    }

    // ------------------------------------------------------------------ writing

    /** Writes a value as compact JSON. */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, 0);
        return sb.toString();
    }

    /** Writes {@code v}, which {@code depth} arrays and objects enclose. */
    private static void write(StringBuilder sb, Object v, int depth) {
        // The reader's bound, so that whatever is written reads back.
        if ((v instanceof Map<?, ?> || v instanceof List<?>) && depth >= MAX_DEPTH) {
            throw new IllegalArgumentException("value nested deeper than " + MAX_DEPTH + " levels");
        }
        switch (v) {
            case null -> sb.append("null");
            case Boolean b -> sb.append(b);
            case Integer i -> sb.append(i);
            case Long l -> sb.append(l);
            case Double d -> number(sb, d);
            case Float f -> number(sb, f.doubleValue());
            case String s -> quote(sb, s);
            case Map<?, ?> m -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!(e.getKey() instanceof String key)) {
                        throw new IllegalArgumentException("JSON object keys must be strings, got " + e.getKey());
                    }
                    sb.append(first ? "" : ",");
                    first = false;
                    quote(sb, key);
                    sb.append(':');
                    write(sb, e.getValue(), depth + 1);
                }
                sb.append('}');
            }
            case List<?> list -> {
                sb.append('[');
                for (int i = 0; i < list.size(); i++) {
                    sb.append(i == 0 ? "" : ",");
                    write(sb, list.get(i), depth + 1);
                }
                sb.append(']');
            }
            default -> throw new IllegalArgumentException("cannot write " + v.getClass().getSimpleName() + " as JSON");
        }
    }

    private static void number(StringBuilder sb, double d) {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("JSON has no " + d);
        }
        sb.append(d);
    }

    /** Appends {@code s} as a JSON string literal. */
    public static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || Character.isSurrogate(c) && !validPair(s, i)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    private static boolean validPair(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
