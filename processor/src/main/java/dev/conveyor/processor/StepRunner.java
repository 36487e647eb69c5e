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
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

/**
 * Runs one step's ticks. A tick on a shard: puts retries that are due back on the queue, works
 * through the shard's pending entries (those an interrupted tick left), then drains new entries in
 * batches until {@code slice} is used up; when the queue is empty it waits on the stream for what
 * is left of the slice. A tick that finds nothing at all waits on the stream up to {@link
 * #IDLE_BLOCKS} BLOCKs — less when a retry is due sooner, a co-located run added a retry, the step
 * is suspended, the processor stops or holds more chains than its share — so an idle step costs one
 * tick per {@code IDLE_BLOCKS} x BLOCK + offset, not a stream of empty ticks. It answers when the
 * next tick should run: after {@code offset} when it found nothing at all, else at once (the slice
 * ran out with work left, or while it waited for more: the next tick waits on the stream).
 *
 * <p>Each batch read is processed and acknowledged by {@link StepBatch}; its last part, finishing
 * the tasks it completed and the acknowledgement, runs while the tick works its next batch ({@link
 * FinishingLane}), and is done before the tick ends. Entries read again from the pending list carry
 * how often they were delivered (the processor died on them: those deliveries count as attempts); a
 * tick that stops for another reason (Redis or PostgreSQL down, the step suspended) leaves in
 * {@link HeldEntries} what it read and did not acknowledge, and its reads are undone ({@link
 * #handBack}), so that they count nothing.
 */
final class StepRunner {
  /**
   * How many BLOCKs an idle tick waits on its stream before it hands over to the next tick: an idle
   * step's cost is one tick per this many BLOCKs (30 s with the default 5 s BLOCK).
   */
  static final int IDLE_BLOCKS = 6;

  /** In {@code lastTicks}: a tick of the shard is running. */
  private static final long IN_TICK = Long.MIN_VALUE;

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
  private volatile BooleanSupplier endIdleWait = () -> false;
  private final AtomicBoolean retryNotice;
  private final Map<Integer, Long> lastTicks = new ConcurrentHashMap<>();

  StepRunner(
      Pipeline pipeline,
      StepDef step,
      IntFunction<StreamGroup> queues,
      StepLedger ledger,
      StepBatch batch,
      Duration block,
      Clock clock,
      Timer tickTimer,
      AtomicBoolean retryNotice) {
    this.pipeline = pipeline;
    this.step = step;
    this.queues = queues;
    this.ledger = ledger;
    this.batch = batch;
    this.block = block;
    this.clock = clock;
    this.tickTimer = tickTimer;
    this.retryNotice = retryNotice;
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

  /**
   * While this says so, an idle tick waits on its stream no longer than the BLOCK it is in: the
   * processor is stopping, or it runs more chains than its share (another processor joined, and the
   * chains beyond the share go to it as their idle ticks end, not up to {@link #IDLE_BLOCKS} BLOCKs
   * later).
   */
  void endIdleWaitWhen(BooleanSupplier condition) {
    this.endIdleWait = condition;
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
    lastTicks.put(shard, IN_TICK);
    FinishingLane lane = new FinishingLane(pipeline.name() + "." + step.name() + "." + shard, held);
    Throwable failing = null;
    try {
      return tickOn(shard, held, lane);
    } catch (RuntimeException | Error e) {
      failing = e;
      throw e;
    } finally {
      lane.drainAfter(failing);
      long end = System.nanoTime();
      lastTicks.put(shard, end);
      tickTimer.record(Duration.ofNanos(end - start));
    }
  }

  /**
   * Whether this processor holds the shard's chain: a tick of it runs here, or ended here less than
   * {@code offset} + 1 s ago (the gap before the chain's next tick). Co-located runs take items of
   * the shards held here only ({@link ColocatedSteps}).
   */
  boolean holds(int shard) {
    Long last = lastTicks.get(shard);
    return last != null
        && (last == IN_TICK || System.nanoTime() - last < step.offset().plusSeconds(1).toNanos());
  }

  private Duration tickOn(int shard, HeldEntries held, FinishingLane lane) {
    StreamGroup queue = queues.apply(shard);
    Instant deadline = clock.instant().plus(step.slice());
    if (suspended.getAsBoolean()) {
      return step.offset();
    }
    Optional<Instant> nextRetry = dueRetriesMoved(shard);
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
      handOver(lane, shard, queue, pending, deliveries);
      after = pending.getLast().id();
      if (!clock.instant().isBefore(deadline)) {
        return Duration.ZERO;
      }
    }
    boolean worked = after.compareTo("0-0") != 0;
    Instant idleUntil = idleUntil(nextRetry);
    while (true) {
      List<StreamMessage> fresh;
      if (worked) {
        Duration left = Duration.between(clock.instant(), deadline);
        if (left.isNegative() || left.isZero()) {
          return Duration.ZERO;
        }
        fresh = queue.readNew(CONSUMER, step.batch(), Duration.ZERO);
        if (fresh.isEmpty()) {
          // why: a busy tick stops at the end of its slice
          Duration wait = left.compareTo(block) < 0 ? left : block;
          fresh = queue.readNew(CONSUMER, step.batch(), atLeastOneMs(wait));
          if (fresh.isEmpty()) {
            // why: a tick that worked and then waited out the rest of its slice hands over to the
            // next at once, which waits on the stream: with offset here, an item that came just
            // after the slice waited the offset (100-200 ms: the p99 of a paced run)
            return Duration.ZERO;
          }
        }
      } else {
        // why: an idle tick waits on the stream BLOCK by BLOCK, up to IDLE_BLOCKS of them, so an
        // idle step costs one tick (a Quartz firing) per IDLE_BLOCKS x BLOCK, not per BLOCK
        Duration left = Duration.between(clock.instant(), idleUntil);
        fresh = queue.readNew(CONSUMER, step.batch(), atLeastOneMs(min(left, block)));
        if (fresh.isEmpty()) {
          if (!clock.instant().isBefore(idleUntil)
              || suspended.getAsBoolean()
              || endIdleWait.getAsBoolean()
              || retryNotice.getAndSet(false)) {
            return step.offset();
          }
          continue;
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
      handOver(lane, shard, queue, fresh, Map.of());
    }
  }

  /**
   * Processes a batch but for its finishing and acknowledgement, which run while the tick goes on
   * to its next batch ({@link FinishingLane}) — for a whole batch. A read that returned less than
   * one found the stream drained: nothing waits to be worked meanwhile, so that batch finishes
   * here, without a hand-over that would only add to its latency.
   */
  private void handOver(
      FinishingLane lane,
      int shard,
      StreamGroup queue,
      List<StreamMessage> entries,
      Map<String, Long> deliveries) {
    Runnable finishing = batch.processLeavingFinishing(shard, queue, entries, deliveries);
    Runnable again = () -> batch.process(shard, queue, entries, deliveries);
    if (entries.size() < step.batch()) {
      lane.finishHere(entries, finishing, again);
    } else {
      lane.handOver(entries, finishing, again);
    }
  }

  /**
   * Puts the shard's due retries back on its queue; answers when the next one is due. A shard
   * without retries costs one command.
   */
  private Optional<Instant> dueRetriesMoved(int shard) {
    Optional<Instant> next = ledger.nextRetryDue(pipeline.name(), step.name(), shard);
    if (next.isPresent() && !next.get().isAfter(clock.instant())) {
      ledger.moveDueRetries(
          pipeline.name(), step.name(), shard, clock.instant(), step.batch() * 10);
      next = ledger.nextRetryDue(pipeline.name(), step.name(), shard);
    }
    return next;
  }

  /** How long an idle tick may wait on the stream: IDLE_BLOCKS blocks, or until a retry is due. */
  private Instant idleUntil(Optional<Instant> nextRetry) {
    Instant until = clock.instant().plus(block.multipliedBy(IDLE_BLOCKS));
    return nextRetry.filter(due -> due.isBefore(until)).orElse(until);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) < 0 ? a : b;
  }

  private static Duration atLeastOneMs(Duration d) {
    return d.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : d;
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
