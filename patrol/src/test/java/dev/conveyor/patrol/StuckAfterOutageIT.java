package dev.conveyor.patrol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.DeadLetters;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.StepLedger;
import dev.conveyor.runtime.ledger.TaskCompletion;
import dev.conveyor.runtime.ledger.TaskFinishing;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.ledger.TaskLookup;
import dev.conveyor.runtime.ledger.TaskSweep;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No task can progress while Redis or PostgreSQL is down: an outage longer than {@code stuck_after}
 * makes no task stuck, and none is re-driven right after it; a task still without progress {@code
 * stuck_after} after the outage's end is.
 */
@WithServices
class StuckAfterOutageIT {
  @Test
  void theStuckClockStartsAgainAtTheEndOfAnOutage(TestServices services, @TempDir Path dir)
      throws Exception {
    Files.writeString(
        dir.resolve("slow.yaml"),
        """
        pipeline: slow
        version: 1
        stuck_after: 10m
        max_redrives: 1
        cleanup: {mode: off}
        steps:
          - {name: deliver, kind: sink, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
        """);
    Pipelines pipelines = PipelineLoader.loadDirectory(dir);
    Instant start = Instant.parse("2026-03-01T10:00:00Z");
    MutableClock clock = new MutableClock(start);
    AtomicReference<Instant> upSince = new AtomicReference<>(Instant.EPOCH);
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    TaskAuditRepository audit = new TaskAuditRepository(services.dataSource());
    TaskSweep sweep = new TaskSweep(services.jedis(), services.keys());
    TaskLookup lookup = new TaskLookup(services.jedis(), services.keys());
    StepLedger ledger = new StepLedger(services.jedis(), services.keys());
    CompletenessAudit audits =
        new CompletenessAudit(
            pipelines,
            sweep,
            lookup,
            new StuckTasks(
                lookup,
                sweep,
                ledger,
                new TaskCompletion(
                    new TaskFinishing(services.jedis(), services.keys()), audit, clock),
                new DeadLetters(ledger, new DeadItemRepository(services.dataSource()), clock)),
            audit,
            clock,
            100,
            upSince::get);
    // registered, never fanned out: it makes no progress by itself
    Registration r =
        new Registration(
            "held-1", pipelines.get("slow").orElseThrow(), "1-0", start, List.of("{}"));
    intake.registerAll(List.of(r));
    services
        .jedis()
        .hset(
            services.keys().taskMeta("held-1"), "progress_at", Long.toString(start.toEpochMilli()));
    services.jedis().zadd(services.keys().inflight("slow"), start.toEpochMilli(), "held-1");

    // an hour of outage: down since 10:05
    clock.advance(Duration.ofHours(1));
    upSince.set(clock.instant());
    assertThat(audits.round().stuck()).as("during the outage").isZero();

    // back at 11:00; a minute later
    clock.advance(Duration.ofMinutes(1));
    assertThat(audits.round().stuck()).as("a minute after the outage").isZero();
    clock.advance(Duration.ofMinutes(8));
    assertThat(audits.round().redriven()).as("nine minutes after").isZero();

    clock.advance(Duration.ofMinutes(2));
    CompletenessAudit.Round round = audits.round();
    assertThat(round.stuck()).as("eleven minutes after the outage, still no progress").isEqualTo(1);
    assertThat(round.redriven()).isEqualTo(1);
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.dead_items")).isZero();
  }
}
