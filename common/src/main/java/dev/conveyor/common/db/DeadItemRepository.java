package dev.conveyor.common.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
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

  private final DataSource dataSource;

  public DeadItemRepository(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Stores the dead item once (a repeat after a crash stores nothing); true when stored now. */
  public boolean insert(DeadItem d) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(INSERT)) {
      ps.setString(1, d.taskId());
      ps.setString(2, d.pipeline());
      ps.setInt(3, d.part());
      ps.setString(4, d.step());
      ps.setInt(5, d.attempts());
      // why: PostgreSQL text cannot hold U+0000, and an error message may quote anything
      ps.setString(6, d.error().replace("\u0000", "\\u0000"));
      ps.setString(7, d.payload());
      ps.setTimestamp(8, Timestamp.from(d.failedAt()));
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw new DatabaseException(
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
  }

  public List<DeadItem> forTask(String taskId) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(FOR_TASK)) {
      ps.setString(1, taskId);
      List<DeadItem> items = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          items.add(
              new DeadItem(
                  rs.getString(1),
                  rs.getString(2),
                  rs.getInt(3),
                  rs.getString(4),
                  rs.getInt(5),
                  rs.getString(6),
                  rs.getString(7),
                  rs.getTimestamp(8).toInstant()));
        }
      }
      return items;
    } catch (SQLException e) {
      throw new DatabaseException("dead_items read of " + taskId + " failed: " + e.getMessage(), e);
    }
  }
}
