package dev.conveyor.processor;

import dev.conveyor.common.lifecycle.LifecycleSnapshot;

/** A processor's steps as its lifecycle shows them (state and reason), for the tests. */
final class StepSnapshots {
  private StepSnapshots() {}

  /** The step subsystem called {@code name} (e.g. {@code "step text.same"}); throws without it. */
  static LifecycleSnapshot step(Processor processor, String name) {
    return processor.snapshot().children().stream()
        .filter(c -> c.name().equals("steps"))
        .flatMap(c -> c.children().stream())
        .filter(c -> c.name().equals(name))
        .findFirst()
        .orElseThrow();
  }
}
