package dev.conveyor.runtime.ledger;

import dev.conveyor.runtime.pipeline.Pipeline;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one rule for advancing items after a step recorded them (an output or a dead item), used by
 * the processor after each batch and by patrol when it kills stuck items: every successor that
 * became ready gets the item — the same part, or the whole task ({@link QueueItem#TASK}) for a
 * task-scope successor — and every task that became complete is finished. Collect with {@link
 * #add}, then {@link #apply} once.
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
   * Enqueues what became ready, then finishes what is complete.
   *
   * @return how many audit rows the finishing wrote
   */
  public int apply(StepLedger ledger, TaskCompletion completion) {
    ready.forEach(
        (next, items) -> ledger.enqueue(pipeline, pipeline.step(next).orElseThrow(), items));
    return completion.finish(pipeline, List.copyOf(complete));
  }
}
