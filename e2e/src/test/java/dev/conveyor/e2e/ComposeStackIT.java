package dev.conveyor.e2e;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.e2e.ComposeProject.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code docker compose up}, as an operator runs it, on a real Docker engine: the three images
 * built from this checkout ({@code deploy/Dockerfile}, on the stand-in base images of {@code
 * deploy/bin/build-base-images}, or on the official ones with {@code
 * CONVEYOR_TEST_BASE_IMAGES=official}), the README's quick start run line by line as written, then
 * what operators rely on: images small and without root, secrets readable by their users only,
 * suspend and resume from inside a container with the generated admin token (and refused without
 * it), a daemon's JVM killed with SIGKILL brought back by {@code restart: always} with nothing
 * lost, {@code --scale processor=2} sharing the work and a scaled-down one dropping out of the
 * count at once, {@code down}/{@code up} keeping the data and the password, {@code down -v}
 * removing them.
 *
 * <p>One compose project of its own ({@code conveyor-e2e-<random>}), nothing published on the host,
 * always taken down with its volumes at the end (its logs are kept in {@code
 * e2e/target/compose-<project>.log}). The tests run in order on the one stack. Figures (build, up
 * to healthy, restart, delivery, sizes) are printed and written to {@code
 * e2e/target/compose-figures.txt}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeStackIT {
  private static final List<String> DAEMONS = List.of("dispatcher", "processor", "patrol");
  private static final long MAX_RUNTIME_IMAGE_BYTES = 250_000_000L;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern CHAIN_SHARE =
      Pattern.compile("event=chain_share chains=(\\d+) processors=(\\d+) share=(\\d+)");

  private final Map<String, String> figures = new LinkedHashMap<>();
  private final Instant classStarted = Instant.now();
  private Path root;
  private ComposeProject compose;

  @BeforeAll
  void buildTheImages() throws IOException {
    ComposeProject.requireDocker();
    root = Repo.root();
    removeStaleProjects();

    Map<String, String> variables = new HashMap<>(baseImages());
    variables.put("CONVEYOR_IMAGE_TAG", "e2e");
    String name =
        "conveyor-e2e-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    compose = new ComposeProject(root, name, variables);
    figures.put("compose", compose.version());
    figures.put("project", name);

    Instant t0 = Instant.now();
    compose.ok("build");
    figures.put("build_s", seconds(Duration.between(t0, Instant.now())));
  }

  @AfterAll
  void takeItDown() throws IOException {
    if (compose == null) {
      return;
    }
    try {
      Result logs = compose.run("logs", "--no-color", "--timestamps");
      Files.writeString(root.resolve("e2e/target/compose-" + compose.name() + ".log"), logs.out());
    } finally {
      Result down = compose.run("down", "--volumes", "--remove-orphans", "--timeout", "30");
      figures.put("class_s", seconds(Duration.between(classStarted, Instant.now())));
      StringBuilder report = new StringBuilder();
      figures.forEach((k, v) -> report.append(k).append('=').append(v).append('\n'));
      System.out.print("compose figures:\n" + report);
      Files.createDirectories(root.resolve("e2e/target"));
      Files.writeString(root.resolve("e2e/target/compose-figures.txt"), report);
      assertThat(down.code()).as("compose down -v:%n%s", down.out()).isZero();
    }
  }

  // --- 1. the README's quick start, as written
  // ----------------------------------------------------

  @Test
  @Order(1)
  void theQuickStartOfTheReadmeWorksAsWritten() throws IOException {
    List<String> lines = quickStart(Files.readString(root.resolve("README.md")));
    assertThat(lines).as("the quick start's commands").hasSizeGreaterThanOrEqualTo(6);

    Instant started = null;
    for (String line : lines) {
      if (line.contains(" up -d")) {
        started = Instant.now();
        assertThat(readme(line).code()).as(line).isZero();
        continue;
      }
      if (line.endsWith("compose ps")) {
        assertThat(readme(line).out())
            .contains("redis", "postgres", "dispatcher", "processor", "patrol");
        // what the comment says: wait until all five are healthy
        Duration healthy = awaitHealthy(5, Duration.ofMinutes(3));
        figures.put("up_to_healthy_s", seconds(Duration.between(started, Instant.now())));
        figures.put("healthy_wait_s", seconds(healthy));
        continue;
      }
      if (line.contains("XADD")) {
        assertThat(readme(line).code()).as(line).isZero();
        started = Instant.now();
        continue;
      }
      if (line.contains("psql")) {
        Instant from = started;
        await(line)
            .atMost(60, SECONDS)
            .pollInterval(250, MILLISECONDS)
            .untilAsserted(() ->
                assertThat(readme(line).out())
                    .contains("company | Acme Widgets Ltd.")
                    .contains("person  | Jane Smith")
                    .contains("person  | Peter Miller"));
        figures.put("quick_start_delivery_s", seconds(Duration.between(from, Instant.now())));
        continue;
      }
      if (line.contains("conveyor task")) {
        await(line)
            .atMost(30, SECONDS)
            .untilAsserted(() -> assertThat(readme(line).out()).contains("delivered"));
        continue;
      }
      if (line.contains("conveyor status")) {
        Result status = readme(line);
        assertThat(status.code()).as(status.out()).isZero();
        for (String daemon : DAEMONS) {
          assertThat(status.out()).containsPattern("(?m)^\\s+" + daemon + "\\s+\\S+\\s+RUNNING");
        }
        continue;
      }
      if (line.contains(" logs")) {
        Result logs = readme(line);
        assertThat(logs.code()).isZero();
        assertThat(logs.out())
            .contains("event=state system=processor")
            .contains("state=RUNNING")
            .doesNotContain(" ERROR ");
        continue;
      }
      throw new AssertionError("a quick start line this test does not know: " + line);
    }
  }

  // --- 2. image hygiene ------------------------------------------------------------------------

  @Test
  @Order(2)
  void theImagesAreSmallRunAsNobodyAndWriteNowhereButTheirOwnPlaces() {
    for (String daemon : DAEMONS) {
      long size =
          Long.parseLong(
              ComposeProject.dockerOk("image", "inspect", "--format", "{{.Size}}", image(daemon)));
      figures.put("image_mb_" + daemon, Long.toString(size / 1_000_000));
      assertThat(size).as("size of %s", image(daemon)).isLessThanOrEqualTo(MAX_RUNTIME_IMAGE_BYTES);
    }
    figures.put(
        "image_mb_redis",
        Long.toString(imageSize(compose.containers("redis").getFirst()) / 1_000_000));
    figures.put(
        "image_mb_postgres",
        Long.toString(imageSize(compose.containers("postgres").getFirst()) / 1_000_000));

    // no process of any service runs as root (the healthchecks of redis and postgres run as root
    // for a moment: only the servers themselves are looked at there)
    Map<String, String> servers = Map.of("redis", "redis-server", "postgres", "postgres");
    for (String service : List.of("dispatcher", "processor", "patrol", "redis", "postgres")) {
      String container = compose.containers(service).getFirst();
      List<String[]> processes =
          // (docker top needs the pid among the fields)
          ComposeProject.dockerOk("top", container, "-eo", "pid,uid,comm")
              .lines()
              .skip(1)
              .map(l -> l.strip().split("\\s+", 3))
              .map(p -> new String[] {p[1], p[2]})
              .toList();
      assertThat(processes).as("processes of %s", service).isNotEmpty();
      processes.stream()
          .filter(p -> DAEMONS.contains(service) || p[1].equals(servers.get(service)))
          .forEach(p -> assertThat(p[0]).as("uid of %s in %s", p[1], service).isNotEqualTo("0"));
    }

    // writable for the daemons' user: /app, the pipelines, the secrets, and temporary directories
    List<String> allowed =
        List.of(
            "/app",
            "/etc/conveyor/pipelines",
            "/run/conveyor",
            "/tmp",
            "/var/tmp",
            "/run/lock",
            "/var/lock");
    for (String daemon : DAEMONS) {
      Result writable =
          compose.exec(
              daemon,
              "sh",
              "-c",
              "find / \\( -path /proc -o -path /sys -o -path /dev \\) -prune -o -writable -print 2>/dev/null; true");
      assertThat(writable.code()).isZero();
      List<String> paths = writable.out().lines().filter(l -> l.startsWith("/")).toList();
      assertThat(paths)
          .as("what uid 10001 may write in %s", daemon)
          .allSatisfy(p ->
              assertThat(allowed)
                  .anySatisfy(a -> assertThat(p.equals(a) || p.startsWith(a + "/")).isTrue()))
          .doesNotContain(
              "/app/conveyor.jar",
              "/app/conveyor-cli.jar",
              "/app/bin/conveyor",
              "/etc/conveyor/pipelines/ner.yaml");
    }
  }

  // --- 3. the secrets --------------------------------------------------------------------------

  @Test
  @Order(3)
  void theSecretsAreReadableByTheirUsersOnly() {
    Result modes =
        compose.exec(
            "postgres",
            "stat",
            "-c",
            "%n %a %u %g",
            "/run/conveyor/pg_password",
            "/run/conveyor/admin_token");
    String postgresGid = compose.exec("postgres", "id", "-g", "postgres").out().strip();
    assertThat(modes.out().lines().toList())
        .containsExactly(
            "/run/conveyor/pg_password 440 10001 " + postgresGid,
            "/run/conveyor/admin_token 400 10001 10001");
    for (String secret : List.of("pg_password", "admin_token")) {
      String file = "/run/conveyor/" + secret;
      assertThat(compose.exec("processor", "test", "-s", file).code())
          .as("the daemons' user reads %s", file)
          .isZero();
      Result stranger = compose.run("exec", "-T", "-u", "12345", "processor", "cat", file);
      assertThat(stranger.code()).as("another user reads %s", file).isNotZero();
      assertThat(stranger.out()).contains("Permission denied");
    }
  }

  // --- 4. control actions: the admin token
  // --------------------------------------------------------

  @Test
  @Order(4)
  void suspendAndResumeWorkFromAContainerWithTheTokenAndAreRefusedWithoutIt() {
    Result suspended = compose.exec("patrol", "conveyor", "suspend", "processor");
    assertThat(suspended.code()).as(suspended.out()).isZero();
    assertThat(suspended.out()).contains(": INTERMITTED");
    assertThat(daemonState("processor")).isEqualTo("INTERMITTED");

    Result resumed = compose.exec("patrol", "conveyor", "resume", "processor");
    assertThat(resumed.code()).as(resumed.out()).isZero();
    assertThat(resumed.out()).contains(": RUNNING");

    // the CLI without the token, and a bare request over the compose network: refused
    Result noToken =
        compose.run(
            "exec",
            "-T",
            "-e",
            "CONVEYOR_ADMIN_TOKEN_FILE=",
            "patrol",
            "conveyor",
            "suspend",
            "processor");
    assertThat(noToken.code()).as(noToken.out()).isNotZero();
    assertThat(noToken.out()).containsPattern("refused /?suspend \\(40[13]\\)");
    Result bare =
        compose.exec(
            "patrol",
            "bash",
            "-c",
            "exec 3<>/dev/tcp/processor/8080 && printf 'POST /suspend HTTP/1.0\\r\\nHost: processor\\r\\n\\r\\n' >&3 && head -n 1 <&3");
    assertThat(bare.out()).startsWith("HTTP/1.1 401");
    assertThat(daemonState("processor")).as("after the refused requests").isEqualTo("RUNNING");
  }

  // --- 5. SIGKILL of a daemon's JVM
  // ---------------------------------------------------------------

  @Test
  @Order(5)
  void aDaemonJvmKilledWithSigkillIsBroughtBackAndNothingIsLost() {
    int n = 300;
    publish("kill", n, "ner");
    for (String daemon : List.of("processor", "dispatcher")) {
      String container = compose.containers(daemon).getFirst();
      int restarts = restartCount(container);
      String jvm = javaPid(container);
      Instant killed = Instant.now();
      Result kill = Result.of(List.of("kill", "-KILL", jvm), Map.of());
      assertThat(kill.code()).as("kill -KILL %s: %s", jvm, kill.out()).isZero();
      await(daemon + " running again")
          .atMost(60, SECONDS)
          .pollInterval(100, MILLISECONDS)
          .until(() -> restartCount(container) > restarts && running(container));
      figures.put(
          "sigkill_to_running_s_" + daemon, seconds(Duration.between(killed, Instant.now())));
      await(daemon + " answers /health")
          .atMost(90, SECONDS)
          .pollInterval(250, MILLISECONDS)
          .until(() -> compose.exec(daemon, "conveyor-http", "/health").code() == 0);
      figures.put(
          "sigkill_to_health_s_" + daemon, seconds(Duration.between(killed, Instant.now())));
    }

    await("every message delivered")
        .atMost(3, java.util.concurrent.TimeUnit.MINUTES)
        .pollInterval(1, SECONDS)
        .until(
            () -> count("task_audit where task_id like 'kill-%' and outcome = 'delivered'"),
            c -> c == n);
    assertThat(count("task_audit where task_id like 'kill-%'")).as("audit rows").isEqualTo(n);
    assertThat(
            count(
                "(select distinct task_id from conveyor.ner_entities where task_id like 'kill-%') t"))
        .as("tasks with rows")
        .isEqualTo(n);
    assertThat(count("dead_items")).isZero();
    assertThat(count("rejected_messages")).isZero();
  }

  // --- 6. scale ---------------------------------------------------------------------------------

  @Test
  @Order(6)
  void twoProcessorsShareTheWorkAndOneScaledAwayDropsOutOfTheCountAtOnce() {
    compose.ok("up", "-d", "--scale", "processor=2");
    awaitHealthy(6, Duration.ofMinutes(3));
    List<String> processors = compose.containers("processor");
    assertThat(processors).hasSize(2);
    Map<String, Long> before = new HashMap<>();
    processors.forEach(p -> before.put(p, itemsProcessed(p)));
    await("both processors count two")
        .atMost(60, SECONDS)
        .until(() -> processors.stream().allMatch(p -> lastChainShare(p, null) == 2));

    int n = 100;
    publish("scale", n, "ner");
    publish("scale-py", n, "ner-py");
    publish("scale-echo", n, "echo");
    await("every message delivered")
        .atMost(3, java.util.concurrent.TimeUnit.MINUTES)
        .pollInterval(1, SECONDS)
        .until(
            () -> count("task_audit where task_id like 'scale%' and outcome = 'delivered'"),
            c -> c == 3 * n);
    for (String p : processors) {
      assertThat(itemsProcessed(p) - before.get(p)).as("items processor %s ran", p).isPositive();
    }

    String since = dockerSince();
    compose.ok("up", "-d", "--scale", "processor=1");
    List<String> left = compose.containers("processor");
    assertThat(left).hasSize(1);
    Instant scaledDown = Instant.now();
    await("the remaining processor counts itself alone, well before the other's last beat expires")
        .atMost(20, SECONDS)
        .pollInterval(250, MILLISECONDS)
        .until(() -> lastChainShare(left.getFirst(), since) == 1);
    figures.put("scale_down_to_share_s", seconds(Duration.between(scaledDown, Instant.now())));
  }

  // --- 7. down and up
  // -----------------------------------------------------------------------------

  @Test
  @Order(7)
  void downThenUpKeepsTheDataAndTheSecretsAndCountsNoDeadNode() {
    String password = compose.exec("postgres", "cat", "/run/conveyor/pg_password").out();
    String token = compose.exec("postgres", "cat", "/run/conveyor/admin_token").out();
    long rows = count("ner_entities");
    assertThat(password).matches("[0-9a-f]{48}");
    assertThat(token).matches("[0-9a-f]{48}");
    assertThat(rows).isPositive();

    compose.ok("down");
    Instant up = Instant.now();
    compose.ok("up", "-d");
    awaitHealthy(5, Duration.ofMinutes(3));
    figures.put("restart_up_to_healthy_s", seconds(Duration.between(up, Instant.now())));

    assertThat(compose.exec("postgres", "cat", "/run/conveyor/pg_password").out())
        .isEqualTo(password);
    assertThat(compose.exec("postgres", "cat", "/run/conveyor/admin_token").out()).isEqualTo(token);
    assertThat(count("ner_entities")).isEqualTo(rows);

    Instant sent = Instant.now();
    publish("after-up", 1, "ner");
    await("delivered after down and up")
        .atMost(60, SECONDS)
        .pollInterval(250, MILLISECONDS)
        .until(() -> count("task_audit where task_id = 'after-up-1'"), c -> c == 1);
    figures.put("first_delivery_after_up_s", seconds(Duration.between(sent, Instant.now())));
    // the processors of before `down` stopped cleanly: the new one never counted them
    String processor = compose.containers("processor").getFirst();
    assertThat(chainShares(processor, null)).isNotEmpty().allMatch(p -> p == 1);
  }

  // --- 8. down -v -------------------------------------------------------------------------------

  @Test
  @Order(8)
  void downWithVolumesRemovesTheData() {
    assertThat(projectVolumes()).hasSize(3);
    compose.ok("down", "--volumes");
    assertThat(projectVolumes()).isEmpty();
    assertThat(
            ComposeProject.dockerOk(
                "ps", "-aq", "--filter", "label=com.docker.compose.project=" + compose.name()))
        .isEmpty();
  }

  // --- helpers --------------------------------------------------------------------------------

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
  private Result readme(String line) {
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
  private Duration awaitHealthy(int containers, Duration max) {
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
  private void publish(String prefix, int n, String pipeline) {
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

  private long count(String from) {
    String sql = "select count(*) from " + (from.startsWith("(") ? from : "conveyor." + from);
    Result r = compose.exec("postgres", "psql", "-U", "conveyor", "-At", "-c", sql);
    assertThat(r.code()).as("%s: %s", sql, r.out()).isZero();
    return Long.parseLong(r.out().strip());
  }

  /** Items this processor container ran (conveyor_processor_items_total, all steps). */
  private static long itemsProcessed(String container) {
    String metrics = ComposeProject.dockerOk("exec", container, "conveyor-http", "/metrics");
    return metrics
        .lines()
        .filter(l -> l.startsWith("conveyor_processor_items_total"))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  /** The processors= of every chain_share line this container logged (since, if given). */
  private static List<Integer> chainShares(String container, String since) {
    List<String> args = new ArrayList<>(List.of("logs"));
    if (since != null) {
      args.addAll(List.of("--since", since));
    }
    args.add(container);
    Matcher m = CHAIN_SHARE.matcher(ComposeProject.dockerOk(args.toArray(String[]::new)));
    List<Integer> processors = new ArrayList<>();
    while (m.find()) {
      processors.add(Integer.parseInt(m.group(2)));
    }
    return processors;
  }

  private static int lastChainShare(String container, String since) {
    List<Integer> all = chainShares(container, since);
    return all.isEmpty() ? -1 : all.getLast();
  }

  /** Now, as {@code docker logs --since} takes it. */
  private static String dockerSince() {
    return LocalDateTime.now(ZoneOffset.UTC)
        .format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"));
  }

  private static int restartCount(String container) {
    return Integer.parseInt(
        ComposeProject.dockerOk("inspect", "--format", "{{.RestartCount}}", container));
  }

  private static boolean running(String container) {
    return ComposeProject.dockerOk("inspect", "--format", "{{.State.Running}}", container)
        .equals("true");
  }

  /** The host pid of the container's JVM (its PID 1 is the init that compose's init: true adds). */
  private static String javaPid(String container) {
    return ComposeProject.dockerOk("top", container, "-eo", "pid,comm")
        .lines()
        .map(l -> l.strip().split("\\s+"))
        .filter(p -> p.length == 2 && p[1].equals("java"))
        .map(p -> p[0])
        .findFirst()
        .orElseThrow(() -> new AssertionError("no java process in " + container));
  }

  private static long imageSize(String container) {
    String image = ComposeProject.dockerOk("inspect", "--format", "{{.Image}}", container);
    return Long.parseLong(
        ComposeProject.dockerOk("image", "inspect", "--format", "{{.Size}}", image));
  }

  private List<String> projectVolumes() {
    return ComposeProject.dockerOk(
            "volume", "ls", "-q", "--filter", "label=com.docker.compose.project=" + compose.name())
        .lines()
        .filter(l -> !l.isBlank())
        .toList();
  }

  private static String image(String daemon) {
    return "conveyor-" + daemon + ":e2e";
  }

  /**
   * The stand-in base images (built once, then cached by the script), unless {@code
   * CONVEYOR_TEST_BASE_IMAGES=official}: then compose's defaults, pulled from the registry.
   */
  private Map<String, String> baseImages() {
    if ("official".equals(System.getenv("CONVEYOR_TEST_BASE_IMAGES"))) {
      figures.put("base_images", "official");
      return Map.of();
    }
    Instant t0 = Instant.now();
    List<String> command = List.of(root.resolve("deploy/bin/build-base-images").toString());
    Result r = Result.of(command, Map.of());
    assertThat(r.code()).as("deploy/bin/build-base-images:%n%s", r.out()).isZero();
    Map<String, String> images = new LinkedHashMap<>();
    r.out()
        .lines()
        .filter(l -> l.matches("[A-Z_]+_IMAGE=\\S+"))
        .forEach(l -> images.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));
    assertThat(images).containsOnlyKeys("JDK_IMAGE", "JRE_IMAGE", "REDIS_IMAGE", "POSTGRES_IMAGE");
    figures.put("base_images", String.join(",", images.values()));
    figures.put("base_images_s", seconds(Duration.between(t0, Instant.now())));
    return images;
  }

  /** Takes down the projects of earlier runs that were killed before their own cleanup. */
  private void removeStaleProjects() throws IOException {
    String listed =
        ComposeProject.dockerOk(
            "ps",
            "-a",
            "--filter",
            "label=com.docker.compose.project",
            "--format",
            "{{.Label \"com.docker.compose.project\"}} {{.CreatedAt}}");
    Instant hourAgo = Instant.now().minus(Duration.ofHours(1));
    for (String line : listed.lines().distinct().toList()) {
      String[] parts = line.split(" ");
      if (parts.length < 3 || !parts[0].startsWith("conveyor-e2e-")) {
        continue;
      }
      Instant created = LocalDateTime.parse(parts[1] + "T" + parts[2]).toInstant(ZoneOffset.UTC);
      if (created.isBefore(hourAgo)) {
        new ComposeProject(root, parts[0], Map.of()).run("down", "--volumes", "--remove-orphans");
      }
    }
  }

  private static String seconds(Duration d) {
    return String.format(java.util.Locale.ROOT, "%.1f", d.toMillis() / 1000.0);
  }

  /** The top-level state in a daemon's {@code /status}, asked inside its container. */
  private String daemonState(String service) {
    String out = compose.exec(service, "conveyor-http", "/status").out();
    try {
      return JSON.readTree(out.substring(out.indexOf('{'))).path("state").asText();
    } catch (IOException | StringIndexOutOfBoundsException e) {
      throw new AssertionError("no /status document from " + service + ": " + out, e);
    }
  }
}
