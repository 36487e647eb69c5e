package dev.conveyor.processor;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.config.Env;
import dev.conveyor.common.lifecycle.LifecycleSnapshot;
import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.pipeline.Pipeline;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Suspend and resume from the operator surface, and chains reconciled with the pipeline files. */
@WithServices
class ProcessorControlIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String ECHO =
      """
      pipeline: echo
      version: 1
      steps:
        - {name: deliver, kind: sink, offset: 50ms, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
      """;

  private Processor processor;
  private int port;

  @AfterEach
  void stop() {
    if (processor != null) {
      processor.shutdown();
    }
  }

  @Test
  void aSuspendedStepTakesNoWorkUntilResumed(TestServices services, @TempDir Path dir)
      throws Exception {
    start(services, dir, Map.of("echo.yaml", ECHO), Map.of("CONVEYOR_ADMIN_TOKEN", "s3cret"));

    assertThat(post("/steps/echo.deliver/suspend", null).statusCode()).isEqualTo(401);
    HttpResponse<String> suspended = post("/steps/echo.deliver/suspend", "s3cret");
    assertThat(suspended.statusCode()).isEqualTo(200);
    assertThat(step("step echo.deliver").state()).isEqualTo(State.INTERMITTED);

    publish(services, "held-1");
    await()
        .during(Duration.ofMillis(1500))
        .atMost(3, SECONDS)
        .until(() -> rows(services, "held-1") == 0);

    assertThat(post("/steps/echo.deliver/resume", "s3cret").statusCode()).isEqualTo(200);
    await().atMost(10, SECONDS).until(() -> rows(services, "held-1") == 1);
    assertThat(step("step echo.deliver").state()).isEqualTo(State.RUNNING);
    assertThat(post("/steps/echo.nope/suspend", "s3cret").statusCode()).isEqualTo(404);
  }

  @Test
  void aSuspendedProcessorStaysHealthyAndTakesNoWorkUntilResumed(
      TestServices services, @TempDir Path dir) throws Exception {
    start(services, dir, Map.of("echo.yaml", ECHO), Map.of());

    assertThat(post("/suspend", null).statusCode()).isEqualTo(200);
    assertThat(processor.state()).isEqualTo(State.INTERMITTED);
    assertThat(get("/health").statusCode()).isEqualTo(200);
    publish(services, "held-2");
    await()
        .during(Duration.ofMillis(1500))
        .atMost(3, SECONDS)
        .until(() -> rows(services, "held-2") == 0);

    assertThat(post("/resume", null).statusCode()).isEqualTo(200);
    await().atMost(10, SECONDS).until(() -> rows(services, "held-2") == 1);
    assertThat(post("/resume", null).statusCode())
        .as("resume when running is refused")
        .isEqualTo(409);
  }

  @Test
  void chainsOfRemovedStepsAreDeletedOnceDrainedAndKeptOtherwise(
      TestServices services, @TempDir Path dir) throws Exception {
    String twoSteps =
        """
        pipeline: echo
        version: 1
        steps:
          - {name: deliver, kind: sink, offset: 50ms, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
          - {name: old, kind: sink, offset: 50ms, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
          - {name: busy, kind: sink, offset: 50ms, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
        """;
    start(services, dir, Map.of("echo.yaml", twoSteps), Map.of());
    assertThat(jobs(services)).containsExactlyInAnyOrder("deliver.0", "old.0", "busy.0");
    processor.shutdown();
    // a left-over item in the queue of step busy, which the next version drops
    services
        .jedis()
        .xadd(
            services.keys().stepQueue("echo", "busy", 0),
            redis.clients.jedis.StreamEntryID.NEW_ENTRY,
            Map.of("t", "x", "p", "0"));

    start(services, dir, Map.of("echo.yaml", ECHO.replace("version: 1", "version: 2")), Map.of());

    assertThat(jobs(services)).containsExactlyInAnyOrder("deliver.0", "busy.0");
  }

  @Test
  void loweringTheShardCountDrainsTheOldShardsThenRemovesTheirChains(
      TestServices services, @TempDir Path dir) throws Exception {
    String threeShards = ECHO.replace("offset: 50ms,", "offset: 50ms, shards: 3,");
    start(services, dir, Map.of("echo.yaml", threeShards), Map.of());
    assertThat(jobs(services)).contains("deliver.0", "deliver.1", "deliver.2");
    processor.shutdown();
    // tasks routed by the old count while no processor runs: most land on shards 1 and 2
    Pipeline old = dev.conveyor.runtime.pipeline.PipelineLoader.parse(threeShards, "echo.yaml");
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    List<Registration> tasks = new java.util.ArrayList<>();
    for (int i = 0; i < 60; i++) {
      tasks.add(
          new Registration(
              "shard-" + i, old, i + "-1", Instant.now(), List.of("{\"text\":\"x\"}")));
    }
    intake.registerAll(tasks);
    intake.dispatchAll(tasks);
    assertThat(services.jedis().xlen(services.keys().stepQueue("echo", "deliver", 2))).isPositive();

    start(services, dir, Map.of("echo.yaml", ECHO.replace("version: 1", "version: 2")), Map.of());

    await()
        .atMost(20, SECONDS)
        .until(() ->
            services.queryLong(
                    "SELECT count(*) FROM conveyor.echo_rows WHERE task_id LIKE 'shard-%'")
                == 60);
    await()
        .atMost(10, SECONDS)
        .until(
            () -> jobs(services).stream().filter(j -> j.startsWith("deliver.")).toList(),
            j -> j.equals(List.of("deliver.0")));
  }

  private void start(
      TestServices services, Path dir, Map<String, String> files, Map<String, String> extra)
      throws Exception {
    for (Map.Entry<String, String> f : files.entrySet()) {
      Files.writeString(dir.resolve(f.getKey()), f.getValue());
    }
    port = freePort();
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    env.put("CONVEYOR_REDIS_BLOCK", "200ms");
    env.put("CONVEYOR_HTTP_PORT", Integer.toString(port));
    env.putAll(extra);
    processor = new Processor(ProcessorConfig.from(Env.of(env)));
    processor.activate();
    processor.start();
  }

  private void publish(TestServices services, String id) {
    Pipeline echo = dev.conveyor.runtime.pipeline.PipelineLoader.parse(ECHO, "echo.yaml");
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    Registration r = new Registration(id, echo, "1-0", Instant.now(), List.of("{\"text\":\"x\"}"));
    intake.registerAll(List.of(r));
    intake.dispatchAll(List.of(r));
  }

  private static long rows(TestServices services, String id) {
    return services.queryLong(
        "SELECT count(*) FROM conveyor.echo_rows WHERE task_id = '" + id + "'");
  }

  private static List<String> jobs(TestServices services) {
    List<String> jobs = new java.util.ArrayList<>();
    try (var c = services.dataSource().getConnection();
        var rs =
            c.createStatement()
                .executeQuery(
                    "SELECT job_name FROM conveyor.qrtz_job_details WHERE job_group = 'echo'")) {
      while (rs.next()) {
        jobs.add(rs.getString(1));
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    return jobs;
  }

  private LifecycleSnapshot step(String name) {
    return StepSnapshots.step(processor, name);
  }

  private HttpResponse<String> post(String path, String token) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .POST(HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
