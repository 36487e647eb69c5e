package dev.conveyor.processor;

import dev.conveyor.common.config.PgConfig;
import dev.conveyor.common.lifecycle.Lifecycle;
import dev.conveyor.common.outage.ServiceWatch;
import dev.conveyor.runtime.quartz.ChainKey;
import dev.conveyor.runtime.quartz.ChainRunner;
import dev.conveyor.runtime.quartz.ClusteredJobStore;
import dev.conveyor.runtime.quartz.QuartzConnections;
import dev.conveyor.runtime.quartz.QuartzMeters;
import dev.conveyor.runtime.quartz.QuartzStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.impl.StdSchedulerFactory;
import org.quartz.listeners.SchedulerListenerSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Quartz, clustered over the JDBC store it shares with patrol ({@link QuartzStore}), with an
 * explicit check-in interval and failure grace ({@link ClusteredJobStore}) and a pool of its own
 * with every timeout ({@link QuartzConnections#open}). Starting it reconciles the step chains;
 * suspending it puts it in standby (running ticks finish); completing it lets the ticks waiting for
 * a service give up, then waits for running ticks.
 *
 * <p>Quartz's errors go to the service watch (so a PostgreSQL outage is noticed as soon as Quartz
 * meets it), and after a failure Quartz tries its store again every {@value #DB_RETRY_MILLIS} ms
 * (its default, 15 s, would hold ticks and acquisitions that long after PostgreSQL is back).
 */
final class StepScheduler extends Lifecycle {
  static final long DB_RETRY_MILLIS = 1_000;
  static final long LONE_CHECKIN_MILLIS = 5_000;
  private static final Logger log = LoggerFactory.getLogger(StepScheduler.class);

  private final PgConfig pg;
  private final String instanceId;
  private final int threads;
  private final Duration checkin;
  private final Duration failureGrace;
  private final Supplier<StepChains> chains;
  private final Predicate<ChainKey> drained;
  private final ChainShare share;
  private final ServiceWatch watch;
  private final MeterRegistry registry;
  private volatile Scheduler scheduler;
  private volatile StepChains running;

  /**
   * @param drained whether a chain's queue holds nothing (a chain of a removed step is deleted only
   *     then)
   * @param share how many chains this processor runs at once (its worker pool keeps to it)
   */
  StepScheduler(
      PgConfig pg,
      String instanceId,
      int threads,
      Duration checkin,
      Duration failureGrace,
      Supplier<StepChains> chains,
      Predicate<ChainKey> drained,
      ChainShare share,
      ServiceWatch watch,
      MeterRegistry registry) {
    super("scheduler");
    this.registry = registry;
    this.pg = pg;
    this.instanceId = instanceId;
    this.threads = threads;
    this.checkin = checkin;
    this.failureGrace = failureGrace;
    this.chains = chains;
    this.drained = drained;
    this.share = share;
    this.watch = watch;
  }

  Scheduler quartz() {
    return Objects.requireNonNull(scheduler, "scheduler not activated");
  }

  @Override
  protected void onActivate() throws SchedulerException {
    ShareLimitedThreadPool.register(instanceId, share::limit);
    ClusteredJobStore.onRecovery(instanceId, share::takenForDead);
    // why: threads + 3 connections, Quartz's own advice for a clustered store (a connection per
    // worker plus a few)
    String dataSource = QuartzConnections.open(pg, instanceId, threads + 3, watch, registry);
    scheduler = new StdSchedulerFactory(properties(dataSource)).getScheduler();
    scheduler.getListenerManager().addTriggerListener(new QuartzMeters(registry));
    scheduler
        .getListenerManager()
        .addSchedulerListener(
            new SchedulerListenerSupport() {
              @Override
              public void schedulerError(String msg, SchedulerException cause) {
                watch.failed(cause);
              }
            });
  }

  @Override
  protected void onStart() throws SchedulerException {
    StepChains c = chains.get();
    running = c;
    scheduler.getContext().put(ChainRunner.CONTEXT_KEY, c);
    c.reconcile(scheduler, drained);
    try {
      share.refresh();
    } catch (RuntimeException e) {
      // why: the share is recounted every check-in; until then this processor takes what it can
      log.atWarn()
          .addKeyValue("event", "chain_share_unknown")
          .addKeyValue("error", e.getMessage())
          .log();
    }
    scheduler.start();
  }

  @Override
  protected void onSuspend() throws SchedulerException {
    scheduler.standby();
  }

  @Override
  protected void onResume() throws SchedulerException {
    scheduler.start();
  }

  @Override
  protected void onComplete() throws SchedulerException {
    stopChains();
    Scheduler s = scheduler;
    if (s != null) {
      s.shutdown(true);
    }
    ShareLimitedThreadPool.unregister(instanceId);
    ClusteredJobStore.removeRecoveryListener(instanceId);
  }

  @Override
  protected void onTerminate() throws SchedulerException {
    stopChains();
    Scheduler s = scheduler;
    if (s != null) {
      s.shutdown(false);
    }
    ShareLimitedThreadPool.unregister(instanceId);
    ClusteredJobStore.removeRecoveryListener(instanceId);
  }

  private void stopChains() {
    StepChains c = running;
    if (c != null) {
      c.stop();
    }
  }

  /**
   * The store's settings ({@link QuartzStore#properties}) and this scheduler's own: its thread
   * pool, how soon it tries the store again after a failure, how often it looks for triggers and
   * checks in, and how long a silent node has before it is taken for dead.
   *
   * @param dataSource the name Quartz knows the pool by ({@link QuartzConnections#open})
   */
  Properties properties(String dataSource) {
    Properties p = QuartzStore.properties(instanceId, dataSource);
    p.setProperty("org.quartz.scheduler.dbFailureRetryInterval", Long.toString(DB_RETRY_MILLIS));
    // why: a processor below its share looks for chains left by others this often (Quartz's
    // default is 30 s, its minimum 1 s)
    p.setProperty("org.quartz.scheduler.idleWaitTime", "1000");
    p.setProperty(
        "org.quartz.scheduler.batchTriggerAcquisitionMaxCount", Integer.toString(threads));
    // why: a node with threads free takes every trigger due within its look-ahead; the pool offers
    // only the threads of this processor's share of the chains (see ChainShare)
    p.setProperty("org.quartz.threadPool.class", ShareLimitedThreadPool.class.getName());
    p.setProperty("org.quartz.threadPool.threadCount", Integer.toString(threads));
    p.setProperty("org.quartz.threadPool.threadNamePrefix", "quartz-worker");
    p.setProperty("org.quartz.jobStore.clusterCheckinInterval", Long.toString(checkin.toMillis()));
    // why: the grace (2 s by default, Quartz's is 7.5 s) only has to cover a stall of the silent
    // node alone: a stall of PostgreSQL or of the host delays the noticing node's own check-in as
    // much, and ClusteredJobStore adds that delay to the allowance. A live node taken for dead by
    // a longer stall of its own (a GC pause over 2 s) has its running tick started once more
    // elsewhere; both then read the same pending entries of the shard's one consumer, and every
    // write of a batch is idempotent (StepBatch), so that costs work done twice and a delivery
    // counted twice, never a row twice or an item lost.
    p.setProperty("org.quartz.jobStore.failureGraceMillis", Long.toString(failureGrace.toMillis()));
    // why: a processor alone has nobody to take its chains over, so a check-in a second would buy
    // nothing; it checks in as seldom as Quartz's old 5 s until another processor joins
    p.setProperty(
        "org.quartz.jobStore.loneCheckinMillis",
        Long.toString(Math.max(checkin.toMillis(), LONE_CHECKIN_MILLIS)));
    return p;
  }
}
