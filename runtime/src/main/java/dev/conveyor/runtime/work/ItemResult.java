package dev.conveyor.runtime.work;

/** What a step made of one item: an output, or an error that leaves the item for a retry. */
public sealed interface ItemResult {
  /**
   * The step's output for the item (for a sink: the number of rows delivered).
   *
   * @param storable whether the output is known to be one JSON value with nothing PostgreSQL cannot
   *     store, because it was written from a tree checked as a tree ({@code
   *     ExactJson.storableTree}); {@code false}: not known, the text is to be checked
   */
  record Output(String value, boolean storable) implements ItemResult {
    /** An output whose text nothing has checked. */
    public Output(String value) {
      this(value, false);
    }
  }

  /** The item failed; the rest of its batch is unaffected. */
  record Failed(String error) implements ItemResult {}
}
