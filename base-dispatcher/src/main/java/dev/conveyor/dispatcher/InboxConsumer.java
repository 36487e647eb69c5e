package dev.conveyor.dispatcher;

import dev.conveyor.common.lifecycle.Lifecycle;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The intake loop of one dispatcher, consumer {@code <node id>} of group {@code dispatchers}:
 *
 * <ul>
 *   <li>first its own pending entries (left by a crash), then new ones, while {@link Backpressure}
 *       allows;
 *   <li>every {@code claim_idle / 2}, entries pending on another consumer for longer than {@code
 *       claim_idle} (a dead replica) are taken over and handled;
 *   <li>a batch is acknowledged only after {@link BatchHandler} recorded all of it;
 *   <li>when Redis or PostgreSQL fails, nothing is acknowledged: the loop backs off, waits until
 *       both answer again, and re-reads its pending entries one at a time, so that only an entry
 *       that fails by itself gathers deliveries until it is stored as {@code poison}.
 * </ul>
 */
final class InboxConsumer extends Lifecycle {
  private static final Logger log = LoggerFactory.getLogger(InboxConsumer.class);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
  private static final Duration HOLD_POLL = Duration.ofMillis(500);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
  private static final int MAX_CLAIM = 10_000;
  // why: a live dispatcher touches the group every BLOCK; one silent this long, with nothing
  // pending, has left for good
  private static final int CONSUMER_GONE_AFTER_CLAIMS = 10;

  private enum Mode {
    /** Own pending entries, a batch at a time (after a start or a takeover). */
    PENDING,
    /** Own pending entries one at a time (after a failure). */
    PENDING_ONE_BY_ONE,
    /** New entries. */
    NEW
  }

  /** What the loop needs once the subsystems it uses are ready. */
  record Parts(StreamGroup inbox, BatchHandler handler, Backpressure backpressure, Health health) {}

  /** Whether Redis and PostgreSQL answer. */
  @FunctionalInterface
  interface Health {
    void check();
  }

  private final Supplier<Parts> parts;
  private final String consumer;
  private final int batch;
  private final Duration block;
  private final Duration claimIdle;
  private final Clock clock;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();

  /** Deleted entries a takeover took off the pending list, not yet recorded (intake thread). */
  private final List<StreamMessage> deletedToRecord = new ArrayList<>();

  private volatile boolean running;
  private volatile boolean paused;
  private volatile Thread thread;

  InboxConsumer(
      Supplier<Parts> parts,
      String consumer,
      int batch,
      Duration block,
      Duration claimIdle,
      Clock clock) {
    super("intake");
    this.parts = parts;
    this.consumer = consumer;
    this.batch = batch;
    this.block = block;
    this.claimIdle = claimIdle;
    this.clock = clock;
  }

  @Override
  protected void onStart() {
    Parts p = parts.get();
    p.inbox().ensure();
    running = true;
    thread = Thread.ofPlatform().name("intake").start(() -> loop(p));
  }

  @Override
  protected void onSuspend() {
    paused = true;
  }

  @Override
  protected void onResume() {
    signal(() -> paused = false);
  }

  @Override
  protected void onComplete() throws InterruptedException {
    stop();
  }

  @Override
  protected void onTerminate() throws InterruptedException {
    stop();
  }

  private void stop() throws InterruptedException {
    signal(() -> running = false);
    Thread t = thread;
    if (t != null) {
      // why: the batch in hand finishes and a blocking read returns within BLOCK
      if (!t.join(STOP_TIMEOUT)) {
        t.interrupt();
        t.join(Duration.ofSeconds(2));
      }
    }
  }

  private void loop(Parts p) {
    Mode mode = Mode.PENDING;
    int failures = 0;
    Instant nextClaim = clock.instant();
    while (running) {
      if (paused) {
        awaitChange(Duration.ofSeconds(1));
        continue;
      }
      try {
        if (mode == Mode.NEW && !clock.instant().isBefore(nextClaim)) {
          // why: only once this consumer's own pending entries are handled, so that its own
          // deleted entries are recorded from its pending list first
          nextClaim = clock.instant().plus(claimIdle.dividedBy(2));
          mode = takeOver(p);
        }
        if (mode == Mode.NEW && !p.backpressure().mayRead()) {
          awaitChange(HOLD_POLL);
          continue;
        }
        List<StreamMessage> entries =
            switch (mode) {
              case NEW -> p.inbox().readNew(consumer, batch, block);
              case PENDING -> p.inbox().readPending(consumer, batch);
              case PENDING_ONE_BY_ONE -> p.inbox().readPending(consumer, 1);
            };
        if (entries.isEmpty()) {
          mode = Mode.NEW;
          continue;
        }
        List<String> ids = entries.stream().map(StreamMessage::id).toList();
        Map<String, Long> deliveries =
            mode == Mode.NEW ? Map.of() : p.inbox().deliveries(consumer, ids);
        BatchHandler.Summary s = p.handler().handle(entries, deliveries);
        p.inbox().ack(ids);
        failures = 0;
        log.atDebug()
            .addKeyValue("event", "intake_batch")
            .addKeyValue("entries", entries.size())
            .addKeyValue("accepted", s.accepted())
            .addKeyValue("duplicates", s.duplicates())
            .addKeyValue("rejected", s.rejected())
            .log();
      } catch (RuntimeException e) {
        failures++;
        mode = Mode.PENDING_ONE_BY_ONE;
        Duration wait = backoff(failures);
        log.atWarn()
            .addKeyValue("event", "intake_retry")
            .addKeyValue("consumer", consumer)
            .addKeyValue("attempt", failures)
            .addKeyValue("retry_in", wait)
            .addKeyValue("error", String.valueOf(e.getMessage()))
            .log();
        awaitChange(wait);
        awaitHealthy(p.health());
      }
    }
  }

  /** Claims entries of dead consumers; returns the mode to read in next. */
  private Mode takeOver(Parts p) {
    StreamGroup.Claim claim = p.inbox().claimIdle(consumer, claimIdle, MAX_CLAIM);
    claim.deleted().forEach(id -> deletedToRecord.add(new StreamMessage(id, Map.of())));
    if (!deletedToRecord.isEmpty()) {
      // why: their content is gone; a no_fields row records that they existed. XAUTOCLAIM has
      // already taken them off the pending list, so until recorded they are remembered only here
      p.handler().handle(List.copyOf(deletedToRecord), Map.of());
      deletedToRecord.clear();
    }
    int removed = p.inbox().removeIdleConsumers(claimIdle.multipliedBy(CONSUMER_GONE_AFTER_CLAIMS));
    if (removed > 0) {
      log.atInfo()
          .addKeyValue("event", "inbox_consumers_removed")
          .addKeyValue("consumers", removed)
          .log();
    }
    if (claim.claimed() == 0) {
      return Mode.NEW;
    }
    log.atInfo()
        .addKeyValue("event", "inbox_claimed")
        .addKeyValue("consumer", consumer)
        .addKeyValue("entries", claim.claimed())
        .log();
    return Mode.PENDING;
  }

  /** Waits until Redis and PostgreSQL answer, so an outage does not count as deliveries. */
  private void awaitHealthy(Health health) {
    int attempt = 0;
    while (running) {
      try {
        health.check();
        return;
      } catch (RuntimeException e) {
        attempt++;
        Duration wait = backoff(attempt + 2);
        log.atWarn()
            .addKeyValue("event", "intake_waiting")
            .addKeyValue("consumer", consumer)
            .addKeyValue("retry_in", wait)
            .addKeyValue("error", String.valueOf(e.getMessage()))
            .log();
        awaitChange(wait);
      }
    }
  }

  private static Duration backoff(int failures) {
    long ms = 250L << Math.min(failures - 1, 16);
    return Duration.ofMillis(Math.min(ms, MAX_BACKOFF.toMillis()));
  }

  private void awaitChange(Duration wait) {
    lock.lock();
    try {
      if (running) {
        changed.await(wait.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    } finally {
      lock.unlock();
    }
  }

  private void signal(Runnable change) {
    lock.lock();
    try {
      change.run();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
