package dev.conveyor.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The spine of the system, end to end: the three jars as separate processes with the environment
 * from docs/design.md; a plain Redis client publishes to the inbox; rows and audit rows arrive in
 * PostgreSQL. Then a producer without a Redis client: the Python example publishes through the
 * dispatcher's {@code POST /messages} and waits for each outcome at patrol's {@code GET
 * /tasks/<id>}; a rejected message is answered there too; and the task events stream, read with a
 * consumer group, says that each task finished and that the bad message was rejected.
 */
@WithServices
class WalkingSkeletonIT {
  private static final int MESSAGES = 1_000;
  private List<DaemonProcess> daemons = List.of();

  @AfterEach
  void killLeftovers() throws InterruptedException {
    for (DaemonProcess d : daemons) {
      d.killIfAlive();
    }
  }

  @Test
  void thousandMessagesBecomeThousandRowsAndThousandDeliveredAuditRows(
      TestServices services, @TempDir Path dir) throws Exception {
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", Repo.root().resolve("deploy/pipelines").toString());
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/walking-skeleton");
    daemons =
        List.of(
            new DaemonProcess("dispatcher", env, logs),
            new DaemonProcess("processor", env, logs),
            new DaemonProcess("patrol", env, logs));
    daemons.forEach(DaemonProcess::start);
    await()
        .atMost(60, SECONDS)
        .untilAsserted(() -> assertThat(daemons).allMatch(DaemonProcess::healthy));

    await()
        .atMost(15, SECONDS)
        .untilAsserted(() ->
            assertThat(
                    services.jedis().zrange(services.keys().nodes(), 0, -1).stream()
                        .map(node -> services.jedis().hget(services.keys().node(node), "role"))
                        .toList())
                .as("every daemon heartbeats with its role")
                .containsExactlyInAnyOrder("dispatcher", "processor", "patrol"));

    try (AbstractPipeline p = services.jedis().pipelined()) {
      for (int i = 0; i < MESSAGES; i++) {
        p.xadd(
            services.keys().inbox(),
            StreamEntryID.NEW_ENTRY,
            Map.of(
                "pipeline",
                "echo",
                "id",
                "msg-" + i,
                "payload",
                "{\"text\":\"message " + i + "\"}"));
      }
      p.sync();
    }

    await()
        .atMost(90, SECONDS)
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> {
          assertThat(services.queryLong("SELECT count(*) FROM conveyor.echo_rows"))
              .isEqualTo(MESSAGES);
          assertThat(
                  services.queryLong(
                      "SELECT count(*) FROM conveyor.task_audit WHERE outcome = 'delivered'"))
              .isEqualTo(MESSAGES);
        });
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.echo_rows r JOIN conveyor.task_audit a USING"
                    + " (task_id) WHERE r.text = 'message ' || substr(r.task_id, 5)"))
        .as("each row holds its own message's text")
        .isEqualTo(MESSAGES);
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.rejected_messages")).isZero();

    DaemonProcess patrol = daemons.get(2);
    await()
        .atMost(30, SECONDS)
        .untilAsserted(() ->
            // why: deploy/pipelines holds more pipelines than echo (ner, ner-py)
            assertThat(patrol.get("/status"))
                .containsPattern("\"tasks_in_flight\":\\{[^}]*\"echo\":0[,}]"));
    assertThat(daemons.get(1).get("/metrics")).contains("conveyor_processor_items_total");

    // why: here rather than in a class of its own, to share the trio's start (the slow part)
    aProducerWithoutARedisClientHearsBack(services, daemons.get(0), patrol, dir);

    for (DaemonProcess d : daemons) {
      int code = d.stop(Duration.ofSeconds(30));
      assertThat(code).as(d.name() + " exit code after SIGTERM").isIn(0, 143);
      List<String> lines = d.logLines();
      assertThat(lines)
          .as(d.name() + " logs its completion")
          .anyMatch(
              l -> l.contains("event=state system=" + d.name()) && l.contains("state=COMPLETED"));
      assertThat(lines).as(d.name() + " logged no ERROR").noneMatch(l -> l.contains(" ERROR "));
    }
  }

  private static void aProducerWithoutARedisClientHearsBack(
      TestServices services, DaemonProcess dispatcher, DaemonProcess patrol, Path dir)
      throws Exception {
    String events = services.keys().taskEvents();
    services.jedis().xgroupCreate(events, "my-app", StreamEntryID.XGROUP_LAST_ENTRY, true);
    Path messages = dir.resolve("messages.jsonl");
    Files.writeString(
        messages,
        """
        {"pipeline":"echo","id":"prod-1","payload":{"text":"one"}}
        {"pipeline":"echo","id":"prod-2","payload":{"text":"two"}}
        {"pipeline":"echo","id":"prod-3","payload":{"text":"three"}}
        """);
    Process python =
        new ProcessBuilder(
                "python3",
                Repo.root().resolve("docs/examples/producer.py").toString(),
                "--dispatcher",
                "http://127.0.0.1:" + dispatcher.port(),
                "--patrol",
                "http://127.0.0.1:" + patrol.port(),
                "--timeout",
                "60",
                messages.toString())
            .redirectErrorStream(true)
            .start();
    python.getOutputStream().close();
    String output = new String(python.getInputStream().readAllBytes(), UTF_8);
    assertThat(python.waitFor(90, SECONDS)).isTrue();
    assertThat(python.exitValue()).as(output).isZero();
    assertThat(output.lines().filter(l -> l.endsWith("\tdelivered")).toList())
        .as(output)
        .containsExactly("prod-1\tdelivered", "prod-2\tdelivered", "prod-3\tdelivered");

    services
        .jedis()
        .xadd(
            services.keys().inbox(),
            StreamEntryID.NEW_ENTRY,
            Map.of("pipeline", "no-such", "id", "prod-bad", "payload", "{}"));
    await()
        .atMost(15, SECONDS)
        .untilAsserted(() ->
            assertThat(patrol.get("/tasks/prod-bad"))
                .contains("\"state\":\"rejected\"")
                .contains("\"reason\":\"unknown_pipeline\""));

    List<Map<String, String>> read = new ArrayList<>();
    await()
        .atMost(15, SECONDS)
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(() -> {
          var reply =
              services
                  .jedis()
                  .xreadGroup(
                      "my-app",
                      "reader-1",
                      XReadGroupParams.xReadGroupParams().count(100),
                      Map.of(events, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
          if (reply != null) {
            reply.forEach(
                s -> s.getValue().stream().map(StreamEntry::getFields).forEach(read::add));
          }
          assertThat(read)
              .filteredOn(e -> String.valueOf(e.get("task")).startsWith("prod-"))
              .hasSize(4);
        });
    assertThat(read)
        .filteredOn(e ->
            "finished".equals(e.get("event")) && String.valueOf(e.get("task")).startsWith("prod-"))
        .extracting(e -> e.get("task") + " " + e.get("outcome"))
        .containsExactlyInAnyOrder("prod-1 delivered", "prod-2 delivered", "prod-3 delivered");
    assertThat(read)
        .filteredOn(e -> "rejected".equals(e.get("event")))
        .singleElement()
        .satisfies(e ->
            assertThat(e)
                .containsEntry("task", "prod-bad")
                .containsEntry("reason", "unknown_pipeline"));
  }
}
