package dev.conveyor.runtime.records;

import dev.conveyor.common.db.DatabaseException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Every statement on {@code conveyor.task_snapshots}: taken in the transaction that cleans a task
 * with dead items, read and deleted by the replay that brings the task back, deleted with the
 * task's last dead item by retention (and, as a safety net, once older than the dead items'
 * retention).
 */
public final class TaskSnapshotRepository {
  private static final String SAVE =
      """
      INSERT INTO conveyor.task_snapshots (task_id, pipeline, data, taken_at)
      VALUES (?, ?, ?::jsonb, ?)
      ON CONFLICT (task_id) DO UPDATE
        SET pipeline = excluded.pipeline, data = excluded.data, taken_at = excluded.taken_at
      """;
  private static final String LOCK =
      """
      SELECT pipeline, data::text FROM conveyor.task_snapshots WHERE task_id = ?
      FOR UPDATE
      """;
  private static final String EXISTS = "SELECT 1 FROM conveyor.task_snapshots WHERE task_id = ?";
  private static final String DELETE = "DELETE FROM conveyor.task_snapshots WHERE task_id = ?";
  private static final String DELETE_WITHOUT_DEAD =
      """
      DELETE FROM conveyor.task_snapshots s
      WHERE s.task_id = ANY (?)
        AND NOT EXISTS (SELECT 1 FROM conveyor.dead_items d WHERE d.task_id = s.task_id)
      """;
  private static final String DELETE_EXPIRED =
      """
      DELETE FROM conveyor.task_snapshots WHERE task_id IN (
        SELECT task_id FROM conveyor.task_snapshots WHERE taken_at < ?
        ORDER BY taken_at LIMIT ? FOR UPDATE SKIP LOCKED)
      """;

  /** What retention deletes: older than the cut-off, or every dead item of its task past it. */
  private static final String COUNT_EXPIRED =
      """
      SELECT count(*) FROM conveyor.task_snapshots s
      WHERE s.taken_at < ?
         OR (EXISTS (SELECT 1 FROM conveyor.dead_items d
                     WHERE d.task_id = s.task_id AND d.failed_at < ?)
             AND NOT EXISTS (SELECT 1 FROM conveyor.dead_items d
                             WHERE d.task_id = s.task_id AND d.failed_at >= ?))
      """;

  private final DataSource dataSource;

  public TaskSnapshotRepository(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** In a fenced transaction: stores the snapshots (replacing older ones of the same tasks). */
  public void save(Connection c, List<TaskSnapshot> snapshots, Instant takenAt)
      throws SQLException {
    if (snapshots.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(SAVE)) {
      for (TaskSnapshot s : snapshots) {
        ps.setString(1, s.taskId());
        ps.setString(2, s.pipeline());
        // why: PostgreSQL text cannot hold U+0000; JSON escapes it, but keep a raw one out
        ps.setString(3, s.data().replace("\u0000", "\\u0000"));
        ps.setTimestamp(4, Timestamp.from(takenAt));
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** In a fenced transaction: the task's snapshot, locked until the transaction ends. */
  public Optional<TaskSnapshot> lock(Connection c, String taskId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(LOCK)) {
      ps.setString(1, taskId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? Optional.of(new TaskSnapshot(taskId, rs.getString(1), rs.getString(2)))
            : Optional.empty();
      }
    }
  }

  /** Whether the task has a snapshot (a dry run's answer). */
  public boolean exists(String taskId) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(EXISTS)) {
      ps.setString(1, taskId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    } catch (SQLException e) {
      throw new DatabaseException(
          "task_snapshots read of " + taskId + " failed: " + e.getMessage(), e);
    }
  }

  /** In a fenced transaction: deletes the task's snapshot (its replay brought it back). */
  public void delete(Connection c, String taskId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(DELETE)) {
      ps.setString(1, taskId);
      ps.executeUpdate();
    }
  }

  /** In a transaction: deletes the snapshots of these tasks that have no dead item left. */
  public int deleteWithoutDeadItems(Connection c, Collection<String> taskIds) throws SQLException {
    if (taskIds.isEmpty()) {
      return 0;
    }
    try (PreparedStatement ps = c.prepareStatement(DELETE_WITHOUT_DEAD)) {
      ps.setArray(1, c.createArrayOf("text", taskIds.toArray()));
      return ps.executeUpdate();
    }
  }

  /** In a transaction: deletes up to {@code limit} snapshots taken before {@code takenBefore}. */
  public int deleteExpired(Connection c, Instant takenBefore, int limit) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(DELETE_EXPIRED)) {
      ps.setTimestamp(1, Timestamp.from(takenBefore));
      ps.setInt(2, limit);
      return ps.executeUpdate();
    }
  }

  /**
   * How many snapshots retention deletes at {@code before}: taken before it, or every dead item of
   * their task died before it.
   */
  public long countExpired(Instant before) {
    Timestamp t = Timestamp.from(before);
    return Statements.count(
        dataSource,
        COUNT_EXPIRED,
        ps -> {
          ps.setTimestamp(1, t);
          ps.setTimestamp(2, t);
          ps.setTimestamp(3, t);
        },
        "task_snapshots retention count");
  }
}
