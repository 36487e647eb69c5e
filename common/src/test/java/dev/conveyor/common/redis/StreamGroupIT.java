package dev.conveyor.common.redis;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

@WithServices
class StreamGroupIT {

  @Test
  void entriesAppendedBeforeTheGroupExistedAreRead(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String stream = services.keys().inbox() + ":early";
    jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("n", "1"));
    StreamGroup group = new StreamGroup(jedis, stream, "g");

    assertThat(group.ensure()).isTrue();
    assertThat(group.ensure()).as("a second ensure is harmless").isFalse();

    List<StreamMessage> read = group.readNew("c1", 10, Duration.ZERO);
    assertThat(read).hasSize(1);
    assertThat(read.getFirst().text("n")).contains("1");
  }

  @Test
  void pendingEntriesAreReadAgainUntilAcknowledged(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String stream = services.keys().inbox() + ":pending";
    StreamGroup group = new StreamGroup(jedis, stream, "g");
    group.ensure();
    jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("n", "1"));
    jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("n", "2"));

    List<StreamMessage> first = group.readNew("c1", 10, Duration.ZERO);
    assertThat(first).hasSize(2);
    assertThat(group.readNew("c1", 10, Duration.ZERO)).isEmpty();
    assertThat(group.readPending("c1", 10))
        .extracting(StreamMessage::id)
        .containsExactly(first.get(0).id(), first.get(1).id());

    assertThat(group.ack(List.of(first.get(0).id()))).isEqualTo(1);
    assertThat(group.readPending("c1", 10))
        .extracting(StreamMessage::id)
        .containsExactly(first.get(1).id());
    assertThat(group.readPending("c2", 10)).as("pending lists are per consumer").isEmpty();
  }

  @Test
  void valuesAreReadBinarySafe(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String stream = services.keys().inbox() + ":binary";
    StreamGroup group = new StreamGroup(jedis, stream, "g");
    group.ensure();
    byte[] notUtf8 = {(byte) 0xff, (byte) 0xfe, 0x00, 0x41};
    jedis.xadd(
        stream.getBytes(StandardCharsets.UTF_8),
        redis.clients.jedis.params.XAddParams.xAddParams(),
        Map.of("payload".getBytes(StandardCharsets.UTF_8), notUtf8));

    List<StreamMessage> read = group.readNew("c", 1, Duration.ZERO);

    assertThat(read.getFirst().fields().get("payload")).isEqualTo(notUtf8);
  }

  @Test
  void aBlockingReadWaitsForTheFirstEntry(TestServices services) throws Exception {
    String stream = services.keys().inbox() + ":blocking";
    try (UnifiedJedis blocking =
        RedisConnector.connect(
            services.config().redis(), RedisConnector.Endpoint.RUNTIME, "blk", 1)) {
      StreamGroup group = new StreamGroup(blocking, stream, "g");
      group.ensure();
      CompletableFuture<List<StreamMessage>> read =
          CompletableFuture.supplyAsync(() -> group.readNew("c", 10, Duration.ofSeconds(5)));
      await().atMost(3, SECONDS).until(() -> blockedClients(services.jedis()) > 0 || read.isDone());
      assertThat(read).as("nothing to read yet: the read waits").isNotDone();

      services.jedis().xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("n", "late"));

      assertThat(read.get(3, SECONDS)).hasSize(1);
      assertThat(group.readNew("c", 10, Duration.ofMillis(100))).isEmpty();
    }
  }

  private static long blockedClients(UnifiedJedis jedis) {
    String info = jedis.info("clients");
    return info.lines()
        .filter(l -> l.startsWith("blocked_clients:"))
        .mapToLong(l -> Long.parseLong(l.substring("blocked_clients:".length()).strip()))
        .findFirst()
        .orElse(0);
  }

  @Test
  void idleConsumersWithNothingPendingAreRemovedAndOthersKept(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String stream = services.keys().inbox() + ":consumers";
    StreamGroup group = new StreamGroup(jedis, stream, "g");
    group.ensure();
    jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("n", "1"));
    assertThat(group.readNew("holds-one", 1, Duration.ZERO)).hasSize(1);
    jedis.xgroupCreateConsumer(stream, "g", "holds-none");
    await()
        .atMost(3, SECONDS)
        .until(() -> group.state().consumers().stream().allMatch(c -> c.idleMs() > 0));

    assertThat(group.removeIdleConsumers(Duration.ZERO)).isEqualTo(1);

    assertThat(group.state().consumers())
        .extracting(GroupState.Consumer::name)
        .containsExactly("holds-one");
    assertThat(group.state().pending()).isEqualTo(1);
  }

  @Test
  void aVanishedGroupIsCreatedAgainOnRead(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String stream = services.keys().inbox() + ":vanish";
    StreamGroup group = new StreamGroup(jedis, stream, "g");
    group.ensure();
    jedis.del(stream); // as after a Redis restart that lost the stream

    assertThat(group.readNew("c", 10, Duration.ZERO)).isEmpty();
    jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("n", "after"));
    assertThat(group.readNew("c", 10, Duration.ZERO)).hasSize(1);
  }

  @Test
  void luaScriptsRunAndReloadAfterScriptFlush(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    LuaScript script = LuaScript.load("test_echo");
    String key = services.keys().taskMeta("lua");

    assertThat(script.run(jedis, List.of(key), List.of("v1"))).isEqualTo(2L);
    jedis.scriptFlush(key);
    assertThat(script.run(jedis, List.of(key), List.of("v2"))).isEqualTo(2L);
    assertThat(jedis.get(key)).isEqualTo("v2");
  }
}
