package dev.conveyor.runtime.quartz;

import java.util.Properties;
import org.quartz.SchedulerConfigException;
import org.quartz.impl.jdbcjobstore.InvalidConfigurationException;
import org.quartz.impl.jdbcjobstore.PostgreSQLDelegate;

/**
 * The Quartz store the processors and patrol share: scheduler {@value #SCHEDULER_NAME} (the {@code
 * qrtz_locks} rows of the migrations belong to it), tables {@value #TABLE_PREFIX}{@code *} in
 * PostgreSQL (PostgreSQLDelegate), clustered with our failure detection ({@link
 * ClusteredJobStore}), triggers acquired within the lock, job data as properties, a misfire
 * threshold of {@value #MISFIRE_THRESHOLD_MILLIS} ms. The processors' scheduler reads these
 * settings as properties ({@link #properties}); patrol's client, built by hand, gets a job store
 * with the same settings ({@link #jobStore}).
 */
public final class QuartzStore {
  /** The scheduler name ({@code sched_name} of every row). */
  public static final String SCHEDULER_NAME = "conveyor";

  /** Quartz's tables: {@code conveyor.qrtz_*}, created by the migrations. */
  public static final String TABLE_PREFIX = "conveyor.qrtz_";

  static final long MISFIRE_THRESHOLD_MILLIS = 15_000;

  private QuartzStore() {}

  /**
   * The scheduler's name and the job store's settings, as {@code StdSchedulerFactory} reads them;
   * the caller adds its thread pool and timing (its check-in interval and failure grace).
   *
   * @param dataSource the name Quartz knows the pool by ({@link QuartzConnections})
   */
  public static Properties properties(String instanceId, String dataSource) {
    Properties p = new Properties();
    p.setProperty("org.quartz.scheduler.instanceName", SCHEDULER_NAME);
    p.setProperty("org.quartz.scheduler.instanceId", instanceId);
    p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
    p.setProperty("org.quartz.jobStore.class", ClusteredJobStore.class.getName());
    p.setProperty("org.quartz.jobStore.driverDelegateClass", PostgreSQLDelegate.class.getName());
    p.setProperty("org.quartz.jobStore.tablePrefix", TABLE_PREFIX);
    p.setProperty("org.quartz.jobStore.isClustered", "true");
    p.setProperty("org.quartz.jobStore.acquireTriggersWithinLock", "true");
    p.setProperty("org.quartz.jobStore.useProperties", "true");
    p.setProperty("org.quartz.jobStore.misfireThreshold", Long.toString(MISFIRE_THRESHOLD_MILLIS));
    p.setProperty("org.quartz.jobStore.dataSource", dataSource);
    return p;
  }

  /**
   * A job store with the settings of {@link #properties}, for a scheduler built by hand; not
   * initialized.
   */
  public static ClusteredJobStore jobStore(String instanceId, String dataSource)
      throws SchedulerConfigException {
    ClusteredJobStore store = new ClusteredJobStore();
    store.setInstanceName(SCHEDULER_NAME);
    store.setInstanceId(instanceId);
    store.setDataSource(dataSource);
    store.setTablePrefix(TABLE_PREFIX);
    try {
      store.setDriverDelegateClass(PostgreSQLDelegate.class.getName());
    } catch (InvalidConfigurationException e) {
      throw new SchedulerConfigException("the PostgreSQL delegate: " + e.getMessage(), e);
    }
    store.setIsClustered(true);
    store.setAcquireTriggersWithinLock(true);
    store.setUseProperties("true");
    store.setMisfireThreshold(MISFIRE_THRESHOLD_MILLIS);
    return store;
  }
}
