package dev.conveyor.common.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.db.DeadItemRepository;
import dev.conveyor.common.db.TaskAudit;
import dev.conveyor.common.db.TaskAuditRepository;
import dev.conveyor.common.pipeline.Pipeline;
import dev.conveyor.common.pipeline.PipelineLoader;
import dev.conveyor.common.pipeline.Pipelines;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replay in a pipeline with a join and a task-scope merge: the outputs made without the dead part
 * are forgotten, so the merge runs again with every part and the task completes again.
 */
@WithServices
class DeadItemReplayIT {
  private static final String IDENTITY = "dev.conveyor.common.step.builtin.Identity";

  @Test
  void aReplayedPartRunsTheJoinAndTheMergeAgainAndTheTaskFinishesDelivered(
      TestServices services, @TempDir Path dir) throws Exception {
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
    Pipeline ner = PipelineLoader.loadDirectory(dir).get("ner").orElseThrow();
    TaskStore store = new TaskStore(services.jedis(), services.keys());
    TaskAuditRepository audit = new TaskAuditRepository(services.dataSource());
    DeadItemRepository deadRows = new DeadItemRepository(services.dataSource());
    TaskCompletion completion = new TaskCompletion(store, audit, Clock.systemUTC());
    Registration r =
        new Registration("j-1", ner, "1-0", Instant.now(), List.of("{\"a\":0}", "{\"a\":1}"));
    store.registerAll(List.of(r));
    store.dispatchAll(List.of(r));
    output(store, ner, "company", 0);
    output(store, ner, "company", 1);
    output(store, ner, "person", 0);
    output(store, ner, "merge", 0);
    new DeadLetters(store, deadRows, Clock.systemUTC())
        .kill(
            progress(ner, "person"), "ner", new QueueItem("j-1", 1, "1-1", 3), "{\"a\":1}", "bug");
    output(store, ner, "assemble", QueueItem.TASK);
    assertThat(output(store, ner, "deliver", QueueItem.TASK).complete()).isTrue();
    completion.finish(ner, List.of("j-1"));
    assertThat(audit.find("j-1").orElseThrow().outcome()).isEqualTo(TaskAudit.Outcome.PARTIAL);
    drain(services, "person");

    DeadItemReplay replay = new DeadItemReplay(Pipelines.of(List.of(ner)), store, audit, deadRows);
    List<DeadItemReplay.Outcome> dry = replay.replay("j-1", null, null, true);
    assertThat(dry)
        .singleElement()
        .extracting(DeadItemReplay.Outcome::skipped)
        .isEqualTo(Optional.empty());
    assertThat(deadRows.forTask("j-1")).hasSize(1);
    assertThat(replay.replay(null, "ner", "person", false)).hasSize(1);

    Keys keys = services.keys();
    assertThat(services.jedis().hgetAll(keys.taskDead("j-1"))).isEmpty();
    assertThat(services.jedis().hkeys(keys.taskOutput("j-1", "company"))).containsOnly("0", "1");
    assertThat(services.jedis().hkeys(keys.taskOutput("j-1", "merge"))).containsOnly("0");
    assertThat(services.jedis().hkeys(keys.taskOutput("j-1", "assemble"))).isEmpty();
    assertThat(services.jedis().hkeys(keys.taskOutput("j-1", "deliver"))).isEmpty();
    assertThat(services.jedis().hget(keys.taskMeta("j-1"), "finished_at")).isNull();
    assertThat(services.jedis().hget(keys.taskMeta("j-1"), "replays")).isEqualTo("1");
    assertThat(audit.find("j-1")).isEmpty();
    assertThat(deadRows.forTask("j-1")).isEmpty();
    assertThat(drain(services, "person")).containsExactly(1);

    assertThat(output(store, ner, "person", 1).ready()).containsExactly("merge");
    assertThat(output(store, ner, "merge", 1).ready()).containsExactly("assemble");
    Progress assembled = output(store, ner, "assemble", QueueItem.TASK);
    assertThat(assembled.ready()).containsExactly("deliver");
    assertThat(assembled.complete()).isFalse();
    assertThat(output(store, ner, "deliver", QueueItem.TASK).complete()).isTrue();
    assertThat(completion.finish(ner, List.of("j-1"))).isEqualTo(1);
    assertThat(audit.find("j-1").orElseThrow().outcome()).isEqualTo(TaskAudit.Outcome.DELIVERED);
  }

  private static Progress output(TaskStore store, Pipeline p, String step, int part) {
    return store.recordOutput(progress(p, step), new QueueItem("j-1", part, "1-" + part), "1");
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
}
