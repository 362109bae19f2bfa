package dev.kobai.nn;

import java.math.BigDecimal;

/** Python's spelling of values, for layers whose toString is torch's repr. */
final class Repr {
    private Repr() {}

    /** True or False. */
    static String bool(boolean b) {
        return b ? "True" : "False";
    }

    /**
     * A float as Python's repr writes it: the shortest digits that round-trip, in positional form
     * when the decimal exponent is in [-4, 16) ("0.1", "0.0001", "1.0") and in scientific form
     * otherwise, with a two-digit signed exponent ("1e-05", "2.5e+16").
     */
    static String number(double v) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        if (v == 0) {
            return 1 / v < 0 ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(Double.toString(Math.abs(v))).stripTrailingZeros();
        String digits = exact.unscaledValue().toString();
        int exponent = digits.length() - 1 - exact.scale();
        String sign = v < 0 ? "-" : "";
        if (exponent >= -4 && exponent < 16) {
            String plain = exact.toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (Math.abs(exponent) < 10 ? "0" : "")
                + Math.abs(exponent);
    }

    /** A Python tuple of ints: "(4,)", "(3, 4)". */
    static String tuple(int[] values) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < values.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(values[i]);
        }
        return sb.append(values.length == 1 ? ",)" : ")").toString();
    }
}
