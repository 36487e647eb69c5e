package dev.conveyor.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.config.Env;
import dev.conveyor.common.outage.Service;
import dev.conveyor.common.outage.ServiceWatch;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.test.CapturedLog;
import dev.conveyor.common.test.TcpRelay;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.pipeline.Pipeline;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XReadGroupParams;

/**
 * Outages are not the items' fault: a processor whose PostgreSQL (Quartz's store included) or Redis
 * goes away while it holds items counts no attempt for them — with {@code retry.attempts: 1} a
 * single counted redelivery would make them dead —, keeps every chain, logs one WARN and one INFO
 * and resumes at once when the service is back; while a processor that died on an item (a crash)
 * still counts it.
 */
@WithServices
class ProcessorOutageIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String ECHO =
      """
      pipeline: echo
      version: 1
      steps:
        - name: deliver
          kind: sink
          offset: 50ms
          retry: {attempts: 1}
          sink: {table: conveyor.echo_rows, key: [task_id, part]}
      """;

  private TcpRelay pg;
  private TcpRelay redis;
  private Processor processor;
  private Pipeline echo;
  private TestServices services;
  private int port;

  @BeforeEach
  void start(TestServices services, @TempDir Path dir) throws Exception {
    this.services = services;
    pg = TcpRelay.to(services.pgUrl());
    redis = TcpRelay.to(services.redisUrl());
    Files.writeString(dir.resolve("echo.yaml"), ECHO);
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    env.put("CONVEYOR_PG_URL", pg.url(services.pgUrl()));
    env.put("CONVEYOR_REDIS_URL", redis.url(services.redisUrl()));
    env.put("CONVEYOR_REDIS_BLOCK", "200ms");
    env.put("CONVEYOR_CLUSTER_CHECKIN", "1s");
    env.put("CONVEYOR_HTTP_PORT", Integer.toString(port));
    env.put("CONVEYOR_NODE_ID", "outage-processor");
    ProcessorConfig config = ProcessorConfig.from(Env.of(env));
    echo = config.pipelines().get("echo").orElseThrow();
    processor = new Processor(config);
    processor.activate();
    processor.start();
    publish("warm-", 1);
    awaitAudited("warm-", 1, Duration.ofSeconds(20));
  }

  @AfterEach
  void stop() {
    if (processor != null) {
      processor.shutdown();
    }
    pg.close();
    redis.close();
  }

  @Test
  void itemsHeldWhenPostgresWentAwayAreDeliveredWithNoAttemptCountedAndTheChainKept()
      throws Exception {
    try (CapturedLog watch = new CapturedLog(ServiceWatch.class);
        CapturedLog chains = new CapturedLog(StepChains.class)) {
      pg.cut();
      // why: the tick waiting on the queue reads these at once, then meets PostgreSQL gone
      publish("pg-", 20);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> processor.serviceWatch().isDown(Service.POSTGRES));
      assertThat(health()).contains("\"DEGRADED\"").contains("\"postgres\"");
      await("the outage goes on")
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(5))
          .until(() -> processor.serviceWatch().isDown(Service.POSTGRES));

      Instant back = Instant.now();
      pg.restore();
      awaitAudited("pg-", 20, Duration.ofSeconds(15));

      assertThat(Duration.between(back, Instant.now())).isLessThan(Duration.ofSeconds(15));
      assertThat(
              services.queryLong(
                  "SELECT count(*) FROM conveyor.dead_items WHERE task_id LIKE 'pg-%'"))
          .isZero();
      assertThat(
              services.queryLong(
                  "SELECT count(*) FROM conveyor.echo_rows WHERE task_id LIKE 'pg-%'"))
          .isEqualTo(20);
      assertThat(
              services.queryLong(
                  "SELECT count(*) FROM conveyor.qrtz_triggers WHERE trigger_group = 'echo.deliver'"))
          .as("the chain kept its link")
          .isEqualTo(1);
      assertThat(watch.events("service_down"))
          .singleElement()
          .satisfies(e -> assertThat(e).containsEntry("service", "postgres"));
      assertThat(watch.events("service_up")).hasSize(1);
      assertThat(chains.events()).as("no line of the chains' own").isEmpty();
      assertThat(health()).contains("\"UP\"");

      publish("after-", 5);
      awaitAudited("after-", 5, Duration.ofSeconds(10));
    }
  }

  @Test
  void itemsHeldWhenRedisWentAwayAreDeliveredWithNoAttemptCounted() {
    try (CapturedLog watch = new CapturedLog(ServiceWatch.class)) {
      redis.cut();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> processor.serviceWatch().isDown(Service.REDIS));
      publish("redis-", 20);
      await("the outage goes on")
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(5))
          .until(() -> processor.serviceWatch().isDown(Service.REDIS));

      redis.restore();
      awaitAudited("redis-", 20, Duration.ofSeconds(10));
      assertThat(
              services.queryLong(
                  "SELECT count(*) FROM conveyor.dead_items WHERE task_id LIKE 'redis-%'"))
          .isZero();
      assertThat(watch.events("service_down"))
          .singleElement()
          .satisfies(e -> assertThat(e).containsEntry("service", "redis"));
      assertThat(watch.events("service_up")).hasSize(1);
    }
  }

  @Test
  void anItemAProcessorDiedOnStillCountsItsDelivery() throws Exception {
    assertThat(post("/steps/echo.deliver/suspend").statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> health().contains("RUNNING"));
    List<String> ids = publish("crash-", 1);
    String queue = services.keys().stepQueue("echo", "deliver", 0);
    // why: a processor read it and died before handling it
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() ->
            services
                    .jedis()
                    .xreadGroup(
                        Keys.PROCESSOR_GROUP,
                        StepRunner.CONSUMER,
                        XReadGroupParams.xReadGroupParams().count(10),
                        Map.of(queue, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY))
                != null);
    assertThat(post("/steps/echo.deliver/resume").statusCode()).isEqualTo(200);

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(() ->
            assertThat(
                    services.queryLong(
                        "SELECT count(*) FROM conveyor.dead_items WHERE task_id = '"
                            + ids.getFirst()
                            + "' AND error LIKE 'the processor stopped while working on it%'"))
                .isEqualTo(1));
  }

  private List<String> publish(String prefix, int n) {
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    List<Registration> tasks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      tasks.add(
          new Registration(
              prefix + i, echo, "1-" + i, Instant.now(), List.of("{\"text\":\"t " + i + "\"}")));
    }
    intake.registerAll(tasks);
    intake.dispatchAll(tasks);
    return tasks.stream().map(Registration::taskId).toList();
  }

  private void awaitAudited(String prefix, int n, Duration atMost) {
    await()
        .atMost(atMost)
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(() ->
            assertThat(
                    services.queryLong(
                        "SELECT count(*) FROM conveyor.task_audit WHERE outcome = 'delivered' AND task_id LIKE '"
                            + prefix
                            + "%'"))
                .isEqualTo(n));
  }

  private String health() throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private HttpResponse<String> post(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
