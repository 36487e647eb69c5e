package dev.conveyor.processor;

import dev.conveyor.common.redis.HeldEntries;
import dev.conveyor.common.redis.StreamMessage;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * One tick's finishing, overlapped with its next batch: while the tick reads and works batch n + 1,
 * batch n's last part — finishing the tasks it completed (audit rows, indexes, task events), then
 * acknowledging its entries ({@link StepBatch#processLeavingFinishing}) — runs on a virtual thread
 * of its own. At most one batch's finishing runs at a time, in the order of the batches: handing
 * over the next waits for the one before. A tick {@link #drain drains} its lane before it ends, so
 * a chain's next tick, here or on another processor, starts with nothing of it in flight.
 *
 * <p>A batch's entries stay in the tick's {@link HeldEntries} until its finishing is done. When
 * that fails because Redis or PostgreSQL is away, the tick fails as it would have in that call, and
 * its held entries are handed back. When it fails on some item's data, the batch is processed again
 * on the tick's thread, all of it and at once ({@link StepBatch#process}), where the item at fault
 * is found as always: every write is idempotent.
 */
final class FinishingLane {
  /** The finishing of one batch, running or done. */
  private record InFlight(FutureTask<Void> task, List<String> ids, Runnable again) {}

  private final String name;
  private final HeldEntries held;
  private InFlight inFlight;

  /**
   * @param name names the threads (the step and shard)
   * @param held the tick's held entries: a batch's leave it when its finishing is done
   */
  FinishingLane(String name, HeldEntries held) {
    this.name = name;
    this.held = held;
  }

  /**
   * Waits for the batch before, then starts {@code finishing} of {@code entries}.
   *
   * @param again processes the entries again, on the calling thread, when {@code finishing} fails
   *     on their data
   */
  void handOver(List<StreamMessage> entries, Runnable finishing, Runnable again) {
    drain();
    FutureTask<Void> task = new FutureTask<>(finishing, null);
    Thread.ofVirtual().name("finishing-" + name).start(task);
    inFlight = new InFlight(task, entries.stream().map(StreamMessage::id).toList(), again);
  }

  /**
   * Waits for the batch before, then finishes {@code entries} on the calling thread, as {@link
   * #drain} would: for a batch with no next one to work meanwhile, a thread of its own would only
   * add its wake-up, and the wait for it, to the latency of every item.
   */
  void finishHere(List<StreamMessage> entries, Runnable finishing, Runnable again) {
    drain();
    FutureTask<Void> task = new FutureTask<>(finishing, null);
    task.run();
    inFlight = new InFlight(task, entries.stream().map(StreamMessage::id).toList(), again);
    drain();
  }

  /**
   * Waits until the batch whose finishing runs, if any, is finished and acknowledged (processed
   * again when its finishing failed on its data); throws what an outage threw.
   */
  void drain() {
    InFlight f = inFlight;
    if (f == null) {
      return;
    }
    inFlight = null;
    RuntimeException failed = outcome(f.task());
    if (failed != null) {
      if (BatchFaults.notTheItems(failed)) {
        throw failed;
      }
      f.again().run();
    }
    held.release(f.ids());
  }

  /**
   * {@link #drain} in a tick's {@code finally}: when the tick is failing already with {@code
   * failing}, what the finishing throws is added to it, not thrown.
   */
  void drainAfter(Throwable failing) {
    if (failing == null) {
      drain();
      return;
    }
    try {
      drain();
    } catch (RuntimeException e) {
      failing.addSuppressed(e);
    }
  }

  /** What the task threw, once it ran; waits through interrupts, which it passes on. */
  private static RuntimeException outcome(FutureTask<Void> task) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          task.get();
          return null;
        } catch (InterruptedException e) {
          // why: the entries of a batch whose finishing still runs must not be handed back
          interrupted = true;
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof RuntimeException r) {
            return r;
          }
          if (cause instanceof Error err) {
            throw err;
          }
          return new IllegalStateException(cause);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
