package dev.conveyor.runtime.records;

import dev.conveyor.common.db.DatabaseException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The statements on {@code conveyor.task_audit} rows as a whole: writing a finished task's row (the
 * processor and patrol), reading it (the dispatcher's duplicate check, the task report), deleting
 * it for a replay and past the dedupe window (retention). The cleanup columns are {@link
 * TaskCleanupRepository}'s; each statement on the table is in one of the two.
 */
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
  private static final String LOCK_FOR_REPLAY =
      "SELECT cleaned_at IS NOT NULL FROM conveyor.task_audit WHERE task_id = ? FOR UPDATE";
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
    return insertNew(audits).size();
  }

  /**
   * Inserts the rows not there yet (as {@link #insertAll}); returns those it wrote (a task twice in
   * {@code audits}: its first row).
   */
  public List<TaskAudit> insertNew(List<TaskAudit> audits) {
    if (audits.isEmpty()) {
      return List.of();
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
      Set<String> written = new HashSet<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          written.add(rs.getString(1));
        }
      }
      // why: a task twice in the batch is written once; remove() keeps its first row only
      return audits.stream().filter(a -> written.remove(a.taskId())).toList();
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
    return Statements.query(
            dataSource,
            FIND,
            ps -> ps.setString(1, taskId),
            TaskAuditRepository::read,
            "task_audit read of " + taskId)
        .stream()
        .findFirst();
  }

  /** Which of these task ids already have an audit row (they finished before). */
  public Set<String> existing(Collection<String> taskIds) {
    return Statements.idsAmong(dataSource, EXISTING, taskIds, true, "task_audit lookup");
  }

  public long countByOutcome(TaskAudit.Outcome outcome) {
    return Statements.count(
        dataSource, COUNT_BY_OUTCOME, ps -> ps.setString(1, outcome.sql()), "task_audit count");
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
    return Statements.count(
        dataSource,
        COUNT_EXPIRED,
        ps -> {
          ps.setTimestamp(1, Timestamp.from(finishedBefore));
          ps.setTimestamp(2, Timestamp.from(deadBefore));
        },
        "task_audit retention count");
  }
}
