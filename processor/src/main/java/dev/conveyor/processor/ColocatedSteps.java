package dev.conveyor.processor;

import dev.conveyor.runtime.ledger.Advance;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.pipeline.StepKind;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * Co-located steps (what Flink calls operator chaining): items that a batch made ready for a step
 * this processor runs in-process — a {@code java} or {@code sink} step, active here and not
 * suspended — are run at once, in the same tick, instead of going through the step's queue. That
 * saves the queue's write, read and acknowledgement, and the wait for the step's next tick.
 *
 * <p>A step that is its predecessor's one successor ({@link #linearNext}) runs on the outputs in
 * memory, and each item's two outputs are recorded in one call ({@link StepBatch}). Nothing else
 * changes: each step records its own output or dead item, and the predecessor's entries are
 * acknowledged only after the whole run (a processor killed in between redelivers them, and
 * recording again is idempotent). A failed item goes to the step's retry set as from its queue. A
 * {@code command} step always gets its items through its queue: its worker processes set its pace
 * ({@code workers}, {@code batch_wait}). {@code CONVEYOR_COLOCATED_STEPS=false} turns this off:
 * every item goes through its queue.
 */
final class ColocatedSteps {
  private record Here(StepBatch batch, BooleanSupplier running) {}

  private final boolean enabled;
  private final Map<String, Here> steps = new ConcurrentHashMap<>();

  ColocatedSteps(boolean enabled) {
    this.enabled = enabled;
  }

  /**
   * The step may run co-located while {@code running} says so (its subsystem runs and is not
   * suspended). Command steps are never registered.
   */
  void register(StepSubsystem s, StepBatch batch, BooleanSupplier running) {
    if (enabled && s.step().kind() != StepKind.COMMAND) {
      steps.put(key(s.pipeline(), s.step().name()), new Here(batch, running));
    }
  }

  /** The step stopped here: its items go through its queue again. */
  void unregister(StepSubsystem s, StepBatch batch) {
    steps.computeIfPresent(
        key(s.pipeline(), s.step().name()), (k, h) -> h.batch() == batch ? null : h);
  }

  /**
   * Takes out of {@code advance} the items of the steps that run here now and runs them; the rest
   * stays for {@link Advance#apply}.
   */
  void runReady(Pipeline pipeline, Advance advance) {
    if (steps.isEmpty()) {
      return;
    }
    Map<String, StepBatch> chosen = new HashMap<>();
    Map<String, List<QueueItem>> taken =
        advance.take(name -> {
          Here h = steps.get(key(pipeline, name));
          if (h == null || !h.running().getAsBoolean()) {
            return false;
          }
          chosen.put(name, h.batch());
          return true;
        });
    taken.forEach((name, items) -> chosen.get(name).runHere(items));
  }

  /**
   * The step that runs here on {@code step}'s outputs in the same batch, its two outputs recorded
   * in one call ({@link StepBatch}): {@code step}'s one successor, when that has no other
   * predecessor, runs once per item as {@code step} does (both per part or both per task) and runs
   * here now.
   */
  Optional<StepBatch> linearNext(Pipeline pipeline, StepDef step) {
    if (steps.isEmpty()) {
      return Optional.empty();
    }
    List<StepDef> next = pipeline.successors(step.name());
    if (next.size() != 1
        || !next.getFirst().after().equals(List.of(step.name()))
        || pipeline.runsPerTask(step.name()) != pipeline.runsPerTask(next.getFirst().name())) {
      return Optional.empty();
    }
    Here h = steps.get(key(pipeline, next.getFirst().name()));
    return h != null && h.running().getAsBoolean() ? Optional.of(h.batch()) : Optional.empty();
  }

  private static String key(Pipeline pipeline, String step) {
    return pipeline.name() + "\u0000" + pipeline.version() + "\u0000" + step;
  }
}
