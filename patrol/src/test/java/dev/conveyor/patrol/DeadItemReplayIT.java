package dev.conveyor.patrol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.db.Fence;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.DeadLetters;
import dev.conveyor.runtime.ledger.Progress;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.StepLedger;
import dev.conveyor.runtime.ledger.StepProgress;
import dev.conveyor.runtime.ledger.TaskCompletion;
import dev.conveyor.runtime.ledger.TaskFinishing;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.ledger.TaskSnapshots;
import dev.conveyor.runtime.ledger.TaskSweep;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.TaskAudit;
import dev.conveyor.runtime.records.TaskAuditRepository;
import dev.conveyor.runtime.records.TaskCleanupRepository;
import dev.conveyor.runtime.records.TaskSnapshotRepository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replay in a pipeline with a join and a task-scope merge: the outputs made without the dead part
 * are forgotten, so the merge runs again with every part and the task completes again — also when
 * patrol had cleaned the task up, from the snapshot it kept.
 */
@WithServices
class DeadItemReplayIT {
  private static final String IDENTITY = "dev.conveyor.runtime.step.builtin.Identity";

  private Pipeline ner;
  private TaskIntake intake;
  private StepLedger ledger;
  private TaskSweep sweep;
  private TaskAuditRepository audit;
  private DeadItemRepository deadRows;
  private TaskCompletion completion;

  @BeforeEach
  void pipeline(TestServices services, @TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("ner.yaml"),
        """
        pipeline: ner
        version: 1
        steps:
          - {name: company, kind: java, class: %1$s}
          - {name: person, kind: java, class: %1$s}
          - {name: merge, kind: java, class: %1$s, after: [company, person]}
          - {name: assemble, kind: java, class: %1$s, after: [merge], scope: task}
          - name: deliver
            kind: sink
            after: [assemble]
            sink: {table: conveyor.echo_rows, key: [task_id, part]}
        """
            .formatted(IDENTITY));
    ner = PipelineLoader.loadDirectory(dir).get("ner").orElseThrow();
    intake = new TaskIntake(services.jedis(), services.keys());
    ledger = new StepLedger(services.jedis(), services.keys());
    sweep = new TaskSweep(services.jedis(), services.keys());
    audit = new TaskAuditRepository(services.dataSource());
    deadRows = new DeadItemRepository(services.dataSource());
    completion =
        new TaskCompletion(
            new TaskFinishing(services.jedis(), services.keys()), audit, Clock.systemUTC());
  }

  @Test
  void aReplayedPartRunsTheJoinAndTheMergeAgainAndTheTaskFinishesDelivered(TestServices services) {
    finishedWithPart1Dead(services, "j-1");

    DeadItemReplay replay = replay(services);
    List<DeadItemReplay.Outcome> dry = replay.replay("j-1", null, null, true);
    assertThat(dry)
        .singleElement()
        .extracting(DeadItemReplay.Outcome::skipped)
        .isEqualTo(Optional.empty());
    assertThat(deadRows.forTask("j-1")).hasSize(1);
    assertThat(replay.replay(null, "ner", "person", false)).hasSize(1);

    assertReopenedAndFinishesDelivered(services, "j-1");
  }

  @Test
  void aTaskCleanedUpWithItsSnapshotIsBroughtBackAndReplayed(TestServices services) {
    finishedWithPart1Dead(services, "j-2");
    TaskSnapshots snapshots = new TaskSnapshots(services.jedis(), services.keys());
    TaskSnapshotRepository snapshotRows = new TaskSnapshotRepository(services.dataSource());
    // what patrol's cleanup does to a task with dead items, in one transaction
    Fence.plain(services.dataSource())
        .run(c -> {
          snapshotRows.save(c, snapshots.take(List.of("j-2")), Instant.now());
          sweep.deleteTasks("ner", List.of("j-2"));
          TaskCleanupRepository audit = new TaskCleanupRepository(services.dataSource());
          return audit.markCleaned(c, looked(audit, "j-2"), Instant.now(), 1, Optional.empty());
        });
    assertThat(services.redisKeys()).noneMatch(k -> k.contains("{j-2}"));

    DeadItemReplay replay = replay(services);
    assertThat(replay.replay("j-2", null, null, true))
        .singleElement()
        .extracting(DeadItemReplay.Outcome::skipped)
        .isEqualTo(Optional.empty());
    assertThat(replay.replay("j-2", null, null, false))
        .singleElement()
        .extracting(DeadItemReplay.Outcome::skipped)
        .isEqualTo(Optional.empty());

    assertThat(services.queryLong("SELECT count(*) FROM conveyor.task_snapshots")).isZero();
    assertThat(services.jedis().zscore(services.keys().finished("ner"), "j-2")).isNull();
    assertReopenedAndFinishesDelivered(services, "j-2");
  }

  @Test
  void aTaskCleanedUpWithoutASnapshotIsSkippedAndItsRowKept(TestServices services) {
    finishedWithPart1Dead(services, "j-3");
    Fence.plain(services.dataSource())
        .run(c -> {
          sweep.deleteTasks("ner", List.of("j-3"));
          TaskCleanupRepository audit = new TaskCleanupRepository(services.dataSource());
          return audit.markCleaned(c, looked(audit, "j-3"), Instant.now(), 1, Optional.empty());
        });

    List<DeadItemReplay.Outcome> outcomes = replay(services).replay("j-3", null, null, false);

    assertThat(outcomes)
        .singleElement()
        .extracting(o -> o.skipped().orElseThrow())
        .asString()
        .startsWith("task j-3 was cleaned up and no snapshot of it is kept");
    assertThat(deadRows.forTask("j-3")).hasSize(1);
    assertThat(audit.find("j-3").orElseThrow().cleanedAt()).isPresent();
  }

  private DeadItemReplay replay(TestServices services) {
    return new DeadItemReplay(
        Pipelines.of(List.of(ner)),
        services.jedis(),
        services.keys(),
        services.dataSource(),
        () -> Fence.plain(services.dataSource()));
  }

  /** Two parts through company and person; person fails on part 1 for good: PARTIAL. */
  private void finishedWithPart1Dead(TestServices services, String id) {
    Registration r =
        new Registration(id, ner, "1-0", Instant.now(), List.of("{\"a\":0}", "{\"a\":1}"));
    intake.registerAll(List.of(r));
    intake.dispatchAll(List.of(r));
    output(id, "company", 0);
    output(id, "company", 1);
    output(id, "person", 0);
    output(id, "merge", 0);
    new DeadLetters(ledger, deadRows, Clock.systemUTC())
        .kill(progress(ner, "person"), "ner", new QueueItem(id, 1, "1-1", 3), "{\"a\":1}", "bug");
    output(id, "assemble", QueueItem.TASK);
    assertThat(output(id, "deliver", QueueItem.TASK).complete()).isTrue();
    completion.finish(ner, List.of(id));
    assertThat(audit.find(id).orElseThrow().outcome()).isEqualTo(TaskAudit.Outcome.PARTIAL);
    drain(services, "person");
  }

  private void assertReopenedAndFinishesDelivered(TestServices services, String id) {
    Keys keys = services.keys();
    assertThat(services.jedis().hgetAll(keys.taskDead(id))).isEmpty();
    assertThat(services.jedis().hkeys(keys.taskOutput(id, "company"))).containsOnly("0", "1");
    assertThat(services.jedis().hkeys(keys.taskOutput(id, "merge"))).containsOnly("0");
    assertThat(services.jedis().hkeys(keys.taskOutput(id, "assemble"))).isEmpty();
    assertThat(services.jedis().hkeys(keys.taskOutput(id, "deliver"))).isEmpty();
    assertThat(services.jedis().hget(keys.taskMeta(id), "finished_at")).isNull();
    assertThat(services.jedis().hget(keys.taskMeta(id), "replays")).isEqualTo("1");
    assertThat(services.jedis().zscore(keys.inflight("ner"), id)).isNotNull();
    assertThat(audit.find(id)).isEmpty();
    assertThat(deadRows.forTask(id)).isEmpty();
    assertThat(drain(services, "person")).containsExactly(1);

    assertThat(output(id, "person", 1).ready()).containsExactly("merge");
    assertThat(output(id, "merge", 1).ready()).containsExactly("assemble");
    Progress assembled = output(id, "assemble", QueueItem.TASK);
    assertThat(assembled.ready()).containsExactly("deliver");
    assertThat(assembled.complete()).isFalse();
    assertThat(output(id, "deliver", QueueItem.TASK).complete()).isTrue();
    assertThat(completion.finish(ner, List.of(id))).isEqualTo(1);
    assertThat(audit.find(id).orElseThrow().outcome()).isEqualTo(TaskAudit.Outcome.DELIVERED);
  }

  private Progress output(String id, String step, int part) {
    return ledger.recordOutput(progress(ner, step), new QueueItem(id, part, "1-" + part), "1");
  }

  private static StepProgress progress(Pipeline p, String step) {
    return StepProgress.of(p, p.step(step).orElseThrow());
  }

  private static List<Integer> drain(TestServices services, String step) {
    StreamGroup q =
        new StreamGroup(
            services.jedis(), services.keys().stepQueue("ner", step, 0), Keys.PROCESSOR_GROUP);
    q.ensure();
    List<StreamMessage> read = q.readNew(Keys.PROCESSOR_CONSUMER, 100, Duration.ofMillis(50));
    q.ack(read.stream().map(StreamMessage::id).toList());
    return read.stream()
        .map(QueueItem::from)
        .flatMap(Optional::stream)
        .map(QueueItem::part)
        .toList();
  }

  /** The task as patrol's cleanup looks at it before marking it cleaned. */
  private static List<TaskCleanupRepository.Finished> looked(
      TaskCleanupRepository audit, String taskId) {
    return audit.toClean("ner", Instant.now().plusSeconds(3600), 10_000).stream()
        .filter(f -> f.taskId().equals(taskId))
        .toList();
  }
}
