package dev.conveyor.runtime.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.common.test.RedisCommandLog;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

/**
 * The task ledger's roles over one Redis, as the daemons use them in turn: the dispatcher's intake,
 * the processor's step ledger, finishing, patrol's look-ups and sweep.
 */
@WithServices
class TaskLedgerIT {
  private static final Pipeline DAG =
      PipelineLoader.parse(
          """
          pipeline: dag
          version: 2
          steps:
            - {name: company, kind: java, class: x.Company}
            - {name: person, kind: java, class: x.Person}
            - {name: merge, kind: java, class: x.Merge, after: [company, person]}
            - {name: assemble, kind: java, class: x.Assemble, after: merge, scope: task}
            - {name: deliver, kind: sink, after: assemble, sink: {table: t, key: [task_id]}}
          """,
          "dag.yaml");

  private TaskIntake intake;
  private StepLedger ledger;
  private TaskFinishing finishing;
  private TaskLookup lookup;
  private TaskSweep sweep;

  @BeforeEach
  void roles(TestServices services) {
    intake = new TaskIntake(services.jedis(), services.keys());
    ledger = new StepLedger(services.jedis(), services.keys());
    finishing = new TaskFinishing(services.jedis(), services.keys());
    lookup = new TaskLookup(services.jedis(), services.keys());
    sweep = new TaskSweep(services.jedis(), services.keys());
  }

  @Test
  void aTaskIsRegisteredOnceAndASecondEntryWithItsIdIsADuplicate(TestServices services) {
    Instant at = Instant.ofEpochMilli(1_700_000_000_000L);

    assertThat(intake.register("t1", DAG, "1-0", at, List.of("{\"a\":1}", "{\"a\":2}")))
        .isEqualTo(RegisterOutcome.NEW);
    assertThat(intake.register("t1", DAG, "1-0", at, List.of("{}")))
        .as("the same entry again before its fan-out was confirmed")
        .isEqualTo(RegisterOutcome.RESUME);
    intake.dispatchAll(
        List.of(new Registration("t1", DAG, "1-0", at, List.of("{\"a\":1}", "{\"a\":2}"))));
    assertThat(intake.register("t1", DAG, "1-0", at, List.of("{}")))
        .as("the same entry again after its fan-out")
        .isEqualTo(RegisterOutcome.DONE);
    assertThat(intake.register("t1", DAG, "2-0", at, List.of("{}")))
        .as("another entry with the same id")
        .isEqualTo(RegisterOutcome.DUPLICATE);

    TaskMeta meta = lookup.meta("t1").orElseThrow();
    assertThat(meta.pipeline()).isEqualTo("dag");
    assertThat(meta.version()).isEqualTo(2);
    assertThat(meta.parts()).isEqualTo(2);
    assertThat(meta.streamId()).isEqualTo("1-0");
    assertThat(meta.receivedAt()).isEqualTo(at);
    assertThat(services.jedis().hgetAll(services.keys().taskParts("t1")))
        .isEqualTo(Map.of("0", "{\"a\":1}", "1", "{\"a\":2}"));
  }

  @Test
  void twoEntriesWithOneIdInABatchRegisterTheFirst(TestServices services) {
    Instant at = Instant.now();
    List<RegisterOutcome> outcomes =
        intake.registerAll(
            List.of(
                new Registration("twice-1", DAG, "8-0", at, List.of("{\"n\":1}")),
                new Registration("twice-1", DAG, "8-1", at, List.of("{\"n\":2}"))));

    assertThat(outcomes).containsExactly(RegisterOutcome.NEW, RegisterOutcome.DUPLICATE);
    assertThat(lookup.meta("twice-1").orElseThrow().streamId()).isEqualTo("8-0");
    assertThat(services.jedis().hget(services.keys().taskParts("twice-1"), "0"))
        .isEqualTo("{\"n\":1}");
  }

  @Test
  void aTaskOfThousandsOfPartsIsRegisteredWhole(TestServices services) {
    List<String> inputs = new java.util.ArrayList<>();
    for (int i = 0; i < 2_345; i++) {
      inputs.add("{\"part\":" + i + "}");
    }

    assertThat(intake.register("big-1", DAG, "1-0", Instant.now(), inputs))
        .isEqualTo(RegisterOutcome.NEW);

    String parts = services.keys().taskParts("big-1");
    assertThat(services.jedis().hlen(parts)).isEqualTo(2_345);
    assertThat(services.jedis().hget(parts, "0")).isEqualTo("{\"part\":0}");
    assertThat(services.jedis().hget(parts, "999")).isEqualTo("{\"part\":999}");
    assertThat(services.jedis().hget(parts, "2344")).isEqualTo("{\"part\":2344}");
  }

  @Test
  void aJoinIsReadyOnlyWhenEveryPredecessorHasThePart(TestServices services) {
    registered("j1", 2);
    QueueItem part0 = new QueueItem("j1", 0, "1-0");

    Progress afterCompany =
        ledger.recordOutput(StepProgress.of(DAG, DAG.step("company").orElseThrow()), part0, "[]");
    assertThat(afterCompany.ready()).isEmpty();

    Progress afterPerson =
        ledger.recordOutput(StepProgress.of(DAG, DAG.step("person").orElseThrow()), part0, "[]");
    assertThat(afterPerson.ready()).containsExactly("merge");
    assertThat(afterPerson.complete()).isFalse();

    Progress again =
        ledger.recordOutput(StepProgress.of(DAG, DAG.step("person").orElseThrow()), part0, "[]");
    assertThat(again).as("recording the same output again answers the same").isEqualTo(afterPerson);
  }

  @Test
  void progressOfATaskWhoseDataIsGoneBringsBackNoKey(TestServices services) {
    registered("gone-1", 1);
    Keys keys = services.keys();
    QueueItem part0 = new QueueItem("gone-1", 0, "1-0");
    ledger.recordOutput(StepProgress.of(DAG, DAG.step("company").orElseThrow()), part0, "[]");
    finishing.markFinished("dag", List.of("gone-1"), Instant.now());
    assertThat(sweep.finishedSlice("dag", Instant.now().plusSeconds(1), 0, 10))
        .containsExactly("gone-1");
    sweep.deleteTasks("dag", List.of("gone-1"));
    assertThat(sweep.finishedSlice("dag", Instant.now().plusSeconds(1), 0, 10)).isEmpty();

    // a late redelivery: the step's output, a dead item, the finish — after the cleanup
    Progress late =
        ledger.recordOutput(StepProgress.of(DAG, DAG.step("person").orElseThrow()), part0, "[]");
    ledger.recordDead(StepProgress.of(DAG, DAG.step("merge").orElseThrow()), part0, "boom");
    finishing.markFinished("dag", List.of("gone-1"), Instant.now());

    assertThat(late.ready()).isEmpty();
    assertThat(late.complete()).isFalse();
    assertThat(
            List.of(
                keys.taskMeta("gone-1"),
                keys.taskParts("gone-1"),
                keys.taskDead("gone-1"),
                keys.taskOutput("gone-1", "company"),
                keys.taskOutput("gone-1", "person")))
        .noneMatch(k -> services.jedis().exists(k));
  }

  @Test
  void aTaskScopeStepIsReadyWhenEveryPartPassedItsPredecessor(TestServices services) {
    registered("m1", 3);
    StepProgress merge = StepProgress.of(DAG, DAG.step("merge").orElseThrow());

    assertThat(ledger.recordOutput(merge, new QueueItem("m1", 0, "1-0"), "{}").ready()).isEmpty();
    assertThat(ledger.recordOutput(merge, new QueueItem("m1", 2, "1-1"), "{}").ready()).isEmpty();
    assertThat(ledger.recordOutput(merge, new QueueItem("m1", 1, "1-2"), "{}").ready())
        .containsExactly("assemble");
  }

  @Test
  void aDeadPartCountsAsPassedForTheTaskScopeStep(TestServices services) {
    registered("d1", 2);
    services.jedis().hset(services.keys().taskDead("d1"), "1", "merge: boom");
    StepProgress merge = StepProgress.of(DAG, DAG.step("merge").orElseThrow());

    assertThat(ledger.recordOutput(merge, new QueueItem("d1", 0, "1-0"), "{}").ready())
        .containsExactly("assemble");
  }

  @Test
  void theTaskIsCompleteWhenItsTerminalStepHasRun(TestServices services) {
    registered("c1", 2);
    StepProgress assemble = StepProgress.of(DAG, DAG.step("assemble").orElseThrow());
    StepProgress deliver = StepProgress.of(DAG, DAG.step("deliver").orElseThrow());

    Progress assembled =
        ledger.recordOutput(assemble, new QueueItem("c1", QueueItem.TASK, "1-0"), "{}");
    assertThat(assembled.ready()).containsExactly("deliver");
    assertThat(assembled.complete()).isFalse();

    Progress delivered =
        ledger.recordOutput(deliver, new QueueItem("c1", QueueItem.TASK, "1-1"), "7");
    assertThat(delivered.ready()).isEmpty();
    assertThat(delivered.complete()).isTrue();
    TaskFinishing.Finishing f =
        finishing.finishing(List.of("c1"), List.of("deliver")).getFirst().orElseThrow();
    assertThat(f.rows()).isEqualTo(7);
    assertThat(f.deadParts()).isZero();
  }

  @Test
  void eachRecordNotesProgressByTheRecordersClockNotByRedisTime(TestServices services) {
    Instant then = Instant.parse("2021-03-04T05:06:07.089Z");
    StepLedger recorder =
        new StepLedger(services.jedis(), services.keys(), Clock.fixed(then, ZoneOffset.UTC));
    StepProgress company = StepProgress.of(DAG, DAG.step("company").orElseThrow());
    StepProgress merge = StepProgress.of(DAG, DAG.step("merge").orElseThrow());
    StepProgress assemble = StepProgress.of(DAG, DAG.step("assemble").orElseThrow());
    StepProgress deliver = StepProgress.of(DAG, DAG.step("deliver").orElseThrow());
    registered("pa1", 2);
    registered("pa2", 1);
    registered("pa3", 1);
    String progressAt = Long.toString(then.toEpochMilli());

    recorder.recordOutput(company, new QueueItem("pa1", 0, "1-0"), "[]");
    recorder.recordDead(merge, new QueueItem("pa2", 0, "1-0"), "boom");
    recorder.recordChainedOutputs(
        deliver,
        assemble.step(),
        List.of(
            new StepLedger.ChainedOutput(
                QueueItem.unqueued("pa3", QueueItem.TASK), "{\"rows\":[]}", "0")));

    for (String id : List.of("pa1", "pa2", "pa3")) {
      assertThat(services.jedis().hget(services.keys().taskMeta(id), TaskFields.PROGRESS_AT))
          .as(id)
          .isEqualTo(progressAt);
    }
  }

  @Test
  void aStepsOutputAndItsPredecessorsAreRecordedInOneCall(TestServices services) {
    registered("ch1", 1);
    StepProgress assemble = StepProgress.of(DAG, DAG.step("assemble").orElseThrow());
    StepProgress deliver = StepProgress.of(DAG, DAG.step("deliver").orElseThrow());
    QueueItem task = QueueItem.unqueued("ch1", QueueItem.TASK);

    List<Progress> both =
        ledger.recordChainedOutputs(
            deliver,
            assemble.step(),
            List.of(new StepLedger.ChainedOutput(task, "{\"rows\":[]}", "4")));

    assertThat(both)
        .singleElement()
        .satisfies(p -> {
          assertThat(p.ready()).isEmpty();
          assertThat(p.complete()).as("deliver is the terminal step").isTrue();
        });
    Map<String, String> meta = services.jedis().hgetAll(services.keys().taskMeta("ch1"));
    assertThat(meta).containsEntry("out:assemble", "1").containsEntry("out:deliver", "1");
    assertThat(services.jedis().hget(services.keys().taskOutput("ch1", "assemble"), "task"))
        .isEqualTo("{\"rows\":[]}");
    assertThat(
            finishing.finishing(List.of("ch1"), List.of("deliver")).getFirst().orElseThrow().rows())
        .isEqualTo(4);
    assertThat(
            ledger
                .recordOutput(assemble, new QueueItem("ch1", QueueItem.TASK, "1-0"), "{}")
                .ready())
        .as("recording the predecessor again answers as it would have")
        .containsExactly("deliver");
  }

  @Test
  void anItemWithAForeignKeyOfOurNameIsNotRecordableInOneCall(TestServices services) {
    registered("rec-ok", 1);
    registered("rec-bad", 1);
    registered("rec-dead", 1);
    services.jedis().set(services.keys().taskOutput("rec-bad", "assemble"), "not a hash");
    services.jedis().sadd(services.keys().taskDead("rec-dead"), "0");
    StepProgress deliver = StepProgress.of(DAG, DAG.step("deliver").orElseThrow());

    assertThat(
            ledger.recordable(
                deliver,
                "assemble",
                List.of(
                    QueueItem.unqueued("rec-ok", QueueItem.TASK),
                    QueueItem.unqueued("rec-bad", QueueItem.TASK),
                    QueueItem.unqueued("rec-dead", QueueItem.TASK),
                    QueueItem.unqueued("rec-gone", QueueItem.TASK))))
        .containsExactly(true, false, false, true);
  }

  @Test
  void chainedOutputsOfATaskWhoseDataIsGoneBringBackNoKey(TestServices services) {
    StepProgress assemble = StepProgress.of(DAG, DAG.step("assemble").orElseThrow());
    StepProgress deliver = StepProgress.of(DAG, DAG.step("deliver").orElseThrow());

    List<Progress> gone =
        ledger.recordChainedOutputs(
            deliver,
            assemble.step(),
            List.of(
                new StepLedger.ChainedOutput(
                    QueueItem.unqueued("gone-1", QueueItem.TASK), "{}", "1")));

    assertThat(gone.getFirst().complete()).isFalse();
    assertThat(services.redisKeys()).noneMatch(k -> k.contains("{gone-1}"));
  }

  @Test
  void aPartScopeTerminalCompletesTheTaskWithItsLastPart(TestServices services) {
    Pipeline linear =
        PipelineLoader.parse(
            """
            pipeline: lin
            version: 1
            steps:
              - {name: upper, kind: java, class: x.Upper}
              - {name: deliver, kind: sink, after: upper, sink: {table: t, key: [task_id, part]}}
            """,
            "lin.yaml");
    intake.register("l1", linear, "5-0", Instant.now(), List.of("{}", "{}", "{}"));
    StepProgress upper = StepProgress.of(linear, linear.step("upper").orElseThrow());
    StepProgress deliver = StepProgress.of(linear, linear.step("deliver").orElseThrow());

    assertThat(ledger.recordOutput(upper, new QueueItem("l1", 1, "1-0"), "{}").ready())
        .containsExactly("deliver");
    assertThat(ledger.recordOutput(deliver, new QueueItem("l1", 0, "1-0"), "2").complete())
        .isFalse();
    assertThat(ledger.recordOutput(deliver, new QueueItem("l1", 1, "1-0"), "3").complete())
        .isFalse();
    services.jedis().hset(services.keys().taskDead("l1"), "2", "upper: boom");
    assertThat(ledger.recordOutput(deliver, new QueueItem("l1", 1, "1-0"), "3").complete())
        .as("the last part is dead: every part is delivered or dead")
        .isTrue();
    TaskFinishing.Finishing f =
        finishing.finishing(List.of("l1"), List.of("deliver")).getFirst().orElseThrow();
    assertThat(f.deadParts()).isEqualTo(1);
    assertThat(f.rows()).isEqualTo(5);
  }

  @Test
  void itemsGoToTheShardOfTheirTaskAndFinishingTakesTheTaskOutOfFlight(TestServices services) {
    Pipeline sharded =
        PipelineLoader.parse(
            """
            pipeline: sh
            version: 1
            steps:
              - {name: s, kind: sink, shards: 4, sink: {table: t, key: [task_id, part]}}
            """,
            "sh.yaml");
    Keys keys = services.keys();
    ledger.enqueue(
        sharded,
        sharded.step("s").orElseThrow(),
        List.of(Map.entry("task-a", 0), Map.entry("task-a", 1)));
    int shard = Shards.of("task-a", 4);
    assertThat(services.jedis().xlen(keys.stepQueue("sh", "s", shard))).isEqualTo(2);
    for (int other = 0; other < 4; other++) {
      if (other != shard) {
        assertThat(services.jedis().exists(keys.stepQueue("sh", "s", other))).isFalse();
      }
    }

    Registration a = new Registration("task-a", sharded, "9-0", Instant.now(), List.of("{}"));
    intake.registerAll(List.of(a));
    intake.dispatchAll(List.of(a));
    assertThat(services.jedis().xlen(keys.stepQueue("sh", "s", shard))).isEqualTo(3);
    assertThat(sweep.inflightCount("sh")).isEqualTo(1);
    assertThat(intake.inflightCounts(List.of("sh", "other")))
        .isEqualTo(Map.of("sh", 1L, "other", 0L));
    finishing.markFinished("sh", List.of("task-a"), Instant.now());
    assertThat(sweep.inflightCount("sh")).isZero();
    assertThat(sweep.finishedSlice("sh", Instant.now().plusSeconds(1), 0, 10))
        .containsExactly("task-a");
    assertThat(sweep.finishedSlice("sh", Instant.now().minusSeconds(60), 0, 10))
        .as("only the tasks finished at or before the bound")
        .isEmpty();
    assertThat(intake.register("task-a", sharded, "9-0", Instant.now(), List.of("{}")))
        .isEqualTo(RegisterOutcome.DONE);
  }

  @Test
  void aFailedItemWaitsInTheRetrySetAndComesBackOnTheQueueWhenDue(TestServices services) {
    Keys keys = services.keys();
    StreamGroup queue =
        new StreamGroup(
            services.jedis(), keys.stepQueue("dag", "company", 0), Keys.PROCESSOR_GROUP);
    queue.ensure();
    ledger.enqueue(DAG, DAG.step("company").orElseThrow(), List.of(Map.entry("r1", 0)));
    QueueItem item =
        QueueItem.from(queue.readNew(Keys.PROCESSOR_CONSUMER, 10, Duration.ZERO).getFirst())
            .orElseThrow();
    Instant due = Instant.ofEpochMilli(1_700_000_010_000L);

    ledger.retryLater("dag", "company", 0, Keys.PROCESSOR_GROUP, item, due);

    assertThat(queue.state().pending()).as("taken off the queue").isZero();
    assertThat(services.jedis().zcard(keys.stepRetries("dag", "company", 0))).isEqualTo(1);
    assertThat(ledger.moveDueRetries("dag", "company", 0, due.minusMillis(1), 10))
        .as("not due yet")
        .isZero();
    assertThat(ledger.moveDueRetries("dag", "company", 0, due, 10)).isEqualTo(1);
    assertThat(services.jedis().zcard(keys.stepRetries("dag", "company", 0))).isZero();
    QueueItem again =
        QueueItem.from(queue.readNew(Keys.PROCESSOR_CONSUMER, 10, Duration.ZERO).getFirst())
            .orElseThrow();
    assertThat(again.taskId()).isEqualTo("r1");
    assertThat(again.part()).isZero();
    assertThat(again.attempts()).isEqualTo(1);
  }

  @Test
  void deletingFinishedTasksRemovesEveryKeyOfThemAndNoOther(TestServices services) {
    registered("x1", 2);
    registered("x2", 1);
    registered("keep", 1);
    StepProgress company = StepProgress.of(DAG, DAG.step("company").orElseThrow());
    ledger.recordOutput(company, new QueueItem("x1", 0, "1-0"), "[]");
    ledger.recordOutput(company, new QueueItem("x2", 0, "1-0"), "[]");
    ledger.recordDead(company, new QueueItem("x1", 1, "1-1"), "boom");
    assertThat(lookup.passed("x1", List.of("company", "person")).byStep().get("company"))
        .containsExactly("0");
    assertThat(lookup.pulses(List.of("x1", "x2", "gone")))
        .extracting(p -> p.map(TaskLookup.Pulse::parts).orElse(-1))
        .containsExactly(2, 1, -1);

    sweep.deleteTasks(DAG.name(), List.of("x1", "x2"));

    assertThat(services.redisKeys())
        .as("the deleted tasks have no keys left; the other one keeps its own")
        .noneMatch(k -> k.contains("{x1}") || k.contains("{x2}"))
        .anyMatch(k -> k.contains("{keep}"));
  }

  @Test
  void shardsAreStableAndInRange() {
    assertThat(Shards.of("doc-42", 1)).isZero();
    for (int n = 2; n < 50; n++) {
      int s = Shards.of("doc-42", n);
      assertThat(s).isBetween(0, n - 1).isEqualTo(Shards.of("doc-42", n));
    }
  }

  @Test
  void aBatchGoesIntoAndOutOfTheIndexesWithOneCommandPerIndexAndNoScript(TestServices services)
      throws InterruptedException {
    Pipeline solo =
        PipelineLoader.parse(
            """
            pipeline: solo
            version: 1
            steps:
              - {name: s, kind: sink, sink: {table: t, key: [task_id, part]}}
            """,
            "solo.yaml");
    Instant at = Instant.ofEpochMilli(1_700_000_000_000L);
    List<Registration> batch = new java.util.ArrayList<>();
    for (int i = 0; i < 30; i++) {
      Pipeline p = i % 3 == 0 ? DAG : solo;
      batch.add(new Registration("b" + i, p, i + "-0", at.plusMillis(i), List.of("{}")));
    }
    intake.registerAll(batch);
    List<String> soloIds =
        batch.stream().filter(r -> r.pipeline() == solo).map(Registration::taskId).toList();

    List<String> dispatching;
    try (RedisCommandLog log = RedisCommandLog.start(services)) {
      intake.dispatchAll(batch);
      dispatching = log.stop();
    }
    List<String> finishingCommands;
    Instant finishedAt = at.plusSeconds(60);
    try (RedisCommandLog log = RedisCommandLog.start(services)) {
      finishing.markFinished("solo", soloIds, finishedAt);
      finishingCommands = log.stop();
    }

    assertThat(RedisCommandLog.count(dispatching, "ZADD"))
        .as("one ZADD per pipeline of the batch: %s", dispatching)
        .isEqualTo(2);
    assertThat(finishingCommands)
        .as("the indexes only: the audit row says that a task finished")
        .containsExactlyInAnyOrder("ZADD", "ZREM");
    UnifiedJedis jedis = services.jedis();
    Keys keys = services.keys();
    for (Registration r : batch) {
      if (r.pipeline() == DAG) {
        assertThat(jedis.zscore(keys.inflight("dag"), r.taskId())).isNotNull();
      }
    }
    assertThat(jedis.zscore(keys.inflight("dag"), "b3")).isEqualTo(at.plusMillis(3).toEpochMilli());
    assertThat(jedis.zcard(keys.inflight("solo"))).isZero();
    assertThat(jedis.zrange(keys.finished("solo"), 0, -1))
        .containsExactlyInAnyOrderElementsOf(soloIds);
    assertThat(jedis.zscore(keys.finished("solo"), "b1")).isEqualTo(finishedAt.toEpochMilli());
  }

  @Test
  void aTaskAlreadyInTheInflightIndexKeepsItsTimeWhenDispatchedAgain(TestServices services) {
    Instant first = Instant.ofEpochMilli(1_700_000_000_000L);
    Registration r = new Registration("again-1", DAG, "5-0", first, List.of("{}"));
    intake.registerAll(List.of(r));
    intake.dispatchAll(List.of(r));
    intake.dispatchAll(
        List.of(new Registration("again-1", DAG, "5-0", first.plusSeconds(9), List.of("{}"))));

    assertThat(services.jedis().zscore(services.keys().inflight("dag"), "again-1"))
        .isEqualTo(first.toEpochMilli());
  }

  private void registered(String id, int parts) {
    intake.register(id, DAG, "1-0", Instant.now(), java.util.Collections.nCopies(parts, "{}"));
  }

  @Test
  void aQueueWithAnEntryBehindADeletedOneIsNotDrainedUntilItIsRead(TestServices services) {
    UnifiedJedis jedis = services.jedis();
    String stream = services.keys().stepQueue("lag", "s", 0);
    StreamGroup group = new StreamGroup(jedis, stream, Keys.PROCESSOR_GROUP);
    group.ensure();
    jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("n", "1"));
    StreamEntryID b = jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("n", "2"));
    jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("n", "3"));
    group.ack(group.readNew("tick", 1, Duration.ZERO).stream().map(StreamMessage::id).toList());
    // why: an undelivered entry deleted from the middle: Redis can no longer count the lag
    jedis.xdel(stream, b);
    assertThat(ledger.queueDrained("lag", "s", 0)).as("an entry still waits to be read").isFalse();

    group.ack(group.readNew("tick", 10, Duration.ZERO).stream().map(StreamMessage::id).toList());
    assertThat(ledger.queueDrained("lag", "s", 0)).isTrue();
  }
}
