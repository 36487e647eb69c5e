package dev.conveyor.e2e;

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

/**
 * Guarantee 4, bounded state: the trio delivers 10,000 tasks and patrol cleans them up; the
 * namespace then holds as many keys as after the first few tasks — nothing grows with the number of
 * tasks processed.
 */
@WithServices
class BoundedStateIT {
  private static final int TASKS = 10_000;
  private final List<DaemonProcess> daemons = new ArrayList<>();

  @AfterEach
  void killLeftovers() throws InterruptedException {
    for (DaemonProcess d : daemons) {
      d.killIfAlive();
    }
  }

  @Test
  void afterTenThousandTasksAreCleanedTheKeyCountIsBackToTheBaseline(
      TestServices services, @TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("echo.yaml"),
        """
        pipeline: echo
        version: 1
        max_in_flight: 100000
        cleanup: {mode: auto, tolerance: 0.0, grace: 1s}
        steps:
          - {name: deliver, kind: sink, batch: 500, offset: 100ms, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
        """);
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    env.put("CONVEYOR_PATROL_INTERVAL", "1s");
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/bounded-state");
    for (String daemon : List.of("dispatcher", "processor", "patrol")) {
      daemons.add(new DaemonProcess(daemon, env, logs).start());
    }
    await().atMost(60, SECONDS).until(() -> daemons.stream().allMatch(DaemonProcess::healthy));

    publish(services, "warm", 20);
    awaitCleaned(services, 20);
    int baseline = services.redisKeys().size();

    publish(services, "load", TASKS);
    awaitCleaned(services, 20 + TASKS);

    assertThat(services.queryLong("SELECT count(*) FROM conveyor.echo_rows")).isEqualTo(20 + TASKS);
    await()
        .atMost(30, SECONDS)
        .untilAsserted(() ->
            assertThat(services.redisKeys())
                .as("keys after %d tasks, against %d after the first 20", TASKS, baseline)
                .hasSize(baseline));
  }

  private static void publish(TestServices services, String prefix, int n) {
    try (AbstractPipeline p = services.jedis().pipelined()) {
      for (int i = 0; i < n; i++) {
        p.xadd(
            services.keys().inbox(),
            StreamEntryID.NEW_ENTRY,
            Map.of(
                "pipeline",
                "echo",
                "id",
                prefix + "-" + i,
                "payload",
                "{\"text\":\"t" + i + "\"}"));
      }
      p.sync();
    }
  }

  private static void awaitCleaned(TestServices services, int tasks) {
    await()
        .atMost(180, SECONDS)
        .pollInterval(Duration.ofSeconds(1))
        .until(() ->
            services.queryLong(
                    "SELECT count(*) FROM conveyor.task_audit WHERE outcome = 'delivered'"
                        + " AND cleaned_at IS NOT NULL")
                == tasks);
  }
}
