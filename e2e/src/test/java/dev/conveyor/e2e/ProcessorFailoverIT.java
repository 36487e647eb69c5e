package dev.conveyor.e2e;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processors share the chains of a three-step pipeline; one is killed with SIGKILL in the
 * middle of a run and the other finishes it alone, taking over the dead one's chains after Quartz's
 * failure detection; then the first comes back and the second is killed. Every message is delivered
 * exactly once: no row lost, none twice, one delivered audit row per task.
 */
@WithServices
class ProcessorFailoverIT {
  private static final int MESSAGES = 3_000;
  @RegisterExtension final LaunchedDaemons daemons = new LaunchedDaemons();

  @Test
  void killedProcessorsLoseNothingAndDuplicateNothing(TestServices services, @TempDir Path dir)
      throws Exception {
    writeRelayPipeline(dir, 100_000);
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/processor-failover");
    DaemonProcess dispatcher = daemons.start(new DaemonProcess("dispatcher", env, logs));
    DaemonProcess a =
        daemons.start(
            new DaemonProcess(
                "processor", LaunchedDaemons.node(env, "processor-a"), logs.resolve("a")));
    DaemonProcess b =
        daemons.start(
            new DaemonProcess(
                "processor", LaunchedDaemons.node(env, "processor-b"), logs.resolve("b")));
    await().atMost(60, SECONDS).until(() -> dispatcher.healthy() && a.healthy() && b.healthy());

    // phase 1: processor a dies mid-run; b alone must finish, taking over a's chains
    publish(services, 0);
    await().atMost(60, SECONDS).until(() -> rows(services) >= MESSAGES / 4);
    a.kill();
    awaitDelivered(services, MESSAGES);
    await("b sees a die (Quartz's failure detection) and recovers its chains")
        .atMost(60, SECONDS)
        .until(() ->
            b.logLines().stream()
                .anyMatch(l ->
                    l.contains("Scanning for instance \"processor-a\"'s failed in-progress jobs")));

    // phase 2: a is back; b dies mid-run; a alone must finish
    a.start();
    await().atMost(60, SECONDS).until(a::healthy);
    publish(services, MESSAGES);
    await().atMost(60, SECONDS).until(() -> rows(services) >= MESSAGES + MESSAGES / 4);
    b.kill();
    awaitDelivered(services, 2 * MESSAGES);
    // why: a may finish before it notices: with shares, it also runs b's chains between b's ticks
    await("a sees b die (Quartz's failure detection) and recovers its chains")
        .atMost(60, SECONDS)
        .until(() ->
            a.logLines().stream()
                .anyMatch(l ->
                    l.contains("Scanning for instance \"processor-b\"'s failed in-progress jobs")));

    assertThat(rows(services)).isEqualTo(2 * MESSAGES);
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.task_audit WHERE rows_delivered <> 1 OR parts <> 1"))
        .isZero();
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.dead_items")).isZero();
  }

  private static void publish(TestServices services, int from) {
    Inbox.publish(services, "relay", "m-", from, MESSAGES, i -> "{\"text\":\"message " + i + "\"}");
  }

  private static void awaitDelivered(TestServices services, int tasks) {
    await()
        .atMost(120, SECONDS)
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(() ->
            assertThat(
                    services.queryLong(
                        "SELECT count(*) FROM conveyor.task_audit WHERE outcome = 'delivered'"))
                .isEqualTo(tasks));
  }

  private static long rows(TestServices services) {
    return services.queryLong("SELECT count(*) FROM conveyor.echo_rows");
  }

  /**
   * The three-step pipeline the failover test and bench share: two identity steps and a sink, two
   * shards each (6 chains), small batches.
   */
  static void writeRelayPipeline(Path dir, int maxInFlight) throws IOException {
    Files.writeString(
        dir.resolve("relay.yaml"),
        """
        pipeline: relay
        version: 1
        max_in_flight: %d
        defaults: {offset: 100ms, batch: 50}
        steps:
          - {name: first, kind: java, class: dev.conveyor.runtime.step.builtin.Identity, shards: 2}
          - {name: second, kind: java, class: dev.conveyor.runtime.step.builtin.Identity, after: first, shards: 2}
          - {name: deliver, kind: sink, after: second, shards: 2, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
        """
            .formatted(maxInFlight));
  }
}
