package dev.conveyor.processor;

import dev.conveyor.common.chain.ChainKey;
import dev.conveyor.common.config.PgConfig;
import dev.conveyor.common.config.Secret;
import dev.conveyor.common.lifecycle.Lifecycle;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.impl.StdSchedulerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Quartz, clustered over its JDBC store in schema {@code conveyor} (PostgreSQLDelegate, triggers
 * acquired within the lock, an explicit check-in interval, a HikariCP pool of its own). Starting it
 * reconciles the step chains; suspending it puts it in standby (running ticks finish); completing
 * it waits for running ticks.
 */
final class StepScheduler extends Lifecycle {
  /** The scheduler name: the {@code qrtz_locks} rows of the migrations belong to it. */
  static final String SCHEDULER_NAME = "conveyor";

  private static final Logger log = LoggerFactory.getLogger(StepScheduler.class);

  private final PgConfig pg;
  private final String instanceId;
  private final int threads;
  private final Duration checkin;
  private final Supplier<StepChains> chains;
  private final Predicate<ChainKey> drained;
  private final ChainShare share;
  private volatile Scheduler scheduler;

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
      Supplier<StepChains> chains,
      Predicate<ChainKey> drained,
      ChainShare share) {
    super("scheduler");
    this.pg = pg;
    this.instanceId = instanceId;
    this.threads = threads;
    this.checkin = checkin;
    this.chains = chains;
    this.drained = drained;
    this.share = share;
  }

  Scheduler quartz() {
    return Objects.requireNonNull(scheduler, "scheduler not activated");
  }

  @Override
  protected void onActivate() throws SchedulerException {
    ShareLimitedThreadPool.register(instanceId, share::limit);
    scheduler = new StdSchedulerFactory(properties()).getScheduler();
  }

  @Override
  protected void onStart() throws SchedulerException {
    StepChains c = chains.get();
    scheduler.getContext().put(StepChains.CONTEXT_KEY, c);
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
    Scheduler s = scheduler;
    if (s != null) {
      s.shutdown(true);
    }
    ShareLimitedThreadPool.unregister(instanceId);
  }

  @Override
  protected void onTerminate() throws SchedulerException {
    Scheduler s = scheduler;
    if (s != null) {
      s.shutdown(false);
    }
    ShareLimitedThreadPool.unregister(instanceId);
  }

  Properties properties() {
    Properties p = new Properties();
    p.setProperty("org.quartz.scheduler.instanceName", SCHEDULER_NAME);
    p.setProperty("org.quartz.scheduler.instanceId", instanceId);
    p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
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
    p.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
    p.setProperty(
        "org.quartz.jobStore.driverDelegateClass",
        "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate");
    p.setProperty("org.quartz.jobStore.tablePrefix", "conveyor.qrtz_");
    p.setProperty("org.quartz.jobStore.isClustered", "true");
    p.setProperty("org.quartz.jobStore.clusterCheckinInterval", Long.toString(checkin.toMillis()));
    p.setProperty("org.quartz.jobStore.acquireTriggersWithinLock", "true");
    p.setProperty("org.quartz.jobStore.useProperties", "true");
    p.setProperty("org.quartz.jobStore.misfireThreshold", "15000");
    p.setProperty("org.quartz.jobStore.dataSource", "quartz");
    p.setProperty("org.quartz.dataSource.quartz.provider", "hikaricp");
    p.setProperty("org.quartz.dataSource.quartz.driver", "org.postgresql.Driver");
    p.setProperty("org.quartz.dataSource.quartz.URL", pg.url());
    p.setProperty("org.quartz.dataSource.quartz.user", pg.user());
    p.setProperty(
        "org.quartz.dataSource.quartz.password", pg.password().map(Secret::reveal).orElse(""));
    // why: Quartz's own advice for a clustered store: a connection per worker plus a few
    p.setProperty("org.quartz.dataSource.quartz.maxConnections", Integer.toString(threads + 3));
    p.setProperty("org.quartz.dataSource.quartz.validationQuery", "SELECT 1");
    return p;
  }
}
