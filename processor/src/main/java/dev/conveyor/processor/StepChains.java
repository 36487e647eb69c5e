package dev.conveyor.processor;

import dev.conveyor.common.outage.ServiceWatch;
import dev.conveyor.common.redis.HeldEntries;
import dev.conveyor.runtime.quartz.ChainKey;
import dev.conveyor.runtime.quartz.ChainRunner;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.function.Predicate;
import org.quartz.JobKey;
import org.quartz.ObjectAlreadyExistsException;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.Trigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chains of step ticks in Quartz: one durable job and one trigger per (pipeline, step, shard)
 * ({@link ChainKey}). Each run reschedules its own trigger — at once if work remains, else after
 * the step's offset — so the chain lives in Quartz's JDBC store: it survives restarts and moves to
 * another processor when this one dies (the job requests recovery; the recovery run puts the
 * chain's trigger back).
 */
final class StepChains implements ChainRunner {
  private static final Logger log = LoggerFactory.getLogger(StepChains.class);
  private static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(5);
  private static final Duration BLIP_PAUSE = Duration.ofSeconds(1);
  private static final int MAX_BLIPS_PER_RUN = 3;

  private final Map<JobKey, Shard> shards = new ConcurrentHashMap<>();
  private final Map<String, StepRunner> runnersByStep = new LinkedHashMap<>();
  private final Set<String> pipelines;
  private final Clock clock;
  private final ServiceWatch watch;
  private final ChainWaits waits;
  private final AtomicInteger ticking = new AtomicInteger();
  private volatile Predicate<ChainKey> drained = key -> false;

  /**
   * One chain this processor runs. A {@code draining} one is a shard beyond the step's current
   * {@code shards} (the count was lowered in a new version of the pipeline): it still runs until
   * its queue and retry set are empty, then its chain is deleted.
   */
  record Shard(ChainKey key, StepRunner runner, boolean draining) {}

  /**
   * @param pipelines every pipeline loaded here (whose stale chains this processor may remove),
   *     including those whose steps are all disabled here
   * @param watch the processor's watch over Redis and PostgreSQL
   * @param share how many chains this processor may run at once ({@link ChainShare})
   */
  StepChains(
      List<StepRunner> runners,
      Set<String> pipelines,
      Clock clock,
      ServiceWatch watch,
      IntSupplier share) {
    this.pipelines = Set.copyOf(pipelines);
    this.clock = clock;
    this.watch = watch;
    this.waits = new ChainWaits(watch);
    for (StepRunner r : runners) {
      // why: a processor that joined gets its share only as this one's ticks end; an idle tick
      // lasts up to six BLOCKs, so one beyond the share ends at its BLOCK instead
      r.endIdleWaitWhen(() -> waits.stopping() || ticking.get() > share.getAsInt());
      runnersByStep.put(r.pipeline().name() + "." + r.step().name(), r);
      for (int s = 0; s < r.step().shards(); s++) {
        ChainKey key = new ChainKey(r.pipeline().name(), r.step().name(), s);
        shards.put(key.jobKey(), new Shard(key, r, false));
      }
    }
  }

  /**
   * Makes Quartz's store match the pipeline files ({@link ChainReconcile}); shards beyond their
   * step's current count that still hold items keep running here until they are drained.
   */
  void reconcile(Scheduler scheduler, Predicate<ChainKey> drained) throws SchedulerException {
    this.drained = drained;
    shards.putAll(
        new ChainReconcile(clock)
            .reconcile(scheduler, shards.values(), runnersByStep, pipelines, drained));
  }

  /**
   * One run of a chain: the tick, then the next link.
   *
   * <p>A tick starts only while every service answers; one that fails because a service went away
   * undoes the reads of the entries it held (they count no attempt), waits in this thread — which
   * holds the chain — until the service is back, and ticks again. Any other failure is logged and
   * counts: the entries stay delivered once more, so an item the tick keeps failing on ends dead.
   * The next link is written whatever happened, trying again until it is stored: a chain is never
   * dropped because PostgreSQL was down at that moment. (A processor killed meanwhile leaves the
   * firing in Quartz's store; the job requests recovery, so Quartz runs it again elsewhere, and
   * that run puts the link back.)
   */
  @Override
  public void run(JobKey job, Scheduler scheduler) {
    Shard shard = shards.get(job);
    ChainKey key = shard != null ? shard.key() : ChainKey.of(job);
    if (shard == null) {
      // why: a chain of a step this processor does not run (disabled here, or from other files);
      // leave it to a processor that does, by putting the link back a little later
      if (key != null) {
        link(scheduler, key, RETRY_AFTER_FAILURE);
      }
      return;
    }
    Thread me = Thread.currentThread();
    String name = me.getName();
    me.setName("step-" + key);
    Duration next;
    try {
      next = tick(shard);
    } finally {
      me.setName(name);
    }
    if (shard.draining() && drainedNow(key)) {
      try {
        scheduler.deleteJob(job);
        shards.remove(job);
        log.atInfo()
            .addKeyValue("event", "chain_removed")
            .addKeyValue("chain", key.toString())
            .addKeyValue("reason", "shard drained after the shard count was lowered")
            .log();
        return;
      } catch (SchedulerException | RuntimeException e) {
        // why: PostgreSQL away; the chain runs again and is removed next time
        watch.failed(e);
      }
    }
    link(scheduler, key, next);
  }

  /** Ticks until a tick ends other than by an outage; returns the delay before the next one. */
  private Duration tick(Shard shard) {
    ChainKey key = shard.key();
    int blips = 0;
    while (true) {
      if (!waits.awaitServices()) {
        return Duration.ZERO;
      }
      HeldEntries held = new HeldEntries();
      ticking.incrementAndGet();
      try {
        Duration next = shard.runner().tick(key.shard(), held);
        // why: entries read just as the step was suspended: their read was not their attempt
        handBack(shard, held);
        return next;
      } catch (RuntimeException e) {
        ServiceWatch.Verdict verdict = watch.failed(e);
        if (verdict == ServiceWatch.Verdict.NOT_AN_OUTAGE) {
          log.atWarn()
              .addKeyValue("event", "tick_failed")
              .addKeyValue("chain", key.toString())
              .addKeyValue("retry_in", RETRY_AFTER_FAILURE)
              .addKeyValue("error", String.valueOf(e.getMessage()))
              .log();
          return RETRY_AFTER_FAILURE;
        }
        handBack(shard, held);
        if (verdict == ServiceWatch.Verdict.BLIP) {
          // why: the service answers the watch, yet failed the tick (a pooled connection broken by
          // a quick restart, a failover; or the first moment of an outage, which the next try
          // finds): a pause, and a line from the second one in a row, but not an attempt
          if (++blips > 1) {
            log.atWarn()
                .addKeyValue("event", "tick_failed")
                .addKeyValue("chain", key.toString())
                .addKeyValue("retry_in", BLIP_PAUSE)
                .addKeyValue("error", String.valueOf(e.getMessage()))
                .log();
          }
          if (blips >= MAX_BLIPS_PER_RUN || !waits.pause(BLIP_PAUSE)) {
            return RETRY_AFTER_FAILURE;
          }
        }
      } catch (Error e) {
        // why: a bug (a missing class, a stack overflow in a step); the chain must go on, and the
        // entries it held stay counted, so an item that causes it ends dead
        log.atError()
            .addKeyValue("event", "tick_error")
            .addKeyValue("chain", key.toString())
            .addKeyValue("retry_in", RETRY_AFTER_FAILURE)
            .addKeyValue("error", String.valueOf(e))
            .setCause(e)
            .log();
        return RETRY_AFTER_FAILURE;
      } finally {
        ticking.decrementAndGet();
      }
    }
  }

  /** Undoes the reads of the entries a tick held; waits for Redis to do so if it must. */
  private void handBack(Shard shard, HeldEntries held) {
    while (!held.isEmpty()) {
      try {
        shard.runner().handBack(shard.key().shard(), held);
        held.release();
      } catch (RuntimeException e) {
        if (watch.failed(e) == ServiceWatch.Verdict.NOT_AN_OUTAGE || !waits.awaitServices()) {
          // why: given up (a stop, or a failure that is no outage): those reads stay counted
          return;
        }
      }
    }
  }

  /**
   * The ticks waiting for a service give up, and a link that cannot be written is left to Quartz's
   * recovery: the processor is stopping.
   */
  void stop() {
    waits.stop();
  }

  private boolean drainedNow(ChainKey key) {
    try {
      return drained.test(key);
    } catch (RuntimeException e) {
      // why: Redis down; the chain simply runs again and is looked at next time
      return false;
    }
  }

  /**
   * Writes the chain's next link, trying again until it is stored (or the processor stops: then the
   * firing stays in Quartz's store and Quartz's recovery runs the job again).
   */
  private void link(Scheduler scheduler, ChainKey key, Duration delay) {
    int failures = 0;
    boolean warned = false;
    while (true) {
      try {
        schedule(scheduler, key, delay);
        if (warned) {
          log.atInfo()
              .addKeyValue("event", "chain_linked")
              .addKeyValue("chain", key.toString())
              .addKeyValue("attempts", failures + 1)
              .log();
        }
        return;
      } catch (SchedulerException | RuntimeException e) {
        failures++;
        ServiceWatch.Verdict verdict = watch.failed(e);
        if (waits.stopping()) {
          return;
        }
        if (verdict != ServiceWatch.Verdict.DOWN && !warned) {
          // why: once per failing link, not once per try; the outage of a service is the watch's
          log.atWarn()
              .addKeyValue("event", "chain_link_failed")
              .addKeyValue("chain", key.toString())
              .addKeyValue("error", String.valueOf(e.getMessage()))
              .log();
          warned = true;
        }
        if (verdict == ServiceWatch.Verdict.DOWN
            ? !waits.awaitServices()
            : !waits.pause(BLIP_PAUSE)) {
          return;
        }
      }
    }
  }

  private void schedule(Scheduler scheduler, ChainKey key, Duration delay)
      throws SchedulerException {
    Trigger next = trigger(key, delay);
    if (scheduler.rescheduleJob(next.getKey(), next) == null) {
      // why: the trigger is gone (this run is Quartz's recovery of a dead node's tick)
      try {
        scheduler.scheduleJob(next);
      } catch (ObjectAlreadyExistsException raced) {
        scheduler.rescheduleJob(next.getKey(), next);
      }
    }
  }

  private Trigger trigger(ChainKey key, Duration delay) {
    return key.link(clock.instant(), delay);
  }
}
