package dev.conveyor.common.lifecycle;

/**
 * Observes a system's transitions, e.g. for metrics or heartbeats. Called after every successful
 * transition, on the thread that made it and while the system's transition lock is held: keep it
 * short and do not drive transitions from it. A listener that throws is logged and ignored.
 */
@FunctionalInterface
public interface LifecycleListener {

  /**
   * @param reason why the system is in {@code to}, or null when there is no reason
   */
  void stateChanged(String system, State from, State to, String reason);
}
