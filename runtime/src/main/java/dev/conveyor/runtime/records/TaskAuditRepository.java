package dev.conveyor.runtime.records;

import dev.conveyor.common.db.DatabaseException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/** Every statement on {@code conveyor.task_audit}. */
public final class TaskAuditRepository {
  // why: one statement for the batch whose RETURNING counts the rows really written; a batch of
  // single-row inserts reports SUCCESS_NO_INFO with reWriteBatchedInserts, conflicts included
  private static final String INSERT =
      """
      INSERT INTO conveyor.task_audit
        (task_id, pipeline, pipeline_version, outcome, parts, failed_parts, rows_delivered,
         stream_id, received_at, finished_at)
      SELECT * FROM unnest(?::text[], ?::text[], ?::int[], ?::text[], ?::int[], ?::int[],
                           ?::bigint[], ?::text[], ?::timestamptz[], ?::timestamptz[])
      ON CONFLICT (task_id) DO NOTHING
      RETURNING task_id
      """;
  private static final String FIND =
      """
      SELECT task_id, pipeline, pipeline_version, outcome, parts, failed_parts, rows_delivered,
             stream_id, received_at, finished_at, cleaned_at
      FROM conveyor.task_audit WHERE task_id = ?
      """;
  private static final String EXISTING =
      "SELECT task_id FROM conveyor.task_audit WHERE task_id = ANY (?)";
  private static final String CLEANED =
      "SELECT task_id FROM conveyor.task_audit WHERE task_id = ANY (?) AND cleaned_at IS NOT NULL";
  private static final String FINISHED_COLUMNS =
      "task_id, pipeline, outcome, parts, failed_parts, rows_delivered, finished_at";
  private static final String TO_CLEAN =
      """
      SELECT %s FROM conveyor.task_audit
      WHERE pipeline = ? AND cleaned_at IS NULL AND cleanup_held_at IS NULL AND finished_at <= ?
      ORDER BY finished_at
      LIMIT ?
      """
          .formatted(FINISHED_COLUMNS);
  private static final String HELD_SINCE =
      """
      SELECT %s FROM conveyor.task_audit
      WHERE cleaned_at IS NULL AND cleanup_held_at IS NOT NULL AND cleanup_held_at <= ?
      ORDER BY cleanup_held_at
      LIMIT ?
      """
          .formatted(FINISHED_COLUMNS);
  private static final String NOT_LOADED =
      """
      SELECT %s FROM conveyor.task_audit
      WHERE cleaned_at IS NULL AND cleanup_held_at IS NULL AND finished_at <= ?
        AND pipeline <> ALL (?)
      ORDER BY finished_at
      LIMIT ?
      """
          .formatted(FINISHED_COLUMNS);
  private static final String LOCK_NOT_CLEANED =
      """
      SELECT task_id, finished_at FROM conveyor.task_audit
      WHERE task_id = ANY (?) AND cleaned_at IS NULL
      FOR UPDATE
      """;
  private static final String LOCK_CLEANED =
      """
      SELECT task_id FROM conveyor.task_audit
      WHERE task_id = ANY (?) AND cleaned_at IS NOT NULL
      FOR UPDATE
      """;
  private static final String LOCK_FOR_REPLAY =
      "SELECT cleaned_at IS NOT NULL FROM conveyor.task_audit WHERE task_id = ? FOR UPDATE";
  private static final String MARK_CLEANED =
      "UPDATE conveyor.task_audit SET cleaned_at = ?, cleaned_by = ?"
          + " WHERE task_id = ANY (?) AND cleaned_at IS NULL";
  private static final String MARK_RELEASED =
      "UPDATE conveyor.task_audit SET cleaned_at = ?, cleaned_by = ?,"
          + " cleanup_detail = ? || coalesce(cleanup_detail, '')"
          + " WHERE task_id = ANY (?) AND cleaned_at IS NULL";
  private static final String MARK_HELD =
      "UPDATE conveyor.task_audit SET cleanup_held_at = ?, cleanup_detail = ?"
          + " WHERE task_id = ? AND cleaned_at IS NULL";
  private static final String COUNT_HELD =
      "SELECT count(*) FROM conveyor.task_audit WHERE cleanup_held_at IS NOT NULL AND cleaned_at IS NULL";
  private static final String DELETE = "DELETE FROM conveyor.task_audit WHERE task_id = ?";
  private static final String COUNT_BY_OUTCOME =
      "SELECT count(*) FROM conveyor.task_audit WHERE outcome = ?";

  /**
   * Past the dedupe window: cleaned, finished before the cut-off (1), and no dead item of the task
   * is kept (its dead items died before the dead items' cut-off, 2): the row goes with them.
   */
  private static final String EXPIRED =
      """
      a.finished_at < ? AND a.cleaned_at IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM conveyor.dead_items d
                        WHERE d.task_id = a.task_id AND d.failed_at >= ?)
      """;

  private static final String DELETE_EXPIRED =
      """
      DELETE FROM conveyor.task_audit WHERE task_id IN (
        SELECT a.task_id FROM conveyor.task_audit a WHERE %s
        ORDER BY a.finished_at LIMIT ? FOR UPDATE SKIP LOCKED)
      """
          .formatted(EXPIRED);
  private static final String COUNT_EXPIRED =
      "SELECT count(*) FROM conveyor.task_audit a WHERE " + EXPIRED;

  private final DataSource dataSource;

  public TaskAuditRepository(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Writes the row unless the task already has one; true when this call wrote it. */
  public boolean insert(TaskAudit a) {
    return insertAll(List.of(a)) == 1;
  }

  /**
   * Writes the rows in one statement, skipping tasks that already have one; returns how many were
   * written, conflicts not counted.
   */
  public int insertAll(List<TaskAudit> audits) {
    if (audits.isEmpty()) {
      return 0;
    }
    int n = audits.size();
    String[] ids = new String[n];
    String[] pipelines = new String[n];
    Integer[] versions = new Integer[n];
    String[] outcomes = new String[n];
    Integer[] parts = new Integer[n];
    Integer[] failed = new Integer[n];
    Long[] rows = new Long[n];
    String[] streamIds = new String[n];
    String[] received = new String[n];
    String[] finished = new String[n];
    for (int i = 0; i < n; i++) {
      TaskAudit a = audits.get(i);
      ids[i] = a.taskId();
      pipelines[i] = a.pipeline();
      versions[i] = a.pipelineVersion();
      outcomes[i] = a.outcome().sql();
      parts[i] = a.parts();
      failed[i] = a.failedParts();
      rows[i] = a.rowsDelivered();
      streamIds[i] = a.streamId();
      received[i] = a.receivedAt().toString();
      finished[i] = a.finishedAt().toString();
    }
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(INSERT)) {
      ps.setArray(1, c.createArrayOf("text", ids));
      ps.setArray(2, c.createArrayOf("text", pipelines));
      ps.setArray(3, c.createArrayOf("int4", versions));
      ps.setArray(4, c.createArrayOf("text", outcomes));
      ps.setArray(5, c.createArrayOf("int4", parts));
      ps.setArray(6, c.createArrayOf("int4", failed));
      ps.setArray(7, c.createArrayOf("int8", rows));
      ps.setArray(8, c.createArrayOf("text", streamIds));
      ps.setArray(9, c.createArrayOf("text", received));
      ps.setArray(10, c.createArrayOf("text", finished));
      int written = 0;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          written++;
        }
      }
      return written;
    } catch (SQLException e) {
      throw new DatabaseException(
          "task_audit insert of "
              + audits.size()
              + " rows (first "
              + audits.getFirst().taskId()
              + ") failed: "
              + e.getMessage(),
          e);
    }
  }

  public Optional<TaskAudit> find(String taskId) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(FIND)) {
      ps.setString(1, taskId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(read(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new DatabaseException("task_audit read of " + taskId + " failed: " + e.getMessage(), e);
    }
  }

  /** Which of these task ids already have an audit row (they finished before). */
  public Set<String> existing(Collection<String> taskIds) {
    return idsAmong(EXISTING, taskIds, "task_audit lookup");
  }

  /** Which of these task ids were cleaned up already ({@code cleaned_at} set). */
  public Set<String> cleaned(Collection<String> taskIds) {
    return idsAmong(CLEANED, taskIds, "task_audit cleaned lookup");
  }

  /** The ids {@code query} (one {@code text[]} parameter, one id column) returns of these. */
  private Set<String> idsAmong(String query, Collection<String> taskIds, String what) {
    Set<String> found = new HashSet<>();
    if (taskIds.isEmpty()) {
      return found;
    }
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(query)) {
      planEachTime(ps);
      ps.setArray(1, c.createArrayOf("text", taskIds.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          found.add(rs.getString(1));
        }
      }
      return found;
    } catch (SQLException e) {
      throw new DatabaseException(what + " failed: " + e.getMessage(), e);
    }
  }

  public long countByOutcome(TaskAudit.Outcome outcome) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(COUNT_BY_OUTCOME)) {
      ps.setString(1, outcome.sql());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new DatabaseException("task_audit count failed: " + e.getMessage(), e);
    }
  }

  private static TaskAudit read(ResultSet rs) throws SQLException {
    Timestamp cleaned = rs.getTimestamp("cleaned_at");
    return new TaskAudit(
        rs.getString("task_id"),
        rs.getString("pipeline"),
        rs.getInt("pipeline_version"),
        TaskAudit.Outcome.valueOf(rs.getString("outcome").toUpperCase(Locale.ROOT)),
        rs.getInt("parts"),
        rs.getInt("failed_parts"),
        rs.getLong("rows_delivered"),
        rs.getString("stream_id"),
        rs.getTimestamp("received_at").toInstant(),
        rs.getTimestamp("finished_at").toInstant(),
        Optional.ofNullable(cleaned).map(Timestamp::toInstant));
  }

  /**
   * Finished tasks of {@code pipeline} whose runtime data may be cleaned up: not cleaned, not held
   * below their tolerance, finished no later than {@code finishedBefore}, oldest first. One query
   * per pipeline, so that the rows of one (or of a pipeline no longer loaded) never take another's
   * turn.
   */
  public List<Finished> toClean(String pipeline, Instant finishedBefore, int limit) {
    return finished(
        TO_CLEAN,
        ps -> {
          ps.setString(1, pipeline);
          ps.setTimestamp(2, Timestamp.from(finishedBefore));
          ps.setInt(3, limit);
        },
        "task_audit cleanup query");
  }

  /** Tasks held below their tolerance since {@code heldBefore} or earlier, not cleaned. */
  public List<Finished> heldSince(Instant heldBefore, int limit) {
    return finished(
        HELD_SINCE,
        ps -> {
          ps.setTimestamp(1, Timestamp.from(heldBefore));
          ps.setInt(2, limit);
        },
        "task_audit held query");
  }

  /**
   * Finished tasks not cleaned nor held of pipelines other than {@code loaded}, finished no later
   * than {@code finishedBefore}: no patrol cleans them while their pipeline is not loaded.
   */
  public List<Finished> notLoaded(Collection<String> loaded, Instant finishedBefore, int limit) {
    return finished(
        NOT_LOADED,
        ps -> {
          ps.setTimestamp(1, Timestamp.from(finishedBefore));
          ps.setArray(2, ps.getConnection().createArrayOf("text", loaded.toArray()));
          ps.setInt(3, limit);
        },
        "task_audit not-loaded query");
  }

  @FunctionalInterface
  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  private List<Finished> finished(String query, Binder binder, String what) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(query)) {
      binder.bind(ps);
      List<Finished> rows = new java.util.ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.add(
              new Finished(
                  rs.getString(1),
                  rs.getString(2),
                  TaskAudit.Outcome.valueOf(rs.getString(3).toUpperCase(Locale.ROOT)),
                  rs.getInt(4),
                  rs.getInt(5),
                  rs.getLong(6),
                  rs.getTimestamp(7).toInstant()));
        }
      }
      return rows;
    } catch (SQLException e) {
      throw new DatabaseException(what + " failed: " + e.getMessage(), e);
    }
  }

  /** A finished task as cleanup sees it. */
  public record Finished(
      String taskId,
      String pipeline,
      TaskAudit.Outcome outcome,
      int parts,
      int failedParts,
      long rowsDelivered,
      Instant finishedAt) {}

  /**
   * In a fenced transaction: locks the rows of these tasks that are not cleaned; task id → its
   * {@code finished_at}, so that the caller can tell a row replaced since (a replay deleted the
   * task's row and it finished again) from the one it looked at.
   */
  public Map<String, Instant> lockNotCleaned(Connection c, Collection<String> taskIds)
      throws SQLException {
    Map<String, Instant> rows = new HashMap<>();
    if (taskIds.isEmpty()) {
      return rows;
    }
    try (PreparedStatement ps = c.prepareStatement(LOCK_NOT_CLEANED)) {
      planEachTime(ps);
      ps.setArray(1, c.createArrayOf("text", taskIds.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.put(rs.getString(1), rs.getTimestamp(2).toInstant());
        }
      }
    }
    return rows;
  }

  /** In a fenced transaction: locks the rows of these tasks that are cleaned; their ids. */
  public Set<String> lockCleaned(Connection c, Collection<String> taskIds) throws SQLException {
    Set<String> found = new HashSet<>();
    if (taskIds.isEmpty()) {
      return found;
    }
    try (PreparedStatement ps = c.prepareStatement(LOCK_CLEANED)) {
      planEachTime(ps);
      ps.setArray(1, c.createArrayOf("text", taskIds.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          found.add(rs.getString(1));
        }
      }
    }
    return found;
  }

  /** Where a task's audit row stands for a replay. */
  public enum RowState {
    /** No row: the task has not finished (or its row is past the dedupe window). */
    NONE,
    /** Finished, its runtime data still in Redis. */
    NOT_CLEANED,
    /** Finished and cleaned: its runtime data is gone from Redis. */
    CLEANED
  }

  /**
   * In a fenced transaction: locks the task's row (cleanup waits for the replay) and says how it
   * stands.
   */
  public RowState lockForReplay(Connection c, String taskId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(LOCK_FOR_REPLAY)) {
      ps.setString(1, taskId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return RowState.NONE;
        }
        return rs.getBoolean(1) ? RowState.CLEANED : RowState.NOT_CLEANED;
      }
    }
  }

  /**
   * In a fenced transaction: deletes the task's row (a replay re-opens it); it gets a new one, with
   * the new outcome, when it finishes again. True when a row was deleted.
   */
  public boolean delete(Connection c, String taskId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(DELETE)) {
      ps.setString(1, taskId);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * In a fenced transaction: sets cleaned_at of the tasks not cleaned already, with the fencing
   * token of the patrol that cleaned them; returns how many this call marked.
   */
  public int markCleaned(Connection c, Collection<String> taskIds, Instant at, long fencingToken)
      throws SQLException {
    if (taskIds.isEmpty()) {
      return 0;
    }
    try (PreparedStatement ps = c.prepareStatement(MARK_CLEANED)) {
      planEachTime(ps);
      ps.setTimestamp(1, Timestamp.from(at));
      ps.setLong(2, fencingToken);
      ps.setArray(3, c.createArrayOf("text", taskIds.toArray()));
      return ps.executeUpdate();
    }
  }

  /**
   * In a fenced transaction: marks tasks cleaned whose data patrol released without the proof of
   * delivery (held too long, or of a pipeline no longer loaded): {@code why} is put before their
   * {@code cleanup_detail}. Returns how many this call marked.
   */
  public int markReleased(
      Connection c, Collection<String> taskIds, Instant at, long fencingToken, String why)
      throws SQLException {
    if (taskIds.isEmpty()) {
      return 0;
    }
    try (PreparedStatement ps = c.prepareStatement(MARK_RELEASED)) {
      planEachTime(ps);
      ps.setTimestamp(1, Timestamp.from(at));
      ps.setLong(2, fencingToken);
      ps.setString(3, why);
      ps.setArray(4, c.createArrayOf("text", taskIds.toArray()));
      return ps.executeUpdate();
    }
  }

  /**
   * In a fenced transaction: marks a task whose delivery is below its tolerance: its data is kept
   * (until {@code CONVEYOR_HELD_RETENTION}), and it is reported.
   */
  public void markHeld(Connection c, String taskId, Instant at, String detail) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(MARK_HELD)) {
      ps.setTimestamp(1, Timestamp.from(at));
      ps.setString(2, detail);
      ps.setString(3, taskId);
      ps.executeUpdate();
    }
  }

  /**
   * In a transaction: deletes up to {@code limit} rows past the dedupe window — cleaned, finished
   * before {@code finishedBefore}, no dead item of the task kept — oldest first, skipping rows a
   * replay has locked; returns how many.
   *
   * @param finishedBefore the dedupe window's cut-off
   * @param deadBefore the dead items' cut-off
   */
  public int deleteExpired(Connection c, Instant finishedBefore, Instant deadBefore, int limit)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(DELETE_EXPIRED)) {
      ps.setTimestamp(1, Timestamp.from(finishedBefore));
      ps.setTimestamp(2, Timestamp.from(deadBefore));
      ps.setInt(3, limit);
      return ps.executeUpdate();
    }
  }

  /** How many rows {@link #deleteExpired} would delete with no limit. */
  public long countExpired(Instant finishedBefore, Instant deadBefore) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(COUNT_EXPIRED)) {
      ps.setTimestamp(1, Timestamp.from(finishedBefore));
      ps.setTimestamp(2, Timestamp.from(deadBefore));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new DatabaseException("task_audit retention count failed: " + e.getMessage(), e);
    }
  }

  /** Tasks held below their tolerance, not cleaned. */
  public long countHeld() {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(COUNT_HELD);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new DatabaseException("task_audit count failed: " + e.getMessage(), e);
    }
  }

  /**
   * Plans the statement on every execution instead of reusing a server-side plan. why: a plan
   * cached while task_audit was nearly empty is a sequential scan, and nothing replaces it while
   * the table grows unless it is analyzed (autovacuum off, or not yet run): the dispatcher's
   * duplicate check then scans the whole table per batch and throughput falls with history.
   */
  private static void planEachTime(PreparedStatement ps) throws SQLException {
    ps.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(0);
  }
}
