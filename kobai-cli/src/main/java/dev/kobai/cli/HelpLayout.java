package dev.kobai.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The sections of {@code --help} that picocli would wrap in the middle of a spec: its text table
 * breaks lines wherever {@link java.text.BreakIterator} allows, which includes after a ':' or a
 * '/', so that {@code sgd:lr=0.001} came out as {@code sgd:} and {@code lr=0.001} on two lines.
 * Here descriptions wrap at spaces only, and footers (the examples) are printed as written: each of
 * their lines fits the usage width ({@code HelpLayoutTest} checks both for every command).
 */
final class HelpLayout {
    /** The widest option column before a description moves to the next line. */
    private static final int MAX_OPTION_COLUMN = 24;

    private HelpLayout() {}

    /** Installs the layout on {@code cli} and all its subcommands. */
    static void install(CommandLine cli) {
        Map<String, CommandLine.IHelpSectionRenderer> sections = cli.getHelpSectionMap();
        sections.put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_DESCRIPTION, HelpLayout::description);
        sections.put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST, HelpLayout::optionList);
        sections.put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_PARAMETER_LIST, HelpLayout::parameterList);
        sections.put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER, HelpLayout::footer);
        cli.setHelpSectionMap(sections);
        for (CommandLine sub : cli.getSubcommands().values()) {
            install(sub);
        }
    }

    private static String description(Help help) {
        StringBuilder sb = new StringBuilder();
        for (String line : help.commandSpec().usageMessage().description()) {
            for (String paragraph : format(line)) {
                for (String part : wrap(paragraph, width(help))) {
                    sb.append(part).append('\n');
                }
            }
        }
        return sb.toString();
    }

    /** Options, and the positional parameters before them, in one table as picocli lays them out. */
    private static String optionList(Help help) {
        List<String[]> rows = new ArrayList<>();
        List<OptionSpec> options = new ArrayList<>(help.commandSpec().options().stream().filter(o -> !o.hidden())
                .toList());
        if (help.createDefaultOptionSort() != null) {
            options.sort(help.createDefaultOptionSort());
        }
        for (OptionSpec o : options) {
            String shortName = "";
            String longName = "";
            for (String name : o.names()) {
                if (name.length() == 2 && name.charAt(0) == '-' && shortName.isEmpty()) {
                    shortName = name;
                } else if (name.length() > longName.length()) {
                    longName = name;
                }
            }
            String label = help.createDefaultParamLabelRenderer().renderParameterLabel(o, Help.Ansi.OFF, List.of())
                    .toString();
            String names = (shortName.isEmpty() ? "    " : shortName + (longName.isEmpty() ? "  " : ", "))
                    + longName + label;
            rows.add(new String[] {names, String.join(" ", o.description())});
        }
        return table(rows, columnOf(help), width(help));
    }

    private static String parameterList(Help help) {
        List<String[]> rows = new ArrayList<>();
        for (PositionalParamSpec p : help.commandSpec().positionalParameters()) {
            if (!p.hidden()) {
                rows.add(new String[] {"    " + p.paramLabel(), String.join(" ", p.description())});
            }
        }
        return table(rows, columnOf(help), width(help));
    }

    /**
     * The width of the names column, shared by the parameters and the options as in picocli: the
     * longest name of at most {@link #MAX_OPTION_COLUMN} characters (a longer one overflows).
     */
    private static int columnOf(Help help) {
        int column = 0;
        List<String> names = new ArrayList<>();
        for (PositionalParamSpec p : help.commandSpec().positionalParameters()) {
            if (!p.hidden()) {
                names.add("    " + p.paramLabel());
            }
        }
        for (OptionSpec o : help.commandSpec().options()) {
            if (!o.hidden()) {
                String longest = "";
                for (String name : o.names()) {
                    if (name.length() > 2 && name.length() > longest.length()) {
                        longest = name;
                    }
                }
                names.add("    " + longest + help.createDefaultParamLabelRenderer().renderParameterLabel(o,
                        Help.Ansi.OFF, List.of()));
            }
        }
        for (String n : names) {
            if (n.length() <= MAX_OPTION_COLUMN) {
                column = Math.max(column, n.length());
            }
        }
        return column;
    }

    private static int width(Help help) {
        return help.commandSpec().usageMessage().width();
    }

    /** The footer (the examples) as written, after picocli's formatting of {@code %n} and {@code %%}. */
    private static String footer(Help help) {
        StringBuilder sb = new StringBuilder();
        for (String line : help.commandSpec().usageMessage().footer()) {
            for (String part : format(line)) {
                sb.append(part).append('\n');
            }
        }
        return sb.toString();
    }

    /** {@code text} formatted as picocli formats help text ({@code %n} a line break, {@code %%} a '%'), in lines. */
    static List<String> format(String text) {
        return List.of(String.format(text).split("\\R", -1));
    }

    /**
     * Rows of "  NAMES   DESCRIPTION", the descriptions wrapped at spaces into one column that
     * starts 3 characters after the widest name of at most {@code column} characters; a wider name
     * keeps its description on its line when one space is left, and otherwise stands on its own
     * line. Lines end at the width at most.
     */
    static String table(List<String[]> rows, int column, int width) {
        int indent = 2 + column + 3;
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            String head = "  " + r[0];
            // Continuation lines start 2 further right than the first, so they hold 2 fewer characters.
            List<String> lines = new ArrayList<>();
            for (String paragraph : format(r[1])) {
                lines.addAll(wrap(paragraph, Math.max(20, width - indent - (lines.isEmpty() ? 0 : 2)),
                        Math.max(20, width - indent - 2)));
            }
            if (head.length() < indent) {
                sb.append(head);
                if (!lines.isEmpty()) {
                    sb.append(" ".repeat(indent - head.length())).append(lines.removeFirst());
                }
            } else {
                // a name too wide for the column has the row to itself; the description starts below it
                sb.append(head);
                if (!lines.isEmpty()) {
                    sb.append('\n').append(" ".repeat(indent)).append(lines.removeFirst());
                }
            }
            sb.append('\n');
            for (String line : lines) {
                sb.append(" ".repeat(indent + 2)).append(line).append('\n');
            }
        }
        return sb.toString();
    }

    /** As {@link #wrap(String, int, int)} with every line of one width. */
    static List<String> wrap(String text, int width) {
        return wrap(text, width, width);
    }

    /**
     * {@code text} in lines of at most {@code first} characters for the first and {@code rest} for
     * the others, broken at spaces only: a word longer than the width stands alone on its line, whole.
     */
    static List<String> wrap(String text, int first, int rest) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        String[] words = text.trim().split(" +");
        for (int i = 0; i < words.length; i++) {
            String word = words[i];
            if (word.isEmpty()) {
                continue;
            }
            int width = lines.isEmpty() ? first : rest;
            // As in picocli, a word but the last takes its following space with it onto the line.
            int need = word.length() + (i < words.length - 1 ? 1 : 0);
            if (!line.isEmpty() && line.length() + 1 + need > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (!line.isEmpty()) {
                line.append(' ');
            }
            line.append(word);
        }
        if (!line.isEmpty()) {
            lines.add(line.toString());
        }
        return lines;
    }
}
