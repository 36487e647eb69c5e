package dev.conveyor.runtime.records;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The statements of patrol's cleanup on {@code conveyor.task_audit}: which finished tasks may be
 * cleaned, held or released, and marking them so ({@code cleaned_at}, {@code cleaned_by}, {@code
 * cleanup_held_at}, {@code cleanup_detail}), under the patrol lease. The rows themselves are {@link
 * TaskAuditRepository}'s.
 */
public final class TaskCleanupRepository {
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
  // why: one statement locks the rows (a replay of one of them waits for the commit), keeps only
  // those still as the caller looked at them (same finished_at: a row a replay deleted is gone, one
  // it made anew is for another round to judge) and marks them; a lock, a look and an update each
  // cost PostgreSQL a pass over the rows
  private static final String MARK_UNCHANGED =
      """
      UPDATE conveyor.task_audit a SET cleaned_at = ?, cleaned_by = ?%s
      FROM unnest(?::text[], ?::bigint[]) AS looked(task_id, finished_us)
      WHERE a.task_id = looked.task_id AND a.cleaned_at IS NULL
        AND a.finished_at = timestamptz 'epoch' + looked.finished_us * interval '1 microsecond'
      RETURNING a.task_id
      """;
  private static final String MARK_CLEANED = MARK_UNCHANGED.formatted("");
  private static final String MARK_RELEASED =
      MARK_UNCHANGED.formatted(", cleanup_detail = ? || coalesce(cleanup_detail, '')");
  private static final String MARK_HELD =
      "UPDATE conveyor.task_audit SET cleanup_held_at = ?, cleanup_detail = ?"
          + " WHERE task_id = ? AND cleaned_at IS NULL";
  private static final String COUNT_HELD =
      "SELECT count(*) FROM conveyor.task_audit WHERE cleanup_held_at IS NOT NULL AND cleaned_at IS NULL";

  private final DataSource dataSource;

  public TaskCleanupRepository(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Which of these task ids were cleaned up already ({@code cleaned_at} set). */
  public Set<String> cleaned(Collection<String> taskIds) {
    return Statements.idsAmong(dataSource, CLEANED, taskIds, true, "task_audit cleaned lookup");
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

  private List<Finished> finished(String query, Statements.Binder binder, String what) {
    return Statements.query(
        dataSource,
        query,
        binder,
        rs ->
            new Finished(
                rs.getString(1),
                rs.getString(2),
                TaskAudit.Outcome.valueOf(rs.getString(3).toUpperCase(Locale.ROOT)),
                rs.getInt(4),
                rs.getInt(5),
                rs.getLong(6),
                rs.getTimestamp(7).toInstant()),
        what);
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
      Statements.planEachTime(ps);
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
    return Statements.idsAmong(c, LOCK_CLEANED, taskIds, true);
  }

  /**
   * In a fenced transaction: marks cleaned, with the fencing token of the patrol that cleans them,
   * the tasks whose row is not cleaned and still the one the caller looked at (same {@code
   * finished_at}), locking those rows until the transaction ends; their ids.
   *
   * @param released why the data goes without the proof of delivery (held too long, or of a
   *     pipeline no longer loaded): put before the row's {@code cleanup_detail}; empty for a
   *     cleanup within the tolerance
   */
  public List<String> markCleaned(
      Connection c, List<Finished> looked, Instant at, long fencingToken, Optional<String> released)
      throws SQLException {
    if (looked.isEmpty()) {
      return List.of();
    }
    String[] ids = new String[looked.size()];
    Long[] finishedUs = new Long[looked.size()];
    for (int i = 0; i < looked.size(); i++) {
      Instant f = looked.get(i).finishedAt();
      ids[i] = looked.get(i).taskId();
      finishedUs[i] = f.getEpochSecond() * 1_000_000 + f.getNano() / 1_000;
    }
    try (PreparedStatement ps =
        c.prepareStatement(released.isPresent() ? MARK_RELEASED : MARK_CLEANED)) {
      Statements.planEachTime(ps);
      int p = 1;
      ps.setTimestamp(p++, Timestamp.from(at));
      ps.setLong(p++, fencingToken);
      if (released.isPresent()) {
        ps.setString(p++, released.get());
      }
      ps.setArray(p++, c.createArrayOf("text", ids));
      ps.setArray(p, c.createArrayOf("bigint", finishedUs));
      List<String> marked = new ArrayList<>(looked.size());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          marked.add(rs.getString(1));
        }
      }
      return marked;
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

  /** Tasks held below their tolerance, not cleaned. */
  public long countHeld() {
    return Statements.count(dataSource, COUNT_HELD, ps -> {}, "task_audit count");
  }
}
