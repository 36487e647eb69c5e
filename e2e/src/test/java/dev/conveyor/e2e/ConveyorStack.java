package dev.conveyor.e2e;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.e2e.ComposeProject.Result;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A Conveyor compose project that runs: the README's quick-start lines run against it, and what the
 * tests ask of its services from inside their containers (redis-cli, psql, conveyor-http).
 */
final class ConveyorStack {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ComposeProject compose;

  ConveyorStack(ComposeProject compose) {
    this.compose = compose;
  }

  ComposeProject compose() {
    return compose;
  }

  /** The commands of the README's quick start block, continuation lines joined, comments cut. */
  static List<String> quickStart(String readme) {
    int section = readme.indexOf("## Quick start");
    assertThat(section).as("README's ## Quick start").isNotNegative();
    int open = readme.indexOf("```sh\n", section) + "```sh\n".length();
    int close = readme.indexOf("```", open);
    return readme
        .substring(open, close)
        .replace("\\\n", " ")
        .lines()
        .map(l -> l.replaceAll("\\s{2,}#.*$", "").strip())
        .filter(l -> !l.isEmpty())
        .toList();
  }

  /**
   * Runs one README line with bash, {@code docker compose} being this project's compose (and {@code
   * logs -f} not following: the test reads what is there).
   */
  Result runReadmeLine(String line) {
    StringBuilder quoted = new StringBuilder();
    for (String part : compose.prefix()) {
      quoted.append('\'').append(part.replace("'", "'\\''")).append("' ");
    }
    String script =
        """
        docker() {
          if [ "$1" != compose ]; then command docker "$@"; return; fi
          shift
          local a args=()
          for a in "$@"; do
            if [ "${args[0]:-}" = logs ] && { [ "$a" = -f ] || [ "$a" = --follow ]; }; then continue; fi
            args+=("$a")
          done
          if [ "${args[0]}" = logs ]; then args=(logs --no-color "${args[@]:1}"); fi
          %s "${args[@]}"
        }
        %s
        """
            .formatted(quoted, line);
    return Result.of(List.of("bash", "-c", script), compose.environment());
  }

  /** Waits until the project has this many containers, all running and healthy; how long. */
  Duration awaitHealthy(int containers, Duration max) {
    Instant t0 = Instant.now();
    await(containers + " containers healthy")
        .atMost(max)
        .pollInterval(500, MILLISECONDS)
        .untilAsserted(() -> {
          List<String> ids = compose.containers();
          assertThat(ids).hasSize(containers);
          List<String> args =
              new ArrayList<>(List.of("inspect", "--format", "{{.Name}} {{.State.Health.Status}}"));
          args.addAll(ids);
          assertThat(ComposeProject.dockerOk(args.toArray(String[]::new)).lines())
              .allMatch(l -> l.endsWith(" healthy"));
        });
    return Duration.between(t0, Instant.now());
  }

  /**
   * XADD of n messages {@code PREFIX-1..n} to the pipeline, with redis-cli in the redis container.
   */
  void publish(String prefix, int n, String pipeline) {
    String payload =
        pipeline.equals("echo")
            ? "{\\\"text\\\":\\\"hello $i\\\"}"
            : "{\\\"text\\\":\\\"Acme Widgets Ltd. hired Jane Smith on day $i.\\\"}";
    String loop =
        "i=0; while [ $i -lt %d ]; do i=$((i+1)); redis-cli XADD conveyor:inbox '*' pipeline %s id %s-$i payload \"%s\" >/dev/null || exit 1; done"
            .formatted(n, pipeline, prefix, payload);
    Result r = compose.exec("redis", "sh", "-c", loop);
    assertThat(r.code()).as("publish %s: %s", prefix, r.out()).isZero();
  }

  long count(String from) {
    String sql = "select count(*) from " + (from.startsWith("(") ? from : "conveyor." + from);
    Result r = compose.exec("postgres", "psql", "-U", "conveyor", "-At", "-c", sql);
    assertThat(r.code()).as("%s: %s", sql, r.out()).isZero();
    return Long.parseLong(r.out().strip());
  }

  List<String> projectVolumes() {
    return ComposeProject.dockerOk(
            "volume", "ls", "-q", "--filter", "label=com.docker.compose.project=" + compose.name())
        .lines()
        .filter(l -> !l.isBlank())
        .toList();
  }

  /** The top-level state in a daemon's {@code /status}, asked inside its container. */
  String daemonState(String service) {
    String out = compose.exec(service, "conveyor-http", "/status").out();
    try {
      return JSON.readTree(out.substring(out.indexOf('{'))).path("state").asText();
    } catch (IOException | StringIndexOutOfBoundsException e) {
      throw new AssertionError("no /status document from " + service + ": " + out, e);
    }
  }
}
