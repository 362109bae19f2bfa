package dev.kobai.cli;

/**
 * A subcommand that lives in a module of its own (such as {@code kobai serve} in kobai-serve), found
 * with {@link java.util.ServiceLoader} when that module's jar is on the class path, so that kobai-cli
 * never imports it and commands that do not need its dependencies never load them. An implementation
 * is listed in {@code META-INF/services/dev.kobai.cli.CommandProvider} of its jar; the launcher puts
 * the jar on the class path for the commands that need it.
 */
public interface CommandProvider {
    /** A new picocli command object (a class annotated with {@code @Command}), added under its own name. */
    Object command();
}
