package dev.conveyor.patrol;

import dev.conveyor.common.lifecycle.Lifecycle;
import dev.conveyor.runtime.quartz.QuartzConnections;
import dev.conveyor.runtime.quartz.QuartzStore;
import java.util.Objects;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.core.QuartzScheduler;
import org.quartz.core.QuartzSchedulerResources;
import org.quartz.impl.DefaultThreadExecutor;
import org.quartz.impl.SchedulerRepository;
import org.quartz.impl.StdJobRunShellFactory;
import org.quartz.impl.StdScheduler;
import org.quartz.impl.jdbcjobstore.JobStoreTX;
import org.quartz.simpl.CascadingClassLoadHelper;
import org.quartz.simpl.ZeroSizeThreadPool;

/**
 * The patrol's handle on the processors' Quartz store: a client of the clustered JDBC store ({@link
 * QuartzStore}: its settings, row locks in {@code qrtz_locks}) that is never started, so it never
 * acquires triggers, runs jobs, checks in to the cluster or recovers anyone's work; it only changes
 * triggers, under Quartz's locks, as the processors do. Activation creates it on the patrol's pool;
 * complete and terminate shut it down.
 *
 * <p>Built by hand, as {@code DirectSchedulerFactory} builds a scheduler, but not registered in
 * Quartz's JVM-wide {@link SchedulerRepository}: the name must be {@code conveyor} to share the
 * store's rows, and a factory keyed by that name would hand this client to a processor in the same
 * JVM (which would start it) or hand the processor's running scheduler to us. It holds no worker
 * threads ({@link ZeroSizeThreadPool}), so it could run no job even if started; but it must never
 * be started, as starting would make it check in and recover other nodes' work.
 */
final class QuartzClient extends Lifecycle {
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
    Scheduler bound = repository.lookup(QuartzStore.SCHEDULER_NAME);
    client.shutdown(false);
    if (bound != null && bound != client && !bound.isShutdown()) {
      // why: the repository's methods lock the repository itself; hold it across look-up and bind
      synchronized (repository) {
        if (repository.lookup(QuartzStore.SCHEDULER_NAME) == null) {
          repository.bind(bound);
        }
      }
    }
  }

  /**
   * A client scheduler on the store: the job store settings of the processors' scheduler ({@link
   * QuartzStore#jobStore}) on the patrol's pool, with its own instance id and no threads; never
   * started.
   */
  static Scheduler create(String instanceId, DataSource pool) throws SchedulerException {
    JobStoreTX store = QuartzStore.jobStore(instanceId, QuartzConnections.lend(instanceId, pool));

    ZeroSizeThreadPool threads = new ZeroSizeThreadPool();
    threads.setInstanceName(QuartzStore.SCHEDULER_NAME);
    threads.setInstanceId(instanceId);
    threads.initialize();

    QuartzSchedulerResources resources = new QuartzSchedulerResources();
    resources.setName(QuartzStore.SCHEDULER_NAME);
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
      // why: Quartz loads a chain's job class when it stores a trigger, to learn from its
      // annotation whether a new link must wait BLOCKED behind a running tick: the patrol carries
      // the tick job's class (runtime.quartz), so the store sees it as the processors' does
      CascadingClassLoadHelper classes = new CascadingClassLoadHelper();
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
}
