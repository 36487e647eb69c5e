package dev.conveyor.runtime.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.test.CapturedLog;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.RejectedMessageRepository;
import dev.conveyor.runtime.records.TaskAudit;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * What a producer learns after publishing: the task report of a message still in the inbox, of a
 * rejected one and of a finished task, and the task events stream read with a consumer group.
 */
@WithServices
class ProducerAnswersIT {
  private static final Pipeline FLOW =
      PipelineLoader.parse(
          """
          pipeline: flow
          version: 1
          steps:
            - {name: deliver, kind: sink, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
          """,
          "flow.yaml");

  private UnifiedJedis jedis;
  private Keys keys;
  private TaskReport report;
  private RejectedMessageRepository rejected;
  private String namespace;

  @AfterEach
  void tearDown(TestServices services) {
    services.deleteRedisKeys(namespace);
  }

  @BeforeEach
  void setUp(TestServices services, TestInfo test) {
    jedis = services.jedis();
    // why: the services' namespace is the class's; each test needs an inbox and groups of its own
    keys = new Keys(services.namespace() + "-" + test.getTestMethod().orElseThrow().getName());
    namespace = keys.namespace();
    rejected = new RejectedMessageRepository(services.dataSource());
    report =
        new TaskReport(
            Pipelines.of(List.of(FLOW)),
            new TaskLookup(jedis, keys),
            new TaskAuditRepository(services.dataSource()),
            new DeadItemRepository(services.dataSource()),
            rejected,
            new QueuedMessages(jedis, keys, 1000));
  }

  @Test
  void aMessageStillInTheInboxIsQueuedPendingOnceADispatcherReadIt() {
    jedis.xgroupCreate(keys.inbox(), Keys.DISPATCHER_GROUP, new StreamEntryID(), true);
    StreamEntryID read = xadd(Map.of("pipeline", "flow", "id", "q-read", "payload", "{}"));
    jedis.xreadGroup(
        Keys.DISPATCHER_GROUP,
        "d1",
        XReadGroupParams.xReadGroupParams().count(1),
        Map.of(keys.inbox(), StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
    for (int i = 0; i < 250; i++) {
      xadd(Map.of("pipeline", "flow", "id", "q-filler-" + i, "payload", "{}"));
    }
    StreamEntryID waiting = xadd(Map.of("pipeline", "flow", "id", "q-waiting", "payload", "{}"));
    StreamEntryID noId = xadd(Map.of("pipeline", "flow", "payload", "{}"));

    Map<String, Object> pending = report.status("q-read").orElseThrow();
    Map<String, Object> queued = report.status("q-waiting").orElseThrow();
    Map<String, Object> byStreamId = report.status(noId.toString()).orElseThrow();

    assertThat(pending)
        .containsEntry("state", "queued")
        .containsEntry("pipeline", "flow")
        .containsEntry("stream_id", read.toString())
        .containsEntry("pending", true);
    assertThat(queued)
        .containsEntry("state", "queued")
        .containsEntry("stream_id", waiting.toString())
        .containsEntry("received_at", Instant.ofEpochMilli(waiting.getTime()))
        .containsEntry("pending", false);
    assertThat(byStreamId).containsEntry("state", "queued").containsEntry("pending", false);
    assertThat(report.status("q-nobody")).isEmpty();
  }

  @Test
  void anEntryAnotherDispatcherHandledBehindAPendingOneIsNotQueued() {
    jedis.xgroupCreate(keys.inbox(), Keys.DISPATCHER_GROUP, new StreamEntryID(), true);
    xadd(Map.of("pipeline", "flow", "id", "h-slow", "payload", "{}"));
    StreamEntryID handled = xadd(Map.of("pipeline", "nope", "id", "h-rejected", "payload", "{}"));
    xadd(Map.of("pipeline", "flow", "id", "h-rejected", "payload", "{}"));
    jedis.xreadGroup(
        Keys.DISPATCHER_GROUP,
        "slow",
        XReadGroupParams.xReadGroupParams().count(1),
        Map.of(keys.inbox(), StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
    jedis.xreadGroup(
        Keys.DISPATCHER_GROUP,
        "fast",
        XReadGroupParams.xReadGroupParams().count(1),
        Map.of(keys.inbox(), StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
    jedis.xack(keys.inbox(), Keys.DISPATCHER_GROUP, handled);

    QueuedMessages.Lookup sentAgain = new QueuedMessages(jedis, keys, 1000).find("h-rejected");

    assertThat(sentAgain.found().orElseThrow().streamId())
        .as("the copy sent again, not the one handled")
        .isNotEqualTo(handled.toString());
    assertThat(sentAgain.found().orElseThrow().pending()).isFalse();
    assertThat(new QueuedMessages(jedis, keys, 1000).find("h-slow").found().orElseThrow().pending())
        .isTrue();
  }

  @Test
  void theInboxIsReadOnlyUpToTheLimitFromTheOldestEntryNotHandled() {
    jedis.xgroupCreate(keys.inbox(), Keys.DISPATCHER_GROUP, new StreamEntryID(), true);
    xadd(Map.of("pipeline", "flow", "id", "l-handled", "payload", "{}"));
    jedis.xreadGroup(
        Keys.DISPATCHER_GROUP,
        "d1",
        XReadGroupParams.xReadGroupParams().count(1),
        Map.of(keys.inbox(), StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
    jedis.xack(
        keys.inbox(),
        Keys.DISPATCHER_GROUP,
        jedis.xrange(keys.inbox(), "-", "+").getFirst().getID());
    for (int i = 0; i < 20; i++) {
      xadd(Map.of("pipeline", "flow", "id", "l-" + i, "payload", "{}"));
    }
    QueuedMessages small = new QueuedMessages(jedis, keys, 10);

    assertThat(small.find("l-handled").found()).as("acknowledged: handled, not queued").isEmpty();
    assertThat(small.find("l-9").found()).isPresent();
    QueuedMessages.Lookup beyond = small.find("l-15");
    assertThat(beyond.found()).isEmpty();
    assertThat(beyond.read()).isEqualTo(10);
    assertThat(beyond.complete()).isFalse();
    assertThat(new QueuedMessages(jedis, keys, 1000).find("l-nobody").complete()).isTrue();
  }

  @Test
  void aRejectedMessageIsReportedWithItsReasonAndASentAgainCopyInTheInboxWins() {
    rejected.insert(
        "1-7",
        "sha-a",
        "payload_not_json",
        "Unexpected character",
        "{\"pipeline\":\"flow\",\"id\":\"r-1\",\"payload\":\"{oops\"}");
    rejected.insert(
        "17960-8",
        "sha-b",
        "missing_payload",
        "field 'payload' is required",
        "{\"pipeline\":\"flow\"}");

    assertThat(report.status("r-1").orElseThrow())
        .containsEntry("state", "rejected")
        .containsEntry("reason", "payload_not_json")
        .containsEntry("pipeline", "flow")
        .containsEntry("stream_id", "1-7")
        .containsKey("rejected_at");
    assertThat(report.status("17960-8").orElseThrow())
        .as("no id: the stream id is its task id")
        .containsEntry("reason", "missing_payload");

    xadd(Map.of("pipeline", "flow", "id", "r-1", "payload", "{}"));
    assertThat(report.status("r-1").orElseThrow()).containsEntry("state", "queued");
  }

  @Test
  void aFinishedTaskIsReportedDeliveredAndAnnouncedOnceOnTheEventsStream(TestServices services) {
    jedis.xgroupCreate(keys.taskEvents(), "producer", new StreamEntryID(), true);
    TaskIntake intake = new TaskIntake(jedis, keys);
    Registration r =
        new Registration("e-1", FLOW, "5-0", Instant.now(), List.of("{\"text\":\"a\"}"));
    intake.registerAll(List.of(r));
    intake.dispatchAll(List.of(r));
    new StepLedger(jedis, keys)
        .recordOutput(
            StepProgress.of(FLOW, FLOW.step("deliver").orElseThrow()),
            new QueueItem("e-1", 0, "1-0"),
            "1");
    TaskCompletion completion =
        new TaskCompletion(
            new TaskFinishing(jedis, keys),
            new TaskAuditRepository(services.dataSource()),
            Clock.systemUTC(),
            null,
            new TaskEvents(() -> jedis, keys, 1000));

    assertThat(completion.finish(FLOW, List.of("e-1"))).isEqualTo(1);
    assertThat(completion.finish(FLOW, List.of("e-1"))).as("finished already").isZero();

    assertThat(report.status("e-1").orElseThrow())
        .containsEntry("state", "finished")
        .containsEntry("outcome", "delivered")
        .containsEntry("rows_delivered", 1L);
    List<Map<String, String>> events = readEvents("producer");
    assertThat(events).hasSize(1);
    assertThat(events.getFirst())
        .containsEntry("event", "finished")
        .containsEntry("task", "e-1")
        .containsEntry("pipeline", "flow")
        .containsEntry("outcome", "delivered")
        .containsEntry("parts", "1")
        .containsEntry("failed_parts", "0")
        .containsEntry("rows", "1");
  }

  @Test
  void theEventsStreamStaysBoundedAndAFailingWriteFailsNothing() {
    TaskEvents events = new TaskEvents(() -> jedis, keys, 50);
    List<TaskAudit> rows = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      rows.add(audit("b-" + i));
    }
    events.finished(rows);
    // why: MAXLEN ~ trims whole nodes of the stream (stream-node-max-entries, 100 by default)
    assertThat(jedis.xlen(keys.taskEvents())).isBetween(50L, 250L);

    TaskEvents broken =
        new TaskEvents(
            () -> {
              throw new redis.clients.jedis.exceptions.JedisDataException(
                  "OOM command not allowed");
            },
            keys,
            50);
    try (CapturedLog log = new CapturedLog(TaskEvents.class)) {
      broken.finished(List.of(audit("x-1")));
      broken.rejected("x-2", "1-0", "flow", "bad_id", "detail", Instant.now());
      assertThat(log.events("task_events_failed"))
          .singleElement()
          .satisfies(e -> assertThat(e).containsEntry("level", "WARN"));
    }
    TaskEvents.off().finished(rows);
  }

  private static TaskAudit audit(String id) {
    Instant now = Instant.now();
    return new TaskAudit(
        id, "flow", 1, TaskAudit.Outcome.DELIVERED, 1, 0, 1, "1-0", now, now, Optional.empty());
  }

  private StreamEntryID xadd(Map<String, String> fields) {
    return jedis.xadd(keys.inbox(), StreamEntryID.NEW_ENTRY, fields);
  }

  private List<Map<String, String>> readEvents(String group) {
    var reply =
        jedis.xreadGroup(
            group,
            "reader",
            XReadGroupParams.xReadGroupParams().count(100),
            Map.of(keys.taskEvents(), StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
    List<Map<String, String>> out = new ArrayList<>();
    if (reply != null) {
      for (var stream : reply) {
        for (StreamEntry e : stream.getValue()) {
          out.add(e.getFields());
        }
      }
    }
    return out;
  }
}
