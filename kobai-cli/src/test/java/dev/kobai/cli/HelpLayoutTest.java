package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

/** Every command's --help keeps each word of its text whole on one line and fits the usage width. */
class HelpLayoutTest {
    /** The commands by their arguments before --help: the top level and each subcommand. */
    private static Map<List<String>, CommandSpec> commands() {
        CommandLine cli = new CommandLine(new Kobai());
        Map<List<String>, CommandSpec> all = new LinkedHashMap<>();
        all.put(List.of(), cli.getCommandSpec());
        cli.getSubcommands().forEach((name, sub) -> all.put(List.of(name), sub.getCommandSpec()));
        return all;
    }

    private static String help(List<String> command) {
        List<String> args = new ArrayList<>(command);
        args.add("--help");
        StringWriter out = new StringWriter();
        int code = Kobai.execute(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(new StringWriter()));
        assertEquals(0, code, command.toString());
        return out.toString();
    }

    @Test
    void noWordOfAnyHelpTextIsSplitAcrossLines() {
        Map<List<String>, CommandSpec> commands = commands();
        assertTrue(commands.size() > 5, commands.keySet().toString());
        for (Map.Entry<List<String>, CommandSpec> c : commands.entrySet()) {
            String help = help(c.getKey());
            List<String> tokens = Arrays.stream(help.split("\\s+")).toList();
            List<String> texts = new ArrayList<>();
            texts.addAll(Arrays.asList(c.getValue().usageMessage().description()));
            texts.addAll(Arrays.asList(c.getValue().usageMessage().footer()));
            for (ArgSpec a : c.getValue().args()) {
                if (!a.hidden()) {
                    texts.add(String.join(" ", a.description()));
                }
            }
            for (String text : texts) {
                for (String line : HelpLayout.format(text)) {
                    for (String word : line.trim().split("\\s+")) {
                        // Picocli's own wrapping broke sgd:lr=0.001 into "sgd:" and "lr=0.001".
                        assertTrue(word.isEmpty() || tokens.contains(word),
                                "kobai " + c.getKey() + " --help splits '" + word + "':\n" + help);
                    }
                }
            }
        }
    }

    @Test
    void everyLineFitsTheWidthAndFootersAreAsWritten() {
        for (Map.Entry<List<String>, CommandSpec> c : commands().entrySet()) {
            String help = help(c.getKey());
            int width = c.getValue().usageMessage().width();
            List<String> lines = help.lines().toList();
            for (String line : lines) {
                assertTrue(line.length() <= width, "kobai " + c.getKey() + " --help, " + line.length()
                        + " columns: " + line);
            }
            for (String footer : c.getValue().usageMessage().footer()) {
                for (String line : HelpLayout.format(footer)) {
                    assertTrue(line.length() <= width, "kobai " + c.getKey() + ": footer line wider than " + width
                            + ": " + line);
                    assertTrue(line.isEmpty() || lines.contains(line), "kobai " + c.getKey()
                            + " --help lacks the footer line '" + line + "'");
                }
            }
        }
    }

    @Test
    void descriptionsWrapAtSpacesOnlyAndAWordWiderThanTheLineStandsWhole() {
        assertEquals(List.of("Optimizer with", "torch.optim's", "argument names,", "e.g.",
                "sgd:lr=0.001,momentum=0.9."), HelpLayout.wrap(
                "Optimizer with torch.optim's argument names, e.g. sgd:lr=0.001,momentum=0.9.", 16));
        String table = HelpLayout.table(List.<String[]>of(new String[] {"    --optimizer=SPEC",
                "Optimizer with torch.optim's argument names, e.g. sgd:lr=0.001,momentum=0.9."}), 20, 80);
        assertEquals("""
                      --optimizer=SPEC   Optimizer with torch.optim's argument names, e.g.
                                           sgd:lr=0.001,momentum=0.9.
                """, table);
    }
}
