package dev.kobai.cli;

import dev.kobai.KobaiException;
import dev.kobai.UsageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The top-level {@code kobai} command. Exit codes: 0 on success, 2 for a usage error (a bad flag,
 * value or spec), 1 when the job itself fails; every error is one line on stderr, and
 * {@code --verbose} adds the stack trace.
 */
@Command(
        name = "kobai",
        mixinStandardHelpOptions = true,
        versionProvider = Kobai.Version.class,
        description = "Train neural networks and watch optimizers at work.",
        subcommands = {DemoCommand.class, TrainCommand.class, TraceCommand.class, RaceCommand.class,
            CompareCommand.class, BenchCommand.class, AutoencoderCommand.class, ModelCommand.class, CommandLine.HelpCommand.class})
public final class Kobai implements Runnable {
    /** Exit code for a job that failed while running. */
    public static final int EXIT_FAILURE = 1;
    /** Exit code for a command line that cannot be carried out as written. */
    public static final int EXIT_USAGE = 2;

    @Spec
    CommandSpec spec;

    /** Runs the command line and exits the JVM with its exit code. */
    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /**
     * Runs the command line with the given streams and returns its exit code; in-process callers and
     * tests use this so that nothing calls {@link System#exit}.
     */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Kobai());
        for (CommandProvider extra : java.util.ServiceLoader.load(CommandProvider.class)) {
            cli.addSubcommand(extra.command());
        }
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler(Kobai::onParameterError);
        cli.setExecutionExceptionHandler(Kobai::onExecutionError);
        HelpLayout.install(cli);
        int code;
        try {
            code = cli.execute(args);
        } catch (OutOfMemoryError e) {
            // Picocli's handlers see only Exceptions; a JVM Error would otherwise end in a raw trace.
            err.println(printable("kobai: out of memory (" + describe(e) + "); try a smaller model or batch size"));
            code = EXIT_FAILURE;
        } catch (Error e) {
            boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
            err.println(printable("kobai: internal error: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage())
                    + (verbose ? "" : " (--verbose shows the stack trace)")));
            if (verbose) {
                e.printStackTrace(err);
            }
            code = EXIT_FAILURE;
        }
        out.flush();
        err.flush();
        return code;
    }

    @Override
    public void run() {
        // A bare `kobai` is most likely a newcomer: say what is missing, then show the commands.
        throw new ParameterException(spec.commandLine(), "missing command: try 'kobai demo' or 'kobai train'");
    }

    /**
     * A usage error is one line: the command, what is wrong, and for a mistyped command or option
     * the nearest valid one ({@link Suggestions}); picocli's own second line ("Try ... --help" or
     * "Possible solutions: ...") is not printed.
     */
    private static int onParameterError(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(printable(qualifiedName(cmd) + ": " + parameterMessage(ex)));
        if (wantsStackTrace(cmd)) {
            ex.printStackTrace(err);
        }
        return EXIT_USAGE;
    }

    /**
     * Picocli reports a mistyped command, a mistyped option and an argument a command does not take
     * alike, as unmatched arguments (an option's value among them); say which it is, once, and what
     * was probably meant.
     */
    static String parameterMessage(ParameterException ex) {
        if (!(ex instanceof CommandLine.UnmatchedArgumentException u) || u.getUnmatched().isEmpty()) {
            return ex.getMessage();
        }
        CommandLine cmd = ex.getCommandLine();
        String first = u.getUnmatched().getFirst();
        String help = "'" + qualifiedName(cmd) + " --help' lists them";
        if (first.startsWith("-") && first.length() > 1) {
            String option = first.startsWith("--") && first.contains("=") ? first.substring(0, first.indexOf('='))
                    : first;
            List<String> names = new ArrayList<>();
            for (CommandLine.Model.OptionSpec o : cmd.getCommandSpec().options()) {
                if (!o.hidden()) {
                    names.addAll(List.of(o.names()));
                }
            }
            List<String> near = Suggestions.nearest(option, names);
            if (!near.isEmpty()) {
                return "unknown option '" + option + "'; did you mean " + Suggestions.either(near) + "?";
            }
            List<String> owners = new ArrayList<>();
            for (var e : cmd.getSubcommands().entrySet()) {
                if (e.getValue().getCommandSpec().findOption(option) != null) {
                    owners.add(e.getKey());
                }
            }
            if (!owners.isEmpty() && !"-h".equals(option)) {
                return "unknown option '" + option + "': it is an option of " + String.join(", ", owners)
                        + "; write it after the command, e.g. '" + qualifiedName(cmd) + " " + owners.getFirst() + " "
                        + option + " ...'";
            }
            return "unknown option '" + option + "' (" + help + ")";
        }
        if (!cmd.getSubcommands().isEmpty()) {
            List<String> near = Suggestions.nearest(first, cmd.getSubcommands().keySet());
            return "unknown command '" + first + "'" + (near.isEmpty() ? "" : "; did you mean "
                    + Suggestions.either(near) + "?") + " (commands: "
                    + String.join(", ", cmd.getSubcommands().keySet()) + ")";
        }
        return "unexpected argument '" + first + "' (" + help.replace("them", "what it takes") + ")";
    }

    private static int onExecutionError(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        int code = ex instanceof UsageException ? EXIT_USAGE : EXIT_FAILURE;
        String message = message(ex);
        boolean verbose = wantsStackTrace(cmd);
        if (!verbose && code == EXIT_FAILURE && !(ex instanceof KobaiException)) {
            message += " (--verbose shows the stack trace)";
        }
        err.println(printable(qualifiedName(cmd) + ": " + message));
        if (verbose) {
            ex.printStackTrace(err);
        }
        return code;
    }

    /** What an exception a command threw is, in one line: Kobai's own message, or its kind and message. */
    static String message(Exception ex) {
        if (ex instanceof KobaiException) {
            return describe(ex);
        }
        if (ex instanceof IOException || ex instanceof UncheckedIOException) {
            Throwable io = ex instanceof UncheckedIOException u ? u.getCause() : ex;
            // A writer's own exception (ImageIO's "I/O error writing PNG file!") may wrap the one that
            // names the file and says what happened.
            for (Throwable c = io.getCause(); !(io instanceof java.nio.file.FileSystemException) && c != null;
                 c = c.getCause()) {
                if (c instanceof java.nio.file.FileSystemException) {
                    io = c;
                }
            }
            return "I/O error: " + describeIo(io);
        }
        // Not one of our own errors: name its type, since the message alone may mean nothing.
        return "internal error: " + ex.getClass().getSimpleName() + (ex.getMessage() == null ? "" : ": " + ex.getMessage());
    }

    /**
     * A message as it may be printed: control characters (a NUL, an escape sequence, a carriage
     * return) and Unicode's bidirectional overrides, which a file name or a spec can carry, are
     * shown escaped (a backslash and 0, t or u001b, ...), so that they can neither hide
     * nor rewrite what the terminal shows. A line break is escaped too, except one followed by two
     * spaces, which starts an indented line of the message itself (an expression and its caret).
     */
    static String printable(String message) {
        StringBuilder sb = null;
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            boolean ownLine = c == '\n' && message.startsWith("  ", i + 1);
            boolean escape = !ownLine && (Character.isISOControl(c) || (c >= '\u202A' && c <= '\u202E')
                    || (c >= '\u2066' && c <= '\u2069'));
            if (escape && sb == null) {
                sb = new StringBuilder(message.length() + 16).append(message, 0, i);
            }
            if (sb != null) {
                if (!escape) {
                    sb.append(c);
                } else {
                    sb.append(switch (c) {
                        case '\0' -> "\\0";
                        case '\t' -> "\\t";
                        case '\n' -> "\\n";
                        case '\r' -> "\\r";
                        default -> String.format("\\u%04x", (int) c);
                    });
                }
            }
        }
        return sb == null ? message : sb.toString();
    }

    static String describe(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    /** The JDK's file exceptions carry only the path as their message; say what went wrong with it. */
    static String describeIo(Throwable t) {
        String path = t.getMessage();
        return switch (t) {
            case java.nio.file.NoSuchFileException _ -> path + ": no such file or directory";
            case java.nio.file.AccessDeniedException _ -> path + ": permission denied";
            default -> describe(t);
        };
    }

    private static String qualifiedName(CommandLine cmd) {
        return cmd.getCommandSpec().qualifiedName();
    }

    private static boolean wantsStackTrace(CommandLine cmd) {
        return cmd.getCommand() instanceof Verbosity v && v.verbose();
    }

    /** Implemented by subcommands that take {@code --verbose}, so errors know to print stack traces. */
    interface Verbosity {
        boolean verbose();
    }

    /** Reads the version Maven wrote into the jar at build time. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                "kobai " + version(),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vendor", "unknown vendor") + ")"
            };
        }

        static String version() {
            Properties p = new Properties();
            try (InputStream in = Kobai.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (IOException e) {
                // Without the file the version is merely unknown; that must not stop --version.
            }
            return p.getProperty("version", "unknown");
        }
    }
}
