package dev.conveyor.cli.test;

import dev.conveyor.cli.CliContext;
import dev.conveyor.cli.Conveyor;
import dev.conveyor.common.config.Env;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/** One run of the CLI in-process through picocli, with only the environment given. */
public record CliRun(int code, String out, String err) {

  /** Runs {@code conveyor args...} and returns its exit code and what it printed. */
  public static CliRun run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code;
    try (CliContext context = new CliContext(Env.of(env))) {
      code =
          Conveyor.commandLine(context, new PrintWriter(out, true), new PrintWriter(err, true))
              .execute(args);
    }
    return new CliRun(code, out.toString(), err.toString());
  }
}
