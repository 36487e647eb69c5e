package dev.conveyor.common.lifecycle;

import java.util.List;
import java.util.Map;

/** Drives a system through transitions by name, and into any state by the shortest path. */
final class Drive {
  private static final Map<State, List<Transition>> PATHS =
      Map.of(
          State.INITIAL, List.of(),
          State.READY, List.of(Transition.ACTIVATE),
          State.RUNNING, List.of(Transition.ACTIVATE, Transition.START),
          State.COMPLETED, List.of(Transition.ACTIVATE, Transition.START, Transition.COMPLETE),
          State.DISABLED, List.of(Transition.DISABLE),
          State.INTERMITTED, List.of(Transition.ACTIVATE, Transition.START, Transition.SUSPEND),
          State.TERMINATED, List.of(Transition.TERMINATE));

  private Drive() {}

  static <T extends Lifecycle> T into(State state, T system) {
    PATHS.get(state).forEach(transition -> apply(transition, system));
    return system;
  }

  static void apply(Transition transition, Lifecycle system) {
    switch (transition) {
      case ACTIVATE -> system.activate();
      case DISABLE -> system.disable("operator");
      case ENABLE -> system.enable();
      case START -> system.start();
      case COMPLETE -> system.complete();
      case SUSPEND -> system.suspend();
      case RESUME -> system.resume();
      case TERMINATE -> system.terminate("operator");
    }
  }
}
