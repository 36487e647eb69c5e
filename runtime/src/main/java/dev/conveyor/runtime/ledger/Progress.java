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
}
