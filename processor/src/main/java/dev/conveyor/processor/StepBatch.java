package dev.conveyor.processor;

import dev.conveyor.common.json.SafeText;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.runtime.ledger.Advance;
import dev.conveyor.runtime.ledger.DeadLetters;
import dev.conveyor.runtime.ledger.Progress;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.ledger.StepLedger;
import dev.conveyor.runtime.ledger.StepProgress;
import dev.conveyor.runtime.ledger.TaskCompletion;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.work.ItemResult;
import dev.conveyor.runtime.work.StepWork;
import dev.conveyor.runtime.work.WorkItem;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Processes one batch of a step's queue entries, read by a tick ({@link StepRunner}): reads the
 * items' inputs, runs the step's work on them, records the outputs, advances what they made ready
 * ({@link Advance}) and acknowledges the entries.
 *
 * <p>An item is acknowledged only after its output, its successors and its task's completion are
 * recorded. A tick may leave the last part — finishing the tasks that became complete, then the
 * acknowledgement — to run while it works its next batch ({@link #processLeavingFinishing}, {@link
 * FinishingLane}). A failed item goes to the shard's retry set, due after an exponential backoff
 * with jitter; after {@code retry.attempts} attempts it is dead: a row in {@code dead_items}, and
 * its part counts as failed. An item left pending again and again (the processor died on it) counts
 * those deliveries as attempts.
 *
 * <p>Apart from it: the retry and dead-item rules ({@link ItemFailures}), the run of this step on
 * its one predecessor's outputs in that one's batch ({@link ChainedRun}), and the lane a tick's
 * finishing runs in ({@link FinishingLane}).
 */
final class StepBatch {
  private static final Logger log = LoggerFactory.getLogger(StepBatch.class);
  private static final int LOGGED_CHARS = 1000;

  private final Pipeline pipeline;
  private final StepDef step;
  private final StepLedger ledger;
  private final StepWork work;
  private final StepProgress progress;
  private final TaskCompletion completion;
  private final ItemFailures failures;
  private final StepMeters meters;
  private final ColocatedSteps colocated;
  private final Optional<String> linearSuccessor;
  private final ChainedRun afterPredecessor;

  StepBatch(
      Pipeline pipeline,
      StepDef step,
      StepLedger ledger,
      StepWork work,
      TaskCompletion completion,
      DeadLetters deadLetters,
      Clock clock,
      StepMeters meters,
      ColocatedSteps colocated,
      Runnable unqueuedRetry) {
    this.pipeline = pipeline;
    this.step = step;
    this.ledger = ledger;
    this.work = work;
    this.progress = StepProgress.of(pipeline, step);
    this.completion = completion;
    this.failures =
        new ItemFailures(pipeline, step, ledger, deadLetters, clock, meters, unqueuedRetry);
    this.meters = meters;
    this.colocated = colocated;
    this.linearSuccessor = ColocatedSteps.linearSuccessor(pipeline, step);
    this.afterPredecessor = new ChainedRun(step, ledger, progress, work, meters, failures);
  }

  /** A tick read new entries as one batch, waiting {@code waited} to fill it (batch_wait). */
  void observeWait(Duration waited) {
    meters.batchWait().record(waited);
  }

  /** Releases what the step's work holds. */
  void close() {
    work.close();
  }

  /**
   * Processes the entries and acknowledges them. When that fails for another reason than an outage
   * — some item's data made Redis, PostgreSQL or the step's work throw — the entries are processed
   * again in halves, down to the item at fault, which is {@link #quarantine quarantined}: one
   * item's failure stays that item's, and only an outage fails the tick. Processing again is safe:
   * every write is idempotent.
   *
   * @param deliveries for entries read again from the pending list: how often each was delivered
   */
  void process(
      int shard, StreamGroup queue, List<StreamMessage> entries, Map<String, Long> deliveries) {
    processLeaving(shard, queue, entries, deliveries, null);
  }

  /**
   * As {@link #process}, all but the last part: the entries' tasks that became complete are not
   * finished and the entries not acknowledged; the answer does that, to be run once, after this
   * returns, on any thread. When it fails on some item's data, {@link #process} the entries again:
   * every write is idempotent.
   */
  Runnable processLeavingFinishing(
      int shard, StreamGroup queue, List<StreamMessage> entries, Map<String, Long> deliveries) {
    List<Runnable> later = new ArrayList<>();
    processLeaving(shard, queue, entries, deliveries, later);
    return () -> later.forEach(Runnable::run);
  }

  /**
   * {@code later} null: the batch's finishing and acknowledgement run now, else are added there.
   */
  private void processLeaving(
      int shard,
      StreamGroup queue,
      List<StreamMessage> entries,
      Map<String, Long> deliveries,
      List<Runnable> later) {
    meters.batchItems().record(entries.size());
    long start = System.nanoTime();
    try {
      attempt(shard, queue, entries, deliveries, later);
    } finally {
      meters.batch().record(Duration.ofNanos(System.nanoTime() - start));
    }
  }

  private void attempt(
      int shard,
      StreamGroup queue,
      List<StreamMessage> entries,
      Map<String, Long> deliveries,
      List<Runnable> later) {
    try {
      processBatch(shard, queue, entries, deliveries, later);
    } catch (RuntimeException e) {
      if (BatchFaults.notTheItems(e)) {
        throw e;
      }
      if (entries.size() == 1) {
        quarantine(queue, entries.getFirst(), e);
        return;
      }
      int half = entries.size() / 2;
      attempt(shard, queue, entries.subList(0, half), deliveries, later);
      attempt(shard, queue, entries.subList(half, entries.size()), deliveries, later);
    }
  }

  /**
   * An entry that fails alone for another reason than an outage: it becomes a dead item at once (a
   * row in dead_items; in Redis too when the task's keys allow), with the error, and is
   * acknowledged, so that it cannot stall its shard. Logged as an ERROR: this is unexpected.
   */
  private void quarantine(StreamGroup queue, StreamMessage entry, RuntimeException cause) {
    String error = "unexpected failure: " + cause;
    log.atError()
        .addKeyValue("event", "item_quarantined")
        .addKeyValue("pipeline", pipeline.name())
        .addKeyValue("step", step.name())
        .addKeyValue("entry", entry.id())
        .addKeyValue("error", SafeText.capped(String.valueOf(cause.getMessage()), LOGGED_CHARS))
        .setCause(cause)
        .log();
    QueueItem.from(entry)
        .ifPresent(item -> {
          try {
            Advance advance = new Advance(pipeline);
            failures.die(item, null, error, advance);
            finish(settle(advance));
          } catch (RuntimeException e) {
            if (BatchFaults.notTheItems(e)) {
              throw e;
            }
            // why: the dead_items row is written first; the task's keys in Redis refuse the rest
            log.atWarn()
                .addKeyValue("event", "item_quarantine_incomplete")
                .addKeyValue("task", item.taskId())
                .addKeyValue("part", item.part())
                .addKeyValue("error", SafeText.capped(String.valueOf(e.getMessage()), LOGGED_CHARS))
                .log();
          }
        });
    queue.ack(List.of(entry.id()));
  }

  private void processBatch(
      int shard,
      StreamGroup queue,
      List<StreamMessage> entries,
      Map<String, Long> deliveries,
      List<Runnable> later) {
    List<String> ack = new ArrayList<>(entries.size());
    List<QueueItem> items = new ArrayList<>(entries.size());
    for (StreamMessage entry : entries) {
      QueueItem.from(entry)
          .map(i -> withRedeliveries(i, deliveries.getOrDefault(entry.id(), 1L)))
          .ifPresentOrElse(items::add, () -> ack.add(entry.id()));
    }
    List<String> complete = work(shard, items);
    items.forEach(i -> ack.add(i.entryId()));
    Runnable rest =
        () -> {
          finish(complete);
          queue.ack(ack);
        };
    if (later == null) {
      rest.run();
    } else {
      later.add(rest);
    }
  }

  /**
   * Runs items that became ready in a predecessor's batch, at once and without a queue entry (a
   * co-located step, {@link ColocatedSteps}), {@code batch} at a time. What they make ready is
   * enqueued or run before this returns; the tasks they complete are answered, for the
   * predecessor's batch to finish before it acknowledges its entries. When the run fails on some
   * item's data, every item goes to the step's queue, where its ticks find the one at fault ({@link
   * #process}); an outage fails the predecessor's tick, whose entries stay pending.
   */
  List<String> runHere(List<QueueItem> items) {
    List<String> complete = new ArrayList<>();
    for (int from = 0; from < items.size(); from += step.batch()) {
      List<QueueItem> chunk = items.subList(from, Math.min(items.size(), from + step.batch()));
      meters.batchItems().record(chunk.size());
      long start = System.nanoTime();
      try {
        complete.addAll(work(-1, chunk));
      } catch (RuntimeException e) {
        if (BatchFaults.notTheItems(e)) {
          throw e;
        }
        // why: writes are idempotent, so whatever this run recorded before it failed is safe to
        // record again from the queue
        ledger.enqueue(
            pipeline, step, chunk.stream().map(i -> Map.entry(i.taskId(), i.part())).toList());
      } finally {
        meters.batch().record(Duration.ofNanos(System.nanoTime() - start));
      }
    }
    return complete;
  }

  /**
   * Works the items: each ends recorded (output or dead) or in the retry set. {@code shard} is the
   * queue the items came from, or -1 for items no queue entry carried (each then retries on its
   * task's shard). Answers the tasks that became complete, to be finished ({@link #finish}).
   */
  private List<String> work(int shard, List<QueueItem> items) {
    List<String> inputs = ledger.inputs(pipeline, step, items);
    List<WorkItem> batch = new ArrayList<>(items.size());
    Advance advance = new Advance(pipeline);
    for (int i = 0; i < items.size(); i++) {
      QueueItem item = items.get(i);
      if (inputs.get(i) == null) {
        // why: the task is gone (finished and cleaned up): this is a late redelivery
        continue;
      } else if (item.attempts() >= step.retry().attempts()) {
        // why: the processor died on this item as often as it may fail; do not try again
        failures.die(
            item,
            inputs.get(i),
            "the processor stopped while working on it " + item.attempts() + " times",
            advance);
      } else {
        batch.add(new WorkItem(item, inputs.get(i)));
      }
    }
    long workStart = System.nanoTime();
    List<ItemResult> results = batch.isEmpty() ? List.of() : work.process(batch);
    meters.worked(batch.size(), System.nanoTime() - workStart);
    List<Map.Entry<QueueItem, String>> outputs = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      WorkItem w = batch.get(i);
      switch (results.get(i)) {
        case ItemResult.Output out -> outputs.add(Map.entry(w.item(), out.value()));
        case ItemResult.Failed f -> failures.failed(shard, w, f.error(), advance);
      }
    }
    if (!outputs.isEmpty()) {
      List<Progress> progresses =
          linearSuccessor
              .flatMap(next -> colocated.linearNext(pipeline, next))
              .map(next ->
                  next.batch().afterPredecessor.run(progress, outputs, advance, next.holdsTask()))
              .orElseGet(() -> ledger.recordOutputs(progress, outputs));
      for (int i = 0; i < outputs.size(); i++) {
        advance.add(outputs.get(i).getKey(), progresses.get(i));
      }
      meters.processed().increment(outputs.size());
    }
    return settle(advance);
  }

  /**
   * Runs what became ready for co-located steps, then enqueues the rest; answers the tasks that
   * became complete, here and in those runs.
   */
  private List<String> settle(Advance advance) {
    List<String> complete = new ArrayList<>(colocated.runReady(pipeline, advance));
    complete.addAll(advance.enqueue(ledger));
    return complete.stream().distinct().toList();
  }

  /** Finishes the tasks ({@link TaskCompletion}: their audit rows, once). */
  private void finish(List<String> complete) {
    meters.finished().increment(completion.finish(pipeline, complete));
  }

  private static QueueItem withRedeliveries(QueueItem item, long deliveries) {
    QueueItem i = item;
    for (long d = 1; d < deliveries; d++) {
      i = i.failedOnce();
    }
    return i;
  }
}
