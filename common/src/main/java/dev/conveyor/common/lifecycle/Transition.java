package dev.conveyor.common.lifecycle;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The ways a system moves between {@link State}s: the one table of which transition is allowed from
 * which states, and where a successful transition leads. Anything else is refused with an {@link
 * IllegalTransitionException}.
 */
public enum Transition {
  /** Prepare: collect what is needed to run. */
  ACTIVATE(State.READY, State.INITIAL),
  DISABLE(State.DISABLED, State.INITIAL, State.READY),
  ENABLE(State.READY, State.DISABLED),
  START(State.RUNNING, State.READY),
  /** Stop taking work, finish or hand back work in hand, release resources. */
  COMPLETE(State.COMPLETED, State.RUNNING, State.INTERMITTED),
  SUSPEND(State.INTERMITTED, State.RUNNING),
  RESUME(State.RUNNING, State.INTERMITTED),
  /** Forced stop. */
  TERMINATE(
      State.TERMINATED,
      State.INITIAL,
      State.READY,
      State.RUNNING,
      State.INTERMITTED,
      State.DISABLED);

  private final State target;
  private final Set<State> from;

  Transition(State target, State first, State... rest) {
    this.target = target;
    this.from = Collections.unmodifiableSet(EnumSet.of(first, rest));
  }

  /**
   * The state a successful transition leads to. A failing hook can lead elsewhere: a failed {@link
   * #ACTIVATE} to {@link State#DISABLED}, a failed {@link #START} to {@link State#TERMINATED}.
   */
  public State target() {
    return target;
  }

  /** The states this transition is allowed from. */
  public Set<State> from() {
    return from;
  }

  public boolean isAllowedFrom(State state) {
    return from.contains(state);
  }

  /** The lower-case name used in logs and messages, e.g. {@code start}. */
  public String verb() {
    return name().toLowerCase(Locale.ROOT);
  }
}
