package dev.conveyor.cli;

import dev.conveyor.common.http.JsonBodies;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * What every command of the CLI has, as a picocli mixin ({@code @Mixin private CommandIo io;}): the
 * {@code -h, --help} option, and the command line's stdout and stderr (those {@link Conveyor} was
 * given, so that tests see what a command prints). Results go to {@link #out()}, problems to {@link
 * #err()} as {@code conveyor: ...} lines.
 */
final class CommandIo {
  @Spec(Spec.Target.MIXEE)
  private CommandSpec command;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  private boolean help;

  PrintWriter out() {
    return command.commandLine().getOut();
  }

  PrintWriter err() {
    return command.commandLine().getErr();
  }

  /** Prints {@code value} on stdout as one line of JSON, as the daemons' HTTP routes write it. */
  void printJson(Object value) {
    out().println(json(value));
  }

  /** Prints {@code conveyor: <message>} on stderr. */
  void problem(String message) {
    err().println("conveyor: " + message);
  }

  /**
   * A usage error of this command, to throw: {@link Conveyor} prints it with a pointer to {@code
   * --help} and exits {@value Conveyor#EXIT_USAGE}.
   */
  ParameterException usageError(String message) {
    return new ParameterException(command.commandLine(), message);
  }

  /** {@code value} as one line of JSON. */
  static String json(Object value) {
    return new String(JsonBodies.write(value), StandardCharsets.UTF_8);
  }
}
