package dev.conveyor.processor;

import dev.conveyor.common.config.Durations;
import dev.conveyor.common.json.SafeText;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.runtime.ledger.Advance;
import dev.conveyor.runtime.ledger.DeadLetters;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.ledger.Shards;
import dev.conveyor.runtime.ledger.StepLedger;
import dev.conveyor.runtime.ledger.StepProgress;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.work.WorkItem;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of an item a step failed on ({@link StepBatch}): it retries after an exponential
 * backoff with jitter, from the retry set of its queue, or after {@code retry.attempts} attempts it
 * is dead — a row in {@code dead_items}, and its part counts as failed.
 *
 * <p>{@code unqueuedRetry} hears of a retry of an item a co-located run made, which the step's own
 * ticks did not add: an idle tick of the step then ends its wait, so that the retry is moved back
 * to the queue when due.
 */
final class ItemFailures {
  private static final Logger log = LoggerFactory.getLogger(ItemFailures.class);
  private static final int LOGGED_CHARS = 1000;

  private final Pipeline pipeline;
  private final StepDef step;
  private final StepLedger ledger;
  private final StepProgress progress;
  private final DeadLetters deadLetters;
  private final Clock clock;
  private final StepMeters meters;
  private final Runnable unqueuedRetry;

  ItemFailures(
      Pipeline pipeline,
      StepDef step,
      StepLedger ledger,
      DeadLetters deadLetters,
      Clock clock,
      StepMeters meters,
      Runnable unqueuedRetry) {
    this.pipeline = pipeline;
    this.step = step;
    this.ledger = ledger;
    this.progress = StepProgress.of(pipeline, step);
    this.deadLetters = deadLetters;
    this.clock = clock;
    this.meters = meters;
    this.unqueuedRetry = unqueuedRetry;
  }

  /**
   * The step's work failed the item: it retries after a backoff, from the retry set of its queue
   * ({@code shard}, or its task's shard for an item no queue entry carried), or is dead after its
   * last attempt.
   */
  void failed(int shard, WorkItem w, String error, Advance advance) {
    QueueItem item = w.item();
    meters.failed().increment();
    int attempt = item.attempts() + 1;
    if (attempt >= step.retry().attempts()) {
      die(item.failedOnce(), w.input(), error, advance);
      return;
    }
    Duration wait = jittered(step.retry().backoffFor(attempt));
    log.atWarn()
        .addKeyValue("event", "item_failed")
        .addKeyValue("pipeline", pipeline.name())
        .addKeyValue("step", step.name())
        .addKeyValue("task", item.taskId())
        .addKeyValue("part", item.part())
        .addKeyValue("attempt", attempt)
        .addKeyValue("retry_in", Durations.format(wait))
        .addKeyValue("error", SafeText.capped(error, LOGGED_CHARS))
        .log();
    ledger.retryLater(
        pipeline.name(),
        step.name(),
        item.queued() ? shard : Shards.of(item.taskId(), step.shards()),
        Keys.PROCESSOR_GROUP,
        item,
        clock.instant().plus(wait));
    if (!item.queued()) {
      unqueuedRetry.run();
    }
  }

  /** The item is dead at this step: a dead_items row, and what that makes ready or complete. */
  void die(QueueItem item, String input, String error, Advance advance) {
    advance.add(item, deadLetters.kill(progress, pipeline.name(), item, input, error));
    meters.dead().increment();
  }

  /** Between half the backoff and the whole of it, so retries of many items spread out. */
  private static Duration jittered(Duration backoff) {
    long ms = backoff.toMillis();
    return Duration.ofMillis(ms / 2 + ThreadLocalRandom.current().nextLong(ms / 2 + 1));
  }
}
