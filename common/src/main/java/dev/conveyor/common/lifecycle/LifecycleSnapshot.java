package dev.conveyor.common.lifecycle;

import java.util.List;
import java.util.Objects;

/**
 * An immutable picture of a system and its subsystems, e.g. for a JSON {@code /status} endpoint.
 *
 * @param reason why the system is in {@code state}, or null when there is no reason
 */
public record LifecycleSnapshot(
    String name, State state, String reason, List<LifecycleSnapshot> children) {

  public LifecycleSnapshot {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(state, "state");
    children = List.copyOf(children);
  }
}
