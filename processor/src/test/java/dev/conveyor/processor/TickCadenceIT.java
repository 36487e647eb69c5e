package dev.conveyor.processor;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.config.Env;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import io.micrometer.core.instrument.Timer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When a step's next tick runs. An item that arrives just after a tick's slice ended, while the
 * step is not idle, is taken by the next tick at once — not after the step's {@code offset}, which
 * is the pause after a tick that found nothing (the margins are seconds: the offset here is 6 s).
 * And where a batch's finishing runs: a whole batch's beside the tick's next read, one read with
 * nothing behind it on the tick's own thread, before it reads again.
 */
@WithServices
class TickCadenceIT {

  @Test
  void anItemRightAfterABusySliceDoesNotWaitTheOffset(TestServices services, @TempDir Path dir)
      throws Exception {
    Files.writeString(
        dir.resolve("echo.yaml"),
        """
        pipeline: echo
        version: 1
        steps:
          - name: deliver
            kind: sink
            offset: 6s
            slice: 300ms
            sink: {table: conveyor.echo_rows, key: [task_id, part]}
        """);
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    env.put("CONVEYOR_REDIS_BLOCK", "4s");
    env.put("CONVEYOR_NODE_ID", "tick-cadence-it");
    ProcessorConfig config = ProcessorConfig.from(Env.of(env));
    Pipeline echo = config.pipelines().get("echo").orElseThrow();
    Processor processor = new Processor(config);
    try {
      processor.activate();
      processor.start();
      // why: the first item is taken by a tick that then waits out its 300 ms slice; the second
      // comes 800 ms after the first was delivered, when that tick has ended
      publish(services, echo, "cadence-first", "1-1");
      await().atMost(30, SECONDS).until(() -> delivered(services, "cadence-first"));
      Thread.sleep(800);
      Instant sent = Instant.now();
      publish(services, echo, "cadence-second", "1-2");
      await().atMost(30, SECONDS).until(() -> delivered(services, "cadence-second"));
      Duration waited = Duration.between(sent, Instant.now());

      assertThat(waited).isLessThan(Duration.ofSeconds(3));
    } finally {
      processor.shutdown();
    }
  }

  @Test
  void anIdleStepTicksOncePerSeveralBlocksNotOncePerBlock(TestServices services, @TempDir Path dir)
      throws Exception {
    Files.writeString(
        dir.resolve("idle.yaml"),
        """
        pipeline: idle
        version: 1
        steps:
          - {name: deliver, kind: sink, offset: 50ms, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
        """);
    Processor processor = start(services, dir, "200ms");
    try {
      Thread.sleep(1000);
      Timer ticks =
          processor.metrics().get("conveyor_processor_tick").tag("step", "deliver").timer();
      long before = ticks.count();
      Thread.sleep(4000);
      long ticked = ticks.count() - before;

      // why: one tick per BLOCK + offset would be 16 in 4 s; one per IDLE_BLOCKS BLOCKs is 3-4
      assertThat(ticked).isBetween(1L, 6L);
    } finally {
      processor.shutdown();
    }
  }

  @Test
  void aRetryACoLocatedRunAddedIsTakenWhenDueNotAfterTheIdleWait(
      TestServices services, @TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("again.yaml"),
        """
        pipeline: again
        version: 1
        defaults: {offset: 50ms, retry: {attempts: 3, backoff: 100ms, max_backoff: 100ms}}
        steps:
          - {name: upper, kind: java, class: dev.conveyor.processor.teststeps.Upper}
          - {name: flaky, kind: java, class: dev.conveyor.processor.teststeps.Flaky, after: upper, options: {fail_times: 1}}
          - {name: deliver, kind: sink, after: flaky, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
        """);
    // why: an idle tick here may wait 6 x 4 s; the retry is due 100 ms after the failure
    Processor processor = start(services, dir, "4s");
    try {
      Pipeline again = PipelineLoader.loadDirectory(dir).get("again").orElseThrow();
      Thread.sleep(1000);
      Instant sent = Instant.now();
      publish(services, again, "again-1", "1-9");
      await().atMost(60, SECONDS).until(() -> delivered(services, "again-1"));

      assertThat(Duration.between(sent, Instant.now())).isLessThan(Duration.ofSeconds(12));
    } finally {
      processor.shutdown();
    }
  }

  @Test
  void aBatchWithNothingReadBehindItIsFinishedBeforeTheTickReadsAgain(
      TestServices services, @TempDir Path dir) throws Exception {
    Pipeline echo = echoWithBatch(dir, 10);
    publish(services, echo, "lone-first", "1-1");
    try (Connection hold = services.dataSource().getConnection()) {
      // why: the read returns 1 of 10: its sink row is written, then its audit row waits
      Processor processor = startWithAuditRowHeld(services, dir, hold, "lone-first");
      try {
        publish(services, echo, "lone-second", "1-2");
        Thread.sleep(1500);

        assertThat(sinkRows(services, "lone-second"))
            .as("the tick finishes the first batch itself before it reads the next")
            .isZero();
        hold.rollback();
        await()
            .atMost(30, SECONDS)
            .until(() -> delivered(services, "lone-first") && delivered(services, "lone-second"));
      } finally {
        processor.shutdown();
      }
    }
  }

  @Test
  void aWholeBatchIsFinishedBesideTheTicksNextBatch(TestServices services, @TempDir Path dir)
      throws Exception {
    Pipeline echo = echoWithBatch(dir, 2);
    publish(services, echo, "whole-1", "1-1");
    publish(services, echo, "whole-2", "1-2");
    try (Connection hold = services.dataSource().getConnection()) {
      // why: the first read returns a whole batch (2 of 2); its finishing waits on the held row
      Processor processor = startWithAuditRowHeld(services, dir, hold, "whole-1");
      try {
        publish(services, echo, "whole-3", "1-3");

        // why: the next batch is worked while the first one's finishing waits
        await().atMost(10, SECONDS).until(() -> sinkRows(services, "whole-3") == 1);
        assertThat(auditRowWaits(services)).isTrue();
        hold.rollback();
        await()
            .atMost(30, SECONDS)
            .until(() ->
                delivered(services, "whole-1")
                    && delivered(services, "whole-2")
                    && delivered(services, "whole-3"));
      } finally {
        processor.shutdown();
      }
    }
  }

  private static Pipeline echoWithBatch(Path dir, int batch) throws Exception {
    Files.writeString(
        dir.resolve("echo.yaml"),
        """
        pipeline: echo
        version: 1
        steps:
          - {name: deliver, kind: sink, batch: %d, offset: 50ms, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
        """
            .formatted(batch));
    return PipelineLoader.loadDirectory(dir).get("echo").orElseThrow();
  }

  /**
   * Inserts an audit row of {@code taskId} on {@code hold} without committing it, starts the
   * processor and returns once the processor's insert of that row waits for {@code hold}'s.
   */
  private static Processor startWithAuditRowHeld(
      TestServices services, Path dir, Connection hold, String taskId) throws Exception {
    hold.setAutoCommit(false);
    try (PreparedStatement ps =
        hold.prepareStatement(
            "INSERT INTO conveyor.task_audit (task_id, pipeline, pipeline_version, outcome, parts,"
                + " received_at) VALUES (?, 'echo', 1, 'delivered', 1, now())")) {
      ps.setString(1, taskId);
      ps.executeUpdate();
    }
    Processor processor = start(services, dir, "4s");
    try {
      await().atMost(30, SECONDS).until(() -> auditRowWaits(services));
    } catch (RuntimeException | Error e) {
      processor.shutdown();
      throw e;
    }
    return processor;
  }

  private static boolean auditRowWaits(TestServices services) {
    return services.queryLong(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO conveyor.task_audit%'")
        > 0;
  }

  private static long sinkRows(TestServices services, String taskId) {
    return services.queryLong(
        "SELECT count(*) FROM conveyor.echo_rows WHERE task_id = '" + taskId + "'");
  }

  private static Processor start(TestServices services, Path dir, String block) throws Exception {
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    env.put("CONVEYOR_REDIS_BLOCK", block);
    env.put("CONVEYOR_NODE_ID", "tick-cadence-it");
    Processor processor = new Processor(ProcessorConfig.from(Env.of(env)));
    processor.activate();
    processor.start();
    return processor;
  }

  private static boolean delivered(TestServices services, String taskId) {
    return services.queryLong(
            "SELECT count(*) FROM conveyor.task_audit WHERE task_id = '"
                + taskId
                + "' AND outcome = 'delivered'")
        == 1;
  }

  private static void publish(TestServices services, Pipeline echo, String taskId, String entryId) {
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    List<Registration> tasks =
        List.of(
            new Registration(taskId, echo, entryId, Instant.now(), List.of("{\"text\":\"x\"}")));
    intake.registerAll(tasks);
    intake.dispatchAll(tasks);
  }
}
