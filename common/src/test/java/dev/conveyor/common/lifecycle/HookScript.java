package dev.conveyor.common.lifecycle;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Records each hook call as {@code system.verb} in a shared journal and throws planted failures.
 */
final class HookScript {
  private final List<String> journal;
  private final Map<Transition, Exception> failures = new EnumMap<>(Transition.class);

  HookScript(List<String> journal) {
    this.journal = journal;
  }

  void plant(Transition transition, Exception failure) {
    failures.put(transition, failure);
  }

  void run(String system, Transition transition) throws Exception {
    journal.add(system + "." + transition.verb());
    Exception failure = failures.get(transition);
    if (failure != null) {
      throw failure;
    }
  }
}
