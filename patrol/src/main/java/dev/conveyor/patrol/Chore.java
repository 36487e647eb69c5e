package dev.conveyor.patrol;

/** One more job of the patrol round (repair chains, trim streams, ...), run under the lease. */
interface Chore {
  /** Its name in the round's summary line. */
  String name();

  /** Does the job once; returns how many things it did (repaired, trimmed, ...). */
  long round();
}
