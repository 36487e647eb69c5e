package dev.conveyor.dispatcher;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.redis.GroupState;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

/**
 * The inbox may live on another Redis than the runtime state ({@code CONVEYOR_INBOX_URL}): here
 * database 1 of the test server, while the runtime state stays in database 0.
 */
@WithServices
class InboxElsewhereIT {
  private static final int INBOX_DB = 1;
  private static final String FAN =
      """
      pipeline: fan
      version: 1
      steps:
        - name: a
          kind: sink
          sink:
            table: conveyor.echo_rows
            key: [task_id, part]
      """;

  private DispatcherFixture fixture;
  private Keys keys;
  private UnifiedJedis runtime;
  private UnifiedJedis inbox;
  private String inboxUrl;

  @BeforeEach
  void setUp(TestServices services, @TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("fan.yaml"), FAN);
    fixture = DispatcherFixture.create(services, dir);
    keys = fixture.keys();
    runtime = fixture.jedis();
    URI redis = URI.create(services.redisUrl());
    inboxUrl = "redis://" + redis.getHost() + ":" + port(redis) + "/" + INBOX_DB;
    inbox =
        RedisClient.builder()
            .hostAndPort(redis.getHost(), port(redis))
            .clientConfig(DefaultJedisClientConfig.builder().database(INBOX_DB).build())
            .build();
  }

  @AfterEach
  void tearDown() {
    try {
      fixture.close();
    } finally {
      DispatcherFixture.deleteKeys(inbox, keys.namespace());
      inbox.close();
    }
  }

  @Test
  void anInboxOnAnotherRedisIsReadAndAcknowledgedThereWhileTasksAreRegisteredInTheRuntimeRedis() {
    StreamEntryID first =
        fixture.publish(inbox, Map.of("pipeline", "fan", "id", "far-1", "payload", "{}"));

    Dispatcher dispatcher = fixture.start("far-node", Map.of("CONVEYOR_INBOX_URL", inboxUrl));
    fixture.awaitHandled(inbox, first, Duration.ofSeconds(10));
    StreamEntryID second =
        fixture.publish(inbox, Map.of("pipeline", "fan", "id", "far-2", "payload", "{}"));
    StreamEntryID bad = fixture.publish(inbox, Map.of("pipeline", "fan", "payload", "{oops"));
    fixture.awaitHandled(inbox, bad, Duration.ofSeconds(10));

    assertThat(runtime.hgetAll(keys.taskMeta("far-1")))
        .containsEntry("stream_id", first.toString())
        .containsEntry("dispatched", "1");
    assertThat(runtime.hgetAll(keys.taskMeta("far-2")))
        .containsEntry("stream_id", second.toString())
        .containsEntry("dispatched", "1");
    assertThat(fixture.queuedParts("fan", "a", "far-1")).containsExactly("0");
    assertThat(fixture.queuedParts("fan", "a", "far-2")).containsExactly("0");
    assertThat(fixture.rejectedRow(bad).orElseThrow().reason()).isEqualTo("payload_not_json");
    assertThat(inbox.xpending(keys.inbox(), Keys.DISPATCHER_GROUP).getTotal()).isZero();
    assertThat(inbox.xlen(keys.inbox())).isEqualTo(3);
    assertThat(runtime.exists(keys.inbox())).as("an inbox in the runtime Redis").isFalse();
    assertThat(inbox.exists(keys.taskMeta("far-1"))).as("a task in the inbox's Redis").isFalse();
    assertThat(runtime.exists(keys.node("far-node"))).as("heartbeat in the runtime Redis").isTrue();
    await()
        .atMost(10, SECONDS)
        .untilAsserted(() ->
            assertThat(dispatcher.status().get("inbox"))
                .as("inbox stats, measured where the inbox is")
                .isInstanceOfSatisfying(
                    GroupState.class,
                    s -> {
                      assertThat(s.stream()).isEqualTo(keys.inbox());
                      assertThat(s.length()).isPositive();
                    }));
    assertThat(dispatcher.state()).isEqualTo(State.RUNNING);
  }

  private static int port(URI uri) {
    return uri.getPort() < 0 ? 6379 : uri.getPort();
  }
}
