package dev.conveyor.dispatcher;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.outage.ServiceWatch;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.common.test.TcpRelay;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.dispatcher.DispatcherFixture.LogCapture;
import dev.conveyor.dispatcher.DispatcherFixture.Rejected;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.resps.StreamEntry;

/**
 * Several dispatchers share one inbox as consumers of one group: two replicas racing on messages
 * with the same id create one task, and the entries of a replica that died are taken over by
 * another.
 */
@WithServices
class DispatcherReplicasIT {
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
        - name: b
          kind: sink
          sink:
            table: conveyor.echo_rows
            key: [task_id, part]
      """;

  private TestServices services;
  private DispatcherFixture fixture;
  private Keys keys;
  private UnifiedJedis jedis;

  @BeforeEach
  void setUp(TestServices services, @TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("fan.yaml"), FAN);
    this.services = services;
    fixture = DispatcherFixture.create(services, dir);
    keys = fixture.keys();
    jedis = fixture.jedis();
  }

  @AfterEach
  void tearDown() {
    fixture.close();
  }

  @Test
  void twoReplicasRacingOnTheSameIdCreateOneTaskAndAcknowledgeEveryEntry() {
    int pairs = 150;
    Dispatcher a = fixture.start("replica-a", Map.of("CONVEYOR_DISPATCH_BATCH", "4"));
    Dispatcher b = fixture.start("replica-b", Map.of("CONVEYOR_DISPATCH_BATCH", "4"));

    // why: the two copies of an id are a few entries apart and the replicas take turns on the
    // blocking reads, so the copies mostly go to different replicas and race on registration
    Map<String, List<StreamEntryID>> pairEntries = new LinkedHashMap<>();
    Map<String, StreamEntryID> singleEntries = new LinkedHashMap<>();
    List<Map<String, String>> messages = new ArrayList<>();
    for (int i = 0; i < pairs + 2; i++) {
      if (i < pairs) {
        messages.add(message("pair-" + i, "{\"copy\":1}"));
        messages.add(message("single-" + i, "{\"n\":" + i + "}"));
      }
      if (i >= 2) {
        messages.add(message("pair-" + (i - 2), "{\"copy\":2}"));
      }
    }
    List<StreamEntryID> ids = publishInChunks(messages, 8);
    for (int i = 0; i < messages.size(); i++) {
      String id = messages.get(i).get("id");
      if (id.startsWith("pair-")) {
        pairEntries.computeIfAbsent(id, k -> new ArrayList<>()).add(ids.get(i));
      } else {
        singleEntries.put(id, ids.get(i));
      }
    }
    assertThat(pairEntries)
        .hasSize(pairs)
        .allSatisfy((id, entries) -> assertThat(entries).hasSize(2));

    fixture.awaitHandled(ids.getLast(), Duration.ofSeconds(30));

    assertThat(fixture.lag()).as("entries never delivered").isZero();
    Map<String, Long> itemsA = itemsPerTask("a");
    Map<String, Long> itemsB = itemsPerTask("b");
    Map<String, Map<String, String>> metas = metas(pairEntries.keySet(), singleEntries.keySet());
    pairEntries.forEach((id, entries) -> {
      assertThat(metas.get(id).get("stream_id"))
          .as("stream id of %s", id)
          .isIn(entries.get(0).toString(), entries.get(1).toString());
      assertThat(metas.get(id)).as("meta of %s", id).containsEntry("dispatched", "1");
      assertThat(itemsA.get(id + "/0")).as("items of %s on a", id).isEqualTo(1);
      assertThat(itemsB.get(id + "/0")).as("items of %s on b", id).isEqualTo(1);
    });
    singleEntries.forEach((id, entry) -> {
      assertThat(metas.get(id)).as("meta of %s", id).containsEntry("stream_id", entry.toString());
      assertThat(itemsA.get(id + "/0")).as("items of %s on a", id).isEqualTo(1);
      assertThat(itemsB.get(id + "/0")).as("items of %s on b", id).isEqualTo(1);
    });
    assertThat(itemsA).as("no other item on a").hasSize(2 * pairs);
    assertThat(itemsB).as("no other item on b").hasSize(2 * pairs);
    assertThat(jedis.zcard(keys.inflight("fan"))).isEqualTo(2 * pairs);
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.rejected_messages WHERE stream_id IN ("
                    + String.join(",", ids.stream().map(id -> "'" + id + "'").toList())
                    + ")"))
        .as("rejected rows")
        .isZero();

    double duplicates =
        counter(a, "conveyor_dispatcher_duplicates") + counter(b, "conveyor_dispatcher_duplicates");
    assertThat(duplicates).isEqualTo(pairs);
    double receivedA = counter(a, "conveyor_dispatcher_received");
    double receivedB = counter(b, "conveyor_dispatcher_received");
    assertThat(receivedA + receivedB).isEqualTo(ids.size());
    assertThat(receivedA).as("replica-a took part").isPositive();
    assertThat(receivedB).as("replica-b took part").isPositive();
    assertThat(counter(a, "conveyor_dispatcher_duplicates")).as("duplicates on a").isPositive();
    assertThat(counter(b, "conveyor_dispatcher_duplicates")).as("duplicates on b").isPositive();
    assertThat(a.state()).isEqualTo(State.RUNNING);
    assertThat(b.state()).isEqualTo(State.RUNNING);
  }

  @Test
  void theEntriesOfAConsumerThatDiedAreTakenOverByAnotherReplica() {
    StreamGroup group = new StreamGroup(jedis, keys.inbox(), Keys.DISPATCHER_GROUP);
    group.ensure();
    List<StreamEntryID> taken = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      taken.add(fixture.publish(message("orphan-" + i, "{\"n\":" + i + "}")));
    }
    StreamEntryID deleted = fixture.publish(message("orphan-deleted", "{}"));
    List<StreamMessage> read = group.readNew("dead-node", 10, Duration.ZERO);
    assertThat(read).hasSize(4);
    jedis.xdel(keys.inbox(), deleted);
    assertThat(fixture.pendingOf("dead-node")).isEqualTo(4);

    try (LogCapture log = LogCapture.of(InboxTakeover.class)) {
      Dispatcher live = fixture.start("live-node", Map.of("CONVEYOR_INBOX_CLAIM_IDLE", "1s"));
      fixture.awaitHandled(deleted, Duration.ofSeconds(10));

      assertThat(fixture.pendingOf("dead-node")).as("pending on dead-node").isZero();
      assertThat(fixture.pendingOf("live-node")).as("pending on live-node").isZero();
      for (int i = 0; i < 3; i++) {
        String id = "orphan-" + i;
        assertThat(jedis.hget(keys.taskMeta(id), "stream_id")).isEqualTo(taken.get(i).toString());
        assertThat(jedis.hget(keys.taskMeta(id), "dispatched")).isEqualTo("1");
        assertThat(fixture.queuedParts("fan", "a", id)).containsExactly("0");
        assertThat(fixture.queuedParts("fan", "b", id)).containsExactly("0");
        assertThat(fixture.rejectedRow(taken.get(i))).isEmpty();
      }
      Rejected row = fixture.rejectedRow(deleted).orElseThrow();
      assertThat(row.reason()).isEqualTo("no_fields");
      assertThat(row.fields().isObject()).isTrue();
      assertThat(row.fields().isEmpty()).as("its fields are gone with it").isTrue();
      assertThat(jedis.exists(keys.taskMeta("orphan-deleted"))).isFalse();
      assertThat(log.events("inbox_claimed"))
          .singleElement()
          .satisfies(e -> {
            assertThat(DispatcherFixture.value(e, "consumer")).isEqualTo("live-node");
            assertThat(DispatcherFixture.value(e, "entries")).isEqualTo(3);
          });
      assertThat(live.state()).isEqualTo(State.RUNNING);
    }
  }

  @Test
  void aDeletedEntryOfADeadConsumerIsRecordedThroughAPostgresOutage() throws Exception {
    try (LogCapture log = LogCapture.of(ServiceWatch.class);
        TcpRelay relay = TcpRelay.to(services.pgUrl())) {
      Dispatcher live =
          fixture.start(
              "survivor-node",
              Map.of(
                  "CONVEYOR_PG_URL",
                  relay.url(services.pgUrl()),
                  "CONVEYOR_INBOX_CLAIM_IDLE",
                  "1s"));
      StreamEntryID gone = publishAndTake("dead-node", message("gone-1", "{}"));
      assertThat(fixture.pendingOf("dead-node")).isEqualTo(1);

      relay.cut();
      jedis.xdel(keys.inbox(), gone);
      // why: the takeover either ran before the dispatcher knew PostgreSQL was gone (XAUTOCLAIM
      // then took the deleted entry off the pending list, and it is remembered until recorded), or
      // it waits for PostgreSQL; either way the entry is recorded once, when PostgreSQL is back
      await().atMost(30, SECONDS).until(() -> !log.events("service_down").isEmpty());
      assertThat(fixture.rejectedRow(gone)).isEmpty();
      relay.restore();

      await()
          .atMost(20, SECONDS)
          .untilAsserted(() ->
              assertThat(fixture.rejectedRow(gone).map(Rejected::reason)).contains("no_fields"));
      assertThat(jedis.xpending(keys.inbox(), Keys.DISPATCHER_GROUP).getTotal()).isZero();
      assertThat(live.state()).isEqualTo(State.RUNNING);
    }
  }

  @Test
  void entriesPendingOnALiveReplicaForLessThanTheClaimIdleTimeAreNotTakenOver() {
    StreamGroup group = new StreamGroup(jedis, keys.inbox(), Keys.DISPATCHER_GROUP);
    group.ensure();
    StreamEntryID busy = fixture.publish(message("busy-1", "{}"));
    assertThat(group.readNew("busy-node", 10, Duration.ZERO)).hasSize(1);

    fixture.start("other-node", Map.of("CONVEYOR_INBOX_CLAIM_IDLE", "60s"));
    StreamEntryID next = fixture.publish(message("next-1", "{}"));
    await()
        .atMost(10, SECONDS)
        .until(() -> "1".equals(jedis.hget(keys.taskMeta("next-1"), "dispatched")));

    assertThat(fixture.pendingOf("busy-node")).isEqualTo(1);
    assertThat(jedis.exists(keys.taskMeta("busy-1"))).isFalse();
    assertThat(fixture.group(jedis).orElseThrow().getLastDeliveredId()).isEqualTo(next);
    group.ack(List.of(busy.toString()));
  }

  private static Map<String, String> message(String id, String payload) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("pipeline", "fan");
    m.put("id", id);
    m.put("payload", payload);
    return m;
  }

  /**
   * Publishes a message and reads it as {@code consumer} in one script (atomic, and unlike MULTI it
   * works on a Redis Cluster too), so that no running dispatcher sees it first.
   */
  private StreamEntryID publishAndTake(String consumer, Map<String, String> message) {
    List<String> args = new ArrayList<>(List.of(Keys.DISPATCHER_GROUP, consumer));
    message.forEach((k, v) -> {
      args.add(k);
      args.add(v);
    });
    Object id =
        jedis.eval(
            """
            local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))
            redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', 1, 'STREAMS', KEYS[1], '>')
            return id
            """,
            List.of(keys.inbox()),
            args);
    return new StreamEntryID(String.valueOf(id));
  }

  /** Publishes in pipelined chunks, so the replicas read while the producer writes. */
  private List<StreamEntryID> publishInChunks(List<Map<String, String>> messages, int chunk) {
    List<StreamEntryID> ids = new ArrayList<>(messages.size());
    for (int from = 0; from < messages.size(); from += chunk) {
      List<Response<StreamEntryID>> replies = new ArrayList<>();
      try (AbstractPipeline p = jedis.pipelined()) {
        for (Map<String, String> m :
            messages.subList(from, Math.min(messages.size(), from + chunk))) {
          replies.add(p.xadd(keys.inbox(), StreamEntryID.NEW_ENTRY, new HashMap<>(m)));
        }
        p.sync();
      }
      replies.forEach(r -> ids.add(r.get()));
    }
    return ids;
  }

  /** Items queued for the step, counted per {@code task/part}. */
  private Map<String, Long> itemsPerTask(String step) {
    return jedis.xrange(keys.stepQueue("fan", step, 0), "-", "+").stream()
        .map(StreamEntry::getFields)
        .collect(Collectors.groupingBy(f -> f.get("t") + "/" + f.get("p"), Collectors.counting()));
  }

  private Map<String, Map<String, String>> metas(
      Collection<String> first, Collection<String> second) {
    List<String> ids = new ArrayList<>(first);
    ids.addAll(second);
    Map<String, Response<Map<String, String>>> replies = new LinkedHashMap<>();
    try (AbstractPipeline p = jedis.pipelined()) {
      ids.forEach(id -> replies.put(id, p.hgetAll(keys.taskMeta(id))));
      p.sync();
    }
    return replies.entrySet().stream()
        .collect(
            Collectors.toMap(
                Map.Entry::getKey, e -> e.getValue().get(), (x, y) -> x, LinkedHashMap::new));
  }

  private static double counter(Dispatcher d, String name) {
    return d.metrics().find(name).counter().count();
  }
}
