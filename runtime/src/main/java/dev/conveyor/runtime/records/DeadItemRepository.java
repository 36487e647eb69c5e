package dev.conveyor.runtime.records;

import dev.conveyor.common.db.DatabaseException;
import dev.conveyor.common.json.SafeText;
import dev.conveyor.common.json.StoredJson;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.sql.DataSource;

/** Every statement on {@code conveyor.dead_items}. */
public final class DeadItemRepository {
  private static final String INSERT =
      """
      INSERT INTO conveyor.dead_items
        (task_id, pipeline, part, step, attempts, error, payload, failed_at)
      VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?)
      ON CONFLICT (task_id, part, step) DO NOTHING
      """;
  private static final String FOR_TASK =
      """
      SELECT task_id, pipeline, part, step, attempts, error, payload::text, failed_at
      FROM conveyor.dead_items WHERE task_id = ? ORDER BY part, step
      """;

  private static final String LIST =
      """
      SELECT task_id, pipeline, part, step, attempts, error, payload::text, failed_at
      FROM conveyor.dead_items
      WHERE (?::text IS NULL OR task_id = ?) AND (?::text IS NULL OR pipeline = ?)
        AND (?::text IS NULL OR step = ?)
      ORDER BY failed_at DESC, id DESC
      LIMIT ?
      """;
  private static final String COUNT_BY_STEP =
      "SELECT pipeline, step, count(*) FROM conveyor.dead_items GROUP BY pipeline, step";
  private static final String DELETE =
      "DELETE FROM conveyor.dead_items WHERE task_id = ? AND part = ? AND step = ?";
  private static final String LOCK_FOR_TASK =
      """
      SELECT task_id, pipeline, part, step, attempts, error, payload::text, failed_at
      FROM conveyor.dead_items WHERE task_id = ? ORDER BY part, step
      FOR UPDATE
      """;
  private static final String TASKS_WITH_DEAD =
      "SELECT DISTINCT task_id FROM conveyor.dead_items WHERE task_id = ANY (?)";
  private static final String DELETE_EXPIRED =
      """
      DELETE FROM conveyor.dead_items WHERE id IN (
        SELECT id FROM conveyor.dead_items WHERE failed_at < ?
        ORDER BY failed_at LIMIT ? FOR UPDATE SKIP LOCKED)
      RETURNING task_id
      """;
  private static final String COUNT_EXPIRED =
      "SELECT count(*) FROM conveyor.dead_items WHERE failed_at < ?";

  /** Longer payloads are stored as a {@link StoredJson} wrapper with their beginning. */
  public static final int MAX_PAYLOAD_BYTES = 1 << 20;

  /** Longer errors are cut. */
  public static final int MAX_ERROR_CHARS = 8192;

  private final DataSource dataSource;

  public DeadItemRepository(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * Stores the dead item once (a repeat after a crash stores nothing); true when stored now. Never
   * fails for what the item holds: the error is {@link SafeText#capped capped} and escaped, and a
   * payload PostgreSQL cannot hold (not JSON, U+0000, a lone surrogate, a number beyond numeric's
   * range, over {@link #MAX_PAYLOAD_BYTES}) is stored as a {@link StoredJson} wrapper; should
   * PostgreSQL still refuse the values, they are stored as a wrapper that says so.
   */
  public boolean insert(DeadItem d) {
    String error = SafeText.capped(d.error(), MAX_ERROR_CHARS);
    String payload = StoredJson.of(d.payload(), MAX_PAYLOAD_BYTES);
    try {
      return insert(d, error, payload);
    } catch (SQLException e) {
      if (!isDataError(e)) {
        throw failed(d, e);
      }
      // why: a value we thought storable was refused; the row must still be written, or the item
      // would be retried and refused for ever
      try {
        return insert(
            d,
            SafeText.capped(error, MAX_ERROR_CHARS),
            d.payload() == null
                ? null
                : StoredJson.wrapper(d.payload(), "PostgreSQL refused it: " + e.getMessage()));
      } catch (SQLException again) {
        throw failed(d, again);
      }
    }
  }

  private boolean insert(DeadItem d, String error, String payload) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(INSERT)) {
      ps.setString(1, d.taskId());
      ps.setString(2, d.pipeline());
      ps.setInt(3, d.part());
      ps.setString(4, d.step());
      ps.setInt(5, d.attempts());
      ps.setString(6, error);
      ps.setString(7, payload);
      ps.setTimestamp(8, Timestamp.from(d.failedAt()));
      return ps.executeUpdate() == 1;
    }
  }

  /** Invalid data (22) or a limit (54): what was sent, not the database, is at fault. */
  static boolean isDataError(SQLException e) {
    String state = e.getSQLState();
    return state != null && (state.startsWith("22") || state.startsWith("54"));
  }

  private static DatabaseException failed(DeadItem d, SQLException e) {
    return new DatabaseException(
        "dead_items insert of "
            + d.taskId()
            + "/"
            + d.part()
            + "/"
            + d.step()
            + " failed: "
            + e.getMessage(),
        e);
  }

  public List<DeadItem> forTask(String taskId) {
    return Statements.query(
        dataSource,
        FOR_TASK,
        ps -> ps.setString(1, taskId),
        DeadItemRepository::read,
        "dead_items read of " + taskId);
  }

  /**
   * Dead items, newest first; a null filter matches everything.
   *
   * @param limit at most this many
   */
  public List<DeadItem> list(String taskId, String pipeline, String step, int limit) {
    return Statements.query(
        dataSource,
        LIST,
        ps -> ps.setInt(Statements.bindFilters(ps, taskId, pipeline, step), limit),
        DeadItemRepository::read,
        "dead_items list");
  }

  /** How many dead items each step has: pipeline → step → count. */
  public Map<String, Map<String, Long>> countByStep() {
    record Count(String pipeline, String step, long n) {}
    Map<String, Map<String, Long>> counts = new TreeMap<>();
    for (Count c :
        Statements.query(
            dataSource,
            COUNT_BY_STEP,
            ps -> {},
            rs -> new Count(rs.getString(1), rs.getString(2), rs.getLong(3)),
            "dead_items count")) {
      counts.computeIfAbsent(c.pipeline(), k -> new TreeMap<>()).put(c.step(), c.n());
    }
    return counts;
  }

  /**
   * In a fenced transaction: the task's dead items, locked, so that two replays of one task take
   * turns and retention does not delete them under a replay.
   */
  public List<DeadItem> lockForTask(Connection c, String taskId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(LOCK_FOR_TASK)) {
      ps.setString(1, taskId);
      return Statements.rows(ps, DeadItemRepository::read);
    }
  }

  /** Which of these tasks have dead items (cleanup keeps a snapshot of those for replay). */
  public Set<String> tasksWithDeadItems(Connection c, Collection<String> taskIds)
      throws SQLException {
    return Statements.idsAmong(c, TASKS_WITH_DEAD, taskIds, false);
  }

  /** In a fenced transaction: deletes the rows of these items (after a replay); how many. */
  public int delete(Connection c, List<DeadItem> items) throws SQLException {
    if (items.isEmpty()) {
      return 0;
    }
    try (PreparedStatement ps = c.prepareStatement(DELETE)) {
      for (DeadItem d : items) {
        ps.setString(1, d.taskId());
        ps.setInt(2, d.part());
        ps.setString(3, d.step());
        ps.addBatch();
      }
      int deleted = 0;
      for (int n : ps.executeBatch()) {
        deleted += n == PreparedStatement.SUCCESS_NO_INFO ? 1 : Math.max(n, 0);
      }
      return deleted;
    }
  }

  /**
   * In a transaction: deletes up to {@code limit} items that died before {@code failedBefore},
   * oldest first, skipping rows a replay has locked; the task id of each row deleted.
   */
  public List<String> deleteExpired(Connection c, Instant failedBefore, int limit)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(DELETE_EXPIRED)) {
      ps.setTimestamp(1, Timestamp.from(failedBefore));
      ps.setInt(2, limit);
      return Statements.rows(ps, rs -> rs.getString(1));
    }
  }

  /** How many items died before {@code failedBefore}. */
  public long countExpired(Instant failedBefore) {
    return Statements.count(
        dataSource,
        COUNT_EXPIRED,
        ps -> ps.setTimestamp(1, Timestamp.from(failedBefore)),
        "dead_items retention count");
  }

  private static DeadItem read(ResultSet rs) throws SQLException {
    return new DeadItem(
        rs.getString(1),
        rs.getString(2),
        rs.getInt(3),
        rs.getString(4),
        rs.getInt(5),
        rs.getString(6),
        rs.getString(7),
        rs.getTimestamp(8).toInstant());
  }
}
