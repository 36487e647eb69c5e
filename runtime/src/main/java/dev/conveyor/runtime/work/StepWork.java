package dev.conveyor.runtime.work;

import java.util.List;

/** What a step does with a batch of items: one result per item, in order. */
public interface StepWork {
  /**
   * Processes the batch. A failing item is a {@link ItemResult.Failed} in its place; an exception
   * means the whole batch could not be attempted (a database or Redis outage) and stays queued.
   */
  List<ItemResult> process(List<WorkItem> batch);

  /** Releases what the work holds (instances, processes); called once when the step stops. */
  default void close() {}
}
