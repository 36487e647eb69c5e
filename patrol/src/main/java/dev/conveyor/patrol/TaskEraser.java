package dev.conveyor.patrol;

import dev.conveyor.runtime.ledger.TaskSnapshots;
import dev.conveyor.runtime.ledger.TaskSweep;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.TaskCleanupRepository;
import dev.conveyor.runtime.records.TaskCleanupRepository.Finished;
import dev.conveyor.runtime.records.TaskSnapshot;
import dev.conveyor.runtime.records.TaskSnapshotRepository;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Deletes the runtime data of finished tasks, {@value #BATCH} at a time, each batch one unit of
 * work behind the patrol lease: in one transaction it marks the tasks' audit rows cleaned with the
 * lease's fencing token, which locks them (a replay of one of them waits, or has re-opened it
 * already and its row is gone or new: that task is left alone), keeps a snapshot of each task that
 * has dead items (what a replay of them needs), and deletes the keys. A crash before the commit
 * leaves the rows not cleaned: the next round deletes again what is left.
 */
final class TaskEraser {
  /** Tasks per unit of work. */
  static final int BATCH = 500;

  private final TaskSweep tasks;
  private final TaskSnapshots snapshots;
  private final TaskCleanupRepository audit;
  private final DeadItemRepository dead;
  private final TaskSnapshotRepository snapshotRows;

  TaskEraser(TaskSweep tasks, TaskSnapshots snapshots, DataSource dataSource) {
    this.tasks = tasks;
    this.snapshots = snapshots;
    this.audit = new TaskCleanupRepository(dataSource);
    this.dead = new DeadItemRepository(dataSource);
    this.snapshotRows = new TaskSnapshotRepository(dataSource);
  }

  /**
   * Deletes the data of these tasks of one pipeline; returns how many were marked.
   *
   * @param released why the data goes without the proof of delivery (put before the row's {@code
   *     cleanup_detail}); empty for a cleanup within the tolerance
   */
  int erase(
      LeaseFence fence,
      String pipeline,
      List<Finished> finished,
      Instant now,
      Optional<String> released) {
    int marked = 0;
    for (int from = 0; from < finished.size(); from += BATCH) {
      List<Finished> batch = finished.subList(from, Math.min(finished.size(), from + BATCH));
      marked +=
          fence.run(c -> {
            // why: marked first, which locks the rows, then the snapshots and the keys, all before
            // the commit: a crash before it leaves the tasks not cleaned, and the next round
            // deletes them again
            List<String> ids = audit.markCleaned(c, batch, now, fence.token(), released);
            Set<String> withDead = dead.tasksWithDeadItems(c, ids);
            List<TaskSnapshot> kept = snapshots.take(List.copyOf(withDead));
            snapshotRows.save(c, kept, now);
            tasks.deleteTasks(pipeline, ids);
            return ids.size();
          });
    }
    return marked;
  }

  /** Marks tasks held below their tolerance (task → why), in one unit of work. */
  void hold(LeaseFence fence, Map<Finished, String> shortfalls, Instant now) {
    if (shortfalls.isEmpty()) {
      return;
    }
    List<Finished> held = List.copyOf(shortfalls.keySet());
    fence.run(c -> {
      Set<String> ids = Set.copyOf(unchanged(audit.lockNotCleaned(c, ids(held)), held));
      for (Finished f : held) {
        if (ids.contains(f.taskId())) {
          audit.markHeld(c, f.taskId(), now, shortfalls.get(f));
        }
      }
      return ids.size();
    });
  }

  private static List<String> ids(List<Finished> finished) {
    return finished.stream().map(Finished::taskId).toList();
  }

  /**
   * The tasks whose locked row is still the one the caller looked at (same {@code finished_at}): a
   * row a replay deleted is gone, and one it made anew is for another round to judge.
   */
  private static List<String> unchanged(Map<String, Instant> locked, List<Finished> looked) {
    List<String> ids = new ArrayList<>();
    for (Finished f : looked) {
      if (f.finishedAt().equals(locked.get(f.taskId()))) {
        ids.add(f.taskId());
      }
    }
    return ids;
  }
}
