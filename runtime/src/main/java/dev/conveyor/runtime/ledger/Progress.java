package dev.conveyor.runtime.ledger;

import java.util.List;

/**
 * What recording an output found.
 *
 * @param ready successors whose inputs for this item are now complete: enqueue them
 * @param complete every part of the task has passed every terminal step, or is dead
 */
public record Progress(List<String> ready, boolean complete) {
  public Progress {
    ready = List.copyOf(ready);
  }

  /** The same progress with {@code step} not ready (its item is taken care of otherwise). */
  public Progress without(String step) {
    return new Progress(ready.stream().filter(s -> !s.equals(step)).toList(), complete);
  }
}
