package dev.conveyor.patrol;

import dev.conveyor.runtime.ledger.TaskSweep;
import dev.conveyor.runtime.pipeline.Cleanup;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.records.TaskCleanupRepository;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Redis restarted from an {@code everysec} AOF may have lost the last second of writes, deletes
 * included: a task's keys are back while {@code task_audit} says it is cleaned. The finished index
 * lost its removal too, so each round walks that index (up to {@code budget} tasks per pipeline,
 * going on where the last round stopped) and deletes again the keys of tasks PostgreSQL says are
 * cleaned ({@code event=cleanup_repeated}): nothing is left behind that no one would ever delete.
 * Each pipeline's slice is one unit of work behind the lease that locks the rows it relies on, so a
 * replay bringing one of those tasks back waits for it, or is done before.
 *
 * <p>Only the tasks past their pipeline's grace are walked: no task is cleaned before, and the
 * index holds every task of the last grace (a minute of a backlog: hundreds of thousands), whose
 * walk cost Redis and PostgreSQL a look-up per task each round for nothing.
 */
final class CleanupRepeat {
  private static final Logger log = LoggerFactory.getLogger(CleanupRepeat.class);

  private final Pipelines pipelines;
  private final TaskSweep tasks;
  private final TaskCleanupRepository audit;
  private final Clock clock;
  private final int budget;
  private final Map<String, Long> cursors = new HashMap<>();

  CleanupRepeat(
      Pipelines pipelines, TaskSweep tasks, TaskCleanupRepository audit, Clock clock, int budget) {
    this.pipelines = pipelines;
    this.tasks = tasks;
    this.audit = audit;
    this.clock = clock;
    this.budget = budget;
  }

  /** Returns how many tasks' keys were deleted again. */
  int round(LeaseFence fence) {
    int again = 0;
    Instant now = clock.instant();
    for (Pipeline p : pipelines.all()) {
      if (p.cleanup().mode() != Cleanup.Mode.OFF) {
        again += sweep(fence, p.name(), now.minus(p.cleanup().grace()));
      }
    }
    return again;
  }

  private int sweep(LeaseFence fence, String pipeline, Instant finishedUntil) {
    long from = cursors.getOrDefault(pipeline, 0L);
    List<String> slice = tasks.finishedSlice(pipeline, finishedUntil, from, budget);
    if (slice.isEmpty() && from > 0) {
      from = 0;
      slice = tasks.finishedSlice(pipeline, finishedUntil, 0, budget);
    }
    if (slice.isEmpty()) {
      cursors.put(pipeline, 0L);
      return 0;
    }
    // why: a plain read first; only the few rows found are locked (a lock is a write)
    List<String> found = List.copyOf(audit.cleaned(slice));
    List<String> again =
        found.isEmpty()
            ? List.of()
            : fence.run(c -> {
              List<String> cleaned = List.copyOf(audit.lockCleaned(c, found));
              tasks.deleteTasks(pipeline, cleaned);
              return cleaned;
            });
    // why: the tasks taken out shift the ranks of those after them
    cursors.put(pipeline, slice.size() < budget ? 0 : from + slice.size() - again.size());
    if (!again.isEmpty()) {
      log.atWarn()
          .addKeyValue("event", "cleanup_repeated")
          .addKeyValue("pipeline", pipeline)
          .addKeyValue("tasks", again.size())
          .addKeyValue(
              "reason", "Redis holds data of tasks cleaned up before (it lost recent writes)")
          .log();
    }
    return again.size();
  }
}
