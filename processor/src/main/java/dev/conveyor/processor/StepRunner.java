package dev.conveyor.processor;

import dev.conveyor.common.redis.HeldEntries;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.runtime.ledger.StepLedger;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

/**
 * Runs one step's ticks. A tick on a shard: puts retries that are due back on the queue, works
 * through the shard's pending entries (those an interrupted tick left), then drains new entries in
 * batches until {@code slice} is used up; when the queue is empty it waits on the stream for what
 * is left of the slice (an idle step costs one tick per BLOCK + offset, not a stream of empty
 * ticks). It answers when the next tick should run: after {@code offset} when it found nothing at
 * all, else at once (the slice ran out with work left, or while it waited for more: the next tick
 * waits on the stream).
 *
 * <p>Each batch read is processed and acknowledged by {@link StepBatch}. Entries read again from
 * the pending list carry how often they were delivered (the processor died on them: those
 * deliveries count as attempts); a tick that stops for another reason (Redis or PostgreSQL down,
 * the step suspended) leaves in {@link HeldEntries} what it read and did not acknowledge, and its
 * reads are undone ({@link #handBack}), so that they count nothing.
 */
final class StepRunner {
  /** The one consumer of each shard queue: only one tick of a shard runs at a time. */
  static final String CONSUMER = Keys.PROCESSOR_CONSUMER;

  private final Pipeline pipeline;
  private final StepDef step;
  private final IntFunction<StreamGroup> queues;
  private final StepLedger ledger;
  private final StepBatch batch;
  private final Duration block;
  private final Clock clock;
  private final Timer tickTimer;
  private volatile BooleanSupplier suspended = () -> false;

  StepRunner(
      Pipeline pipeline,
      StepDef step,
      IntFunction<StreamGroup> queues,
      StepLedger ledger,
      StepBatch batch,
      Duration block,
      Clock clock,
      Timer tickTimer) {
    this.pipeline = pipeline;
    this.step = step;
    this.queues = queues;
    this.ledger = ledger;
    this.batch = batch;
    this.block = block;
    this.clock = clock;
    this.tickTimer = tickTimer;
  }

  Pipeline pipeline() {
    return pipeline;
  }

  StepDef step() {
    return step;
  }

  /** Makes sure every shard's queue and consumer group exist. */
  void prepareQueues() {
    for (int shard = 0; shard < step.shards(); shard++) {
      queues.apply(shard).ensure();
    }
  }

  /**
   * While this says so, a tick takes no more work: it stops before its next read, and what it had
   * just read stays pending for the tick after the resume.
   */
  void suspendedWhen(BooleanSupplier condition) {
    this.suspended = condition;
  }

  /** Releases what the step's work holds. */
  void close() {
    batch.close();
  }

  /**
   * One tick on {@code shard}; returns the delay before the next one.
   *
   * @param held filled with the entries read and not yet acknowledged (empty after a tick that
   *     handled all it read)
   */
  Duration tick(int shard, HeldEntries held) {
    long start = System.nanoTime();
    try {
      return tickOn(shard, held);
    } finally {
      tickTimer.record(Duration.ofNanos(System.nanoTime() - start));
    }
  }

  private Duration tickOn(int shard, HeldEntries held) {
    StreamGroup queue = queues.apply(shard);
    Instant deadline = clock.instant().plus(step.slice());
    if (suspended.getAsBoolean()) {
      return step.offset();
    }
    ledger.moveDueRetries(pipeline.name(), step.name(), shard, clock.instant(), step.batch() * 10);
    String after = "0-0";
    while (true) {
      List<StreamMessage> pending = queue.readPending(CONSUMER, step.batch(), after);
      if (pending.isEmpty()) {
        break;
      }
      held.readPending(pending);
      if (suspended.getAsBoolean()) {
        return step.offset();
      }
      Map<String, Long> deliveries =
          queue.deliveries(CONSUMER, pending.stream().map(StreamMessage::id).toList());
      held.counted(deliveries);
      batch.process(shard, queue, pending, deliveries);
      held.release();
      after = pending.getLast().id();
      if (!clock.instant().isBefore(deadline)) {
        return Duration.ZERO;
      }
    }
    boolean worked = after.compareTo("0-0") != 0;
    while (true) {
      Duration left = Duration.between(clock.instant(), deadline);
      if (worked && (left.isNegative() || left.isZero())) {
        return Duration.ZERO;
      }
      List<StreamMessage> fresh = queue.readNew(CONSUMER, step.batch(), Duration.ZERO);
      if (fresh.isEmpty()) {
        // why: a tick that found nothing waits on the stream for up to BLOCK, so an idle step
        // costs one tick per BLOCK + offset; a busy one stops at the end of its slice
        Duration wait = worked && left.compareTo(block) < 0 ? left : block;
        fresh = queue.readNew(CONSUMER, step.batch(), wait.isZero() ? Duration.ofMillis(1) : wait);
        if (fresh.isEmpty()) {
          // why: a tick that worked and then waited out the rest of its slice hands over to the
          // next at once, which waits on the stream for a whole BLOCK: with offset here, an item
          // that came just after the slice waited the offset (100-200 ms: the p99 of a paced run)
          return worked ? Duration.ZERO : step.offset();
        }
      }
      held.readNew(fresh);
      fresh = filled(queue, fresh, held);
      if (suspended.getAsBoolean()) {
        // why: read just as the step was suspended; they stay pending until it resumes
        return step.offset();
      }
      if (!worked) {
        deadline = clock.instant().plus(step.slice());
        worked = true;
      }
      batch.process(shard, queue, fresh, Map.of());
      held.release();
    }
  }

  /**
   * {@code first} topped up to a whole batch: a step with a {@code batch_wait} that read fewer than
   * {@code batch} new entries waits up to that long (from the first read) for more. What it waited
   * and how many it got are the step's batch metrics.
   */
  private List<StreamMessage> filled(
      StreamGroup queue, List<StreamMessage> first, HeldEntries held) {
    Duration limit = step.batchWait();
    if (limit.isZero() || first.size() >= step.batch()) {
      return first;
    }
    Instant start = clock.instant();
    Instant until = start.plus(limit);
    List<StreamMessage> all = new ArrayList<>(first);
    while (all.size() < step.batch() && !suspended.getAsBoolean()) {
      Duration left = Duration.between(clock.instant(), until);
      if (left.toMillis() < 1) {
        break;
      }
      List<StreamMessage> more = queue.readNew(CONSUMER, step.batch() - all.size(), left);
      if (more.isEmpty()) {
        break;
      }
      held.readNew(more);
      all.addAll(more);
    }
    batch.observeWait(Duration.between(start, clock.instant()));
    return all;
  }

  /**
   * Undoes the reads of entries a tick held when it stopped for a reason not theirs; returns how
   * many delivery counts were put back.
   */
  long handBack(int shard, HeldEntries held) {
    return queues.apply(shard).restoreDeliveries(CONSUMER, held);
  }
}
