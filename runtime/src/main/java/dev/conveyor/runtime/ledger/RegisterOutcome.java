package dev.conveyor.runtime.ledger;

/** What registering a task found. */
public enum RegisterOutcome {
  /** Registered now: fan the parts out. */
  NEW,
  /** Registered before from this same inbox entry, but the fan-out was not confirmed: redo it. */
  RESUME,
  /** This same inbox entry was fully handled before (a re-pass after a crash): just acknowledge. */
  DONE,
  /** Another inbox entry already registered this task id: a duplicate. */
  DUPLICATE
}
