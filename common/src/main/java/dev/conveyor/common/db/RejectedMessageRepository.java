package dev.conveyor.common.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/** Every statement on {@code conveyor.rejected_messages}. */
public final class RejectedMessageRepository {
  private static final String INSERT =
      """
      INSERT INTO conveyor.rejected_messages (stream_id, reason, detail, fields)
      VALUES (?, ?, ?, ?::jsonb)
      ON CONFLICT (stream_id) DO NOTHING
      """;
  private static final String COUNT_BY_REASON =
      "SELECT count(*) FROM conveyor.rejected_messages WHERE reason = ?";

  private final DataSource dataSource;

  public RejectedMessageRepository(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * Stores an inbox entry that was not accepted. A second call for the same stream entry (a re-pass
   * after a crash) stores nothing; true when this call stored it.
   *
   * @param fieldsJson every field as received, as a JSON object
   */
  public boolean insert(String streamId, String reason, String detail, String fieldsJson) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(INSERT)) {
      ps.setString(1, streamId);
      ps.setString(2, reason);
      ps.setString(3, detail);
      ps.setString(4, fieldsJson);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw new DatabaseException(
          "rejected_messages insert of " + streamId + " failed: " + e.getMessage(), e);
    }
  }

  public long countByReason(String reason) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(COUNT_BY_REASON)) {
      ps.setString(1, reason);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new DatabaseException("rejected_messages count failed: " + e.getMessage(), e);
    }
  }
}
