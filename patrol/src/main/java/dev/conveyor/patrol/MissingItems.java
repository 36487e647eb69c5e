package dev.conveyor.patrol;

import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.ledger.StepProgress;
import dev.conveyor.runtime.ledger.TaskLookup;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a stuck task lacks: for each of its items, the first step it has not passed and whose inputs
 * it has — where a re-drive puts it, or where it dies. A dead item lacks nothing; nor does any item
 * of a task whose whole-task item is dead.
 */
final class MissingItems {
  /** An item not yet at a step it can go to. */
  record Missing(StepDef step, int part) {}

  private MissingItems() {}

  static List<Missing> of(Pipeline p, int parts, TaskLookup.Passed passed) {
    List<Missing> out = new ArrayList<>();
    Map<String, String> dead = passed.dead();
    if (dead.containsKey(QueueItem.WHOLE_TASK)) {
      return out;
    }
    for (StepDef s : p.topologicalOrder()) {
      Set<String> done = passed.byStep().getOrDefault(s.name(), Set.of());
      if (p.runsPerTask(s.name())) {
        if (done.contains(QueueItem.WHOLE_TASK)) {
          continue;
        }
        boolean ready =
            StepProgress.gathersParts(p, s)
                ? allParts(parts, dead, s.after(), passed)
                : s.after().stream()
                    .allMatch(a ->
                        passed.byStep().getOrDefault(a, Set.of()).contains(QueueItem.WHOLE_TASK));
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
      int parts, Map<String, String> dead, List<String> preds, TaskLookup.Passed passed) {
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
}
