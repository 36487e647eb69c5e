package dev.conveyor.runtime.quartz;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.quartz.JobPersistenceException;
import org.quartz.impl.jdbcjobstore.JobStoreTX;
import org.quartz.impl.jdbcjobstore.NoSuchDelegateException;
import org.quartz.impl.jdbcjobstore.SchedulerStateRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Quartz's JDBC store with a failure detection of our own measure: a node is taken for dead once it
 * has been silent for its check-in interval plus {@code failureGraceMillis} (set as the property
 * {@code org.quartz.jobStore.failureGraceMillis}), where Quartz's own store waits a fixed 7.5 s
 * beyond the interval. Quartz then recovers the dead node's chains on the node that noticed.
 *
 * <p>As in Quartz, the allowance grows by how late the noticing node's own check-in is: when
 * PostgreSQL (or the host) stalls every node alike, the noticing node is as late as the one it
 * looks at, and nobody is taken for dead for it.
 *
 * <p>A node with no other in the cluster checks in only every {@code loneCheckinMillis} (when set):
 * nobody watches it, and its chains could not move anywhere. Each check-in sees whether others have
 * joined; from then on the node checks in at its interval again. Its record in {@code
 * qrtz_scheduler_state} always says the interval it keeps, so the others give it time by that.
 *
 * <p>Once a check-in has recovered other nodes' work (and committed), the listener registered under
 * this node's instance id ({@link #onRecovery}) hears which nodes were taken for dead: Quartz
 * creates its store by class name, so the listener is looked up as {@code ShareLimitedThreadPool}
 * looks up its limit.
 */
// why: JobStoreTX overrides executeInLock with a raw type; javac reports it on every subclass
@SuppressWarnings("unchecked")
public class ClusteredJobStore extends JobStoreTX {
  /** Quartz's own grace, fixed in {@code JobStoreSupport.calcFailedIfAfter}. */
  public static final long QUARTZ_GRACE_MILLIS = 7_500;

  private static final Logger log = LoggerFactory.getLogger(ClusteredJobStore.class);
  // why: what Quartz's store logs keeps Quartz's logger: the logging setup drops its ERRORs while
  // PostgreSQL is down (LibraryOutageFilter, which lets dev.conveyor loggers through) and shows its
  // cluster recovery lines at INFO
  private static final Logger quartzLog = LoggerFactory.getLogger(JobStoreTX.class);
  private static final Map<String, Consumer<Set<String>>> RECOVERY_LISTENERS =
      new ConcurrentHashMap<>();

  private long failureGraceMillis = QUARTZ_GRACE_MILLIS;
  private long loneCheckinMillis;
  // why: Quartz's default interval until it is set, never 0 (a check-in every 100 ms)
  private long peerCheckinMillis = 7_500;
  // why: one check-in at a time writes and reads it: the first on the thread that starts the
  // scheduler, the others on Quartz's cluster-management thread, started after that one
  private final Set<String> recovered = new LinkedHashSet<>();
  private long longerInterval;

  @Override
  protected Logger getLog() {
    return quartzLog;
  }

  /**
   * Tells {@code listener} the ids of the nodes a check-in of node {@code instanceId} recovered.
   */
  public static void onRecovery(String instanceId, Consumer<Set<String>> listener) {
    RECOVERY_LISTENERS.put(instanceId, listener);
  }

  public static void removeRecoveryListener(String instanceId) {
    RECOVERY_LISTENERS.remove(instanceId);
  }

  /** Public with a no-argument constructor: Quartz creates its job store by class name. */
  public ClusteredJobStore() {}

  /**
   * How much longer than its check-in interval a node may be silent before it is taken for dead.
   */
  public void setFailureGraceMillis(long failureGraceMillis) {
    if (failureGraceMillis < 0) {
      throw new IllegalArgumentException(
          "failureGraceMillis must be >= 0, was " + failureGraceMillis);
    }
    this.failureGraceMillis = failureGraceMillis;
  }

  public long getFailureGraceMillis() {
    return failureGraceMillis;
  }

  /** How often a node alone in the cluster checks in; 0 (the default): at its interval as well. */
  public void setLoneCheckinMillis(long loneCheckinMillis) {
    if (loneCheckinMillis < 0) {
      throw new IllegalArgumentException(
          "loneCheckinMillis must be >= 0, was " + loneCheckinMillis);
    }
    this.loneCheckinMillis = loneCheckinMillis;
  }

  public long getLoneCheckinMillis() {
    return loneCheckinMillis;
  }

  @Override
  public void setClusterCheckinInterval(long l) {
    super.setClusterCheckinInterval(l);
    peerCheckinMillis = l;
  }

  /**
   * Quartz's check-in, then, in the same transaction, the interval for the next one: {@link
   * #checkinInterval} of whether other nodes are checked in. When this node's record says another,
   * it is written again with this one. A shorter interval is kept at once, a longer one only once
   * the record saying it is committed ({@link #doCheckin}): the record never says less than the
   * node keeps, so no other node expects a check-in sooner than it comes.
   */
  @Override
  protected List<SchedulerStateRecord> clusterCheckIn(Connection conn)
      throws JobPersistenceException {
    List<SchedulerStateRecord> failed = super.clusterCheckIn(conn);
    if (loneCheckinMillis == 0) {
      return failed;
    }
    try {
      List<SchedulerStateRecord> records = getDelegate().selectSchedulerStateRecords(conn, null);
      boolean others =
          records.stream().anyMatch(r -> !r.getSchedulerInstanceId().equals(getInstanceId()));
      long next = checkinInterval(others, peerCheckinMillis, loneCheckinMillis);
      boolean recorded =
          records.stream()
              .anyMatch(r ->
                  r.getSchedulerInstanceId().equals(getInstanceId())
                      && r.getCheckinInterval() == next);
      if (!recorded) {
        getDelegate().deleteSchedulerState(conn, getInstanceId());
        getDelegate().insertSchedulerState(conn, getInstanceId(), lastCheckin, next);
        log.atInfo()
            .addKeyValue("event", "cluster_checkin")
            .addKeyValue("interval_ms", next)
            .addKeyValue("others", others)
            .log();
      }
      if (next < getClusterCheckinInterval()) {
        super.setClusterCheckinInterval(next);
      } else {
        longerInterval = next;
      }
    } catch (SQLException | NoSuchDelegateException e) {
      throw new JobPersistenceException("setting the check-in interval: " + e.getMessage(), e);
    }
    return failed;
  }

  /**
   * The interval to keep: the configured one while other nodes are checked in, else the lone one
   * (never shorter).
   */
  static long checkinInterval(boolean others, long interval, long lone) {
    return others || lone == 0 ? interval : Math.max(interval, lone);
  }

  @Override
  protected long calcFailedIfAfter(SchedulerStateRecord rec) {
    return failedIfAfter(
        rec.getCheckinTimestamp(),
        rec.getCheckinInterval(),
        System.currentTimeMillis() - lastCheckin,
        failureGraceMillis);
  }

  @Override
  protected void clusterRecover(Connection conn, List<SchedulerStateRecord> failedInstances)
      throws JobPersistenceException {
    super.clusterRecover(conn, failedInstances);
    for (SchedulerStateRecord rec : failedInstances) {
      // why: the first check-in recovers this node's own work of its previous life
      if (!rec.getSchedulerInstanceId().equals(getInstanceId())) {
        recovered.add(rec.getSchedulerInstanceId());
      }
    }
  }

  @Override
  protected boolean doCheckin() throws JobPersistenceException {
    recovered.clear();
    longerInterval = 0;
    boolean any = super.doCheckin();
    if (longerInterval > 0) {
      // why: the check-in that recorded it is committed
      super.setClusterCheckinInterval(longerInterval);
    }
    if (!recovered.isEmpty()) {
      Consumer<Set<String>> listener = RECOVERY_LISTENERS.get(getInstanceId());
      if (listener != null) {
        try {
          listener.accept(Set.copyOf(recovered));
        } catch (RuntimeException e) {
          // why: what the listener does is its own affair; Quartz's check-ins go on regardless
          log.atWarn()
              .addKeyValue("event", "recovery_listener_failed")
              .addKeyValue("nodes", String.join(",", recovered))
              .addKeyValue("error", String.valueOf(e.getMessage()))
              .log();
        }
      }
    }
    return any;
  }

  /**
   * The moment after which a node is taken for dead (Quartz's arithmetic, with our grace).
   *
   * @param checkin the node's last check-in (epoch millis, its clock)
   * @param interval the node's check-in interval
   * @param sinceOwnCheckin how long ago the noticing node last checked in itself
   * @param grace the allowance beyond the interval
   */
  static long failedIfAfter(long checkin, long interval, long sinceOwnCheckin, long grace) {
    return checkin + Math.max(interval, sinceOwnCheckin) + grace;
  }
}
