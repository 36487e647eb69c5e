package dev.conveyor.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.config.Env;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.records.DeadItem;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.TaskAudit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pipelines of java steps run by an in-process processor against real Redis and PostgreSQL: a
 * linear pipeline, a fan-out and join, a task-scope merge, retries, dead items and timeouts.
 */
@WithServices
class PipelinesIT {
  private static final String STEPS = "dev.conveyor.processor.teststeps.";
  private static Processor processor;
  private static ProcessorConfig config;

  @BeforeAll
  static void start(TestServices services, @TempDir Path dir) throws Exception {
    services.sql(
        "CREATE TABLE conveyor.words_out (task_id text, part int, text text, PRIMARY KEY (task_id, part))");
    services.sql(
        "CREATE TABLE conveyor.totals (task_id text PRIMARY KEY, words int, parts int, dead int)");
    String defaults =
        "defaults: {offset: 50ms, slice: 500ms, retry: {attempts: 3, backoff: 50ms, max_backoff: 200ms}}\n";
    write(
        dir,
        "linear",
        defaults
            + """
            steps:
              - {name: upper, kind: java, class: %sUpper, timeout: 300ms, workers: 2}
              - {name: deliver, kind: sink, after: upper, sink: {table: conveyor.words_out, key: [task_id, part]}}
            """
                .formatted(STEPS));
    write(
        dir,
        "joined",
        defaults
            + """
            steps:
              - {name: upper, kind: java, class: %1$sUpper}
              - {name: lower, kind: java, class: %1$sLower}
              - {name: join, kind: java, class: %1$sJoin, after: [upper, lower]}
              - {name: deliver, kind: sink, after: join, sink: {table: conveyor.words_out, key: [task_id, part]}}
            """
                .formatted(STEPS));
    write(
        dir,
        "counted",
        defaults
            + """
            steps:
              - {name: count, kind: java, class: %1$sCountWords, shards: 2}
              - {name: total, kind: java, class: %1$sTotal, after: count, scope: task}
              - {name: deliver, kind: sink, after: total, sink: {table: conveyor.totals, key: [task_id]}}
            """
                .formatted(STEPS));
    write(
        dir,
        "flaky",
        defaults
            + """
            steps:
              - {name: flaky, kind: java, class: %sFlaky, options: {fail_times: 2}}
              - {name: deliver, kind: sink, after: flaky, sink: {table: conveyor.words_out, key: [task_id, part]}}
            """
                .formatted(STEPS));
    write(
        dir,
        "broken",
        """
        steps:
          - {name: missing, kind: java, class: com.example.NoSuchStep}
          - {name: deliver, kind: sink, after: missing, sink: {table: conveyor.words_out, key: [task_id, part]}}
        """);
    Files.writeString(dir.resolve("words.txt"), "conveyor\nredis\npostgres\n");
    write(
        dir,
        "known",
        defaults
            + """
            resources: {words: words.txt}
            steps:
              - {name: known, kind: java, class: %sKnown, resources: [words], workers: 4}
              - {name: deliver, kind: sink, after: known, sink: {table: conveyor.words_out, key: [task_id, part]}}
            """
                .formatted(STEPS));
    write(
        dir,
        "unmapped",
        """
        resources: {words: no-such-file.txt}
        steps:
          - {name: known, kind: java, class: %sKnown, resources: [words]}
        """
            .formatted(STEPS));
    Files.createDirectories(dir.resolve("steps"));
    Files.copy(
        Path.of(System.getProperty("user.dir"))
            .getParent()
            .resolve("deploy/pipelines/steps/upper.py"),
        dir.resolve("steps/upper.py"));
    write(
        dir,
        "python",
        defaults
            + """
            steps:
              - {name: upper, kind: command, command: [python3, steps/upper.py], workers: 2, options: {suffix: "!"}}
              - {name: deliver, kind: sink, after: upper, sink: {table: conveyor.words_out, key: [task_id, part]}}
            """);
    Files.copy(
        Path.of(System.getProperty("user.dir"))
            .getParent()
            .resolve("deploy/pipelines/steps/conveyor_step.py"),
        dir.resolve("steps/conveyor_step.py"));
    Files.writeString(
        dir.resolve("steps/sized.py"),
        """
        import conveyor_step

        def sized(items, ctx):
            return [{"text": "%s|%d" % (i.input["text"], len(items))} for i in items]

        conveyor_step.run(batch=sized)
        """);
    write(
        dir,
        "batched",
        defaults
            + """
            steps:
              - {name: sized, kind: command, command: [python3, steps/sized.py], batch: 50, batch_wait: 400ms}
              - {name: deliver, kind: sink, after: sized, sink: {table: conveyor.words_out, key: [task_id, part]}}
            """);
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    env.put("CONVEYOR_REDIS_BLOCK", "200ms");
    env.put("CONVEYOR_NODE_ID", "pipelines-it");
    config = ProcessorConfig.from(Env.of(env));
    processor = new Processor(config);
    processor.activate();
    processor.start();
  }

  @AfterAll
  static void stop() {
    if (processor != null) {
      processor.shutdown();
    }
  }

  @Test
  void aLinearPipelineDeliversEveryPartThroughItsJavaStep(TestServices services) {
    publish(services, "linear", "lin-1", "hello", "world");
    publish(services, "linear", "lin-2", "conveyor");

    TaskAudit audit = awaitAudit(services, "lin-1");
    assertThat(audit.outcome()).isEqualTo(TaskAudit.Outcome.DELIVERED);
    assertThat(audit.parts()).isEqualTo(2);
    assertThat(audit.rowsDelivered()).isEqualTo(2);
    assertThat(awaitAudit(services, "lin-2").outcome()).isEqualTo(TaskAudit.Outcome.DELIVERED);
    assertThat(texts(services, "lin-1")).containsExactly("HELLO", "WORLD");
  }

  @Test
  void aJoinRunsOnceBothPredecessorsHaveThePart(TestServices services) {
    publish(services, "joined", "join-1", "Hello", "World");

    assertThat(awaitAudit(services, "join-1").outcome()).isEqualTo(TaskAudit.Outcome.DELIVERED);
    assertThat(texts(services, "join-1")).containsExactly("HELLO|hello", "WORLD|world");
  }

  @Test
  void aTaskScopeStepMergesEveryPartOnce(TestServices services) {
    publish(services, "counted", "count-1", "a b c", "d e", "f");

    assertThat(awaitAudit(services, "count-1").rowsDelivered()).isEqualTo(1);
    assertThat(services.queryLong("SELECT words FROM conveyor.totals WHERE task_id = 'count-1'"))
        .isEqualTo(6);
    assertThat(services.queryLong("SELECT parts FROM conveyor.totals WHERE task_id = 'count-1'"))
        .isEqualTo(3);
  }

  @Test
  void aPartThatKeepsFailingEndsDeadAndTheMergeRunsWithoutIt(TestServices services) {
    publish(services, "counted", "count-dead", "one two", "boom", "three");

    TaskAudit audit = awaitAudit(services, "count-dead");
    assertThat(audit.outcome()).isEqualTo(TaskAudit.Outcome.PARTIAL);
    assertThat(audit.failedParts()).isEqualTo(1);
    assertThat(services.queryLong("SELECT words FROM conveyor.totals WHERE task_id = 'count-dead'"))
        .isEqualTo(3);
    assertThat(services.queryLong("SELECT dead FROM conveyor.totals WHERE task_id = 'count-dead'"))
        .isEqualTo(1);
    List<DeadItem> dead = new DeadItemRepository(services.dataSource()).forTask("count-dead");
    assertThat(dead).hasSize(1);
    assertThat(dead.getFirst().part()).isEqualTo(1);
    assertThat(dead.getFirst().step()).isEqualTo("count");
    assertThat(dead.getFirst().attempts()).isEqualTo(3);
    assertThat(dead.getFirst().error()).isEqualTo("cannot count boom");
    assertThat(dead.getFirst().payload()).contains("boom");
  }

  @Test
  void aDeadPartMakesItsTaskPartialAndTheOtherPartsAreDelivered(TestServices services) {
    publish(services, "linear", "lin-dead", "fine", "boom");

    TaskAudit audit = awaitAudit(services, "lin-dead");
    assertThat(audit.outcome()).isEqualTo(TaskAudit.Outcome.PARTIAL);
    assertThat(audit.failedParts()).isEqualTo(1);
    assertThat(audit.rowsDelivered()).isEqualTo(1);
    assertThat(texts(services, "lin-dead")).containsExactly("FINE");
  }

  @Test
  void aTaskWhosePartsAllDieFails(TestServices services) {
    publish(services, "linear", "lin-failed", "boom");

    TaskAudit audit = awaitAudit(services, "lin-failed");
    assertThat(audit.outcome()).isEqualTo(TaskAudit.Outcome.FAILED);
    assertThat(audit.rowsDelivered()).isZero();
  }

  @Test
  void anItemPastItsTimeoutFailsAndIsRetriedUntilDead(TestServices services) {
    publish(services, "linear", "lin-slow", "slow", "quick");

    TaskAudit audit = awaitAudit(services, "lin-slow");
    assertThat(audit.outcome()).isEqualTo(TaskAudit.Outcome.PARTIAL);
    List<DeadItem> dead = new DeadItemRepository(services.dataSource()).forTask("lin-slow");
    assertThat(dead).extracting(DeadItem::error).containsExactly("timeout after 300ms");
    assertThat(texts(services, "lin-slow")).containsExactly("QUICK");
  }

  @Test
  void aFlakyItemSucceedsWithinItsAttempts(TestServices services) {
    publish(services, "flaky", "flaky-1", "again");

    TaskAudit audit = awaitAudit(services, "flaky-1");
    assertThat(audit.outcome()).isEqualTo(TaskAudit.Outcome.DELIVERED);
    assertThat(new DeadItemRepository(services.dataSource()).forTask("flaky-1")).isEmpty();
    assertThat(
            processor
                .metrics()
                .get("conveyor_processor_item_failures")
                .tag("pipeline", "flaky")
                .tag("step", "flaky")
                .counter()
                .count())
        .isEqualTo(2);
  }

  @Test
  void aStepWhoseClassIsMissingIsDisabledWithTheReason() {
    var steps =
        processor.snapshot().children().stream()
            .filter(c -> c.name().equals("steps"))
            .findFirst()
            .orElseThrow();
    var missing =
        steps.children().stream()
            .filter(c -> c.name().equals("step broken.missing"))
            .findFirst()
            .orElseThrow();
    assertThat(missing.state().name()).isEqualTo("DISABLED");
    assertThat(missing.reason()).isEqualTo("class not found: com.example.NoSuchStep");
  }

  @Test
  void aPythonCommandStepRunsOverJsonLines(TestServices services) {
    publish(services, "python", "py-1", "hello", "world", "again");

    assertThat(awaitAudit(services, "py-1").outcome()).isEqualTo(TaskAudit.Outcome.DELIVERED);
    assertThat(texts(services, "py-1")).containsExactly("HELLO!", "WORLD!", "AGAIN!");
  }

  @Test
  void aCommandStepOnTheStepLibraryGetsItemsOfSeveralTasksInOneBatch(TestServices services) {
    // why: one registration per task: without batch_wait, a tick could take each alone
    for (int i = 0; i < 6; i++) {
      publish(services, "batched", "batch-" + i, "t" + i);
    }

    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      assertThat(awaitAudit(services, "batch-" + i).outcome())
          .isEqualTo(TaskAudit.Outcome.DELIVERED);
      texts.addAll(texts(services, "batch-" + i));
    }
    assertThat(texts).hasSize(6).allSatisfy(t -> assertThat(t).matches("t\\d\\|\\d+"));
    assertThat(texts.stream().mapToInt(t -> Integer.parseInt(t.split("\\|")[1])).max().orElse(0))
        .isGreaterThan(1);
    var sizes =
        processor.metrics().find("conveyor_processor_batch_items").tag("step", "sized").summary();
    assertThat(sizes).isNotNull();
    assertThat(sizes.max()).isGreaterThan(1);
    assertThat(processor.metrics().find("conveyor_command_batch_request_items").summary())
        .isNotNull();
  }

  @Test
  void aStepReadsItsSharedResource(TestServices services) {
    publish(services, "known", "known-1", "redis", "kafka", "postgres");

    assertThat(awaitAudit(services, "known-1").outcome()).isEqualTo(TaskAudit.Outcome.DELIVERED);
    assertThat(texts(services, "known-1"))
        .containsExactly("redis:known", "kafka:unknown", "postgres:known");
  }

  @Test
  void aStepWhoseResourceIsMissingIsDisabledWithTheReason() {
    var unmapped = stepSnapshot("step unmapped.known");
    assertThat(unmapped.state().name()).isEqualTo("DISABLED");
    assertThat(unmapped.reason()).contains("no-such-file.txt").contains("'words'");
  }

  private static dev.conveyor.common.lifecycle.LifecycleSnapshot stepSnapshot(String name) {
    return StepSnapshots.step(processor, name);
  }

  private static void write(Path dir, String name, String body) throws Exception {
    Files.writeString(dir.resolve(name + ".yaml"), "pipeline: " + name + "\nversion: 1\n" + body);
  }

  private static void publish(
      TestServices services, String pipeline, String taskId, String... texts) {
    TextTasks.publish(services, config.pipelines().get(pipeline).orElseThrow(), taskId, texts);
  }

  private static TaskAudit awaitAudit(TestServices services, String taskId) {
    return TextTasks.awaitAudit(services, taskId);
  }

  private static List<String> texts(TestServices services, String taskId) {
    return TextTasks.texts(services, "conveyor.words_out", taskId);
  }
}
