package dev.conveyor.cli;

import dev.conveyor.common.config.ConfigException;
import dev.conveyor.common.config.Env;
import dev.conveyor.common.daemon.Version;
import dev.conveyor.common.db.DatabaseException;
import dev.conveyor.runtime.pipeline.PipelineException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The operator CLI, {@code conveyor COMMAND ...} ({@code deploy/bin/conveyor}; in every daemon
 * jar). It reads the same {@code CONVEYOR_*} environment as the daemons, connects to Redis and
 * PostgreSQL only when a command needs them, and closes them before it exits. Results go to stdout,
 * everything else (errors, library warnings) to stderr, so {@code --json} output can be piped.
 *
 * <p>Exit codes, the same for every command, so that scripts can trust them:
 *
 * <ul>
 *   <li>{@value #EXIT_OK} — done;
 *   <li>{@value #EXIT_NOT_FOUND} — what was asked for does not exist, or a check failed (each
 *       command says which);
 *   <li>{@value #EXIT_USAGE} — usage or configuration error: an unknown command or option, a
 *       malformed argument, a bad {@code CONVEYOR_*} value (one line naming the variable), a bad
 *       pipeline file;
 *   <li>{@value #EXIT_UNREACHABLE} — Redis or PostgreSQL could not be reached (one line: {@code
 *       conveyor: cannot reach PostgreSQL at ...: ...}) or failed under the command;
 *   <li>{@value #EXIT_INTERNAL} — anything else: a bug (the stack trace follows on stderr).
 * </ul>
 *
 * <p>Commands: {@link StatusCommand status}, {@link TaskCommand task}, {@link PublishCommand
 * publish}, {@link DeadCommand dead}, {@link ReplayCommand replay}, {@link PruneCommand prune},
 * {@link ControlCommand suspend and resume}, {@link ReloadCommand reload}, {@link RunCommand run}.
 */
@Command(
    name = "conveyor",
    mixinStandardHelpOptions = true,
    synopsisSubcommandLabel = "COMMAND",
    description = {
      "Operator CLI of Conveyor. Reads the same CONVEYOR_* environment as the daemons.",
    },
    exitCodeListHeading = Conveyor.EXIT_CODES,
    exitCodeList = {
      "0:done",
      "1:not found, or a check failed",
      Conveyor.USAGE_ERROR_LINE,
      Conveyor.UNREACHABLE_LINE,
      Conveyor.INTERNAL_ERROR_LINE
    })
public final class Conveyor implements Callable<Integer> {
  public static final int EXIT_OK = 0;
  public static final int EXIT_NOT_FOUND = 1;
  public static final int EXIT_USAGE = 2;
  public static final int EXIT_UNREACHABLE = 3;
  public static final int EXIT_INTERNAL = 4;

  // The heading and the lines of the commands' exit code lists (--help) that every command shares.
  static final String EXIT_CODES = "%nExit codes:%n";
  static final String USAGE_ERROR_LINE = "2:usage or configuration error";
  static final String UNREACHABLE_LINE = "3:Redis or PostgreSQL unreachable or failing";
  static final String INTERNAL_ERROR_LINE = "4:internal error (a bug)";

  /** The logback configuration of the CLI: warnings to stderr, nothing on stdout. */
  static final String LOGBACK_CONFIG = "logback-cli.xml";

  @Spec private CommandSpec spec;

  private Conveyor() {}

  public static void main(String[] args) {
    // why: the daemons' logback.xml writes to stdout, which belongs to the command's output; this
    // must happen before anything touches SLF4J (deploy/bin/conveyor also sets it)
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", LOGBACK_CONFIG);
    }
    PrintWriter out =
        new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
    PrintWriter err =
        new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
    System.exit(run(Env.system(), out, err, args));
  }

  /** Runs one command line against {@code env}, closes what it opened, returns the exit code. */
  public static int run(Env env, PrintWriter out, PrintWriter err, String... args) {
    try (CliContext context = new CliContext(env)) {
      return commandLine(context, out, err).execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  /**
   * The command line with every command, writing to {@code out} and {@code err}, errors mapped to
   * the exit codes above. The caller closes {@code context}.
   */
  public static CommandLine commandLine(CliContext context, PrintWriter out, PrintWriter err) {
    return commandLine(context, out, err, () -> System.in, System.console() != null);
  }

  /**
   * @param stdin what {@code publish -} and {@code run --input -} read
   * @param terminal whether stderr is a terminal ({@code publish} then draws a progress bar)
   */
  public static CommandLine commandLine(
      CliContext context,
      PrintWriter out,
      PrintWriter err,
      Supplier<InputStream> stdin,
      boolean terminal) {
    CommandLine cli =
        new CommandLine(new Conveyor())
            .addSubcommand(new StatusCommand(context, Clock.systemUTC()))
            .addSubcommand(new TaskCommand(context))
            .addSubcommand(new PublishCommand(context, stdin, terminal))
            .addSubcommand(new DeadCommand(context))
            .addSubcommand(new ReplayCommand(context))
            .addSubcommand(new PruneCommand(context, Clock.systemUTC()))
            .addSubcommand("suspend", new ControlCommand(context, "suspend"))
            .addSubcommand("resume", new ControlCommand(context, "resume"))
            .addSubcommand(new ReloadCommand(context))
            .addSubcommand(new RunCommand(context, stdin))
            .setOut(out)
            .setErr(err)
            .setParameterExceptionHandler(Conveyor::usageError)
            .setExecutionExceptionHandler(Conveyor::failure);
    cli.getCommandSpec().version("conveyor " + Version.current());
    return cli;
  }

  /** {@code conveyor} alone: the usage, on stderr. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return EXIT_USAGE;
  }

  private static int usageError(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    fail(err, e.getMessage(), EXIT_USAGE);
    UnmatchedArgumentException.printSuggestions(e, err);
    err.println("See '" + cmd.getCommandSpec().qualifiedName() + " --help'.");
    return EXIT_USAGE;
  }

  private static int failure(Exception e, CommandLine cmd, ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    return switch (e) {
      case PipelineException p -> {
        // why: name the variable, as for a bad setting; a directory may have several bad files
        p.problems().forEach(problem -> err.println("conveyor: CONVEYOR_PIPELINES: " + problem));
        yield EXIT_USAGE;
      }
      case ConfigException c -> fail(err, c.getMessage(), EXIT_USAGE);
      case ServiceUnreachableException u -> fail(err, u.getMessage(), EXIT_UNREACHABLE);
      case DatabaseException d ->
          fail(err, "PostgreSQL failed: " + d.getMessage(), EXIT_UNREACHABLE);
      case JedisException j ->
          fail(err, "Redis failed: " + ServiceUnreachableException.reason(j), EXIT_UNREACHABLE);
      default -> {
        err.println("conveyor: internal error: " + e);
        e.printStackTrace(err);
        yield EXIT_INTERNAL;
      }
    };
  }

  private static int fail(PrintWriter err, String message, int code) {
    err.println("conveyor: " + message.strip().replaceAll("\\s*\\R\\s*", " "));
    return code;
  }
}
