package dev.conveyor.patrol;

import dev.conveyor.common.db.Fence;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.ledger.StepLedger;
import dev.conveyor.runtime.ledger.TaskLookup;
import dev.conveyor.runtime.ledger.TaskMeta;
import dev.conveyor.runtime.ledger.TaskSnapshots;
import dev.conveyor.runtime.ledger.TaskSweep;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.records.DeadItem;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.TaskAuditRepository;
import dev.conveyor.runtime.records.TaskSnapshot;
import dev.conveyor.runtime.records.TaskSnapshotRepository;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;

/**
 * Puts dead items back on their step's queue after a fix ({@code conveyor replay --task ID |
 * --pipeline P [--step S]}, run by patrol's {@code POST /replay}). Each task is one unit of work
 * behind the patrol lease ({@link Fence}): one PostgreSQL transaction that locks the task's dead
 * items and its audit row first — so a cleanup of the task, on this patrol or any other, waits for
 * the replay or has happened before it — and then, in this order, so that a crash at any point
 * loses nothing and running the replay again finishes it:
 *
 * <ol>
 *   <li>if patrol already cleaned the task up, bring its runtime data back from the snapshot taken
 *       when it was cleaned ({@link TaskSnapshots#restore});
 *   <li>re-open the task in Redis ({@link TaskSweep#reopen}): the items are no longer dead, the
 *       outputs made downstream without them are forgotten, the task is in flight again — from here
 *       on patrol's re-drive would enqueue the items if nothing else did;
 *   <li>delete its audit row (it gets a new one, with the new outcome, when it finishes again);
 *   <li>enqueue the items (a repeat is harmless: every write downstream is idempotent);
 *   <li>delete their {@code dead_items} rows and the task's snapshot;
 * </ol>
 *
 * then commit. A crash before the commit leaves the rows as they were (the task may be re-opened in
 * Redis already: re-opening again is harmless). A task that was cleaned up without a snapshot (it
 * had no dead items then, or the snapshot is past the dead items' retention) cannot be re-opened:
 * its items are skipped with the reason and their rows kept.
 */
public final class DeadItemReplay {
  /** The most dead items one replay handles; run it again for more. */
  public static final int MAX_ITEMS = 10_000;

  private static final Logger log = LoggerFactory.getLogger(DeadItemReplay.class);

  private final Pipelines pipelines;
  private final TaskLookup lookup;
  private final TaskSweep sweep;
  private final StepLedger ledger;
  private final TaskSnapshots snapshots;
  private final TaskAuditRepository audit;
  private final DeadItemRepository dead;
  private final TaskSnapshotRepository snapshotRows;
  private final Supplier<Fence> fence;

  /**
   * @param jedis the runtime Redis (the task ledger)
   * @param fence the fence each task's replay runs behind (patrol: its lease's, asked per replay)
   */
  public DeadItemReplay(
      Pipelines pipelines,
      UnifiedJedis jedis,
      Keys keys,
      DataSource dataSource,
      Supplier<Fence> fence) {
    this.pipelines = pipelines;
    this.lookup = new TaskLookup(jedis, keys);
    this.sweep = new TaskSweep(jedis, keys);
    this.ledger = new StepLedger(jedis, keys);
    this.snapshots = new TaskSnapshots(jedis, keys);
    this.audit = new TaskAuditRepository(dataSource);
    this.dead = new DeadItemRepository(dataSource);
    this.snapshotRows = new TaskSnapshotRepository(dataSource);
    this.fence = fence;
  }

  /** A dead item that was (or, in a dry run, would be) replayed, or skipped with the reason. */
  public record Outcome(DeadItem item, Optional<String> skipped) {}

  /**
   * Replays the dead items that match (a null filter matches everything), at most {@link
   * #MAX_ITEMS}.
   *
   * @param dryRun only say what would be replayed
   * @throws dev.conveyor.common.db.LeaseLostException when this patrol lost the lease midway: the
   *     tasks replayed so far stay replayed, running the replay again (on the new holder) does the
   *     rest
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
    if (known.isEmpty()) {
      return outcomes;
    }
    if (dryRun) {
      boolean reachable = lookup.meta(taskId).isPresent() || snapshotRows.exists(taskId);
      outcomes.addAll(reachable ? replayedAll(known) : skipAll(known, gone(taskId)));
      return outcomes;
    }
    outcomes.addAll(fence.get().run(c -> replayLocked(c, p, taskId, known)));
    return outcomes;
  }

  /** One task's replay, inside its fenced transaction. */
  private List<Outcome> replayLocked(Connection c, Pipeline p, String taskId, List<DeadItem> listed)
      throws SQLException {
    Set<String> stillDead = new HashSet<>();
    for (DeadItem d : dead.lockForTask(c, taskId)) {
      stillDead.add(d.part() + "/" + d.step());
    }
    List<DeadItem> known = new ArrayList<>();
    List<Outcome> outcomes = new ArrayList<>();
    for (DeadItem d : listed) {
      if (stillDead.contains(d.part() + "/" + d.step())) {
        known.add(d);
      } else {
        outcomes.add(new Outcome(d, Optional.of("it was replayed meanwhile")));
      }
    }
    if (known.isEmpty()) {
      return outcomes;
    }
    TaskAuditRepository.RowState row = audit.lockForReplay(c, taskId);
    Optional<TaskMeta> meta = lookup.meta(taskId);
    boolean restored = false;
    if (meta.isEmpty() && row == TaskAuditRepository.RowState.CLEANED) {
      Optional<TaskSnapshot> snapshot = snapshotRows.lock(c, taskId);
      if (snapshot.isPresent()) {
        snapshots.restore(snapshot.get());
        meta = lookup.meta(taskId);
        restored = true;
      }
    }
    if (meta.isEmpty()) {
      outcomes.addAll(skipAll(known, gone(taskId)));
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
    if (!sweep.reopen(meta.get(), deadFields, clear)) {
      outcomes.addAll(skipAll(known, gone(taskId)));
      return outcomes;
    }
    audit.delete(c, taskId);
    Map<String, List<Map.Entry<String, Integer>>> byStep = new LinkedHashMap<>();
    for (DeadItem d : known) {
      byStep.computeIfAbsent(d.step(), k -> new ArrayList<>()).add(Map.entry(taskId, d.part()));
    }
    byStep.forEach((s, entries) -> ledger.enqueue(p, p.step(s).orElseThrow(), entries));
    dead.delete(c, known);
    snapshotRows.delete(c, taskId);
    log.atInfo()
        .addKeyValue("event", "task_replayed")
        .addKeyValue("pipeline", p.name())
        .addKeyValue("task", taskId)
        .addKeyValue("items", known.size())
        .addKeyValue("restored", restored)
        .log();
    outcomes.addAll(replayedAll(known));
    return outcomes;
  }

  private static String gone(String taskId) {
    return "task "
        + taskId
        + " was cleaned up and no snapshot of it is kept: its runtime data is gone";
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

  private static List<Outcome> replayedAll(List<DeadItem> items) {
    return items.stream().map(d -> new Outcome(d, Optional.<String>empty())).toList();
  }

  private static List<Outcome> skipAll(List<DeadItem> items, String why) {
    return items.stream().map(d -> new Outcome(d, Optional.of(why))).toList();
  }
}
