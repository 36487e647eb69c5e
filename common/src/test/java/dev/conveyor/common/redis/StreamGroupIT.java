package dev.conveyor.common.redis;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.XClaimParams;
import redis.clients.jedis.params.XPendingParams;

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

    assertThat(new StreamTakeover(group).removeIdleConsumers(Duration.ZERO)).isEqualTo(1);

    assertThat(group.state().consumers())
        .extracting(GroupState.Consumer::name)
        .containsExactly("holds-one");
    assertThat(group.state().pending()).isEqualTo(1);
  }

  @Test
  void trimmingKeepsExactlyThePendingAndTheUndeliveredEntries(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String stream = services.keys().inbox() + ":trim";
    StreamGroup group = new StreamGroup(jedis, stream, "g");
    group.ensure();
    List<String> ids = append(jedis, stream, 6);
    group.readNew("c", 4, Duration.ZERO);
    group.ack(ids.subList(0, 2));

    assertThat(new StreamTrim(group).acknowledged()).isEqualTo(2);

    assertThat(entryIds(jedis, stream)).containsExactlyElementsOf(ids.subList(2, 6));
    assertThat(group.readPending("c", 10))
        .extracting(StreamMessage::id)
        .containsExactlyElementsOf(ids.subList(2, 4));
    assertThat(group.readNew("c", 10, Duration.ZERO))
        .extracting(StreamMessage::id)
        .containsExactlyElementsOf(ids.subList(4, 6));
  }

  @Test
  void withNothingPendingTrimmingStopsAtTheLastDeliveredEntry(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String stream = services.keys().inbox() + ":trim-acked";
    StreamGroup group = new StreamGroup(jedis, stream, "g");
    group.ensure();
    List<String> ids = append(jedis, stream, 5);
    group.ack(group.readNew("c", 3, Duration.ZERO).stream().map(StreamMessage::id).toList());

    assertThat(new StreamTrim(group).acknowledged()).isEqualTo(3);
    assertThat(new StreamTrim(group).acknowledged())
        .as("a second trim finds nothing more")
        .isZero();

    assertThat(entryIds(jedis, stream)).containsExactlyElementsOf(ids.subList(3, 5));
    assertThat(group.state().lag()).as("the lag stays known").isEqualTo(2);
  }

  @Test
  void aStreamWithSeveralGroupsIsTrimmedOnlyAsFarAsTheSlowestGroup(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String stream = services.keys().inbox() + ":trim-groups";
    StreamGroup fast = new StreamGroup(jedis, stream, "fast");
    StreamGroup slow = new StreamGroup(jedis, stream, "slow");
    fast.ensure();
    slow.ensure();
    List<String> ids = append(jedis, stream, 4);
    fast.ack(fast.readNew("c", 4, Duration.ZERO).stream().map(StreamMessage::id).toList());
    slow.ack(slow.readNew("c", 1, Duration.ZERO).stream().map(StreamMessage::id).toList());

    assertThat(new StreamTrim(fast).acknowledged()).isEqualTo(1);

    assertThat(entryIds(jedis, stream)).containsExactlyElementsOf(ids.subList(1, 4));
  }

  @Test
  void aStreamWithoutTheGroupIsNotTrimmed(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String stream = services.keys().inbox() + ":trim-nogroup";
    List<String> ids = append(jedis, stream, 3);
    StreamGroup g = new StreamGroup(jedis, stream, "g");

    assertThat(new StreamTrim(g).acknowledged()).isZero();
    StreamGroup other = new StreamGroup(jedis, stream, "other");
    other.ensure();
    other.ack(other.readNew("c", 3, Duration.ZERO).stream().map(StreamMessage::id).toList());
    assertThat(new StreamTrim(g).acknowledged()).as("only another group reads it").isZero();
    assertThat(new StreamTrim(new StreamGroup(jedis, stream + ":missing", "g")).acknowledged())
        .isZero();

    assertThat(entryIds(jedis, stream)).containsExactlyElementsOf(ids);
  }

  @Test
  void theIdAfterAnotherIsTheNextSequenceNumber() {
    assertThat(StreamTrim.following(new StreamEntryID(5, 2))).isEqualTo(new StreamEntryID(5, 3));
    assertThat(StreamTrim.following(new StreamEntryID(5, -1L)))
        .as("the sequence is unsigned: its largest value rolls over to the next millisecond")
        .isEqualTo(new StreamEntryID(6, 0));
  }

  @Test
  void idleEntriesOfOtherConsumersAreClaimedAndTheClaimersOwnAreNotTouched(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String stream = services.keys().inbox() + ":foreign";
    StreamGroup group = new StreamGroup(jedis, stream, "g");
    group.ensure();
    List<String> ids = append(jedis, stream, 6);
    group.readNew("own", 2, Duration.ZERO);
    group.readNew("old", 2, Duration.ZERO);
    group.readNew("busy", 2, Duration.ZERO);
    backdate(jedis, stream, "own", ids.subList(0, 2), 120_000);
    backdate(jedis, stream, "old", ids.subList(2, 4), 120_000);

    Map<String, Integer> claimed =
        new StreamTakeover(group).claimIdleFromOthers("own", Duration.ofMinutes(1), 100);

    assertThat(claimed).containsExactly(Map.entry("old", 2));
    assertThat(pendingOn(jedis, stream, "own")).containsExactlyElementsOf(ids.subList(0, 4));
    assertThat(pendingOn(jedis, stream, "busy")).containsExactlyElementsOf(ids.subList(4, 6));
    assertThat(
            jedis
                .xpending(stream, "g", XPendingParams.xPendingParams("-", "+", 100).consumer("own"))
                .stream()
                .filter(e -> ids.subList(0, 2).contains(e.getID().toString()))
                .allMatch(e -> e.getIdleTime() >= 120_000 && e.getDeliveredTimes() == 1))
        .as("the claimer's own entries keep their idle time and delivery count")
        .isTrue();
    assertThat(new StreamTakeover(group).removeIdleConsumers(Duration.ZERO, "own"))
        .containsExactly("old");
    assertThat(group.state().consumers())
        .extracting(GroupState.Consumer::name)
        .containsExactlyInAnyOrder("own", "busy");
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

  private static List<String> append(UnifiedJedis jedis, String stream, int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("n", "" + i)).toString());
    }
    return ids;
  }

  private static List<String> entryIds(UnifiedJedis jedis, String stream) {
    return jedis.xrange(stream, "-", "+").stream().map(e -> e.getID().toString()).toList();
  }

  private static List<String> pendingOn(UnifiedJedis jedis, String stream, String consumer) {
    return jedis
        .xpending(stream, "g", XPendingParams.xPendingParams("-", "+", 100).consumer(consumer))
        .stream()
        .map(e -> e.getID().toString())
        .toList();
  }

  /** Makes entries pending on {@code consumer} look idle for {@code idleMs} (XCLAIM ... IDLE). */
  private static void backdate(
      UnifiedJedis jedis, String stream, String consumer, List<String> ids, long idleMs) {
    jedis.xclaimJustId(
        stream,
        "g",
        consumer,
        0,
        XClaimParams.xClaimParams().idle(idleMs),
        ids.stream().map(StreamEntryID::new).toArray(StreamEntryID[]::new));
  }
}
