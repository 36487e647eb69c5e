package dev.conveyor.runtime.pipeline;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One pipeline file: a named, versioned DAG of steps, validated. Steps keep their declaration
 * order; graph queries return steps in that order.
 *
 * @param source the file it was read from
 * @param maxInFlight tasks in flight before the dispatcher holds back intake
 * @param stuckAfter patrol re-drives a part that made no progress for this long
 * @param maxRedrives how often patrol re-drives one part before giving up on it
 * @param resources read-only files shared by steps, by name, resolved against the file's directory
 */
public record Pipeline(
    String name,
    int version,
    Path source,
    SplitRule split,
    int maxInFlight,
    Duration stuckAfter,
    int maxRedrives,
    Cleanup cleanup,
    Map<String, Path> resources,
    List<StepDef> steps) {
  public static final int DEFAULT_MAX_IN_FLIGHT = 10_000;
  public static final Duration DEFAULT_STUCK_AFTER = Duration.ofMinutes(10);
  public static final int DEFAULT_MAX_REDRIVES = 3;

  public Pipeline {
    Names.requireName("pipeline", name);
    if (version < 1) {
      throw new IllegalArgumentException("pipeline version must be >= 1, was " + version);
    }
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(split, "split");
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("max_in_flight must be >= 1, was " + maxInFlight);
    }
    Objects.requireNonNull(stuckAfter, "stuckAfter");
    if (stuckAfter.isNegative() || stuckAfter.isZero()) {
      throw new IllegalArgumentException("stuck_after must be > 0, was " + stuckAfter);
    }
    if (maxRedrives < 0) {
      throw new IllegalArgumentException("max_redrives must be >= 0, was " + maxRedrives);
    }
    Objects.requireNonNull(cleanup, "cleanup");
    resources = Map.copyOf(resources);
    resources.keySet().forEach(r -> Names.requireName("resource", r));
    steps = List.copyOf(steps);
    if (steps.isEmpty()) {
      throw new IllegalArgumentException("pipeline '" + name + "' has no steps");
    }
    List<String> problems =
        PipelineValidator.problems(
            steps.stream().map(PipelineValidator.StepLinks::of).toList(), resources.keySet());
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("pipeline '" + name + "': " + String.join("; ", problems));
    }
  }

  /** The step called {@code stepName}, if there is one. */
  public Optional<StepDef> step(String stepName) {
    return steps.stream().filter(s -> s.name().equals(stepName)).findFirst();
  }

  /** Steps without predecessors: each receives every part of a new task. */
  public List<StepDef> entrySteps() {
    return steps.stream().filter(StepDef::isEntry).toList();
  }

  /**
   * Steps that list {@code stepName} in {@code after}.
   *
   * @throws IllegalArgumentException if there is no such step
   */
  public List<StepDef> successors(String stepName) {
    if (step(stepName).isEmpty()) {
      throw new IllegalArgumentException("pipeline '" + name + "' has no step '" + stepName + "'");
    }
    return steps.stream().filter(s -> s.after().contains(stepName)).toList();
  }

  /**
   * Whether the step runs once per task rather than once per part: its scope is {@code task}, or it
   * comes after a step that runs once per task (e.g. a sink after an assemble step).
   */
  public boolean runsPerTask(String stepName) {
    var byName = new HashMap<String, PipelineValidator.StepLinks>();
    steps.forEach(s -> byName.put(s.name(), PipelineValidator.StepLinks.of(s)));
    if (!byName.containsKey(stepName)) {
      throw new IllegalArgumentException("pipeline '" + name + "' has no step '" + stepName + "'");
    }
    return PipelineValidator.runsPerTask(stepName, byName, new HashMap<>());
  }

  /** Steps that no step follows: where a part's journey ends. */
  public List<StepDef> terminalSteps() {
    return steps.stream().filter(s -> successors(s.name()).isEmpty()).toList();
  }

  /**
   * Every step after all of its predecessors; among steps that are ready at the same time, the one
   * declared first comes first, so the order is stable.
   */
  public List<StepDef> topologicalOrder() {
    var waitingFor = new HashMap<String, Integer>();
    steps.forEach(s -> waitingFor.put(s.name(), s.after().size()));
    var order = new ArrayList<StepDef>(steps.size());
    var remaining = new ArrayList<>(steps);
    while (!remaining.isEmpty()) {
      StepDef next =
          remaining.stream()
              .filter(s -> waitingFor.get(s.name()) == 0)
              .findFirst()
              .orElseThrow(() -> new IllegalStateException("cycle in pipeline " + name));
      remaining.remove(next);
      order.add(next);
      for (StepDef successor : successors(next.name())) {
        waitingFor.merge(successor.name(), -1, Integer::sum);
      }
    }
    return List.copyOf(order);
  }
}
