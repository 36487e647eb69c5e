package dev.conveyor.dispatcher;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.test.OnRedisCluster;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.dispatcher.DispatcherFixture.LogCapture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.StreamEntryID;

/**
 * A dispatcher acknowledges an inbox entry only once its task is on the replicas of the master
 * holding it ({@code CONVEYOR_REDIS_WAIT_REPLICAS}, on by default): with that replica stalled, the
 * entry stays pending though its task is registered on the master; once the replica answers again,
 * the entry is handled and acknowledged, and the task is queued once.
 */
@WithServices
@OnRedisCluster
class ReplicationWaitClusterIT {
  private static final String FAN =
      """
      pipeline: fan
      version: 1
      steps:
        - {name: a, kind: java, class: dev.conveyor.runtime.step.builtin.Identity}
        - {name: deliver, kind: sink, after: a, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
      """;
  private DispatcherFixture fixture;

  @AfterEach
  void stop() {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void anEntryIsAcknowledgedOnlyOnceItsTaskIsOnTheReplicas(TestServices services, @TempDir Path dir)
      throws Exception {
    Files.writeString(dir.resolve("fan.yaml"), FAN);
    fixture = DispatcherFixture.create(services, dir);
    Keys keys = fixture.keys();
    String task = "held-1";
    HostAndPort replica =
        services.cluster().replicaOf(services.cluster().masterOf(keys.taskMeta(task)));
    try (LogCapture log = LogCapture.of(InboxConsumer.class)) {
      // why: the wait for the replicas is half the Redis timeout: 500 ms here
      fixture.start("wait-node", Map.of("CONVEYOR_REDIS_TIMEOUT", "1s"));
      StreamEntryID id;
      services.cluster().pause(replica);
      try {
        id = fixture.publish(Map.of("pipeline", "fan", "id", task, "payload", "{\"text\":\"x\"}"));
        await("the intake waits for the stalled replica and retries")
            .atMost(10, SECONDS)
            .pollInterval(Duration.ofMillis(50))
            .until(() ->
                log.events("intake_retry").stream()
                    .anyMatch(e ->
                        String.valueOf(DispatcherFixture.value(e, "error"))
                            .contains("CONVEYOR_REDIS_WAIT_REPLICAS")));
        assertThat(fixture.jedis().hget(keys.taskMeta(task), "dispatched"))
            .as("registered and fanned out on the master")
            .isEqualTo("1");
        assertThat(fixture.pendingOf("wait-node"))
            .as("not acknowledged while the replica lacks it")
            .isEqualTo(1);
      } finally {
        services.cluster().resume(replica);
      }
      fixture.awaitHandled(id, Duration.ofSeconds(30));
      assertThat(fixture.pendingOf("wait-node")).isZero();
      assertThat(fixture.queuedParts("fan", "a", task)).containsExactly("0");
    }
  }
}
