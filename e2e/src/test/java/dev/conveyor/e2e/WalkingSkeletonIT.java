package dev.conveyor.e2e;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.StreamEntryID;

/**
 * The spine of the system, end to end: the three jars as separate processes with the environment
 * from docs/design.md; a plain Redis client publishes to the inbox; rows and audit rows arrive in
 * PostgreSQL.
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
  void thousandMessagesBecomeThousandRowsAndThousandDeliveredAuditRows(TestServices services)
      throws Exception {
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
}
