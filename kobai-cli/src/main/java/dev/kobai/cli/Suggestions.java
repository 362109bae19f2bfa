package dev.kobai.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * What a mistyped command or option most likely meant: the candidates nearest to it by edit
 * distance (insertions, deletions, substitutions and swaps of two neighbouring characters, the
 * optimal-string-alignment form of Damerau-Levenshtein), or the one candidate it is a prefix of.
 * {@code trian} is one swap from {@code train} and two edits from {@code trace}.
 */
final class Suggestions {
    private Suggestions() {}

    /**
     * The candidates nearest to {@code typed}, in their given order: those at the smallest distance
     * when it is small for their length (at most a third of it, rounded up, and 1 to 3), else the
     * single candidate that {@code typed} (3 characters or more) begins; empty when nothing is close.
     * Leading dashes are ignored on both sides, and case too.
     */
    static List<String> nearest(String typed, Collection<String> candidates) {
        String t = bare(typed);
        List<String> best = new ArrayList<>();
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            String b = bare(c);
            int d = distance(t, b);
            if (c.equals(typed) || d > Math.clamp((b.length() + 2) / 3, 1, 3)) {
                continue;
            }
            if (d < bestDistance) {
                best.clear();
                bestDistance = d;
            }
            if (d == bestDistance && !best.contains(c)) {
                best.add(c);
            }
        }
        if (best.isEmpty() && t.length() >= 3) {
            for (String c : candidates) {
                if (bare(c).startsWith(t) && !best.contains(c)) {
                    best.add(c);
                }
            }
            if (best.size() > 1) {
                best.clear();
            }
        }
        return best;
    }

    /** "'a'", "'a' or 'b'", "'a', 'b' or 'c'". */
    static String either(List<String> options) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < options.size(); i++) {
            if (i > 0) {
                sb.append(i == options.size() - 1 ? " or " : ", ");
            }
            sb.append('\'').append(options.get(i)).append('\'');
        }
        return sb.toString();
    }

    /**
     * The optimal-string-alignment distance: the fewest insertions, deletions, substitutions and
     * swaps of adjacent characters that turn {@code a} into {@code b}, no substring edited twice.
     */
    static int distance(String a, String b) {
        int n = a.length();
        int m = b.length();
        int[][] d = new int[n + 1][m + 1];
        for (int i = 0; i <= n; i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= m; j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= n; i++) {
            for (int j = 1; j <= m; j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    v = Math.min(v, d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        return d[n][m];
    }

    private static String bare(String s) {
        int i = 0;
        while (i < s.length() && s.charAt(i) == '-') {
            i++;
        }
        return s.substring(i).toLowerCase(java.util.Locale.ROOT);
    }
}
