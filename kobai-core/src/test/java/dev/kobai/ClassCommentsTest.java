package dev.kobai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every public type of the packages a library user reads (nn, optim, tensor, autograd, data) says
 * what it is for in a Javadoc comment (issue 16). The Javadoc build checks the comments' syntax; it
 * cannot require them without also requiring one on every method, so this test does.
 */
class ClassCommentsTest {
    private static final Path SOURCES = Path.of("src/main/java/dev/kobai");
    private static final List<String> PACKAGES = List.of("nn", "optim", "tensor", "autograd", "data");
    private static final Pattern PUBLIC_TYPE = Pattern.compile(
            "^\\s*public\\s+(?:(?:static|final|abstract|sealed|non-sealed|strictfp)\\s+)*"
                    + "(?:class|interface|record|enum|@interface)\\s+(\\w+)");

    @Test
    void everyPublicTypeHasAClassComment() throws IOException {
        List<String> missing = new ArrayList<>();
        int types = 0;
        for (String pkg : PACKAGES) {
            try (Stream<Path> files = Files.walk(SOURCES.resolve(pkg))) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                    List<String> lines = Files.readAllLines(file);
                    for (int i = 0; i < lines.size(); i++) {
                        var m = PUBLIC_TYPE.matcher(lines.get(i));
                        if (m.find()) {
                            types++;
                            if (!documented(lines, i)) {
                                missing.add(SOURCES.relativize(file) + ":" + (i + 1) + " " + m.group(1));
                            }
                        }
                    }
                }
            }
        }
        assertTrue(types > 100, "found only " + types + " public types: is " + SOURCES + " the sources?");
        assertEquals(List.of(), missing, "public types without a class comment");
    }

    @Test
    void aTypeWithoutACommentIsFound() {
        List<String> source = List.of("package x;", "", "@Deprecated", "public final class A {}");
        assertTrue(!documented(source, 3));
        List<String> commented = List.of("/** What A is for. */", "@SuppressWarnings(\"x\")", "public final class A {}");
        assertTrue(documented(commented, 2));
    }

    /** Whether a Javadoc comment ends just above line {@code at}, above its annotations. */
    static boolean documented(List<String> lines, int at) {
        int i = at - 1;
        while (i >= 0 && lines.get(i).strip().startsWith("@")) {
            i--;
        }
        if (i < 0 || !lines.get(i).strip().endsWith("*/")) {
            return false;
        }
        while (i >= 0 && !lines.get(i).contains("/*")) {
            i--;
        }
        return i >= 0 && lines.get(i).contains("/**");
    }
}
