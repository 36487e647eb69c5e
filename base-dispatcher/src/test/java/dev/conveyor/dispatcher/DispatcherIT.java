package dev.conveyor.dispatcher;

import static dev.conveyor.dispatcher.DispatcherFixture.daemonThreads;
import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.lifecycle.LifecycleSnapshot;
import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.outage.Service;
import dev.conveyor.common.outage.ServiceWatch;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.common.test.TcpRelay;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.dispatcher.DispatcherFixture.LogCapture;
import dev.conveyor.dispatcher.DispatcherFixture.Rejected;
import dev.conveyor.runtime.records.TaskAudit;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The dispatcher in-process against a real Redis and PostgreSQL: what producers publish to the
 * inbox ends as registered, fanned-out tasks or as rejected rows, and is acknowledged.
 */
@WithServices
class DispatcherIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BYTES = 64 * 1024;

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
  private static final String TEXTS =
      """
      pipeline: texts
      version: 3
      split:
        mode: text
        max_chars: 60
      steps:
        - name: deliver
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
    Files.writeString(dir.resolve("texts.yaml"), TEXTS);
    this.services = services;
    this.fixture = DispatcherFixture.create(services, dir);
    this.keys = fixture.keys();
    this.jedis = fixture.jedis();
  }

  @AfterEach
  void stopDispatchers() {
    fixture.close();
  }

  @Test
  void anAcceptedMessageIsRegisteredQueuedForEveryEntryStepAndAcknowledged() throws Exception {
    running("accept-node");

    StreamEntryID id =
        publish(
            Map.of("pipeline", "fan", "id", "acc-1", "payload", "{\"text\":\"Acme hired Jane.\"}"));
    awaitHandled(id);

    Map<String, String> meta = jedis.hgetAll(keys.taskMeta("acc-1"));
    assertThat(meta)
        .containsEntry("pipeline", "fan")
        .containsEntry("version", "1")
        .containsEntry("parts", "1")
        .containsEntry("stream_id", id.toString())
        .containsEntry("received_at", Long.toString(id.getTime()))
        .containsEntry("dispatched", "1");
    assertThat(jedis.zscore(keys.inflight("fan"), "acc-1")).isEqualTo((double) id.getTime());
    assertThat(JSON.readTree(jedis.hget(keys.taskParts("acc-1"), "0")))
        .isEqualTo(JSON.readTree("{\"text\":\"Acme hired Jane.\"}"));
    assertThat(queuedParts("fan", "a", "acc-1")).containsExactly("0");
    assertThat(queuedParts("fan", "b", "acc-1")).containsExactly("0");
    assertThat(queueEntries("fan", "a", "acc-1").getFirst().getFields()).containsOnlyKeys("t", "p");
    assertThat(rejectedRow(id)).isEmpty();
  }

  @Test
  void aMessageWithoutIdIsRegisteredUnderItsStreamEntryId() {
    running("noid-node");

    StreamEntryID id = publish(Map.of("pipeline", "fan", "payload", "{\"n\":1}"));
    awaitHandled(id);

    assertThat(jedis.hget(keys.taskMeta(id.toString()), "dispatched")).isEqualTo("1");
    assertThat(queuedParts("fan", "a", id.toString())).containsExactly("0");
  }

  @Test
  void aTextPayloadIsSplitIntoPartsAndEveryPartIsQueued() throws Exception {
    running("split-node");
    String first = "🙂 Acme Widgets Ltd. hired Jane Smith today. ";
    String second = "Sie beginnt im März in München, sagt sie. ";
    String third = "東京タワーは東京都港区にある電波塔です。";
    String payload = JSON.createObjectNode().put("text", first + second + third).toString();

    StreamEntryID id = publish(Map.of("pipeline", "texts", "id", "split-1", "payload", payload));
    awaitHandled(id);

    assertThat(jedis.hget(keys.taskMeta("split-1"), "parts")).isEqualTo("3");
    assertThat(jedis.hget(keys.taskMeta("split-1"), "version")).isEqualTo("3");
    Map<String, String> parts = jedis.hgetAll(keys.taskParts("split-1"));
    assertThat(parts).containsOnlyKeys("0", "1", "2");
    assertThat(JSON.readTree(parts.get("0"))).isEqualTo(part(first, 0));
    assertThat(JSON.readTree(parts.get("1")))
        .as("the emoji is one code point")
        .isEqualTo(part(second, first.length() - 1));
    assertThat(JSON.readTree(parts.get("2")))
        .isEqualTo(part(third, first.length() - 1 + second.length()));
    assertThat(queuedParts("texts", "deliver", "split-1")).containsExactly("0", "1", "2");
  }

  @Test
  void everyBadInputIsStoredWholeOnceAndAcknowledgedAndIntakeGoesOn() throws Exception {
    Dispatcher dispatcher = running("reject-node");
    byte[] notUtf8 = {(byte) 0xFF, (byte) 0xFE, '{', '}', (byte) 0xC3};
    byte[] bigBinary = new byte[MAX_BYTES + 1000];
    new Random(7).nextBytes(bigBinary);
    String object = "{\"text\":\"Grüße aus München\"}";
    List<Bad> bad =
        List.of(
            new Bad(RejectReason.MISSING_PIPELINE, fields("id", "r-1", "payload", object)),
            new Bad(
                RejectReason.MISSING_PIPELINE,
                fields("pipeline", new byte[] {'f', (byte) 0x80}, "payload", object)),
            new Bad(RejectReason.UNKNOWN_PIPELINE, fields("pipeline", "nope", "payload", object)),
            new Bad(
                RejectReason.UNKNOWN_PIPELINE, fields("pipeline", "fa\u0000n", "payload", object)),
            new Bad(RejectReason.MISSING_PAYLOAD, fields("pipeline", "fan", "id", "r-2")),
            new Bad(
                RejectReason.PAYLOAD_TOO_LARGE,
                fields("pipeline", "fan", "payload", "{\"t\":\"" + "x".repeat(MAX_BYTES) + "\"}")),
            new Bad(
                RejectReason.PAYLOAD_TOO_LARGE, fields("pipeline", "fan", "payload", bigBinary)),
            new Bad(RejectReason.PAYLOAD_NOT_JSON, fields("pipeline", "fan", "payload", "{oops")),
            new Bad(RejectReason.PAYLOAD_NOT_JSON, fields("pipeline", "fan", "payload", notUtf8)),
            new Bad(
                RejectReason.PAYLOAD_NOT_JSON,
                fields("pipeline", "fan", "payload", "{\"a\":1} trailing")),
            new Bad(
                RejectReason.PAYLOAD_NOT_JSON,
                fields("pipeline", "fan", "payload", "nul\u0000inside")),
            new Bad(RejectReason.PAYLOAD_NOT_OBJECT, fields("pipeline", "fan", "payload", "[1,2]")),
            new Bad(RejectReason.PAYLOAD_NOT_OBJECT, fields("pipeline", "fan", "payload", "null")),
            new Bad(
                RejectReason.PAYLOAD_TOO_DEEP,
                fields("pipeline", "fan", "payload", "[".repeat(65) + "]".repeat(65))),
            new Bad(
                RejectReason.BAD_ID, fields("pipeline", "fan", "id", "doc 42", "payload", object)),
            new Bad(
                RejectReason.BAD_ID,
                fields("pipeline", "fan", "id", new byte[] {'d', (byte) 0xFF}, "payload", object)),
            new Bad(
                RejectReason.UNSPLITTABLE,
                fields("pipeline", "texts", "payload", "{\"body\":\"no text field\"}")),
            new Bad(
                RejectReason.UNSPLITTABLE,
                fields("pipeline", "texts", "payload", "{\"text\":[\"not\",\"a\",\"string\"]}")),
            new Bad(
                RejectReason.MISSING_PIPELINE,
                fields("pipe\u0000line", "fan", "payload", object, "extra", "kept")));

    List<StreamEntryID> ids = new ArrayList<>();
    for (Bad b : bad) {
      ids.add(publishRaw(b.fields()));
    }
    StreamEntryID good = publish(Map.of("pipeline", "fan", "id", "after-bad", "payload", object));
    awaitHandled(good);

    for (int i = 0; i < bad.size(); i++) {
      Bad b = bad.get(i);
      Optional<Rejected> row = rejectedRow(ids.get(i));
      assertThat(row).as("row for %s", b).isPresent();
      assertThat(row.get().reason()).as("reason for %s", b).isEqualTo(b.reason().code());
      assertStoredWhole(b.fields(), row.get().fields());
    }
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.rejected_messages WHERE stream_id IN ("
                    + String.join(",", ids.stream().map(id -> "'" + id + "'").toList())
                    + ")"))
        .as("exactly one row per bad entry")
        .isEqualTo(bad.size());
    assertThat(rejectedRow(ids.get(3)).orElseThrow().detail())
        .as("a U+0000 the producer sent is quoted in the detail as text")
        .contains("'fa\\u0000n'");
    assertThat(dispatcher.state()).isEqualTo(State.RUNNING);
    assertThat(jedis.hget(keys.taskMeta("after-bad"), "dispatched")).isEqualTo("1");
    assertThat(jedis.exists(keys.taskMeta("r-1"))).isFalse();
    assertThat(jedis.exists(keys.taskMeta("r-2"))).isFalse();
    for (Bad b : bad) {
      assertThat(
              dispatcher
                  .metrics()
                  .find("conveyor_dispatcher_rejected")
                  .tag("reason", b.reason().code())
                  .counter())
          .as("counter for %s", b.reason())
          .isNotNull();
    }
  }

  @Test
  void aDuplicateIdIsAcknowledgedAndCreatesNothingNew() {
    Dispatcher dispatcher = running("dup-node");
    StreamEntryID first =
        publish(Map.of("pipeline", "fan", "id", "dup-1", "payload", "{\"text\":\"first\"}"));
    awaitHandled(first);
    long queueA = jedis.xlen(keys.stepQueue("fan", "a", 0));
    long queueB = jedis.xlen(keys.stepQueue("fan", "b", 0));
    Map<String, String> meta = jedis.hgetAll(keys.taskMeta("dup-1"));
    Map<String, String> parts = jedis.hgetAll(keys.taskParts("dup-1"));

    StreamEntryID second =
        publish(Map.of("pipeline", "fan", "id", "dup-1", "payload", "{\"text\":\"second\"}"));
    awaitHandled(second);

    assertThat(jedis.xlen(keys.stepQueue("fan", "a", 0))).isEqualTo(queueA);
    assertThat(jedis.xlen(keys.stepQueue("fan", "b", 0))).isEqualTo(queueB);
    assertThat(jedis.hgetAll(keys.taskMeta("dup-1"))).isEqualTo(meta);
    assertThat(jedis.hgetAll(keys.taskParts("dup-1"))).isEqualTo(parts);
    assertThat(rejectedRow(second)).as("a duplicate is not a rejection").isEmpty();
    assertThat(dispatcher.metrics().find("conveyor_dispatcher_duplicates").counter().count())
        .isEqualTo(1.0);
  }

  @Test
  void twoMessagesWithTheSameIdInOneBatchAreRegisteredOnce() {
    StreamGroup group = new StreamGroup(jedis, keys.inbox(), Keys.DISPATCHER_GROUP);
    group.ensure();
    StreamEntryID first =
        publish(Map.of("pipeline", "fan", "id", "batch-dup", "payload", "{\"n\":1}"));
    StreamEntryID second =
        publish(Map.of("pipeline", "fan", "id", "batch-dup", "payload", "{\"n\":2}"));

    running("batch-node");
    awaitHandled(second);

    assertThat(jedis.hget(keys.taskMeta("batch-dup"), "stream_id")).isEqualTo(first.toString());
    assertThat(queuedParts("fan", "a", "batch-dup")).containsExactly("0");
    assertThat(queuedParts("fan", "b", "batch-dup")).containsExactly("0");
  }

  @Test
  void anIdThatAlreadyHasAnAuditRowIsADuplicate() {
    Instant received = Instant.now().minusSeconds(3600);
    new TaskAuditRepository(services.dataSource())
        .insert(
            new TaskAudit(
                "audited-1",
                "fan",
                1,
                TaskAudit.Outcome.DELIVERED,
                1,
                0,
                1,
                "1-0",
                received,
                received.plusSeconds(5),
                Optional.of(received.plusSeconds(60))));
    Dispatcher dispatcher = running("audit-node");
    long queueA = jedis.xlen(keys.stepQueue("fan", "a", 0));

    StreamEntryID id = publish(Map.of("pipeline", "fan", "id", "audited-1", "payload", "{}"));
    awaitHandled(id);

    assertThat(jedis.exists(keys.taskMeta("audited-1"))).isFalse();
    assertThat(jedis.exists(keys.taskParts("audited-1"))).isFalse();
    assertThat(jedis.zscore(keys.inflight("fan"), "audited-1")).isNull();
    assertThat(jedis.xlen(keys.stepQueue("fan", "a", 0))).isEqualTo(queueA);
    assertThat(queuedParts("fan", "a", "audited-1")).isEmpty();
    assertThat(rejectedRow(id)).isEmpty();
    assertThat(dispatcher.metrics().find("conveyor_dispatcher_duplicates").counter().count())
        .isEqualTo(1.0);
  }

  @Test
  void anEntryLeftPendingByACrashIsProcessedOnRestart() {
    String node = "crashed-node";
    StreamGroup group = new StreamGroup(jedis, keys.inbox(), Keys.DISPATCHER_GROUP);
    group.ensure();
    StreamEntryID id =
        publish(Map.of("pipeline", "fan", "id", "crash-1", "payload", "{\"text\":\"x\"}"));
    List<StreamMessage> taken = group.readNew(node, 10, Duration.ZERO);
    assertThat(taken).extracting(StreamMessage::id).containsExactly(id.toString());
    assertThat(group.readNew(node, 10, Duration.ZERO))
        .as("the entry is delivered once; only the pending list has it now")
        .isEmpty();
    assertThat(pendingOf(node)).isEqualTo(1);

    running(node);
    awaitHandled(id);

    assertThat(pendingOf(node)).isZero();
    assertThat(jedis.hget(keys.taskMeta("crash-1"), "dispatched")).isEqualTo("1");
    assertThat(queuedParts("fan", "a", "crash-1")).containsExactly("0");
  }

  @Test
  void aPendingEntryDeletedBeforeRestartIsRejectedAsHavingNoFields() throws Exception {
    String node = "deleted-node";
    StreamGroup group = new StreamGroup(jedis, keys.inbox(), Keys.DISPATCHER_GROUP);
    group.ensure();
    StreamEntryID id = publish(Map.of("pipeline", "fan", "id", "deleted-1", "payload", "{}"));
    assertThat(group.readNew(node, 10, Duration.ZERO)).hasSize(1);
    jedis.xdel(keys.inbox(), id);

    running(node);
    awaitHandled(id);

    Optional<Rejected> row = rejectedRow(id);
    assertThat(row).isPresent();
    assertThat(row.get().reason()).isEqualTo("no_fields");
    assertThat(row.get().fields()).isEqualTo(JSON.readTree("{}"));
    assertThat(jedis.exists(keys.taskMeta("deleted-1"))).isFalse();
  }

  @Test
  void whilePostgresIsUnreachableNothingIsAcknowledgedAndAllIsHandledWhenItIsBack()
      throws Exception {
    try (LogCapture log = LogCapture.of(ServiceWatch.class);
        LogCapture intake = LogCapture.of(InboxConsumer.class);
        TcpRelay relay = TcpRelay.to(services.pgUrl())) {
      Dispatcher dispatcher =
          running("pg-node", Map.of("CONVEYOR_PG_URL", relay.url(services.pgUrl())));
      StreamEntryID before = publish(Map.of("pipeline", "fan", "id", "pg-0", "payload", "{}"));
      awaitHandled(before);

      relay.cut();
      StreamEntryID good = publish(Map.of("pipeline", "fan", "id", "pg-1", "payload", "{}"));
      StreamEntryID bad = publish(Map.of("pipeline", "fan", "id", "pg-2", "payload", "{oops"));

      await().atMost(60, SECONDS).until(() -> !log.events("service_down").isEmpty());
      assertThat(dispatcher.serviceWatch().down()).containsExactly(Service.POSTGRES);
      assertThat(jedis.xpending(keys.inbox(), Keys.DISPATCHER_GROUP).getTotal())
          .as("what was read is held, not acknowledged")
          .isGreaterThanOrEqualTo(1);
      assertThat(jedis.exists(keys.taskMeta("pg-1"))).isFalse();
      assertThat(dispatcher.state()).isEqualTo(State.RUNNING);

      relay.restore();
      awaitHandled(bad, Duration.ofSeconds(60));

      assertThat(jedis.hget(keys.taskMeta("pg-1"), "stream_id")).isEqualTo(good.toString());
      assertThat(queuedParts("fan", "a", "pg-1")).containsExactly("0");
      assertThat(rejectedRow(bad).map(Rejected::reason)).contains("payload_not_json");
      assertThat(dispatcher.state()).isEqualTo(State.RUNNING);
      assertThat(log.events("service_down")).as("one line when it went").hasSize(1);
      assertThat(log.events("service_up")).as("one line when it came back").hasSize(1);
      assertThat(intake.events("intake_retry")).as("no line per failed attempt").isEmpty();
    }
  }

  @Test
  void shutdownCompletesTheDaemonAndStopsItsThreads() {
    Dispatcher dispatcher = running("stop-node");
    assertThat(daemonThreads()).containsExactlyInAnyOrder("intake", "inbox-stats", "heartbeat");
    StreamEntryID id = publish(Map.of("pipeline", "fan", "id", "stop-1", "payload", "{}"));
    awaitHandled(id);

    long began = System.nanoTime();
    dispatcher.shutdown();
    Duration took = Duration.ofNanos(System.nanoTime() - began);

    assertThat(dispatcher.state()).isEqualTo(State.COMPLETED);
    assertThat(allStates(dispatcher.snapshot())).containsOnly(State.COMPLETED);
    assertThat(took).as("the blocking read returns within BLOCK").isLessThan(Duration.ofSeconds(5));
    await().atMost(5, SECONDS).until(() -> daemonThreads().isEmpty());
    dispatcher.shutdown();
    assertThat(dispatcher.state()).as("a second shutdown is harmless").isEqualTo(State.COMPLETED);
  }

  // --- helpers

  private Dispatcher running(String node) {
    return running(node, Map.of());
  }

  private Dispatcher running(String node, Map<String, String> overrides) {
    Map<String, String> env = new HashMap<>();
    env.put("CONVEYOR_MAX_MESSAGE_BYTES", Integer.toString(MAX_BYTES));
    env.putAll(overrides);
    Dispatcher dispatcher = fixture.start(node, env);
    assertThat(dispatcher.status()).containsEntry("pipelines", List.of("fan", "texts"));
    return dispatcher;
  }

  private StreamEntryID publish(Map<String, String> fields) {
    return fixture.publish(fields);
  }

  private StreamEntryID publishRaw(LinkedHashMap<byte[], byte[]> fields) {
    return fixture.publishRaw(fields);
  }

  private void awaitHandled(StreamEntryID id) {
    fixture.awaitHandled(id);
  }

  private void awaitHandled(StreamEntryID id, Duration atMost) {
    fixture.awaitHandled(id, atMost);
  }

  private long pendingOf(String consumer) {
    return fixture.pendingOf(consumer);
  }

  private List<StreamEntry> queueEntries(String pipeline, String step, String taskId) {
    return fixture.queueEntries(pipeline, step, taskId);
  }

  private List<String> queuedParts(String pipeline, String step, String taskId) {
    return fixture.queuedParts(pipeline, step, taskId);
  }

  private Optional<Rejected> rejectedRow(StreamEntryID id) {
    return fixture.rejectedRow(id);
  }

  /** Every field sent is in the stored row with exactly the bytes sent. */
  private static void assertStoredWhole(Map<byte[], byte[]> sent, JsonNode stored) {
    Map<String, byte[]> expected = new LinkedHashMap<>();
    sent.forEach((k, v) ->
        expected.put(
            Rejections.storedName(
                StreamMessage.strictUtf8(k)
                    .orElseGet(() -> "base64:" + Base64.getEncoder().encodeToString(k))),
            v));
    assertThat(stored.properties().stream().map(Map.Entry::getKey).toList())
        .containsExactlyInAnyOrderElementsOf(expected.keySet());
    expected.forEach((name, value) -> {
      JsonNode node = stored.get(name);
      byte[] bytes =
          node.isTextual()
              ? node.textValue().getBytes(UTF_8)
              : Base64.getDecoder().decode(node.get("base64").textValue());
      assertThat(bytes).as("field %s", name).isEqualTo(value);
    });
  }

  private static JsonNode part(String text, int offset) {
    return JSON.createObjectNode().put("text", text).put("offset", offset);
  }

  private static List<State> allStates(LifecycleSnapshot s) {
    List<State> states = new ArrayList<>(List.of(s.state()));
    s.children().forEach(c -> states.addAll(allStates(c)));
    return states;
  }

  /** Inbox fields in order; values are text (UTF-8) or raw bytes. */
  private static LinkedHashMap<byte[], byte[]> fields(Object... nameValues) {
    LinkedHashMap<byte[], byte[]> fields = new LinkedHashMap<>();
    for (int i = 0; i < nameValues.length; i += 2) {
      Object v = nameValues[i + 1];
      fields.put(
          ((String) nameValues[i]).getBytes(UTF_8),
          v instanceof byte[] b ? b : ((String) v).getBytes(UTF_8));
    }
    return fields;
  }

  private record Bad(RejectReason reason, LinkedHashMap<byte[], byte[]> fields) {
    @Override
    public String toString() {
      Map<String, String> shown = new LinkedHashMap<>();
      fields.forEach((k, v) -> {
        String text = new String(v, UTF_8);
        shown.put(new String(k, UTF_8), text.length() > 40 ? text.substring(0, 40) + "…" : text);
      });
      return reason + " " + shown;
    }
  }
}
