package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The repository's {@code docker-compose.yml} run as one compose project of its own, with {@code
 * docker compose} (v2) where it is installed, else {@code docker-compose} (1.29, the one Debian 12
 * has); {@code CONVEYOR_TEST_COMPOSE} forces one ({@code "docker compose"} or {@code
 * docker-compose}). Compose sees only the variables given here (no {@code .env} of the checkout,
 * none of the test's environment), as on a fresh clone.
 */
final class ComposeProject {
  private static final String HOW_TO =
      "CI's .ci/run installs and starts them; by hand, as root on Debian:"
          + " apt-get install -y docker.io docker-compose debootstrap"
          + " && (dockerd >/var/log/dockerd.log 2>&1 &)";

  private final Path root;
  private final String name;
  private final List<String> compose;
  private final Map<String, String> variables;
  private final Path emptyEnvFile;

  /**
   * @param name the compose project name (containers, network and volumes carry it)
   * @param variables what compose substitutes in the file (images, tag, settings)
   */
  ComposeProject(Path root, String name, Map<String, String> variables) throws IOException {
    this.root = root;
    this.name = name;
    this.compose = composeCommand();
    this.variables = Map.copyOf(variables);
    this.emptyEnvFile = Files.createTempFile("compose-", ".env");
    emptyEnvFile.toFile().deleteOnExit();
  }

  /** Fails, saying how to get them, unless a Docker engine answers and compose is installed. */
  static void requireDocker() {
    Result info = Result.of(List.of("docker", "info", "--format", "{{.ServerVersion}}"), Map.of());
    if (info.code() != 0) {
      throw new AssertionError(
          "this test needs a Docker engine, and `docker info` failed: "
              + info.out().strip()
              + "\n"
              + HOW_TO);
    }
    composeCommand();
  }

  /** The compose command this machine has, v2 first. */
  static List<String> composeCommand() {
    String forced = System.getenv("CONVEYOR_TEST_COMPOSE");
    List<List<String>> candidates =
        forced != null && !forced.isBlank()
            ? List.of(List.of(forced.strip().split("\\s+")))
            : List.of(List.of("docker", "compose"), List.of("docker-compose"));
    for (List<String> candidate : candidates) {
      List<String> version = new ArrayList<>(candidate);
      version.add("version");
      if (Result.of(version, Map.of()).code() == 0) {
        return candidate;
      }
    }
    throw new AssertionError(
        "this test needs Docker Compose (`docker compose` or `docker-compose`), none answered "
            + "`version`. "
            + HOW_TO);
  }

  String name() {
    return name;
  }

  /** {@code docker compose version}, for the report. */
  String version() {
    List<String> c = new ArrayList<>(compose);
    c.add("version");
    return String.join(" ", compose)
        + ": "
        + Result.of(c, Map.of()).out().lines().findFirst().orElse("");
  }

  /** The compose command line with this project's options, ready for a subcommand. */
  List<String> prefix() {
    List<String> c = new ArrayList<>(compose);
    c.addAll(
        List.of(
            "--env-file",
            emptyEnvFile.toString(),
            "--project-name",
            name,
            "--project-directory",
            root.toString(),
            "--file",
            root.resolve("docker-compose.yml").toString()));
    return c;
  }

  /** The environment compose runs in: PATH, HOME, Docker's own variables and {@link #variables}. */
  Map<String, String> environment() {
    Map<String, String> env = new HashMap<>();
    System.getenv()
        .forEach((k, v) -> {
          if (k.equals("PATH") || k.equals("HOME") || k.startsWith("DOCKER_")) {
            env.put(k, v);
          }
        });
    env.putAll(variables);
    return env;
  }

  /** Runs {@code compose ARGS} (stdin closed) and returns its exit code and output. */
  Result run(String... args) {
    List<String> c = prefix();
    c.addAll(List.of(args));
    return Result.of(c, environment());
  }

  /** Runs {@code compose ARGS} and fails unless it exits 0. */
  String ok(String... args) {
    Result r = run(args);
    assertThat(r.code())
        .as("compose %s exited %d:%n%s", String.join(" ", args), r.code(), r.out())
        .isZero();
    return r.out();
  }

  /** {@code compose exec -T SERVICE COMMAND...} on the first replica. */
  Result exec(String service, String... command) {
    List<String> args = new ArrayList<>(List.of("exec", "-T", service));
    args.addAll(List.of(command));
    return run(args.toArray(String[]::new));
  }

  /** The ids of all the project's containers. */
  List<String> containers() {
    return ok("ps", "-q").lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
  }

  /** The ids of a service's containers. */
  List<String> containers(String service) {
    return ok("ps", "-q", service).lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
  }

  /** A plain {@code docker ARGS}. */
  static Result docker(String... args) {
    List<String> c = new ArrayList<>(List.of("docker"));
    c.addAll(List.of(args));
    return Result.of(c, Map.of());
  }

  /** A plain {@code docker ARGS} that must exit 0; its output. */
  static String dockerOk(String... args) {
    Result r = docker(args);
    assertThat(r.code())
        .as("docker %s exited %d:%n%s", String.join(" ", args), r.code(), r.out())
        .isZero();
    return r.out().strip();
  }

  /**
   * Takes down the projects named {@code prefix...} of earlier runs that were killed before their
   * own cleanup (created over an hour ago).
   */
  static void removeStale(Path root, String prefix) throws IOException {
    String listed =
        dockerOk(
            "ps",
            "-a",
            "--filter",
            "label=com.docker.compose.project",
            "--format",
            "{{.Label \"com.docker.compose.project\"}} {{.CreatedAt}}");
    Instant hourAgo = Instant.now().minus(Duration.ofHours(1));
    for (String line : listed.lines().distinct().toList()) {
      String[] parts = line.split(" ");
      if (parts.length < 3 || !parts[0].startsWith(prefix)) {
        continue;
      }
      Instant created = LocalDateTime.parse(parts[1] + "T" + parts[2]).toInstant(ZoneOffset.UTC);
      if (created.isBefore(hourAgo)) {
        new ComposeProject(root, parts[0], Map.of()).run("down", "--volumes", "--remove-orphans");
      }
    }
  }

  /** Exit code and output (stdout and stderr together) of a command. */
  record Result(int code, String out) {
    private static final Duration TIMEOUT = Duration.ofMinutes(15);

    static Result of(List<String> command, Map<String, String> env) {
      try {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (!env.isEmpty()) {
          pb.environment().clear();
          pb.environment().putAll(env);
        }
        Path out = Files.createTempFile("cmd-", ".out");
        try {
          pb.redirectOutput(out.toFile());
          pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
          Process p = pb.start();
          if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(
                String.join(" ", command) + " did not finish within " + TIMEOUT);
          }
          return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
          Files.deleteIfExists(out);
        }
      } catch (IOException e) {
        return new Result(127, String.join(" ", command) + ": " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }
}
