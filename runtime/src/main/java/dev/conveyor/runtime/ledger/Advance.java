package dev.conveyor.runtime.ledger;

import dev.conveyor.runtime.pipeline.Pipeline;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;

/**
 * The one rule for advancing items after a step recorded them (an output or a dead item), used by
 * the processor after each batch and by patrol when it kills stuck items: every successor that
 * became ready gets the item — the same part, or the whole task ({@link QueueItem#TASK}) for a
 * task-scope successor — and every task that became complete is finished. Collect with {@link
 * #add}, then {@link #apply} once. A processor may first {@link #take} the items of successors it
 * runs itself at once (co-located steps), which are then not enqueued.
 */
public final class Advance {
  private final Pipeline pipeline;
  private final Map<String, List<Map.Entry<String, Integer>>> ready = new LinkedHashMap<>();
  private final Set<String> complete = new LinkedHashSet<>();

  public Advance(Pipeline pipeline) {
    this.pipeline = pipeline;
  }

  /** Notes what recording {@code item} made ready and whether its task is complete. */
  public void add(QueueItem item, Progress progress) {
    for (String next : progress.ready()) {
      int part = pipeline.runsPerTask(next) ? QueueItem.TASK : item.part();
      ready.computeIfAbsent(next, k -> new ArrayList<>()).add(Map.entry(item.taskId(), part));
    }
    if (progress.complete()) {
      complete.add(item.taskId());
    }
  }

  /**
   * Takes out the items that became ready which {@code here} accepts (successor name, task id):
   * they are not enqueued by {@link #apply}; the caller runs them. By successor, in the order they
   * were added.
   */
  public Map<String, List<QueueItem>> take(BiPredicate<String, String> here) {
    Map<String, List<QueueItem>> taken = new LinkedHashMap<>();
    ready.forEach((next, items) -> {
      List<QueueItem> mine = new ArrayList<>();
      items.removeIf(e -> {
        if (!here.test(next, e.getKey())) {
          return false;
        }
        mine.add(QueueItem.unqueued(e.getKey(), e.getValue()));
        return true;
      });
      if (!mine.isEmpty()) {
        taken.put(next, mine);
      }
    });
    return taken;
  }

  /**
   * Enqueues what became ready, then finishes what is complete.
   *
   * @return how many audit rows the finishing wrote
   */
  public int apply(StepLedger ledger, TaskCompletion completion) {
    return completion.finish(pipeline, enqueue(ledger));
  }

  /**
   * Enqueues what became ready; returns the tasks that became complete, for the caller to finish
   * ({@link TaskCompletion#finish}) before it acknowledges what made them so.
   */
  public List<String> enqueue(StepLedger ledger) {
    ready.forEach(
        (next, items) -> ledger.enqueue(pipeline, pipeline.step(next).orElseThrow(), items));
    return List.copyOf(complete);
  }
}
