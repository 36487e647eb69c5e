package dev.conveyor.patrol;

import dev.conveyor.common.lifecycle.Lifecycle;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobExecutionContext;
import org.quartz.Scheduler;
import org.quartz.SchedulerConfigException;
import org.quartz.SchedulerException;
import org.quartz.core.QuartzScheduler;
import org.quartz.core.QuartzSchedulerResources;
import org.quartz.impl.DefaultThreadExecutor;
import org.quartz.impl.SchedulerRepository;
import org.quartz.impl.StdJobRunShellFactory;
import org.quartz.impl.StdScheduler;
import org.quartz.impl.jdbcjobstore.InvalidConfigurationException;
import org.quartz.impl.jdbcjobstore.JobStoreTX;
import org.quartz.impl.jdbcjobstore.PostgreSQLDelegate;
import org.quartz.simpl.CascadingClassLoadHelper;
import org.quartz.simpl.ZeroSizeThreadPool;
import org.quartz.utils.ConnectionProvider;
import org.quartz.utils.DBConnectionManager;

/**
 * The patrol's handle on the processors' Quartz store: a client of the clustered JDBC store
 * (scheduler {@code conveyor}, tables {@code conveyor.qrtz_*}, PostgreSQLDelegate, row locks in
 * {@code qrtz_locks}) that is never started, so it never acquires triggers, runs jobs, checks in to
 * the cluster or recovers anyone's work; it only changes triggers, under Quartz's locks, as the
 * processors do. Activation creates it on the patrol's pool; complete and terminate shut it down.
 *
 * <p>Built by hand, as {@code DirectSchedulerFactory} builds a scheduler, but not registered in
 * Quartz's JVM-wide {@link SchedulerRepository}: the name must be {@code conveyor} to share the
 * store's rows, and a factory keyed by that name would hand this client to a processor in the same
 * JVM (which would start it) or hand the processor's running scheduler to us. It holds no worker
 * threads ({@link ZeroSizeThreadPool}), so it could run no job even if started; but it must never
 * be started, as starting would make it check in and recover other nodes' work.
 */
final class QuartzClient extends Lifecycle {
  /** The processors' job class, stored in {@code qrtz_job_details} for every chain. */
  static final String TICK_JOB_CLASS = "dev.conveyor.runtime.quartz.StepTickJob";

  private static final AtomicLong DATA_SOURCES = new AtomicLong();

  private final String instanceId;
  private final Supplier<DataSource> dataSource;
  private volatile Scheduler scheduler;

  /**
   * @param instanceId this client's Quartz instance id ({@code patrol-<node id>}); it never appears
   *     in {@code qrtz_scheduler_state}, as the client never checks in
   * @param dataSource the patrol's pool (called at activation)
   */
  QuartzClient(String instanceId, Supplier<DataSource> dataSource) {
    super("quartz");
    this.instanceId = instanceId;
    this.dataSource = dataSource;
  }

  /** The client scheduler; available once READY. Never start it. */
  Scheduler scheduler() {
    return Objects.requireNonNull(scheduler, "quartz client not activated");
  }

  @Override
  protected void onActivate() throws SchedulerException {
    scheduler = create(instanceId, dataSource.get());
  }

  @Override
  protected void onComplete() throws SchedulerException {
    close();
  }

  @Override
  protected void onTerminate() throws SchedulerException {
    close();
  }

  private void close() throws SchedulerException {
    Scheduler s = scheduler;
    if (s != null) {
      shutDown(s);
    }
  }

  /**
   * Shuts a client down. QuartzScheduler.shutdown() removes its name ("conveyor") from Quartz's
   * JVM-wide repository although this client was never bound there: a processor's scheduler it took
   * out is put back.
   */
  private static void shutDown(Scheduler client) throws SchedulerException {
    if (client.isShutdown()) {
      return;
    }
    SchedulerRepository repository = SchedulerRepository.getInstance();
    Scheduler bound = repository.lookup(QuartzTables.SCHEDULER_NAME);
    client.shutdown(false);
    if (bound != null && bound != client && !bound.isShutdown()) {
      // why: the repository's methods lock the repository itself; hold it across look-up and bind
      synchronized (repository) {
        if (repository.lookup(QuartzTables.SCHEDULER_NAME) == null) {
          repository.bind(bound);
        }
      }
    }
  }

  /**
   * A client scheduler on the store: the job store settings of the processors' scheduler
   * (StepScheduler's properties) with its own instance id and no threads; never started.
   */
  static Scheduler create(String instanceId, DataSource pool) throws SchedulerException {
    // why: Quartz's connection providers live in a JVM-wide map by name; a name of our own keeps a
    // processor in the same JVM (tests) on its own pool
    String dataSourceName = "patrol-" + instanceId + "-" + DATA_SOURCES.incrementAndGet();
    DBConnectionManager.getInstance().addConnectionProvider(dataSourceName, new Pool(pool));

    JobStoreTX store = new JobStoreTX();
    store.setInstanceName(QuartzTables.SCHEDULER_NAME);
    store.setInstanceId(instanceId);
    store.setDataSource(dataSourceName);
    store.setTablePrefix("conveyor.qrtz_");
    try {
      store.setDriverDelegateClass(PostgreSQLDelegate.class.getName());
    } catch (InvalidConfigurationException e) {
      throw new SchedulerConfigException("the PostgreSQL delegate: " + e.getMessage(), e);
    }
    store.setIsClustered(true);
    store.setAcquireTriggersWithinLock(true);
    store.setUseProperties("true");
    store.setMisfireThreshold(15_000);

    ZeroSizeThreadPool threads = new ZeroSizeThreadPool();
    threads.setInstanceName(QuartzTables.SCHEDULER_NAME);
    threads.setInstanceId(instanceId);
    threads.initialize();

    QuartzSchedulerResources resources = new QuartzSchedulerResources();
    resources.setName(QuartzTables.SCHEDULER_NAME);
    resources.setInstanceId(instanceId);
    resources.setThreadName("quartz-client-" + instanceId);
    resources.setMakeSchedulerThreadDaemon(true);
    resources.setThreadPool(threads);
    resources.setThreadExecutor(new DefaultThreadExecutor());
    resources.setJobStore(store);
    StdJobRunShellFactory runShells = new StdJobRunShellFactory();
    resources.setJobRunShellFactory(runShells);

    // why: -1 = Quartz's default idle wait; the scheduler thread stays paused (never started)
    QuartzScheduler quartz = new QuartzScheduler(resources, -1, 15_000);
    Scheduler client = new StdScheduler(quartz);
    try {
      StandInClassLoadHelper classes = new StandInClassLoadHelper();
      classes.initialize();
      store.initialize(classes, quartz.getSchedulerSignaler());
      runShells.initialize(client);
      quartz.initialize();
      return client;
    } catch (SchedulerException | RuntimeException e) {
      shutDown(client);
      throw e;
    }
  }

  /** The patrol's pool, lent to Quartz; the postgres subsystem closes it, not Quartz. */
  private record Pool(DataSource pool) implements ConnectionProvider {
    @Override
    public Connection getConnection() throws SQLException {
      return pool.getConnection();
    }

    @Override
    public void shutdown() {
      // why: the pool belongs to the patrol's postgres subsystem, which closes it after us
    }

    @Override
    public void initialize() {}
  }

  /**
   * Loads classes for the job store, answering the processors' job class with a stand-in. Quartz
   * loads a chain's job class when it stores a trigger (to learn, from the class's annotation,
   * whether a new link must wait BLOCKED behind a running tick), and the patrol does not carry the
   * processor's classes. The stand-in is non-concurrent as the real one is; it never runs.
   */
  static final class StandInClassLoadHelper extends CascadingClassLoadHelper {
    @Override
    public Class<?> loadClass(String name) throws ClassNotFoundException {
      return TICK_JOB_CLASS.equals(name) ? TickJobStandIn.class : super.loadClass(name);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> Class<? extends T> loadClass(String name, Class<T> clazz)
        throws ClassNotFoundException {
      return (Class<? extends T>) loadClass(name);
    }
  }

  /** What the patrol knows of the processors' tick job: never two runs at once. */
  @DisallowConcurrentExecution
  static final class TickJobStandIn implements Job {
    @Override
    public void execute(JobExecutionContext context) {
      throw new IllegalStateException("the patrol never runs jobs");
    }
  }
}
