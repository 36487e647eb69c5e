package dev.conveyor.dispatcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.outage.ServiceWatch;
import dev.conveyor.common.redis.Keys;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.AbstractTransaction;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.XPendingParams;
import redis.clients.jedis.resps.StreamPendingEntry;

/**
 * An entry that fails by itself on every attempt ends as a {@code poison} row after {@code
 * CONVEYOR_INBOX_MAX_DELIVERIES} deliveries without holding up the others, while an outage of
 * PostgreSQL, however long, turns no entry into poison.
 */
@WithServices
class PoisonIT {
  private static final int MAX_DELIVERIES = 3;
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
  void anEntryThatFailsOnEveryAttemptIsStoredAsPoisonAndTheEntriesAroundItAreHandled() {
    // why: registering poison-1 then fails with WRONGTYPE, every time and for it alone
    jedis.set(keys.taskMeta("poison-1"), "x");
    StreamEntryID good1 = fixture.publish(message("good-1", "{\"n\":1}"));
    StreamEntryID poison = fixture.publish(message("poison-1", "{\"n\":2}"));
    StreamEntryID good2 = fixture.publish(message("good-2", "{\"n\":3}"));

    try (LogCapture log = LogCapture.of(InboxConsumer.class)) {
      Dispatcher dispatcher =
          fixture.start(
              "poison-node",
              Map.of(
                  "CONVEYOR_INBOX_MAX_DELIVERIES",
                  Integer.toString(MAX_DELIVERIES),
                  "CONVEYOR_DISPATCH_BATCH",
                  "10"));
      fixture.awaitHandled(good2, Duration.ofSeconds(15));

      assertRegistered("good-1", good1);
      assertRegistered("good-2", good2);
      assertThat(fixture.rejectedRow(good1)).isEmpty();
      assertThat(fixture.rejectedRow(good2)).isEmpty();
      Rejected row = fixture.rejectedRow(poison).orElseThrow();
      assertThat(row.reason()).isEqualTo("poison");
      assertThat(row.detail())
          .isEqualTo(
              "delivered "
                  + (MAX_DELIVERIES + 1)
                  + " times without being handled (limit "
                  + MAX_DELIVERIES
                  + ")");
      assertThat(row.fields().properties())
          .extracting(Map.Entry::getKey)
          .containsExactlyInAnyOrder("pipeline", "id", "payload");
      assertThat(row.fields().get("pipeline").textValue()).isEqualTo("fan");
      assertThat(row.fields().get("id").textValue()).isEqualTo("poison-1");
      assertThat(row.fields().get("payload").textValue()).isEqualTo("{\"n\":2}");
      assertThat(log.events("intake_retry"))
          .as("one failed attempt per delivery up to the limit")
          .hasSize(MAX_DELIVERIES)
          .allSatisfy(e ->
              assertThat(String.valueOf(DispatcherFixture.value(e, "error")))
                  .contains("WRONGTYPE"));
      assertThat(jedis.type(keys.taskMeta("poison-1"))).isEqualTo("string");
      assertThat(jedis.exists(keys.taskParts("poison-1"))).isFalse();
      assertThat(jedis.zscore(keys.inflight("fan"), "poison-1")).isNull();
      assertThat(fixture.queuedParts("fan", "a", "poison-1")).isEmpty();
      assertThat(jedis.xpending(keys.inbox(), Keys.DISPATCHER_GROUP).getTotal()).isZero();
      assertThat(
              dispatcher
                  .metrics()
                  .find("conveyor_dispatcher_rejected")
                  .tag("reason", "poison")
                  .counter()
                  .count())
          .isEqualTo(1.0);

      StreamEntryID good3 = fixture.publish(message("good-3", "{\"n\":4}"));
      fixture.awaitHandled(good3);
      assertRegistered("good-3", good3);
      assertThat(dispatcher.state()).isEqualTo(State.RUNNING);
    }
  }

  @Test
  void entriesPendingThroughALongPostgresOutageAreHandledNormallyAndNotAsPoison() throws Exception {
    try (LogCapture log = LogCapture.of(ServiceWatch.class);
        TcpRelay relay = TcpRelay.to(services.pgUrl())) {
      Dispatcher dispatcher =
          fixture.start(
              "outage-node",
              Map.of(
                  "CONVEYOR_PG_URL",
                  relay.url(services.pgUrl()),
                  "CONVEYOR_INBOX_MAX_DELIVERIES",
                  Integer.toString(MAX_DELIVERIES),
                  "CONVEYOR_DISPATCH_BATCH",
                  "10"));
      StreamEntryID before = fixture.publish(message("outage-0", "{}"));
      fixture.awaitHandled(before);

      relay.cut();
      List<StreamEntryID> held =
          publishAtOnce(
              List.of(
                  message("outage-1", "{\"n\":1}"),
                  message("outage-2", "{\"n\":2}"),
                  message("outage-bad", "{oops")));
      await().atMost(Duration.ofSeconds(60)).until(() -> !log.events("service_down").isEmpty());
      // why: an intake that read again (or counted) while PostgreSQL is down would add deliveries
      // and store these entries as poison after MAX_DELIVERIES of them
      await("the outage goes on, adding no delivery")
          .during(Duration.ofSeconds(5))
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() ->
              assertThat(deliveries())
                  .containsOnlyKeys(held.stream().map(StreamEntryID::toString).toList())
                  .allSatisfy((id, times) -> assertThat(times).isLessThanOrEqualTo(1)));
      // why: a batch is registered before its one look-up of audit rows, but fanned out after it
      assertThat(jedis.hget(keys.taskMeta("outage-1"), "dispatched")).isNull();
      assertThat(fixture.queuedParts("fan", "a", "outage-1")).as("nothing fanned out").isEmpty();
      assertThat(dispatcher.state()).isEqualTo(State.RUNNING);

      relay.restore();
      fixture.awaitHandled(held.getLast(), Duration.ofSeconds(30));

      assertRegistered("outage-1", held.get(0));
      assertRegistered("outage-2", held.get(1));
      assertThat(fixture.rejectedRow(held.get(0))).isEmpty();
      assertThat(fixture.rejectedRow(held.get(1))).isEmpty();
      assertThat(fixture.rejectedRow(held.get(2)).map(Rejected::reason))
          .contains("payload_not_json");
      assertThat(
              dispatcher
                  .metrics()
                  .find("conveyor_dispatcher_rejected")
                  .tag("reason", "poison")
                  .counter())
          .isNull();
      assertThat(dispatcher.state()).isEqualTo(State.RUNNING);
    }
  }

  @Test
  void aBatchThatFailedBecausePostgresWentAwayCountsNoDeliveryEvenWithALimitOfOne()
      throws Exception {
    try (LogCapture log = LogCapture.of(ServiceWatch.class);
        TcpRelay relay = TcpRelay.to(services.pgUrl())) {
      // why: with a limit of 1, a single delivery counted for the outage makes an entry poison
      Dispatcher dispatcher =
          fixture.start(
              "limit-one-node",
              Map.of(
                  "CONVEYOR_PG_URL",
                  relay.url(services.pgUrl()),
                  "CONVEYOR_INBOX_MAX_DELIVERIES",
                  "1",
                  "CONVEYOR_DISPATCH_BATCH",
                  "10"));
      StreamEntryID before = fixture.publish(message("one-0", "{}"));
      fixture.awaitHandled(before);

      // the next batch is read while PostgreSQL is (unknown to the dispatcher) already gone
      relay.cut();
      List<StreamEntryID> held =
          publishAtOnce(List.of(message("one-1", "{\"n\":1}"), message("one-2", "{\"n\":2}")));
      await().atMost(Duration.ofSeconds(60)).until(() -> !log.events("service_down").isEmpty());
      relay.restore();
      fixture.awaitHandled(held.getLast(), Duration.ofSeconds(30));

      assertRegistered("one-1", held.get(0));
      assertRegistered("one-2", held.get(1));
      assertThat(fixture.rejectedRow(held.get(0))).isEmpty();
      assertThat(fixture.rejectedRow(held.get(1))).isEmpty();
      assertThat(log.events("service_up")).hasSize(1);
      assertThat(dispatcher.state()).isEqualTo(State.RUNNING);
    }
  }

  private void assertRegistered(String taskId, StreamEntryID entry) {
    assertThat(jedis.hgetAll(keys.taskMeta(taskId)))
        .containsEntry("stream_id", entry.toString())
        .containsEntry("dispatched", "1");
    assertThat(fixture.queuedParts("fan", "a", taskId)).containsExactly("0");
  }

  /** Publishes in one transaction, so that one read takes them all. */
  private List<StreamEntryID> publishAtOnce(List<Map<String, String>> messages) {
    List<Response<StreamEntryID>> replies = new ArrayList<>();
    try (AbstractTransaction t = jedis.multi()) {
      for (Map<String, String> m : messages) {
        replies.add(t.xadd(keys.inbox(), StreamEntryID.NEW_ENTRY, m));
      }
      t.exec();
    }
    return replies.stream().map(Response::get).toList();
  }

  /** Entry id → times delivered, of every pending entry of the group. */
  private Map<String, Long> deliveries() {
    Map<String, Long> times = new LinkedHashMap<>();
    for (StreamPendingEntry e :
        jedis.xpending(
            keys.inbox(), Keys.DISPATCHER_GROUP, XPendingParams.xPendingParams("-", "+", 100))) {
      times.put(e.getID().toString(), e.getDeliveredTimes());
    }
    return times;
  }

  private static Map<String, String> message(String id, String payload) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("pipeline", "fan");
    m.put("id", id);
    m.put("payload", payload);
    return m;
  }
}
