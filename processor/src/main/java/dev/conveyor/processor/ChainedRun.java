package dev.conveyor.processor;

import dev.conveyor.runtime.ledger.Advance;
import dev.conveyor.runtime.ledger.Progress;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.ledger.StepLedger;
import dev.conveyor.runtime.ledger.StepProgress;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.pipeline.StepKind;
import dev.conveyor.runtime.work.ItemResult;
import dev.conveyor.runtime.work.StepWork;
import dev.conveyor.runtime.work.WorkItem;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A co-located step run on its one predecessor's outputs in memory, in the predecessor's batch
 * ({@link ColocatedSteps#linearSuccessor}): each item's two outputs are recorded in one call.
 */
final class ChainedRun {
  private final StepDef step;
  private final StepLedger ledger;
  private final StepProgress progress;
  private final StepWork work;
  private final StepMeters meters;
  private final ItemFailures failures;

  /** The step's own ledger, work, meters and failures, as its {@link StepBatch} has them. */
  ChainedRun(
      StepDef step,
      StepLedger ledger,
      StepProgress progress,
      StepWork work,
      StepMeters meters,
      ItemFailures failures) {
    this.step = step;
    this.ledger = ledger;
    this.progress = progress;
    this.work = work;
    this.meters = meters;
    this.failures = failures;
  }

  /**
   * Runs the step on the outputs its one predecessor just made (it is that step's one successor,
   * co-located: {@link ColocatedSteps#linearSuccessor}), and records each item's two outputs in one
   * call. An item the step fails gets its predecessor's output recorded alone, and retries (or
   * dies) as from the queue.
   *
   * <p>A sink writes its rows before that call, so an item whose keys Redis would refuse to record
   * (a foreign key of our name, of another type) must not reach it: the predecessor's output of
   * such an item is recorded alone, which fails as it would without this step co-located (the
   * predecessor's batch then finds the item at fault).
   *
   * @param before the predecessor's progress
   * @param outputs the predecessor's items and outputs
   * @param holdsTask whether this processor holds the shard of this step for a task: the items of
   *     the others are recorded alone and go to their shard's queue
   * @return the progress of each of the predecessor's items, to advance them by
   */
  List<Progress> run(
      StepProgress before,
      List<Map.Entry<QueueItem, String>> outputs,
      Advance advance,
      Predicate<String> holdsTask) {
    List<Boolean> chainable = new ArrayList<>(outputs.size());
    List<QueueItem> held = new ArrayList<>(outputs.size());
    for (Map.Entry<QueueItem, String> o : outputs) {
      boolean here = holdsTask.test(o.getKey().taskId());
      chainable.add(here);
      if (here) {
        held.add(o.getKey());
      }
    }
    if (step.kind() == StepKind.SINK && !held.isEmpty()) {
      Iterator<Boolean> recordable = ledger.recordable(progress, before.step(), held).iterator();
      chainable.replaceAll(here -> here && recordable.next());
    }
    List<WorkItem> batch = new ArrayList<>(outputs.size());
    for (int i = 0; i < outputs.size(); i++) {
      if (chainable.get(i)) {
        QueueItem item = outputs.get(i).getKey();
        batch.add(
            new WorkItem(
                QueueItem.unqueued(item.taskId(), item.part()), outputs.get(i).getValue()));
      }
    }
    List<ItemResult> results = new ArrayList<>(batch.size());
    long workStart = System.nanoTime();
    try {
      for (int from = 0; from < batch.size(); from += step.batch()) {
        results.addAll(
            work.process(batch.subList(from, Math.min(batch.size(), from + step.batch()))));
      }
    } catch (RuntimeException e) {
      if (BatchFaults.notTheItems(e)) {
        throw e;
      }
      // why: some item's data made this step throw: record the predecessor's outputs alone; this
      // step gets the items as ready successors, and its queue finds the one at fault
      return ledger.recordOutputs(before, outputs);
    } finally {
      meters.worked(batch.size(), System.nanoTime() - workStart);
    }
    if (!batch.isEmpty()) {
      meters.batchItems().record(batch.size());
    }
    List<StepLedger.ChainedOutput> chained = new ArrayList<>(batch.size());
    List<Map.Entry<QueueItem, String>> alone = new ArrayList<>();
    for (int i = 0, w = 0; i < outputs.size(); i++) {
      if (chainable.get(i) && results.get(w++) instanceof ItemResult.Output out) {
        WorkItem item = batch.get(w - 1);
        chained.add(new StepLedger.ChainedOutput(item.item(), item.input(), out.value()));
      } else {
        alone.add(outputs.get(i));
      }
    }
    List<Progress> both =
        chained.isEmpty()
            ? List.of()
            : ledger.recordChainedOutputs(progress, before.step(), chained);
    List<Progress> predecessorOnly =
        alone.isEmpty() ? List.of() : ledger.recordOutputs(before, alone);
    List<Progress> progresses = new ArrayList<>(outputs.size());
    for (int i = 0, w = 0, c = 0, p = 0; i < outputs.size(); i++) {
      if (!chainable.get(i)) {
        // why: not run here; this step stays ready for it (co-located or queued, as usual)
        progresses.add(predecessorOnly.get(p++));
      } else if (results.get(w) instanceof ItemResult.Failed f) {
        progresses.add(predecessorOnly.get(p++).without(step.name()));
        failures.failed(-1, batch.get(w), f.error(), advance);
        w++;
      } else {
        progresses.add(both.get(c++));
        w++;
      }
    }
    meters.processed().increment(chained.size());
    return progresses;
  }
}
