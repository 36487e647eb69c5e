package dev.conveyor.patrol;

import dev.conveyor.common.db.Fence;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.runtime.ledger.DeadLetters;
import dev.conveyor.runtime.ledger.QueuedMessages;
import dev.conveyor.runtime.ledger.StepLedger;
import dev.conveyor.runtime.ledger.TaskCompletion;
import dev.conveyor.runtime.ledger.TaskEvents;
import dev.conveyor.runtime.ledger.TaskFinishing;
import dev.conveyor.runtime.ledger.TaskLookup;
import dev.conveyor.runtime.ledger.TaskReport;
import dev.conveyor.runtime.ledger.TaskSnapshots;
import dev.conveyor.runtime.ledger.TaskSweep;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.RejectedMessageRepository;
import dev.conveyor.runtime.records.Retention;
import dev.conveyor.runtime.records.TaskAuditRepository;
import dev.conveyor.runtime.records.TaskCleanupRepository;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import javax.sql.DataSource;
import redis.clients.jedis.UnifiedJedis;

/**
 * What patrol builds on its connections once Redis and PostgreSQL are ready: the work of a round
 * (the completeness audit, the cleanup, the release of held tasks, the repeated cleanup, the
 * retention of rows), the task report and the replay of dead items. Wiring only.
 *
 * @param clock what the audit, cleanup and retention take as now
 * @param upSince since when every service has been up (the audit's stuck clock starts there)
 */
record PatrolParts(
    PatrolConfig config,
    Clock clock,
    UnifiedJedis jedis,
    Keys keys,
    DataSource pg,
    Supplier<Instant> upSince,
    MeterRegistry metrics) {

  /** The work of a round under the lease, with these chores. */
  PatrolCycle.Work work(List<Chore> chores) {
    TaskSweep sweep = new TaskSweep(jedis, keys);
    TaskLookup lookup = new TaskLookup(jedis, keys);
    StepLedger ledger = new StepLedger(jedis, keys);
    TaskAuditRepository audit = new TaskAuditRepository(pg);
    TaskCleanupRepository cleanups = new TaskCleanupRepository(pg);
    TaskCompletion completion =
        new TaskCompletion(
            new TaskFinishing(jedis, keys),
            audit,
            clock,
            metrics,
            new TaskEvents(() -> jedis, keys, config.common().taskEventsMaxLen()));
    DeadLetters deadLetters = new DeadLetters(ledger, new DeadItemRepository(pg), clock);
    TaskEraser eraser = new TaskEraser(sweep, new TaskSnapshots(jedis, keys), pg);
    int budget = config.budget();
    return new PatrolCycle.Work(
        new CompletenessAudit(
            config.pipelines(),
            sweep,
            lookup,
            new StuckTasks(lookup, sweep, ledger, completion, deadLetters),
            audit,
            clock,
            budget,
            upSince),
        chores,
        new TaskCleanup(
            config.pipelines(), eraser, cleanups, new SinkRowCounter(pg), clock, budget),
        new HeldRelease(
            config.pipelines(),
            eraser,
            cleanups,
            clock,
            new HeldRelease.Settings(config.heldRetention(), budget),
            metrics),
        new CleanupRepeat(config.pipelines(), sweep, cleanups, clock, budget),
        new Pruning(new Retention(pg, config.retention()), clock, budget, metrics));
  }

  /** Inbox entries one {@code GET /tasks/<id>} of a message not yet a task reads at most. */
  static final int QUEUED_SCAN_LIMIT = 10_000;

  /**
   * Where one task stands ({@code GET /tasks/<id>}), or the message still in the inbox on {@code
   * inbox}, or the rejected one.
   */
  TaskReport taskReport(UnifiedJedis inbox) {
    return new TaskReport(
        config.pipelines(),
        new TaskLookup(jedis, keys),
        new TaskAuditRepository(pg),
        new DeadItemRepository(pg),
        new RejectedMessageRepository(pg),
        new QueuedMessages(inbox, keys, QUEUED_SCAN_LIMIT));
  }

  /** A replay of dead items behind {@code fence} ({@code POST /replay}). */
  DeadItemReplay deadItemReplay(Supplier<Fence> fence) {
    return new DeadItemReplay(config.pipelines(), jedis, keys, pg, fence);
  }
}
