package dev.conveyor.runtime.quartz;

import dev.conveyor.common.db.DatabaseException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * Every statement of ours on Quartz's tables ({@code conveyor.qrtz_*}) of scheduler {@value
 * QuartzStore#SCHEDULER_NAME}: all of them read only. Every change goes through Quartz, under its
 * own locks (the processors' scheduler, patrol's client). The tables are created by the migrations.
 */
public final class QuartzTables {
  /** Chains that can fire: a suspended step's are paused. */
  private static final String ACTIVE_CHAINS =
      """
      SELECT count(*) FROM conveyor.qrtz_triggers
       WHERE sched_name = ? AND trigger_state NOT IN ('PAUSED', 'PAUSED_BLOCKED')\
      """;

  /**
   * One row per chain asked for (in the order asked), from one snapshot: whether its job exists,
   * its own trigger (joined on trigger key and job, so a foreign trigger under the chain's name
   * reads as none), whether the trigger's group is paused, how many firings of the chain are in
   * progress ({@code qrtz_fired_triggers}: a running tick or recovery run, by job; a link acquired
   * by a processor and not yet fired, by trigger, as Quartz records no job for those) and how many
   * other live triggers the job has (a recovery trigger of a dead node's tick).
   */
  private static final String CHAINS =
      """
      WITH s AS (SELECT ?::text AS sched),
      chain AS (
        SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[])
          WITH ORDINALITY AS c (job_group, job_name, trigger_group, trigger_name, n)
      )
      SELECT c.n,
             j.job_name IS NOT NULL AS has_job,
             t.trigger_state,
             t.next_fire_time,
             EXISTS (SELECT 1 FROM conveyor.qrtz_paused_trigger_grps g
                     WHERE g.sched_name = s.sched
                       AND g.trigger_group IN (c.trigger_group, '_$_ALL_GROUPS_PAUSED_$_'))
               AS group_paused,
             (SELECT count(*) FROM conveyor.qrtz_fired_triggers f
              WHERE f.sched_name = s.sched
                AND ((f.job_name = c.job_name AND f.job_group = c.job_group)
                  OR (f.trigger_name = c.trigger_name AND f.trigger_group = c.trigger_group)))
               AS firings,
             (SELECT count(*) FROM conveyor.qrtz_triggers o
              WHERE o.sched_name = s.sched
                AND o.job_name = c.job_name AND o.job_group = c.job_group
                AND (o.trigger_name, o.trigger_group) <> (c.trigger_name, c.trigger_group)
                AND o.trigger_state NOT IN ('ERROR', 'COMPLETE')) AS other_triggers
      FROM chain c
      CROSS JOIN s
      LEFT JOIN conveyor.qrtz_job_details j
        ON j.sched_name = s.sched AND j.job_name = c.job_name AND j.job_group = c.job_group
      LEFT JOIN conveyor.qrtz_triggers t
        ON t.sched_name = s.sched
       AND t.trigger_name = c.trigger_name AND t.trigger_group = c.trigger_group
       AND t.job_name = c.job_name AND t.job_group = c.job_group
      ORDER BY c.n
      """;

  /**
   * What the store holds for one chain.
   *
   * @param triggerState the chain's own trigger's state, null when it has none
   * @param nextFireTime the trigger's {@code next_fire_time} (epoch millis), null when none
   * @param groupPaused whether the step's trigger group is paused (the step is suspended)
   * @param firings rows in {@code qrtz_fired_triggers} for the chain's job or trigger: firings in
   *     progress
   * @param otherTriggers live triggers of the job other than the chain's own
   */
  public record ChainRow(
      ChainKey key,
      boolean hasJob,
      String triggerState,
      Long nextFireTime,
      boolean groupPaused,
      long firings,
      long otherTriggers) {}

  private final Supplier<DataSource> dataSource;

  /**
   * @param dataSource the daemon's pool, looked up per call (it exists once postgres is READY)
   */
  public QuartzTables(Supplier<DataSource> dataSource) {
    this.dataSource = dataSource;
  }

  /** What the store holds for each of these chains, in the same order; one query. */
  public List<ChainRow> chains(List<ChainKey> keys) {
    List<ChainRow> rows = new ArrayList<>(keys.size());
    if (keys.isEmpty()) {
      return rows;
    }
    String[] jobGroups = new String[keys.size()];
    String[] jobNames = new String[keys.size()];
    String[] triggerGroups = new String[keys.size()];
    String[] triggerNames = new String[keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      ChainKey k = keys.get(i);
      jobGroups[i] = k.jobKey().getGroup();
      jobNames[i] = k.jobKey().getName();
      triggerGroups[i] = k.triggerKey().getGroup();
      triggerNames[i] = k.triggerKey().getName();
    }
    try (Connection c = dataSource.get().getConnection();
        PreparedStatement ps = c.prepareStatement(CHAINS)) {
      ps.setString(1, QuartzStore.SCHEDULER_NAME);
      ps.setArray(2, c.createArrayOf("text", jobGroups));
      ps.setArray(3, c.createArrayOf("text", jobNames));
      ps.setArray(4, c.createArrayOf("text", triggerGroups));
      ps.setArray(5, c.createArrayOf("text", triggerNames));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long nextFire = rs.getLong("next_fire_time");
          Long next = rs.wasNull() ? null : nextFire;
          rows.add(
              new ChainRow(
                  keys.get(rs.getInt("n") - 1),
                  rs.getBoolean("has_job"),
                  rs.getString("trigger_state"),
                  next,
                  rs.getBoolean("group_paused"),
                  rs.getLong("firings"),
                  rs.getLong("other_triggers")));
        }
      }
      return rows;
    } catch (SQLException e) {
      throw new DatabaseException(
          "reading the Quartz chains of " + keys.size() + " step shards failed: " + e.getMessage(),
          e);
    }
  }

  /** How many chains can fire (their triggers are not paused): what the processors share out. */
  public int activeChains() {
    try (Connection c = dataSource.get().getConnection();
        PreparedStatement ps = c.prepareStatement(ACTIVE_CHAINS)) {
      ps.setString(1, QuartzStore.SCHEDULER_NAME);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    } catch (SQLException e) {
      throw new DatabaseException("could not count the active chains: " + e.getMessage(), e);
    }
  }
}
