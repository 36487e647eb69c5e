package dev.conveyor.e2e;

import static dev.conveyor.e2e.Containers.chainShares;
import static dev.conveyor.e2e.Containers.dockerSince;
import static dev.conveyor.e2e.Containers.imageSize;
import static dev.conveyor.e2e.Containers.itemsProcessed;
import static dev.conveyor.e2e.Containers.javaPid;
import static dev.conveyor.e2e.Containers.lastChainShare;
import static dev.conveyor.e2e.Containers.restartCount;
import static dev.conveyor.e2e.Containers.running;
import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.e2e.ComposeProject.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
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

  private final Map<String, String> figures = new LinkedHashMap<>();
  private final Instant classStarted = Instant.now();
  private Path root;
  private ComposeProject compose;
  private ConveyorStack stack;

  @BeforeAll
  void buildTheImages() throws IOException {
    ComposeProject.requireDocker();
    root = Repo.root();
    ComposeProject.removeStale(root, "conveyor-e2e-");

    Map<String, String> variables = new HashMap<>(BaseImages.forCompose(root, figures));
    variables.put("CONVEYOR_IMAGE_TAG", "e2e");
    String name =
        "conveyor-e2e-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    compose = new ComposeProject(root, name, variables);
    stack = new ConveyorStack(compose);
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
    List<String> lines = ConveyorStack.quickStart(Files.readString(root.resolve("README.md")));
    assertThat(lines).as("the quick start's commands").hasSizeGreaterThanOrEqualTo(6);

    Instant started = null;
    for (String line : lines) {
      if (line.contains(" up -d")) {
        started = Instant.now();
        assertThat(stack.runReadmeLine(line).code()).as(line).isZero();
        continue;
      }
      if (line.endsWith("compose ps")) {
        assertThat(stack.runReadmeLine(line).out())
            .contains("redis", "postgres", "dispatcher", "processor", "patrol");
        // what the comment says: wait until all five are healthy
        Duration healthy = stack.awaitHealthy(5, Duration.ofMinutes(3));
        figures.put("up_to_healthy_s", seconds(Duration.between(started, Instant.now())));
        figures.put("healthy_wait_s", seconds(healthy));
        continue;
      }
      if (line.contains("XADD")) {
        assertThat(stack.runReadmeLine(line).code()).as(line).isZero();
        started = Instant.now();
        continue;
      }
      if (line.contains("psql")) {
        Instant from = started;
        await(line)
            .atMost(60, SECONDS)
            .pollInterval(250, MILLISECONDS)
            .untilAsserted(() ->
                assertThat(stack.runReadmeLine(line).out())
                    .contains("company | Acme Widgets Ltd.")
                    .contains("person  | Jane Smith")
                    .contains("person  | Peter Miller"));
        figures.put("quick_start_delivery_s", seconds(Duration.between(from, Instant.now())));
        continue;
      }
      if (line.contains("conveyor task")) {
        await(line)
            .atMost(30, SECONDS)
            .untilAsserted(() -> assertThat(stack.runReadmeLine(line).out()).contains("delivered"));
        continue;
      }
      if (line.contains("conveyor status")) {
        Result status = stack.runReadmeLine(line);
        assertThat(status.code()).as(status.out()).isZero();
        for (String daemon : DAEMONS) {
          assertThat(status.out()).containsPattern("(?m)^\\s+" + daemon + "\\s+\\S+\\s+RUNNING");
        }
        continue;
      }
      if (line.contains(" logs")) {
        Result logs = stack.runReadmeLine(line);
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
    assertThat(stack.daemonState("processor")).isEqualTo("INTERMITTED");

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
    assertThat(stack.daemonState("processor"))
        .as("after the refused requests")
        .isEqualTo("RUNNING");
  }

  // --- 5. SIGKILL of a daemon's JVM
  // ---------------------------------------------------------------

  @Test
  @Order(5)
  void aDaemonJvmKilledWithSigkillIsBroughtBackAndNothingIsLost() {
    int n = 300;
    stack.publish("kill", n, "ner");
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
            () -> stack.count("task_audit where task_id like 'kill-%' and outcome = 'delivered'"),
            c -> c == n);
    assertThat(stack.count("task_audit where task_id like 'kill-%'")).as("audit rows").isEqualTo(n);
    assertThat(
            stack.count(
                "(select distinct task_id from conveyor.ner_entities where task_id like 'kill-%') t"))
        .as("tasks with rows")
        .isEqualTo(n);
    assertThat(stack.count("dead_items")).isZero();
    assertThat(stack.count("rejected_messages")).isZero();
  }

  // --- 6. scale ---------------------------------------------------------------------------------

  @Test
  @Order(6)
  void twoProcessorsShareTheWorkAndOneScaledAwayDropsOutOfTheCountAtOnce() {
    compose.ok("up", "-d", "--scale", "processor=2");
    stack.awaitHealthy(6, Duration.ofMinutes(3));
    List<String> processors = compose.containers("processor");
    assertThat(processors).hasSize(2);
    Map<String, Long> before = new HashMap<>();
    processors.forEach(p -> before.put(p, itemsProcessed(p)));
    await("both processors count two")
        .atMost(60, SECONDS)
        .until(() -> processors.stream().allMatch(p -> lastChainShare(p, null) == 2));
    // why: counting two is not yet holding chains: the first processor gives up those beyond its
    // share as its idle ticks end (up to a BLOCK later), and a backlog published before that was
    // all run by it (a flaky failure of this test)
    await("both processors run chains")
        .atMost(60, SECONDS)
        .pollInterval(500, MILLISECONDS)
        .until(
            () ->
                stack.count(
                    "(select distinct instance_name from conveyor.qrtz_fired_triggers"
                        + " where state = 'EXECUTING') t"),
            c -> c == 2);

    int n = 100;
    stack.publish("scale", n, "ner");
    stack.publish("scale-py", n, "ner-py");
    stack.publish("scale-echo", n, "echo");
    await("every message delivered")
        .atMost(3, java.util.concurrent.TimeUnit.MINUTES)
        .pollInterval(1, SECONDS)
        .until(
            () -> stack.count("task_audit where task_id like 'scale%' and outcome = 'delivered'"),
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
    long rows = stack.count("ner_entities");
    assertThat(password).matches("[0-9a-f]{48}");
    assertThat(token).matches("[0-9a-f]{48}");
    assertThat(rows).isPositive();

    compose.ok("down");
    Instant up = Instant.now();
    compose.ok("up", "-d");
    stack.awaitHealthy(5, Duration.ofMinutes(3));
    figures.put("restart_up_to_healthy_s", seconds(Duration.between(up, Instant.now())));

    assertThat(compose.exec("postgres", "cat", "/run/conveyor/pg_password").out())
        .isEqualTo(password);
    assertThat(compose.exec("postgres", "cat", "/run/conveyor/admin_token").out()).isEqualTo(token);
    assertThat(stack.count("ner_entities")).isEqualTo(rows);

    Instant sent = Instant.now();
    stack.publish("after-up", 1, "ner");
    await("delivered after down and up")
        .atMost(60, SECONDS)
        .pollInterval(250, MILLISECONDS)
        .until(() -> stack.count("task_audit where task_id = 'after-up-1'"), c -> c == 1);
    figures.put("first_delivery_after_up_s", seconds(Duration.between(sent, Instant.now())));
    // the processors of before `down` stopped cleanly: the new one never counted them
    String processor = compose.containers("processor").getFirst();
    assertThat(chainShares(processor, null)).isNotEmpty().allMatch(p -> p == 1);
  }

  // --- 8. down -v -------------------------------------------------------------------------------

  @Test
  @Order(8)
  void downWithVolumesRemovesTheData() {
    assertThat(stack.projectVolumes()).hasSize(3);
    compose.ok("down", "--volumes");
    assertThat(stack.projectVolumes()).isEmpty();
    assertThat(
            ComposeProject.dockerOk(
                "ps", "-aq", "--filter", "label=com.docker.compose.project=" + compose.name()))
        .isEmpty();
  }

  // --- the stack ------------------------------------------------------------------------------

  private static String image(String daemon) {
    return "conveyor-" + daemon + ":e2e";
  }

  private static String seconds(Duration d) {
    return String.format(java.util.Locale.ROOT, "%.1f", d.toMillis() / 1000.0);
  }
}
