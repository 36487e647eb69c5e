package dev.conveyor.common.task;

import dev.conveyor.common.db.DeadItem;
import dev.conveyor.common.db.DeadItemRepository;
import dev.conveyor.common.db.TaskAuditRepository;
import dev.conveyor.common.pipeline.Pipeline;
import dev.conveyor.common.pipeline.Pipelines;
import dev.conveyor.common.pipeline.StepDef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts dead items back on their step's queue after a fix ({@code conveyor replay --task ID |
 * --pipeline P [--step S]}, run by patrol's {@code POST /replay}). Per task, in this order, so that
 * a crash at any point loses nothing and running the replay again finishes it:
 *
 * <ol>
 *   <li>re-open the task in Redis ({@link TaskStore#reopen}): the items are no longer dead, the
 *       outputs made downstream without them are forgotten, the task is in flight again — from here
 *       on patrol's re-drive would enqueue the items if nothing else did;
 *   <li>delete its audit row (it gets a new one, with the new outcome, when it finishes again);
 *   <li>enqueue the items (a repeat is harmless: every write downstream is idempotent);
 *   <li>delete their {@code dead_items} rows.
 * </ol>
 *
 * A task whose runtime data patrol already cleaned up cannot be re-opened (the outputs of the other
 * parts, which joins and task-scope steps need, are gone): its items are skipped with the reason
 * and their rows kept. Patrol keeps the data of tasks delivered below their pipeline's tolerance,
 * which with the default tolerance is every task with a dead part.
 */
public final class DeadItemReplay {
  /** The most dead items one replay handles; run it again for more. */
  public static final int MAX_ITEMS = 10_000;

  private static final Logger log = LoggerFactory.getLogger(DeadItemReplay.class);

  private final Pipelines pipelines;
  private final TaskStore tasks;
  private final TaskAuditRepository audit;
  private final DeadItemRepository dead;

  public DeadItemReplay(
      Pipelines pipelines, TaskStore tasks, TaskAuditRepository audit, DeadItemRepository dead) {
    this.pipelines = pipelines;
    this.tasks = tasks;
    this.audit = audit;
    this.dead = dead;
  }

  /** A dead item that was (or, in a dry run, would be) replayed, or skipped with the reason. */
  public record Outcome(DeadItem item, Optional<String> skipped) {}

  /**
   * Replays the dead items that match (a null filter matches everything), at most {@link
   * #MAX_ITEMS}.
   *
   * @param dryRun only say what would be replayed
   */
  public List<Outcome> replay(String taskId, String pipeline, String step, boolean dryRun) {
    Map<String, List<DeadItem>> byTask = new LinkedHashMap<>();
    for (DeadItem d : dead.list(taskId, pipeline, step, MAX_ITEMS)) {
      byTask.computeIfAbsent(d.taskId(), k -> new ArrayList<>()).add(d);
    }
    List<Outcome> outcomes = new ArrayList<>();
    byTask.forEach((task, items) -> outcomes.addAll(replayTask(task, items, dryRun)));
    return outcomes;
  }

  private List<Outcome> replayTask(String taskId, List<DeadItem> items, boolean dryRun) {
    Optional<Pipeline> pipeline = pipelines.get(items.getFirst().pipeline());
    if (pipeline.isEmpty()) {
      return skipAll(items, "pipeline " + items.getFirst().pipeline() + " is not loaded");
    }
    Pipeline p = pipeline.get();
    List<DeadItem> known = new ArrayList<>();
    List<Outcome> outcomes = new ArrayList<>();
    for (DeadItem d : items) {
      if (p.step(d.step()).isEmpty()) {
        outcomes.add(
            new Outcome(d, Optional.of("pipeline " + p.name() + " has no step " + d.step())));
      } else {
        known.add(d);
      }
    }
    Optional<TaskMeta> meta = tasks.meta(taskId);
    if (meta.isEmpty()) {
      outcomes.addAll(
          skipAll(known, "task " + taskId + " was cleaned up: its runtime data is gone"));
      return outcomes;
    }
    if (known.isEmpty() || dryRun) {
      known.forEach(d -> outcomes.add(new Outcome(d, Optional.empty())));
      return outcomes;
    }
    Map<String, String> deadFields = new LinkedHashMap<>();
    Map<String, Set<String>> clear = new LinkedHashMap<>();
    for (DeadItem d : known) {
      String field = QueueItem.fieldOf(d.part());
      deadFields.put(field, d.step());
      for (String downstream : downstream(p, d.step())) {
        clear
            .computeIfAbsent(downstream, k -> new LinkedHashSet<>())
            .add(p.runsPerTask(downstream) ? QueueItem.fieldOf(QueueItem.TASK) : field);
      }
    }
    if (!tasks.reopen(meta.get(), deadFields, clear)) {
      outcomes.addAll(
          skipAll(known, "task " + taskId + " was cleaned up: its runtime data is gone"));
      return outcomes;
    }
    audit.deleteOpen(taskId);
    Map<String, List<Map.Entry<String, Integer>>> byStep = new LinkedHashMap<>();
    for (DeadItem d : known) {
      byStep.computeIfAbsent(d.step(), k -> new ArrayList<>()).add(Map.entry(taskId, d.part()));
    }
    byStep.forEach((s, entries) -> tasks.enqueue(p, p.step(s).orElseThrow(), entries));
    dead.delete(known);
    log.atInfo()
        .addKeyValue("event", "task_replayed")
        .addKeyValue("pipeline", p.name())
        .addKeyValue("task", taskId)
        .addKeyValue("items", known.size())
        .log();
    known.forEach(d -> outcomes.add(new Outcome(d, Optional.empty())));
    return outcomes;
  }

  /** Every step after {@code step}, transitively (not the step itself). */
  static Set<String> downstream(Pipeline p, String step) {
    Set<String> seen = new LinkedHashSet<>();
    List<String> todo = new ArrayList<>(List.of(step));
    while (!todo.isEmpty()) {
      for (StepDef next : p.successors(todo.removeLast())) {
        if (seen.add(next.name())) {
          todo.add(next.name());
        }
      }
    }
    return seen;
  }

  private static List<Outcome> skipAll(List<DeadItem> items, String why) {
    return items.stream().map(d -> new Outcome(d, Optional.of(why))).toList();
  }
}
