package dev.conveyor.common.lifecycle;

import java.io.Serial;

/** A transition that the {@link Transition} table does not allow from the current state. */
public final class IllegalTransitionException extends IllegalStateException {
  @Serial private static final long serialVersionUID = 1L;

  private final String system;
  private final State from;
  private final Transition transition;

  IllegalTransitionException(String system, State from, Transition transition) {
    super("system=" + system + " cannot " + transition.verb() + " from " + from);
    this.system = system;
    this.from = from;
    this.transition = transition;
  }

  public String system() {
    return system;
  }

  public State from() {
    return from;
  }

  public Transition transition() {
    return transition;
  }
}
