package dev.conveyor.patrol;

import dev.conveyor.common.config.Durations;
import dev.conveyor.runtime.ledger.Advance;
import dev.conveyor.runtime.ledger.DeadLetters;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.ledger.Shards;
import dev.conveyor.runtime.ledger.StepLedger;
import dev.conveyor.runtime.ledger.StepProgress;
import dev.conveyor.runtime.ledger.TaskCompletion;
import dev.conveyor.runtime.ledger.TaskLookup;
import dev.conveyor.runtime.ledger.TaskSweep;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What patrol's completeness audit does with a task that made no progress for its pipeline's {@code
 * stuck_after}, looked at part by part ({@link MissingItems}):
 *
 * <ul>
 *   <li>complete but not finished (its audit row missing) → finished now;
 *   <li>an item missing at the first step it has not passed → re-enqueued there, once that step's
 *       shard queue is drained (while it still holds items, the task is merely waiting), at most
 *       {@code max_redrives} times;
 *   <li>still stuck after that → its missing items become dead items ({@code stuck}), and what that
 *       makes ready or complete advances as after any step ({@link Advance}).
 * </ul>
 */
final class StuckTasks {
  private static final Logger log = LoggerFactory.getLogger(StuckTasks.class);

  private final TaskLookup lookup;
  private final TaskSweep sweep;
  private final StepLedger ledger;
  private final TaskCompletion completion;
  private final DeadLetters deadLetters;
  private final Map<String, StepProgress> progress = new HashMap<>();

  /**
   * What was done with one stuck task.
   *
   * @param dead items it made dead
   * @param finished audit rows written
   */
  record Handled(boolean redriven, int dead, int finished) {}

  StuckTasks(
      TaskLookup lookup,
      TaskSweep sweep,
      StepLedger ledger,
      TaskCompletion completion,
      DeadLetters deadLetters) {
    this.lookup = lookup;
    this.sweep = sweep;
    this.ledger = ledger;
    this.completion = completion;
    this.deadLetters = deadLetters;
  }

  Handled handle(Pipeline p, TaskLookup.Pulse pulse, Instant now) {
    List<String> stepNames = p.steps().stream().map(StepDef::name).toList();
    List<MissingItems.Missing> missing =
        MissingItems.of(p, pulse.parts(), lookup.passed(pulse.taskId(), stepNames));
    if (missing.isEmpty()) {
      // why: every item passed or died, but the task was not finished (a crash between the two)
      return new Handled(false, 0, completion.finish(p, List.of(pulse.taskId())));
    }
    if (pulse.redrives() < p.maxRedrives()) {
      return new Handled(redrive(p, pulse, missing, now), 0, 0);
    }
    return kill(p, pulse, missing);
  }

  private boolean redrive(
      Pipeline p, TaskLookup.Pulse pulse, List<MissingItems.Missing> missing, Instant now) {
    Map<StepDef, List<Map.Entry<String, Integer>>> items = new LinkedHashMap<>();
    for (MissingItems.Missing m : missing) {
      int shard = Shards.of(pulse.taskId(), m.step().shards());
      // why: while the shard still holds items, the task is waiting its turn, not lost
      if (ledger.queueDrained(p.name(), m.step().name(), shard)) {
        items
            .computeIfAbsent(m.step(), s -> new ArrayList<>())
            .add(Map.entry(pulse.taskId(), m.part()));
      }
    }
    if (items.isEmpty()) {
      return false;
    }
    items.forEach((step, list) -> ledger.enqueue(p, step, list));
    sweep.noteRedrive(pulse.taskId(), now);
    log.atWarn()
        .addKeyValue("event", "task_redriven")
        .addKeyValue("pipeline", p.name())
        .addKeyValue("task", pulse.taskId())
        .addKeyValue("items", items.values().stream().mapToInt(List::size).sum())
        .addKeyValue("steps", items.keySet().stream().map(StepDef::name).toList().toString())
        .addKeyValue("redrive", pulse.redrives() + 1)
        .log();
    return true;
  }

  private Handled kill(Pipeline p, TaskLookup.Pulse pulse, List<MissingItems.Missing> missing) {
    String error =
        "stuck: no progress for "
            + Durations.format(p.stuckAfter())
            + " after "
            + pulse.redrives()
            + " re-drives";
    Advance advance = new Advance(p);
    for (MissingItems.Missing m : missing) {
      QueueItem item = new QueueItem(pulse.taskId(), m.part(), "0-0", pulse.redrives());
      advance.add(item, deadLetters.kill(progressOf(p, m.step()), p.name(), item, null, error));
    }
    return new Handled(false, missing.size(), advance.apply(ledger, completion));
  }

  private StepProgress progressOf(Pipeline p, StepDef s) {
    return progress.computeIfAbsent(p.name() + "." + s.name(), k -> StepProgress.of(p, s));
  }
}
