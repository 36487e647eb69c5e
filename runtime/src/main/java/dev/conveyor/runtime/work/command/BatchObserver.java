package dev.conveyor.runtime.work.command;

/**
 * Told of each batch request a command step sends, for metrics ({@code
 * conveyor_command_batch_items} in the processor). Called on the thread that sends it; must be
 * quick and must not throw.
 */
@FunctionalInterface
public interface BatchObserver {
  BatchObserver NONE = items -> {};

  /** A request of the batch form with {@code items} items went to a worker. */
  void requestSent(int items);
}
