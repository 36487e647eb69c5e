package dev.conveyor.dispatcher;

import dev.conveyor.common.lifecycle.Lifecycle;
import dev.conveyor.common.outage.ServiceWatch;
import dev.conveyor.common.redis.HeldEntries;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
 *   <li>nothing is read while a service is down (the {@link ServiceWatch} says which, and wakes the
 *       loop as soon as it is back);
 *   <li>when a batch fails because Redis or PostgreSQL went away, nothing is acknowledged and the
 *       reads are undone once they answer again ({@link StreamGroup#restoreDeliveries}): an outage,
 *       however long, adds no delivery to any entry;
 *   <li>when a batch fails otherwise, nothing is acknowledged, the loop backs off and re-reads its
 *       pending entries one at a time, so that only an entry that fails by itself gathers
 *       deliveries until it is stored as {@code poison}. An {@link Error} (a bug) is handled the
 *       same way, logged with its stack trace: the intake never dies of it.
 * </ul>
 */
final class InboxConsumer extends Lifecycle {
  private static final Logger log = LoggerFactory.getLogger(InboxConsumer.class);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
  private static final Duration HOLD_POLL = Duration.ofMillis(500);
  private static final Duration BLIP_PAUSE = Duration.ofSeconds(1);
  private static final Duration AWAIT_SLICE = Duration.ofSeconds(1);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

  private enum Mode {
    /** Own pending entries, a batch at a time (after a start or a takeover). */
    PENDING,
    /** Own pending entries one at a time (after a failure). */
    PENDING_ONE_BY_ONE,
    /** New entries. */
    NEW
  }

  /** What the loop needs once the subsystems it uses are ready. */
  record Parts(StreamGroup inbox, Batches handler, Backpressure backpressure) {}

  /**
   * Records a batch of entries durably (then they may be acknowledged) or throws: {@link
   * BatchHandler#handle}.
   */
  @FunctionalInterface
  interface Batches {
    BatchHandler.Summary handle(List<StreamMessage> entries, Map<String, Long> deliveries);
  }

  private final Supplier<Parts> parts;
  private final String consumer;
  private final int batch;
  private final Duration block;
  private final Duration claimIdle;
  private final Clock clock;
  private final ServiceWatch watch;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();

  private final InboxTakeover takeover;

  private volatile boolean running;
  private volatile boolean paused;
  private volatile Thread thread;

  InboxConsumer(
      Supplier<Parts> parts,
      String consumer,
      int batch,
      Duration block,
      Duration claimIdle,
      Clock clock,
      ServiceWatch watch) {
    super("intake");
    this.parts = parts;
    this.consumer = consumer;
    this.batch = batch;
    this.block = block;
    this.claimIdle = claimIdle;
    this.clock = clock;
    this.watch = watch;
    this.takeover = new InboxTakeover(consumer, claimIdle);
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
    int blips = 0;
    Instant nextClaim = clock.instant();
    HeldEntries held = new HeldEntries();
    while (running) {
      if (paused) {
        awaitChange(Duration.ofSeconds(1));
        continue;
      }
      if (!watch.awaitUp(AWAIT_SLICE)) {
        continue;
      }
      try {
        if (!held.isEmpty()) {
          // why: reads an outage interrupted were not the entries' fault
          p.inbox().restoreDeliveries(consumer, held);
          held.release();
        }
        if (mode == Mode.NEW && !clock.instant().isBefore(nextClaim)) {
          // why: only once this consumer's own pending entries are handled, so that its own
          // deleted entries are recorded from its pending list first
          nextClaim = clock.instant().plus(claimIdle.dividedBy(2));
          mode = takeover.run(p.inbox(), p.handler()) ? Mode.PENDING : Mode.NEW;
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
        Map<String, Long> deliveries;
        if (mode == Mode.NEW) {
          held.readNew(entries);
          deliveries = Map.of();
        } else {
          held.readPending(entries);
          deliveries = p.inbox().deliveries(consumer, ids);
          held.counted(deliveries);
        }
        BatchHandler.Summary s = p.handler().handle(entries, deliveries);
        p.inbox().ack(ids);
        held.release();
        failures = 0;
        blips = 0;
        log.atDebug()
            .addKeyValue("event", "intake_batch")
            .addKeyValue("entries", entries.size())
            .addKeyValue("accepted", s.accepted())
            .addKeyValue("duplicates", s.duplicates())
            .addKeyValue("rejected", s.rejected())
            .log();
      } catch (RuntimeException e) {
        ServiceWatch.Verdict verdict = watch.failed(e);
        if (verdict == ServiceWatch.Verdict.NOT_AN_OUTAGE) {
          failures++;
          Duration wait = backoff(failures);
          log.atWarn()
              .addKeyValue("event", "intake_retry")
              .addKeyValue("consumer", consumer)
              .addKeyValue("attempt", failures)
              .addKeyValue("retry_in", wait)
              .addKeyValue("error", String.valueOf(e.getMessage()))
              .log();
          mode = failedBy(held, wait);
        } else {
          // why: the batch is read again once the services answer, its reads undone first
          mode = mode == Mode.NEW ? Mode.PENDING : mode;
          if (verdict == ServiceWatch.Verdict.BLIP) {
            // why: the service answers the watch, yet failed the batch (a broken pooled
            // connection, a failover, a replica that lags; or the first moment of an outage,
            // which the next try finds): a pause, and a line from the second one in a row
            if (++blips > 1) {
              log.atWarn()
                  .addKeyValue("event", "intake_retry")
                  .addKeyValue("consumer", consumer)
                  .addKeyValue("retry_in", BLIP_PAUSE)
                  .addKeyValue("error", String.valueOf(e.getMessage()))
                  .log();
            }
            awaitChange(BLIP_PAUSE);
          }
        }
      } catch (Error e) {
        // why: a bug met while handling the batch; the loop must not die of it (nothing would
        // read the inbox any more), and an entry that causes it ends as poison
        failures++;
        Duration wait = backoff(failures);
        log.atError()
            .addKeyValue("event", "intake_error")
            .addKeyValue("consumer", consumer)
            .addKeyValue("attempt", failures)
            .addKeyValue("retry_in", wait)
            .addKeyValue("error", String.valueOf(e))
            .setCause(e)
            .log();
        mode = failedBy(held, wait);
      }
    }
  }

  /**
   * After a failure that was not an outage: the reads stay counted, and the pending entries are
   * read one at a time after a backoff, so that only an entry that fails by itself gathers
   * deliveries.
   */
  private Mode failedBy(HeldEntries held, Duration wait) {
    held.release();
    awaitChange(wait);
    return Mode.PENDING_ONE_BY_ONE;
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
