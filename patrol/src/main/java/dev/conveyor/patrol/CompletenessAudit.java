package dev.conveyor.patrol;

import dev.conveyor.common.config.Durations;
import dev.conveyor.runtime.ledger.DeadLetters;
import dev.conveyor.runtime.ledger.Progress;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.ledger.Shards;
import dev.conveyor.runtime.ledger.StepProgress;
import dev.conveyor.runtime.ledger.TaskCompletion;
import dev.conveyor.runtime.ledger.TaskStore;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.records.TaskAudit;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 * flight, not with history. For each task one pipelined read says whether it made progress lately;
 * only a task without progress for its pipeline's {@code stuck_after} is looked at part by part:
 *
 * <ul>
 *   <li>complete but not finished (its audit row missing) → finished now;
 *   <li>an item missing at the first step it has not passed → re-enqueued there, once that step's
 *       shard queue is drained (while it still holds items, the task is merely waiting), at most
 *       {@code max_redrives} times;
 *   <li>still stuck after that → its missing items become dead items ({@code stuck}); a task whose
 *       remaining parts are all dead is then finished ({@code partial} or {@code failed});
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
  private final TaskStore tasks;
  private final TaskCompletion completion;
  private final DeadLetters deadLetters;
  private final TaskAuditRepository audit;
  private final Clock clock;
  private final int budget;
  private final Supplier<Instant> upSince;
  private final Map<String, Long> cursors = new HashMap<>();
  private final Map<String, StepProgress> progress = new HashMap<>();

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
      TaskStore tasks,
      TaskCompletion completion,
      DeadLetters deadLetters,
      TaskAuditRepository audit,
      Clock clock,
      int budget,
      Supplier<Instant> upSince) {
    this.pipelines = pipelines;
    this.tasks = tasks;
    this.completion = completion;
    this.deadLetters = deadLetters;
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
      c.inFlight += tasks.inflightCount(p.name());
      long from = cursors.getOrDefault(p.name(), 0L);
      Map<String, Long> slice = tasks.inflightSlice(p.name(), from, budget);
      if (slice.isEmpty() && from > 0) {
        from = 0;
        slice = tasks.inflightSlice(p.name(), 0, budget);
      }
      cursors.put(p.name(), slice.size() < budget ? 0 : from + slice.size());
      examine(p, slice, now, quietSince, c);
    }
    return new Round(c.inFlight, c.examined, c.stuck, c.redriven, c.dead, c.lost, c.finished);
  }

  private void examine(
      Pipeline p, Map<String, Long> slice, Instant now, Instant quietSince, Counts c) {
    List<String> ids = List.copyOf(slice.keySet());
    List<Optional<TaskStore.Pulse>> pulses = tasks.pulses(ids);
    List<String> gone = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      c.examined++;
      Optional<TaskStore.Pulse> pulse = pulses.get(i);
      if (pulse.isEmpty()) {
        gone.add(ids.get(i));
      } else if (pulse.get().finished()) {
        tasks.removeInflight(p.name(), ids.get(i));
      } else if (Duration.between(later(pulse.get().progressAt(), quietSince), now)
              .compareTo(p.stuckAfter())
          > 0) {
        c.stuck++;
        stuck(p, pulse.get(), now, c);
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
      tasks.removeInflight(p.name(), id);
    }
    audit.insertAll(rows);
  }

  private void stuck(Pipeline p, TaskStore.Pulse pulse, Instant now, Counts c) {
    List<String> stepNames = p.steps().stream().map(StepDef::name).toList();
    TaskStore.Passed passed = tasks.passed(pulse.taskId(), stepNames);
    List<Missing> missing = missing(p, pulse.parts(), passed);
    if (missing.isEmpty()) {
      // why: every item passed or died, but the task was not finished (a crash between the two)
      c.finished += completion.finish(p, List.of(pulse.taskId()));
      return;
    }
    if (pulse.redrives() < p.maxRedrives()) {
      redrive(p, pulse, missing, now, c);
    } else {
      kill(p, pulse, missing, c);
    }
  }

  private void redrive(
      Pipeline p, TaskStore.Pulse pulse, List<Missing> missing, Instant now, Counts c) {
    Map<StepDef, List<Map.Entry<String, Integer>>> items = new LinkedHashMap<>();
    for (Missing m : missing) {
      int shard = Shards.of(pulse.taskId(), m.step().shards());
      // why: while the shard still holds items, the task is waiting its turn, not lost
      if (tasks.queueDrained(p.name(), m.step().name(), shard)) {
        items
            .computeIfAbsent(m.step(), s -> new ArrayList<>())
            .add(Map.entry(pulse.taskId(), m.part()));
      }
    }
    if (items.isEmpty()) {
      return;
    }
    items.forEach((step, list) -> tasks.enqueue(p, step, list));
    tasks.noteRedrive(pulse.taskId(), now);
    c.redriven++;
    log.atWarn()
        .addKeyValue("event", "task_redriven")
        .addKeyValue("pipeline", p.name())
        .addKeyValue("task", pulse.taskId())
        .addKeyValue("items", items.values().stream().mapToInt(List::size).sum())
        .addKeyValue("steps", items.keySet().stream().map(StepDef::name).toList().toString())
        .addKeyValue("redrive", pulse.redrives() + 1)
        .log();
  }

  private void kill(Pipeline p, TaskStore.Pulse pulse, List<Missing> missing, Counts c) {
    String error =
        "stuck: no progress for "
            + Durations.format(p.stuckAfter())
            + " after "
            + pulse.redrives()
            + " re-drives";
    Map<String, List<Map.Entry<String, Integer>>> ready = new LinkedHashMap<>();
    boolean complete = false;
    for (Missing m : missing) {
      Progress pr =
          deadLetters.kill(
              progressOf(p, m.step()),
              p.name(),
              new QueueItem(pulse.taskId(), m.part(), "0-0", pulse.redrives()),
              null,
              error);
      c.dead++;
      for (String next : pr.ready()) {
        ready
            .computeIfAbsent(next, k -> new ArrayList<>())
            .add(Map.entry(pulse.taskId(), p.runsPerTask(next) ? QueueItem.TASK : m.part()));
      }
      complete |= pr.complete();
    }
    ready.forEach((next, list) -> tasks.enqueue(p, p.step(next).orElseThrow(), list));
    if (complete) {
      c.finished += completion.finish(p, List.of(pulse.taskId()));
    }
  }

  /** For each item, the first step it has not passed (and whose inputs it has). */
  static List<Missing> missing(Pipeline p, int parts, TaskStore.Passed passed) {
    List<Missing> out = new ArrayList<>();
    Map<String, String> dead = passed.dead();
    if (dead.containsKey("task")) {
      return out;
    }
    for (StepDef s : p.topologicalOrder()) {
      Set<String> done = passed.byStep().getOrDefault(s.name(), Set.of());
      if (p.runsPerTask(s.name())) {
        if (done.contains("task")) {
          continue;
        }
        boolean ready =
            StepProgress.gathersParts(p, s)
                ? allParts(parts, dead, s.after(), passed)
                : s.after().stream()
                    .allMatch(a -> passed.byStep().getOrDefault(a, Set.of()).contains("task"));
        if (ready) {
          out.add(new Missing(s, QueueItem.TASK));
        }
        continue;
      }
      for (int part = 0; part < parts; part++) {
        String f = Integer.toString(part);
        if (dead.containsKey(f) || done.contains(f)) {
          continue;
        }
        if (s.after().stream()
            .allMatch(a -> passed.byStep().getOrDefault(a, Set.of()).contains(f))) {
          out.add(new Missing(s, part));
        }
      }
    }
    return out;
  }

  private static boolean allParts(
      int parts, Map<String, String> dead, List<String> preds, TaskStore.Passed passed) {
    for (int part = 0; part < parts; part++) {
      String f = Integer.toString(part);
      if (dead.containsKey(f)) {
        continue;
      }
      for (String pred : preds) {
        if (!passed.byStep().getOrDefault(pred, Set.of()).contains(f)) {
          return false;
        }
      }
    }
    return true;
  }

  private StepProgress progressOf(Pipeline p, StepDef s) {
    return progress.computeIfAbsent(p.name() + "." + s.name(), k -> StepProgress.of(p, s));
  }

  /** An item not yet at a step it can go to. */
  record Missing(StepDef step, int part) {}

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
