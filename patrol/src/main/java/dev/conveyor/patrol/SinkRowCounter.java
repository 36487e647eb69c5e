package dev.conveyor.patrol;

import dev.conveyor.common.db.DatabaseException;
import dev.conveyor.runtime.pipeline.SinkDef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * Counts the rows a sink's table really holds per task — the proof of delivery that cleanup checks
 * against what the sink reported. Works for sink tables with a {@code task_id} column (checked once
 * per table); names reach SQL only after that check, quoted.
 */
final class SinkRowCounter {
  private static final String HAS_TASK_ID =
      """
      SELECT 1 FROM information_schema.columns
      WHERE table_schema = ? AND table_name = ? AND column_name = 'task_id'
      """;
  private static final String COUNT =
      "SELECT task_id, count(*) FROM %s WHERE task_id = ANY (?) GROUP BY task_id";

  private final DataSource dataSource;
  private final Map<String, Boolean> countable = new ConcurrentHashMap<>();

  SinkRowCounter(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Whether rows of this sink can be counted per task. */
  boolean countable(SinkDef sink) {
    return countable.computeIfAbsent(
        sink.qualifiedName(),
        name -> {
          try (Connection c = dataSource.getConnection();
              PreparedStatement ps = c.prepareStatement(HAS_TASK_ID)) {
            ps.setString(1, sink.schema());
            ps.setString(2, sink.table());
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next();
            }
          } catch (SQLException e) {
            throw new DatabaseException("cannot inspect " + name + ": " + e.getMessage(), e);
          }
        });
  }

  /** Rows per task id in the sink's table (a task with none is absent). */
  Map<String, Long> count(SinkDef sink, Collection<String> taskIds) {
    Map<String, Long> counts = new HashMap<>();
    String table = quote(sink.schema()) + "." + quote(sink.table());
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(COUNT.formatted(table))) {
      ps.setArray(1, c.createArrayOf("text", taskIds.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          counts.put(rs.getString(1), rs.getLong(2));
        }
      }
      return counts;
    } catch (SQLException e) {
      throw new DatabaseException("cannot count rows of " + table + ": " + e.getMessage(), e);
    }
  }

  private static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }
}
