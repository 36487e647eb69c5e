package dev.conveyor.runtime.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

@WithServices
class TaskStoreIT {
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

  @Test
  void aTaskIsRegisteredOnceAndASecondEntryWithItsIdIsADuplicate(TestServices services) {
    TaskStore store = new TaskStore(services.jedis(), services.keys());
    Instant at = Instant.ofEpochMilli(1_700_000_000_000L);

    assertThat(store.register("t1", DAG, "1-0", at, List.of("{\"a\":1}", "{\"a\":2}")))
        .isEqualTo(RegisterOutcome.NEW);
    assertThat(store.register("t1", DAG, "1-0", at, List.of("{}")))
        .as("the same entry again before its fan-out was confirmed")
        .isEqualTo(RegisterOutcome.RESUME);
    store.dispatchAll(
        List.of(new Registration("t1", DAG, "1-0", at, List.of("{\"a\":1}", "{\"a\":2}"))));
    assertThat(store.register("t1", DAG, "1-0", at, List.of("{}")))
        .as("the same entry again after its fan-out")
        .isEqualTo(RegisterOutcome.DONE);
    assertThat(store.register("t1", DAG, "2-0", at, List.of("{}")))
        .as("another entry with the same id")
        .isEqualTo(RegisterOutcome.DUPLICATE);

    TaskMeta meta = store.meta("t1").orElseThrow();
    assertThat(meta.pipeline()).isEqualTo("dag");
    assertThat(meta.version()).isEqualTo(2);
    assertThat(meta.parts()).isEqualTo(2);
    assertThat(meta.streamId()).isEqualTo("1-0");
    assertThat(meta.receivedAt()).isEqualTo(at);
    assertThat(services.jedis().hgetAll(services.keys().taskParts("t1")))
        .isEqualTo(Map.of("0", "{\"a\":1}", "1", "{\"a\":2}"));
  }

  @Test
  void aJoinIsReadyOnlyWhenEveryPredecessorHasThePart(TestServices services) {
    TaskStore store = registered(services, "j1", 2);
    QueueItem part0 = new QueueItem("j1", 0, "1-0");

    Progress afterCompany =
        store.recordOutput(StepProgress.of(DAG, DAG.step("company").orElseThrow()), part0, "[]");
    assertThat(afterCompany.ready()).isEmpty();

    Progress afterPerson =
        store.recordOutput(StepProgress.of(DAG, DAG.step("person").orElseThrow()), part0, "[]");
    assertThat(afterPerson.ready()).containsExactly("merge");
    assertThat(afterPerson.complete()).isFalse();

    Progress again =
        store.recordOutput(StepProgress.of(DAG, DAG.step("person").orElseThrow()), part0, "[]");
    assertThat(again).as("recording the same output again answers the same").isEqualTo(afterPerson);
  }

  @Test
  void progressOfATaskWhoseDataIsGoneBringsBackNoKey(TestServices services) {
    TaskStore store = registered(services, "gone-1", 1);
    Keys keys = services.keys();
    QueueItem part0 = new QueueItem("gone-1", 0, "1-0");
    store.recordOutput(StepProgress.of(DAG, DAG.step("company").orElseThrow()), part0, "[]");
    store.markFinished("dag", List.of("gone-1"), Instant.now());
    assertThat(store.finishedSlice("dag", 0, 10)).containsExactly("gone-1");
    store.deleteTasks("dag", List.of("gone-1"));
    assertThat(store.finishedSlice("dag", 0, 10)).isEmpty();

    // a late redelivery: the step's output, a dead item, the finish — after the cleanup
    Progress late =
        store.recordOutput(StepProgress.of(DAG, DAG.step("person").orElseThrow()), part0, "[]");
    store.recordDead(StepProgress.of(DAG, DAG.step("merge").orElseThrow()), part0, "boom");
    store.markFinished("dag", List.of("gone-1"), Instant.now());

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
    TaskStore store = registered(services, "m1", 3);
    StepProgress merge = StepProgress.of(DAG, DAG.step("merge").orElseThrow());

    assertThat(store.recordOutput(merge, new QueueItem("m1", 0, "1-0"), "{}").ready()).isEmpty();
    assertThat(store.recordOutput(merge, new QueueItem("m1", 2, "1-1"), "{}").ready()).isEmpty();
    assertThat(store.recordOutput(merge, new QueueItem("m1", 1, "1-2"), "{}").ready())
        .containsExactly("assemble");
  }

  @Test
  void aDeadPartCountsAsPassedForTheTaskScopeStep(TestServices services) {
    TaskStore store = registered(services, "d1", 2);
    services.jedis().hset(services.keys().taskDead("d1"), "1", "merge: boom");
    StepProgress merge = StepProgress.of(DAG, DAG.step("merge").orElseThrow());

    assertThat(store.recordOutput(merge, new QueueItem("d1", 0, "1-0"), "{}").ready())
        .containsExactly("assemble");
  }

  @Test
  void theTaskIsCompleteWhenItsTerminalStepHasRun(TestServices services) {
    TaskStore store = registered(services, "c1", 2);
    StepProgress assemble = StepProgress.of(DAG, DAG.step("assemble").orElseThrow());
    StepProgress deliver = StepProgress.of(DAG, DAG.step("deliver").orElseThrow());

    Progress assembled =
        store.recordOutput(assemble, new QueueItem("c1", QueueItem.TASK, "1-0"), "{}");
    assertThat(assembled.ready()).containsExactly("deliver");
    assertThat(assembled.complete()).isFalse();

    Progress delivered =
        store.recordOutput(deliver, new QueueItem("c1", QueueItem.TASK, "1-1"), "7");
    assertThat(delivered.ready()).isEmpty();
    assertThat(delivered.complete()).isTrue();
    TaskStore.Finishing f =
        store.finishing(List.of("c1"), List.of("deliver")).getFirst().orElseThrow();
    assertThat(f.rows()).isEqualTo(7);
    assertThat(f.deadParts()).isZero();
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
    TaskStore store = new TaskStore(services.jedis(), services.keys());
    store.register("l1", linear, "5-0", Instant.now(), List.of("{}", "{}", "{}"));
    StepProgress upper = StepProgress.of(linear, linear.step("upper").orElseThrow());
    StepProgress deliver = StepProgress.of(linear, linear.step("deliver").orElseThrow());

    assertThat(store.recordOutput(upper, new QueueItem("l1", 1, "1-0"), "{}").ready())
        .containsExactly("deliver");
    assertThat(store.recordOutput(deliver, new QueueItem("l1", 0, "1-0"), "2").complete())
        .isFalse();
    assertThat(store.recordOutput(deliver, new QueueItem("l1", 1, "1-0"), "3").complete())
        .isFalse();
    services.jedis().hset(services.keys().taskDead("l1"), "2", "upper: boom");
    assertThat(store.recordOutput(deliver, new QueueItem("l1", 1, "1-0"), "3").complete())
        .as("the last part is dead: every part is delivered or dead")
        .isTrue();
    TaskStore.Finishing f =
        store.finishing(List.of("l1"), List.of("deliver")).getFirst().orElseThrow();
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
    TaskStore store = new TaskStore(services.jedis(), services.keys());
    Keys keys = services.keys();
    store.enqueue(
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
    store.registerAll(List.of(a));
    store.dispatchAll(List.of(a));
    assertThat(services.jedis().xlen(keys.stepQueue("sh", "s", shard))).isEqualTo(3);
    assertThat(store.inflightCount("sh")).isEqualTo(1);
    assertThat(store.inflightCounts(List.of("sh", "other")))
        .isEqualTo(Map.of("sh", 1L, "other", 0L));
    store.markFinished("sh", List.of("task-a"), Instant.now());
    assertThat(store.finishing(List.of("task-a"), List.of("s")).getFirst())
        .as("a finished task is not finished again")
        .isEmpty();
    assertThat(store.inflightCount("sh")).isZero();
    assertThat(store.finishedSlice("sh", 0, 10)).containsExactly("task-a");
    assertThat(store.meta("task-a").orElseThrow().finishedAt()).isPresent();
    assertThat(store.register("task-a", sharded, "9-0", Instant.now(), List.of("{}")))
        .isEqualTo(RegisterOutcome.DONE);
  }

  @Test
  void aFailedItemWaitsInTheRetrySetAndComesBackOnTheQueueWhenDue(TestServices services) {
    TaskStore store = new TaskStore(services.jedis(), services.keys());
    Keys keys = services.keys();
    StreamGroup queue =
        new StreamGroup(
            services.jedis(), keys.stepQueue("dag", "company", 0), Keys.PROCESSOR_GROUP);
    queue.ensure();
    store.enqueue(DAG, DAG.step("company").orElseThrow(), List.of(Map.entry("r1", 0)));
    QueueItem item =
        QueueItem.from(queue.readNew(Keys.PROCESSOR_CONSUMER, 10, Duration.ZERO).getFirst())
            .orElseThrow();
    Instant due = Instant.ofEpochMilli(1_700_000_010_000L);

    store.retryLater("dag", "company", 0, Keys.PROCESSOR_GROUP, item, due);

    assertThat(queue.state().pending()).as("taken off the queue").isZero();
    assertThat(services.jedis().zcard(keys.stepRetries("dag", "company", 0))).isEqualTo(1);
    assertThat(store.moveDueRetries("dag", "company", 0, due.minusMillis(1), 10))
        .as("not due yet")
        .isZero();
    assertThat(store.moveDueRetries("dag", "company", 0, due, 10)).isEqualTo(1);
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
    TaskStore store = registered(services, "x1", 2);
    registered(services, "x2", 1);
    registered(services, "keep", 1);
    StepProgress company = StepProgress.of(DAG, DAG.step("company").orElseThrow());
    store.recordOutput(company, new QueueItem("x1", 0, "1-0"), "[]");
    store.recordOutput(company, new QueueItem("x2", 0, "1-0"), "[]");
    store.recordDead(company, new QueueItem("x1", 1, "1-1"), "boom");
    assertThat(store.passed("x1", List.of("company", "person")).byStep().get("company"))
        .containsExactly("0");
    assertThat(store.pulses(List.of("x1", "x2", "gone")))
        .extracting(p -> p.map(TaskStore.Pulse::parts).orElse(-1))
        .containsExactly(2, 1, -1);

    store.deleteTasks(DAG.name(), List.of("x1", "x2"));

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

  private static TaskStore registered(TestServices services, String id, int parts) {
    TaskStore store = new TaskStore(services.jedis(), services.keys());
    store.register(id, DAG, "1-0", Instant.now(), java.util.Collections.nCopies(parts, "{}"));
    return store;
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
    TaskStore tasks = new TaskStore(jedis, services.keys());
    assertThat(tasks.queueDrained("lag", "s", 0)).as("an entry still waits to be read").isFalse();

    group.ack(group.readNew("tick", 10, Duration.ZERO).stream().map(StreamMessage::id).toList());
    assertThat(tasks.queueDrained("lag", "s", 0)).isTrue();
  }
}
