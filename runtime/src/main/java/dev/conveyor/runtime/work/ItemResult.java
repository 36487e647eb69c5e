package dev.conveyor.runtime.work;

/** What a step made of one item: an output, or an error that leaves the item for a retry. */
public sealed interface ItemResult {
  /** The step's output for the item (for a sink: the number of rows delivered). */
  record Output(String value) implements ItemResult {}

  /** The item failed; the rest of its batch is unaffected. */
  record Failed(String error) implements ItemResult {}
}
