package dev.conveyor.dispatcher;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.ReplicationBarrier;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.TaskFinishing;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.ledger.TaskSweep;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.records.RejectedMessageRepository;
import dev.conveyor.runtime.records.TaskAudit;
import dev.conveyor.runtime.records.TaskAuditRepository;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

/**
 * What happens between the intake's steps: a task that finishes and is cleaned up before its id is
 * registered again (one look-up of audit rows per batch, after the registration), and an inbox
 * entry whose stream id an earlier one had.
 */
@WithServices
class IntakeRacesIT {
  private static final String ECHO =
      """
      pipeline: echo
      version: 1
      steps:
        - name: deliver
          kind: sink
          sink:
            table: conveyor.echo_rows
            key: [task_id, part]
      """;

  private TestServices services;
  private DispatcherFixture fixture;
  private Pipeline echo;

  @BeforeEach
  void setUp(TestServices services, @TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("echo.yaml"), ECHO);
    this.services = services;
    this.fixture = DispatcherFixture.create(services, dir);
    this.echo = PipelineLoader.parse(ECHO, "echo.yaml");
  }

  @AfterEach
  void tearDown() {
    fixture.close();
  }

  @Test
  void aTaskThatFinishesAndIsCleanedUpRightBeforeItsIdIsRegisteredAgainIsTakenBackAsADuplicate() {
    Keys keys = fixture.keys();
    UnifiedJedis jedis = fixture.jedis();
    TaskIntake intake = new TaskIntake(jedis, keys);
    Instant received = Instant.now().minusSeconds(60);
    Registration earlier =
        new Registration("race-1", echo, "1-0", received, List.of("{\"text\":\"first\"}"));
    intake.registerAll(List.of(earlier));
    intake.dispatchAll(List.of(earlier));
    String queue = keys.stepQueue("echo", "deliver", 0);
    long queued = jedis.xlen(queue);
    // why: the interleaving under test, forced: while the second entry is validated and split, the
    // earlier task finishes (its audit row is written) and patrol deletes its keys, so the
    // registration finds no trace of it in Redis
    finishAndCleanUp("race-1", received);
    List<Collection<String>> lookups = new ArrayList<>();
    BatchHandler handler = handler(recordingLookups(lookups));

    BatchHandler.Summary s =
        handler.handle(
            List.of(
                entry(
                    "2-0", "pipeline", "echo", "id", "race-1", "payload", "{\"text\":\"second\"}")),
            Map.of());

    assertThat(s.duplicates()).isEqualTo(1);
    assertThat(s.accepted()).isZero();
    assertThat(lookups).as("looked up after the registration").containsExactly(List.of("race-1"));
    assertThat(jedis.exists(keys.taskMeta("race-1")))
        .as("the registration is taken back")
        .isFalse();
    assertThat(jedis.exists(keys.taskParts("race-1"))).isFalse();
    assertThat(jedis.xlen(queue)).as("nothing fanned out again").isEqualTo(queued);
    assertThat(jedis.zscore(keys.inflight("echo"), "race-1")).isNull();
  }

  @Test
  void aBatchOfNewTasksLooksUpTheAuditRowsOnceForAll() {
    List<Collection<String>> lookups = new ArrayList<>();
    BatchHandler handler = handler(recordingLookups(lookups));

    BatchHandler.Summary s =
        handler.handle(
            List.of(
                entry("3-1", "pipeline", "echo", "id", "once-1", "payload", "{\"text\":\"a\"}"),
                entry("3-2", "pipeline", "echo", "id", "once-2", "payload", "{\"text\":\"b\"}"),
                entry("3-3", "pipeline", "echo", "id", "once-3", "payload", "{\"text\":\"c\"}")),
            Map.of());

    assertThat(s.accepted()).isEqualTo(3);
    assertThat(lookups).hasSize(1);
    assertThat(lookups.getFirst()).containsExactlyInAnyOrder("once-1", "once-2", "once-3");
    assertThat(fixture.jedis().xlen(fixture.keys().stepQueue("echo", "deliver", 0))).isEqualTo(3);
  }

  @Test
  void aFinishedTasksIdSentAgainWithAPayloadItsPipelineCannotSplitIsADuplicateNotARejection() {
    Pipeline texts = PipelineLoader.parse(IntakeFixture.TEXTS, "texts.yaml");
    finishAndCleanUp("split-1", Instant.now().minusSeconds(60));
    List<Collection<String>> lookups = new ArrayList<>();
    BatchHandler handler = handler(Pipelines.of(List.of(echo, texts)), recordingLookups(lookups));

    BatchHandler.Summary s =
        handler.handle(
            List.of(
                entry("4-1", "pipeline", "texts", "id", "split-1", "payload", "{\"body\":1}"),
                entry("4-2", "pipeline", "texts", "id", "split-2", "payload", "{\"body\":2}")),
            Map.of());

    assertThat(s.duplicates()).as("split-1 finished before").isEqualTo(1);
    assertThat(s.rejected()).as("split-2 never ran").isEqualTo(1);
    assertThat(lookups).hasSize(1);
    assertThat(lookups.getFirst()).containsExactlyInAnyOrder("split-1", "split-2");
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.rejected_messages WHERE stream_id = '4-1'"))
        .isZero();
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.rejected_messages WHERE stream_id = '4-2'"
                    + " AND reason = 'unsplittable'"))
        .isEqualTo(1);
  }

  @Test
  void anEntryWithTheStreamIdOfAnEarlierOneGetsARowOfItsOwnAfterTheInboxIsRecreated() {
    fixture.start("repeat-node", Map.of());
    UnifiedJedis jedis = fixture.jedis();
    String inbox = fixture.keys().inbox();
    StreamEntryID id = new StreamEntryID(5, 1);
    jedis.xadd(inbox, id, new LinkedHashMap<>(Map.of("pipeline", "echo", "payload", "{first")));
    fixture.awaitHandled(id);

    jedis.del(inbox);
    jedis.xadd(inbox, id, new LinkedHashMap<>(Map.of("pipeline", "echo", "payload", "[2]")));

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() ->
            assertThat(
                    services.queryLong(
                        "SELECT count(*) FROM conveyor.rejected_messages WHERE stream_id = '5-1'"))
                .isEqualTo(2));
    fixture.awaitHandled(id);
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.rejected_messages WHERE stream_id = '5-1'"
                    + " AND reason = 'payload_not_object'"))
        .isEqualTo(1);
  }

  @Test
  void aSecondPassOverTheSameEntryStoresNoSecondRow() {
    BatchHandler handler = handler(ids -> Set.of());
    StreamMessage bad = entry("6-1", "pipeline", "echo", "payload", "{not json");

    handler.handle(List.of(bad), Map.of());
    handler.handle(List.of(bad), Map.of());

    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.rejected_messages WHERE stream_id = '6-1'"))
        .isEqualTo(1);
  }

  /** The audit rows' look-up, each call's ids noted in {@code lookups}. */
  private FinishedTasks recordingLookups(List<Collection<String>> lookups) {
    TaskAuditRepository audit = new TaskAuditRepository(services.dataSource());
    return ids -> {
      lookups.add(List.copyOf(ids));
      return audit.existing(ids);
    };
  }

  private BatchHandler handler(FinishedTasks audit) {
    return handler(Pipelines.of(List.of(echo)), audit);
  }

  /**
   * A batch handler whose one look-up of audit rows, before or after registering, is {@code audit}.
   */
  private BatchHandler handler(Pipelines pipelines, FinishedTasks audit) {
    return new BatchHandler(
        new MessageValidator(pipelines, 1 << 20),
        new Rejections(new RejectedMessageRepository(services.dataSource()), 1 << 20, 64),
        new TaskFanOut(
            new TaskIntake(fixture.jedis(), fixture.keys()),
            fixture.jedis(),
            new ReplicationBarrier(fixture.keys(), false, Duration.ofSeconds(1)),
            audit),
        audit,
        new IntakeMetrics(new SimpleMeterRegistry()),
        5);
  }

  /**
   * The earlier task {@code taskId} of echo finishes (its audit row) and patrol deletes its keys.
   */
  private void finishAndCleanUp(String taskId, Instant received) {
    new TaskAuditRepository(services.dataSource())
        .insert(
            new TaskAudit(
                taskId,
                "echo",
                1,
                TaskAudit.Outcome.DELIVERED,
                1,
                0,
                1,
                "1-0",
                received,
                Instant.now(),
                Optional.empty()));
    new TaskFinishing(fixture.jedis(), fixture.keys())
        .markFinished("echo", List.of(taskId), Instant.now());
    new TaskSweep(fixture.jedis(), fixture.keys()).deleteTasks("echo", List.of(taskId));
  }

  private static StreamMessage entry(String id, String... nameValues) {
    Map<String, byte[]> fields = new LinkedHashMap<>();
    for (int i = 0; i < nameValues.length; i += 2) {
      fields.put(nameValues[i], nameValues[i + 1].getBytes(UTF_8));
    }
    return new StreamMessage(id, fields);
  }
}
