package dev.conveyor.runtime.records;

import dev.conveyor.common.db.DatabaseException;
import dev.conveyor.common.json.SafeText;
import dev.conveyor.common.json.StoredJson;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** Every statement on {@code conveyor.rejected_messages}. */
public final class RejectedMessageRepository {
  private static final String INSERT =
      """
      INSERT INTO conveyor.rejected_messages (stream_id, entry_sha256, reason, detail, fields)
      VALUES (?, ?, ?, ?, ?::jsonb)
      ON CONFLICT (stream_id, entry_sha256) DO NOTHING
      """;
  private static final String COUNT_BY_REASON =
      "SELECT count(*) FROM conveyor.rejected_messages WHERE reason = ?";

  private static final String LIST =
      """
      SELECT id, stream_id, reason, detail, fields::text, received_at
      FROM conveyor.rejected_messages
      WHERE (?::text IS NULL OR reason = ?) AND (?::text IS NULL OR fields->>'pipeline' = ?)
        AND (?::text IS NULL OR fields->>'id' = ?)
      ORDER BY id DESC
      LIMIT ?
      """;
  // why: a message's task id is its `id` field, or its stream id when it has none
  private static final String LATEST_FOR_TASK =
      """
      SELECT id, stream_id, reason, detail, fields::text, received_at
      FROM conveyor.rejected_messages
      WHERE fields->>'id' = ? OR (stream_id = ? AND fields->'id' IS NULL)
      ORDER BY id DESC
      LIMIT 1
      """;
  private static final String DELETE = "DELETE FROM conveyor.rejected_messages WHERE id = ANY (?)";
  private static final String DELETE_EXPIRED =
      """
      DELETE FROM conveyor.rejected_messages WHERE id IN (
        SELECT id FROM conveyor.rejected_messages WHERE received_at < ?
        ORDER BY received_at LIMIT ? FOR UPDATE SKIP LOCKED)
      """;
  private static final String COUNT_EXPIRED =
      "SELECT count(*) FROM conveyor.rejected_messages WHERE received_at < ?";

  /** Longer details are cut. */
  public static final int MAX_DETAIL_CHARS = 2000;

  private final DataSource dataSource;

  public RejectedMessageRepository(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * Stores an inbox entry that was not accepted. A second call for the same entry — the same stream
   * id and the same content (a re-pass after a crash) — stores nothing; an entry that only shares
   * the stream id (the inbox was created again, or the producer chose the id) gets its own row. The
   * detail is escaped and cut to {@link #MAX_DETAIL_CHARS}; should PostgreSQL refuse the fields
   * (which the caller makes storable), they are stored as a {@link StoredJson} wrapper. True when
   * this call stored it.
   *
   * @param entrySha256 identifies the entry's content (its field names and values)
   * @param fieldsJson every field as received, as a JSON object
   */
  public boolean insert(
      String streamId, String entrySha256, String reason, String detail, String fieldsJson) {
    String safeDetail = SafeText.capped(detail, MAX_DETAIL_CHARS);
    try {
      return write(streamId, entrySha256, reason, safeDetail, fieldsJson);
    } catch (SQLException e) {
      if (!DeadItemRepository.isDataError(e)) {
        throw failed(streamId, e);
      }
      // why: the row must be written whatever the entry holds, or it would block the intake
      try {
        return write(
            streamId,
            entrySha256,
            reason,
            safeDetail,
            StoredJson.wrapper(fieldsJson, "PostgreSQL refused the fields: " + e.getMessage()));
      } catch (SQLException again) {
        throw failed(streamId, again);
      }
    }
  }

  private boolean write(
      String streamId, String entrySha256, String reason, String detail, String fieldsJson)
      throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(INSERT)) {
      ps.setString(1, streamId);
      ps.setString(2, entrySha256);
      ps.setString(3, reason);
      ps.setString(4, detail);
      ps.setString(5, fieldsJson);
      return ps.executeUpdate() == 1;
    }
  }

  private static DatabaseException failed(String streamId, SQLException e) {
    return new DatabaseException(
        "rejected_messages insert of " + streamId + " failed: " + e.getMessage(), e);
  }

  public long countByReason(String reason) {
    return Statements.count(
        dataSource, COUNT_BY_REASON, ps -> ps.setString(1, reason), "rejected_messages count");
  }

  /**
   * Rejected messages, newest first; a null filter matches everything.
   *
   * @param pipeline matches the message's {@code pipeline} field
   * @param taskId matches the message's {@code id} field
   */
  public List<RejectedMessage> list(String reason, String pipeline, String taskId, int limit) {
    return Statements.query(
        dataSource,
        LIST,
        ps -> ps.setInt(Statements.bindFilters(ps, reason, pipeline, taskId), limit),
        RejectedMessageRepository::read,
        "rejected_messages list");
  }

  /**
   * The latest rejected message a producer sent as task {@code taskId}: with that {@code id}, or
   * without one under that stream id.
   */
  public Optional<RejectedMessage> latestForTask(String taskId) {
    return Statements.query(
            dataSource,
            LATEST_FOR_TASK,
            ps -> {
              ps.setString(1, taskId);
              ps.setString(2, taskId);
            },
            RejectedMessageRepository::read,
            "rejected_messages lookup of " + taskId)
        .stream()
        .findFirst();
  }

  private static RejectedMessage read(java.sql.ResultSet rs) throws SQLException {
    return new RejectedMessage(
        rs.getLong(1),
        rs.getString(2),
        rs.getString(3),
        rs.getString(4),
        rs.getString(5),
        rs.getTimestamp(6).toInstant());
  }

  /** Deletes these rows (after a replay); returns how many were deleted. */
  public int delete(List<Long> ids) {
    if (ids.isEmpty()) {
      return 0;
    }
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(DELETE)) {
      ps.setArray(1, c.createArrayOf("bigint", ids.toArray()));
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new DatabaseException("rejected_messages delete failed: " + e.getMessage(), e);
    }
  }

  /**
   * In a transaction: deletes up to {@code limit} rows received before {@code receivedBefore},
   * oldest first; returns how many.
   */
  public int deleteExpired(Connection c, Instant receivedBefore, int limit) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(DELETE_EXPIRED)) {
      ps.setTimestamp(1, Timestamp.from(receivedBefore));
      ps.setInt(2, limit);
      return ps.executeUpdate();
    }
  }

  /** How many rows were received before {@code receivedBefore}. */
  public long countExpired(Instant receivedBefore) {
    return Statements.count(
        dataSource,
        COUNT_EXPIRED,
        ps -> ps.setTimestamp(1, Timestamp.from(receivedBefore)),
        "rejected_messages retention count");
  }
}
