package dev.conveyor.patrol;

import dev.conveyor.common.db.TaskAuditRepository;
import dev.conveyor.common.db.TaskAuditRepository.Finished;
import dev.conveyor.common.pipeline.Cleanup;
import dev.conveyor.common.pipeline.Pipeline;
import dev.conveyor.common.pipeline.Pipelines;
import dev.conveyor.common.pipeline.StepDef;
import dev.conveyor.common.pipeline.StepKind;
import dev.conveyor.common.task.TaskStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the runtime data of finished tasks, per pipeline's {@code cleanup}:
 *
 * <ul>
 *   <li>{@code auto}: once {@code grace} has passed since the task finished, and both the rows its
 *       sinks' tables really hold (counted in PostgreSQL) against the rows the sinks reported, and
 *       its delivered parts against all its parts, are at least {@code 1 - tolerance}. A task below
 *       keeps its data for inspection and replay; it is marked held in {@code task_audit} and
 *       reported once ({@code event=cleanup_held}), never deleted silently.
 *   <li>{@code force}: as soon as the task finished, without counting.
 *   <li>{@code off}: never.
 * </ul>
 *
 * Cleaning deletes every key of the task (one command, one slot), then takes the task out of its
 * pipeline's finished index in Redis, then sets {@code cleaned_at} with this patrol's fencing token
 * — only if no other patrol did, so a task is never counted as cleaned twice.
 *
 * <p>A Redis restarted from an {@code everysec} AOF may have lost the last second of writes,
 * deletes included: the task's keys are back while {@code task_audit} says it is cleaned. The
 * finished index lost its removal too, so each round also walks that index (up to {@code budget}
 * tasks, going on where the last round stopped) and deletes again the keys of tasks PostgreSQL says
 * are cleaned ({@code event=cleanup_repeated}): nothing is left behind that no one would ever
 * delete.
 */
final class TaskCleanup {
  private static final Logger log = LoggerFactory.getLogger(TaskCleanup.class);

  private final Pipelines pipelines;
  private final TaskStore tasks;
  private final TaskAuditRepository audit;
  private final SinkRowCounter counter;
  private final Clock clock;
  private final int budget;

  private final Map<String, Long> cursors = new HashMap<>();

  /**
   * What one round did.
   *
   * @param recleaned tasks cleaned before whose keys Redis brought back, deleted again
   */
  record Round(int cleaned, int held, int recleaned) {}

  TaskCleanup(
      Pipelines pipelines,
      TaskStore tasks,
      TaskAuditRepository audit,
      SinkRowCounter counter,
      Clock clock,
      int budget) {
    this.pipelines = pipelines;
    this.tasks = tasks;
    this.audit = audit;
    this.counter = counter;
    this.clock = clock;
    this.budget = budget;
  }

  Round round(long fencingToken) {
    Instant now = clock.instant();
    List<String> off = new ArrayList<>();
    for (Pipeline p : pipelines.all()) {
      if (p.cleanup().mode() == Cleanup.Mode.OFF) {
        off.add(p.name());
      }
    }
    List<Finished> candidates = audit.toClean(now, off, budget);
    Map<String, List<Finished>> byPipeline = new HashMap<>();
    candidates.forEach(
        f -> byPipeline.computeIfAbsent(f.pipeline(), k -> new ArrayList<>()).add(f));
    int cleaned = 0;
    int held = 0;
    for (Map.Entry<String, List<Finished>> e : byPipeline.entrySet()) {
      Optional<Pipeline> pipeline = pipelines.get(e.getKey());
      if (pipeline.isEmpty()) {
        continue;
      }
      Cleanup rule = pipeline.get().cleanup();
      List<Finished> due = new ArrayList<>();
      for (Finished f : e.getValue()) {
        if (rule.mode() == Cleanup.Mode.FORCE
            || !Duration.between(f.finishedAt(), now).minus(rule.grace()).isNegative()) {
          due.add(f);
        }
      }
      Map<String, Long> inDatabase =
          rule.mode() == Cleanup.Mode.AUTO ? rowsInDatabase(pipeline.get(), due) : Map.of();
      List<String> clean = new ArrayList<>();
      for (Finished f : due) {
        Optional<String> shortfall =
            rule.mode() == Cleanup.Mode.AUTO
                ? shortfall(f, inDatabase.get(f.taskId()), rule.tolerance())
                : Optional.empty();
        if (shortfall.isPresent()) {
          audit.markHeld(f.taskId(), now, shortfall.get());
          held++;
          log.atWarn()
              .addKeyValue("event", "cleanup_held")
              .addKeyValue("pipeline", f.pipeline())
              .addKeyValue("task", f.taskId())
              .addKeyValue("detail", shortfall.get())
              .log();
          continue;
        }
        clean.add(f.taskId());
      }
      // why: keys first, then the row: a crash in between leaves a task cleaned again next round
      tasks.deleteTasks(e.getKey(), clean);
      cleaned += audit.markCleaned(clean, now, fencingToken);
    }
    int recleaned = 0;
    for (Pipeline p : pipelines.all()) {
      if (p.cleanup().mode() != Cleanup.Mode.OFF) {
        recleaned += sweep(p.name());
      }
    }
    return new Round(cleaned, held, recleaned);
  }

  /**
   * Deletes again the keys of tasks in the pipeline's finished index that PostgreSQL says are
   * cleaned already (Redis lost the deletes); returns how many.
   */
  private int sweep(String pipeline) {
    long from = cursors.getOrDefault(pipeline, 0L);
    List<String> slice = tasks.finishedSlice(pipeline, from, budget);
    if (slice.isEmpty() && from > 0) {
      from = 0;
      slice = tasks.finishedSlice(pipeline, 0, budget);
    }
    if (slice.isEmpty()) {
      cursors.put(pipeline, 0L);
      return 0;
    }
    List<String> again = List.copyOf(audit.cleaned(slice));
    // why: the tasks taken out shift the ranks of those after them
    cursors.put(pipeline, slice.size() < budget ? 0 : from + slice.size() - again.size());
    if (again.isEmpty()) {
      return 0;
    }
    tasks.deleteTasks(pipeline, again);
    log.atWarn()
        .addKeyValue("event", "cleanup_repeated")
        .addKeyValue("pipeline", pipeline)
        .addKeyValue("tasks", again.size())
        .addKeyValue(
            "reason", "Redis holds data of tasks cleaned up before (it lost recent writes)")
        .log();
    return again.size();
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

  /** Why the task's delivery is below the tolerance, or empty when it is not. */
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
