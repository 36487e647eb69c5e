package dev.conveyor.runtime.work.command;

/**
 * What a worker process's stdout thread hands over, in order: a line, a line too long to read (the
 * last thing it hands over), or the end of the stream.
 */
sealed interface Reply {
  /**
   * @param utf8 false when the line was not valid UTF-8 (bad bytes replaced)
   */
  record Line(String text, boolean utf8) implements Reply {}

  /** A line longer than {@link WorkerProcess#MAX_LINE_BYTES}: the stream is not read further. */
  record Overflow() implements Reply {}

  /** The stream ended: the process closed its stdout or is gone. */
  record End() implements Reply {}
}
