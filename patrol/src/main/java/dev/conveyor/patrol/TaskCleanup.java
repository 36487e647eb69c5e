package dev.conveyor.patrol;

import dev.conveyor.runtime.pipeline.Cleanup;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.pipeline.StepKind;
import dev.conveyor.runtime.records.TaskCleanupRepository;
import dev.conveyor.runtime.records.TaskCleanupRepository.Finished;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the runtime data of finished tasks, per pipeline's {@code cleanup}. One rule for both
 * modes that clean: a task is due once {@code grace} has passed since it finished. Then
 *
 * <ul>
 *   <li>{@code auto}: its delivery is checked against the tolerance — the rows its sinks' tables
 *       really hold (counted in PostgreSQL) against the rows the sinks reported, and its parts not
 *       dead against all its parts; both must be at least {@code 1 - tolerance}. A task below keeps
 *       its data for inspection and replay: it is marked held in {@code task_audit} and reported
 *       once ({@code event=cleanup_held}), never deleted silently (until {@link HeldRelease}, after
 *       {@code CONVEYOR_HELD_RETENTION});
 *   <li>{@code force}: cleaned without counting;
 *   <li>{@code off}: never cleaned.
 * </ul>
 *
 * Each loaded pipeline is looked at on its own (at most {@code budget} of its oldest due tasks a
 * round), so the rows of one pipeline — or of one no patrol loads — never keep another's from being
 * cleaned. The deleting itself is {@link TaskEraser}'s: fenced batches that keep a snapshot of
 * every task with dead items, so that those stay replayable.
 */
final class TaskCleanup {
  private static final Logger log = LoggerFactory.getLogger(TaskCleanup.class);

  private final Pipelines pipelines;
  private final TaskEraser eraser;
  private final TaskCleanupRepository audit;
  private final SinkRowCounter counter;
  private final Clock clock;
  private final int budget;

  /** What one round did. */
  record Round(int cleaned, int held) {}

  TaskCleanup(
      Pipelines pipelines,
      TaskEraser eraser,
      TaskCleanupRepository audit,
      SinkRowCounter counter,
      Clock clock,
      int budget) {
    this.pipelines = pipelines;
    this.eraser = eraser;
    this.audit = audit;
    this.counter = counter;
    this.clock = clock;
    this.budget = budget;
  }

  Round round(LeaseFence fence) {
    Instant now = clock.instant();
    int cleaned = 0;
    int held = 0;
    for (Pipeline p : pipelines.all()) {
      Cleanup rule = p.cleanup();
      if (rule.mode() == Cleanup.Mode.OFF) {
        continue;
      }
      List<Finished> due = audit.toClean(p.name(), now.minus(rule.grace()), budget);
      if (due.isEmpty()) {
        continue;
      }
      Map<String, Long> inDatabase =
          rule.mode() == Cleanup.Mode.AUTO ? rowsInDatabase(p, due) : Map.of();
      List<Finished> clean = new ArrayList<>();
      Map<Finished, String> shortfalls = new LinkedHashMap<>();
      for (Finished f : due) {
        Optional<String> shortfall =
            rule.mode() == Cleanup.Mode.AUTO
                ? shortfall(f, inDatabase.get(f.taskId()), rule.tolerance())
                : Optional.empty();
        if (shortfall.isPresent()) {
          shortfalls.put(f, shortfall.get());
        } else {
          clean.add(f);
        }
      }
      eraser.hold(fence, shortfalls, now);
      shortfalls.forEach((f, why) ->
          log.atWarn()
              .addKeyValue("event", "cleanup_held")
              .addKeyValue("pipeline", f.pipeline())
              .addKeyValue("task", f.taskId())
              .addKeyValue("detail", why)
              .log());
      held += shortfalls.size();
      cleaned += eraser.erase(fence, p.name(), clean, now, Optional.empty());
    }
    return new Round(cleaned, held);
  }

  /** Rows per task in the pipeline's sink tables; null for a task whose sinks cannot be counted. */
  private Map<String, Long> rowsInDatabase(Pipeline p, List<Finished> finished) {
    Map<String, Long> rows = new HashMap<>();
    List<String> ids = finished.stream().map(Finished::taskId).toList();
    ids.forEach(id -> rows.put(id, 0L));
    for (StepDef s : p.steps()) {
      if (s.kind() != StepKind.SINK) {
        continue;
      }
      if (!counter.countable(s.sink())) {
        ids.forEach(id -> rows.put(id, null));
        return rows;
      }
      counter.count(s.sink(), ids).forEach((id, n) -> rows.merge(id, n, Long::sum));
    }
    return rows;
  }

  /**
   * Why the task's delivery is below the tolerance, or empty when it is not: both its rows in the
   * database against the rows its sinks reported, and its parts not dead against all its parts,
   * must be at least {@code 1 - tolerance}.
   */
  static Optional<String> shortfall(Finished f, Long rowsInDatabase, double tolerance) {
    double need = 1 - tolerance;
    if (rowsInDatabase == null) {
      return Optional.of("its sink tables have no task_id column: rows cannot be counted");
    }
    double rowRatio = f.rowsDelivered() == 0 ? 1 : (double) rowsInDatabase / f.rowsDelivered();
    double partRatio = f.parts() == 0 ? 1 : (double) (f.parts() - f.failedParts()) / f.parts();
    if (rowRatio + 1e-9 >= need && partRatio + 1e-9 >= need) {
      return Optional.empty();
    }
    return Optional.of(
        String.format(
            Locale.ROOT,
            "rows in database %d of %d delivered (%.3f), parts delivered %d of %d (%.3f), need %.3f",
            rowsInDatabase,
            f.rowsDelivered(),
            rowRatio,
            f.parts() - f.failedParts(),
            f.parts(),
            partRatio,
            need));
  }
}
