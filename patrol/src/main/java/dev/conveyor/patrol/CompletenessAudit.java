package dev.conveyor.patrol;

import dev.conveyor.runtime.ledger.TaskLookup;
import dev.conveyor.runtime.ledger.TaskSweep;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.records.TaskAudit;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The completeness audit of tasks in flight, found through each pipeline's in-flight index (never
 * the keyspace). A round looks at up to {@code budget} tasks per pipeline, continuing where the
 * last round stopped (a cursor that wraps), so its cost is bounded and grows with the tasks in
 * flight, not with history. For each task one pipelined read says whether it made progress lately:
 *
 * <ul>
 *   <li>finished → taken out of the in-flight index;
 *   <li>no progress for its pipeline's {@code stuck_after} → looked at part by part, finished,
 *       re-driven or its missing items killed ({@link StuckTasks});
 *   <li>its data gone (Redis lost it) → a {@code failed} audit row, so that the message still ends
 *       as exactly one row.
 * </ul>
 *
 * <p>No task can progress while Redis or PostgreSQL is down, so the time without progress is
 * measured from the later of the task's last progress and the moment every service has been up
 * since ({@code upSince}: now during an outage, its end after one): an outage, however long, makes
 * no task stuck, and no re-drive follows it.
 */
final class CompletenessAudit {
  private static final Logger log = LoggerFactory.getLogger(CompletenessAudit.class);

  private final Pipelines pipelines;
  private final TaskSweep sweep;
  private final TaskLookup lookup;
  private final StuckTasks stuckTasks;
  private final TaskAuditRepository audit;
  private final Clock clock;
  private final int budget;
  private final Supplier<Instant> upSince;
  private final Map<String, Long> cursors = new HashMap<>();

  /** What one round saw and did. */
  record Round(
      long inFlight,
      int examined,
      int stuck,
      int redriven,
      int deadParts,
      int lost,
      int finished) {}

  CompletenessAudit(
      Pipelines pipelines,
      TaskSweep sweep,
      TaskLookup lookup,
      StuckTasks stuckTasks,
      TaskAuditRepository audit,
      Clock clock,
      int budget,
      Supplier<Instant> upSince) {
    this.pipelines = pipelines;
    this.sweep = sweep;
    this.lookup = lookup;
    this.stuckTasks = stuckTasks;
    this.audit = audit;
    this.clock = clock;
    this.budget = budget;
    this.upSince = upSince;
  }

  Round round() {
    Counts c = new Counts();
    Instant now = clock.instant();
    Instant quietSince = upSince.get();
    for (Pipeline p : pipelines.all()) {
      c.inFlight += sweep.inflightCount(p.name());
      long from = cursors.getOrDefault(p.name(), 0L);
      Map<String, Long> slice = sweep.inflightSlice(p.name(), from, budget);
      if (slice.isEmpty() && from > 0) {
        from = 0;
        slice = sweep.inflightSlice(p.name(), 0, budget);
      }
      cursors.put(p.name(), slice.size() < budget ? 0 : from + slice.size());
      examine(p, slice, now, quietSince, c);
    }
    return new Round(c.inFlight, c.examined, c.stuck, c.redriven, c.dead, c.lost, c.finished);
  }

  private void examine(
      Pipeline p, Map<String, Long> slice, Instant now, Instant quietSince, Counts c) {
    List<String> ids = List.copyOf(slice.keySet());
    List<Optional<TaskLookup.Pulse>> pulses = lookup.pulses(ids);
    List<String> gone = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      c.examined++;
      Optional<TaskLookup.Pulse> pulse = pulses.get(i);
      if (pulse.isEmpty()) {
        gone.add(ids.get(i));
      } else if (pulse.get().finished()) {
        sweep.removeInflight(p.name(), ids.get(i));
      } else if (Duration.between(later(pulse.get().progressAt(), quietSince), now)
              .compareTo(p.stuckAfter())
          > 0) {
        c.stuck++;
        StuckTasks.Handled h = stuckTasks.handle(p, pulse.get(), now);
        c.redriven += h.redriven() ? 1 : 0;
        c.dead += h.dead();
        c.finished += h.finished();
      }
    }
    if (!gone.isEmpty()) {
      lost(p, gone, slice, now, c);
    }
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  /** In the index, but the task's data is gone: cleaned already, or lost with Redis data. */
  private void lost(Pipeline p, List<String> gone, Map<String, Long> slice, Instant now, Counts c) {
    Set<String> audited = audit.existing(gone);
    List<TaskAudit> rows = new ArrayList<>();
    for (String id : gone) {
      if (!audited.contains(id)) {
        c.lost++;
        log.atError()
            .addKeyValue("event", "task_lost")
            .addKeyValue("pipeline", p.name())
            .addKeyValue("task", id)
            .addKeyValue("reason", "its runtime data is gone from Redis")
            .log();
        Instant received = Instant.ofEpochMilli(slice.get(id));
        rows.add(
            new TaskAudit(
                id,
                p.name(),
                p.version(),
                TaskAudit.Outcome.FAILED,
                0,
                0,
                0,
                null,
                received,
                now,
                Optional.empty()));
      }
      sweep.removeInflight(p.name(), id);
    }
    audit.insertAll(rows);
  }

  private static final class Counts {
    long inFlight;
    int examined;
    int stuck;
    int redriven;
    int dead;
    int lost;
    int finished;
  }
}
