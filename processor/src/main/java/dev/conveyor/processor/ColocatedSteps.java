package dev.conveyor.processor;

import dev.conveyor.common.lifecycle.State;
import dev.conveyor.runtime.ledger.Advance;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.ledger.Shards;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.pipeline.StepKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.IntPredicate;
import java.util.function.Predicate;

/**
 * Co-located steps (what Flink calls operator chaining): items that a batch made ready for a step
 * this processor runs in-process — a {@code java} or {@code sink} step, active here and not
 * suspended, for a task whose shard of that step this processor holds (a tick of that chain runs
 * here) — are run at once, in the same tick, instead of going through the step's queue. Items of
 * shards another processor holds go to it through the queue, so replicas still share the work. That
 * saves the queue's write, read and acknowledgement, and the wait for the step's next tick.
 *
 * <p>A step that is its predecessor's one successor ({@link #linearSuccessor}) runs on the outputs
 * in memory, and each item's two outputs are recorded in one call ({@link StepBatch}). Nothing else
 * changes: each step records its own output or dead item, and the predecessor's entries are
 * acknowledged only after the whole run (a processor killed in between redelivers them, and
 * recording again is idempotent). A failed item goes to the step's retry set as from its queue. A
 * {@code command} step always gets its items through its queue: its worker processes set its pace
 * ({@code workers}, {@code batch_wait}). {@code CONVEYOR_COLOCATED_STEPS=false} turns this off:
 * every item goes through its queue.
 */
final class ColocatedSteps {
  /**
   * A step that may run here: its batch, whether it runs now (active, not suspended), and whether
   * this processor holds the chain of a shard (a tick of it runs here, or just did).
   */
  private record Here(StepBatch batch, BooleanSupplier running, IntPredicate holds, int shards) {
    boolean holdsTask(String taskId) {
      return holds.test(Shards.of(taskId, shards));
    }
  }

  /** A step that runs on its predecessor's outputs, for the tasks whose shard it holds here. */
  record Chained(StepBatch batch, Predicate<String> holdsTask) {}

  private final boolean enabled;
  private final Map<String, Here> steps = new ConcurrentHashMap<>();

  ColocatedSteps(boolean enabled) {
    this.enabled = enabled;
  }

  /**
   * The step may run co-located while its subsystem runs and is not suspended, for the tasks of the
   * shards whose chains {@code runner} holds. Command steps are never registered.
   */
  void register(StepSubsystem s, StepBatch batch, StepRunner runner) {
    if (enabled && s.step().kind() != StepKind.COMMAND) {
      steps.put(
          key(s.pipeline(), s.step().name()),
          new Here(batch, () -> s.state() == State.RUNNING, runner::holds, s.step().shards()));
    }
  }

  /** The step stopped here: its items go through its queue again. */
  void unregister(StepSubsystem s, StepBatch batch) {
    steps.computeIfPresent(
        key(s.pipeline(), s.step().name()), (k, h) -> h.batch() == batch ? null : h);
  }

  /**
   * Takes out of {@code advance} the items of the steps that run here now, for the shards this
   * processor holds, and runs them; the rest stays for {@link Advance#enqueue} (an item whose shard
   * another processor holds goes to that one through the queue). Answers the tasks those runs
   * completed, for the caller to finish.
   */
  List<String> runReady(Pipeline pipeline, Advance advance) {
    if (steps.isEmpty()) {
      return List.of();
    }
    Map<String, Optional<Here>> found = new HashMap<>();
    Map<String, List<QueueItem>> taken =
        advance.take((name, taskId) ->
            found
                .computeIfAbsent(
                    name,
                    n ->
                        Optional.ofNullable(steps.get(key(pipeline, n)))
                            .filter(h -> h.running().getAsBoolean()))
                .map(h -> h.holdsTask(taskId))
                .orElse(false));
    List<String> complete = new ArrayList<>();
    taken.forEach(
        (name, items) -> complete.addAll(found.get(name).orElseThrow().batch().runHere(items)));
    return complete;
  }

  /**
   * The step that may run on {@code step}'s outputs in the same batch, its two outputs recorded in
   * one call ({@link StepBatch}): {@code step}'s one successor, when that has no other predecessor
   * and runs once per item as {@code step} does (both per part or both per task). It depends on the
   * pipeline only, so a batch asks once ({@link StepBatch}'s constructor).
   */
  static Optional<String> linearSuccessor(Pipeline pipeline, StepDef step) {
    List<StepDef> next = pipeline.successors(step.name());
    if (next.size() != 1
        || !next.getFirst().after().equals(List.of(step.name()))
        || pipeline.runsPerTask(step.name()) != pipeline.runsPerTask(next.getFirst().name())) {
      return Optional.empty();
    }
    return Optional.of(next.getFirst().name());
  }

  /**
   * The {@link #linearSuccessor} {@code successor} when it runs here now, for the tasks whose shard
   * of it this processor holds.
   */
  Optional<Chained> linearNext(Pipeline pipeline, String successor) {
    Here h = steps.get(key(pipeline, successor));
    return h != null && h.running().getAsBoolean()
        ? Optional.of(new Chained(h.batch(), h::holdsTask))
        : Optional.empty();
  }

  private static String key(Pipeline pipeline, String step) {
    return pipeline.name() + "\u0000" + pipeline.version() + "\u0000" + step;
  }
}
