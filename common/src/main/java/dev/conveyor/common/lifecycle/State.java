package dev.conveyor.common.lifecycle;

import java.util.Arrays;

/** Where a system is in its life. {@link Transition} says how it moves between states. */
public enum State {
  /** Created; nothing prepared yet. */
  INITIAL,
  /** Prepared: has what it needs to run. */
  READY,
  /** Doing its work. */
  RUNNING,
  /** Stopped in order, work finished or handed back. Final. */
  COMPLETED,
  /** Cannot run, for a reason; {@link Transition#ENABLE} makes it ready again. */
  DISABLED,
  /** Suspended by an operator; {@link Transition#RESUME} makes it run again. */
  INTERMITTED,
  /** Stopped by force. Final. */
  TERMINATED;

  /** Whether no transition leads out of this state. */
  public boolean isFinal() {
    return Arrays.stream(Transition.values())
        .noneMatch(transition -> transition.isAllowedFrom(this));
  }
}
