package dev.conveyor.e2e;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A processor that joins one whose chains all wait on empty queues gets its share of them soon —
 * within the first one's next share recount and a BLOCK — not when the first one's idle ticks end
 * on their own, up to six BLOCKs later (compose's {@code --scale processor=2} right after a quiet
 * spell).
 */
@WithServices
class ProcessorJoinIT {
  @RegisterExtension final LaunchedDaemons daemons = new LaunchedDaemons();

  @Test
  void aProcessorThatJoinsAnIdleOneGetsItsShareWithinBlocksNotIdleWaits(
      TestServices services, @TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("spread.yaml"),
        """
        pipeline: spread
        version: 1
        steps:
          - {name: deliver, kind: sink, offset: 100ms, shards: 4, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
        """);
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    // why: an idle tick waits up to six BLOCKs (24 s here); one beyond the share ends at its BLOCK
    env.put("CONVEYOR_REDIS_BLOCK", "4s");
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/processor-join");
    DaemonProcess a =
        daemons.start(
            new DaemonProcess("processor", LaunchedDaemons.node(env, "join-a"), logs.resolve("a")));
    await().atMost(60, SECONDS).until(a::healthy);
    await("a runs all four chains, each waiting on its empty queue")
        .atMost(30, SECONDS)
        .until(() -> executing(services, "join-a") == 4);

    DaemonProcess b =
        daemons.start(
            new DaemonProcess("processor", LaunchedDaemons.node(env, "join-b"), logs.resolve("b")));
    await().atMost(60, SECONDS).until(b::healthy);
    Instant joined = Instant.now();
    // why: a counts b within a recount (5 s), and its idle ticks beyond the share end within a
    // BLOCK (4 s); without that they would wait out their six BLOCKs (up to 24 s)
    await("b runs a chain")
        .atMost(18, SECONDS)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> executing(services, "join-b") > 0);
    assertThat(Duration.between(joined, Instant.now())).isLessThan(Duration.ofSeconds(18));
    await("the chains shared two and two")
        .atMost(30, SECONDS)
        .until(() -> executing(services, "join-a") == 2 && executing(services, "join-b") == 2);
  }

  /** Chains whose tick runs on the node now (Quartz's fired triggers). */
  private static long executing(TestServices services, String node) {
    return services.queryLong(
        "SELECT count(*) FROM conveyor.qrtz_fired_triggers WHERE state = 'EXECUTING'"
            + " AND instance_name = '"
            + node
            + "'");
  }
}
