package dev.conveyor.processor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.conveyor.common.step.run.ItemResult;
import dev.conveyor.common.step.run.SinkRows;
import dev.conveyor.common.step.run.StepWork;
import dev.conveyor.common.step.run.WorkItem;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * A sink step: turns each item's input into rows (a JSON object is one row, an array or an object's
 * {@code rows} array is many; {@code task_id} and {@code part} are filled in when the table has
 * them) and inserts the batch's rows in one transaction, {@code batch_rows} per statement, with
 * {@code ON CONFLICT (key) DO NOTHING}, so redelivery never duplicates a row. If the batch fails on
 * its data, each item is tried alone so one bad item does not fail the others; if the database is
 * unreachable, the whole batch stays queued.
 */
final class SinkWork implements StepWork {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final DataSource dataSource;
  private final SinkTable table;
  private final boolean fillTaskId;
  private final boolean fillPart;

  SinkWork(DataSource dataSource, SinkTable table) {
    this.dataSource = dataSource;
    this.table = table;
    this.fillTaskId = table.columns().contains("task_id");
    this.fillPart = table.columns().contains("part");
  }

  @Override
  public List<ItemResult> process(List<WorkItem> batch) {
    List<ItemResult> results = new ArrayList<>(batch.size());
    List<ArrayNode> rowsPerItem = new ArrayList<>(batch.size());
    ArrayNode all = JSON.createArrayNode();
    for (WorkItem w : batch) {
      try {
        ArrayNode rows = rows(w);
        rowsPerItem.add(rows);
        all.addAll(rows);
        results.add(new ItemResult.Output(Integer.toString(rows.size())));
      } catch (IllegalArgumentException e) {
        rowsPerItem.add(null);
        results.add(new ItemResult.Failed(e.getMessage()));
      }
    }
    try {
      insert(List.of(all));
      return results;
    } catch (SQLException e) {
      if (isOutage(e)) {
        throw new SinkUnavailableException(e);
      }
    }
    // why: the batch failed on its data; find the item(s) at fault, deliver the rest
    for (int i = 0; i < batch.size(); i++) {
      ArrayNode rows = rowsPerItem.get(i);
      if (rows == null) {
        continue;
      }
      try {
        insert(List.of(rows));
      } catch (SQLException e) {
        if (isOutage(e)) {
          throw new SinkUnavailableException(e);
        }
        results.set(
            i,
            new ItemResult.Failed(
                "insert into " + table.def().qualifiedName() + " failed: " + e.getMessage()));
      }
    }
    return results;
  }

  private void insert(List<ArrayNode> groups) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement(table.insertSql())) {
        int chunk = table.def().batchRows();
        for (ArrayNode rows : groups) {
          for (int from = 0; from < rows.size(); from += chunk) {
            ArrayNode slice = JSON.createArrayNode();
            for (int i = from; i < Math.min(rows.size(), from + chunk); i++) {
              slice.add(rows.get(i));
            }
            ps.setString(1, slice.toString());
            ps.executeUpdate();
          }
        }
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private ArrayNode rows(WorkItem w) {
    return SinkRows.rows(w.input(), w.item(), fillTaskId, fillPart);
  }

  /** Connection trouble, shutdown, resource exhaustion, lock conflicts: retry the batch later. */
  static boolean isOutage(SQLException e) {
    String state = e.getSQLState();
    if (state == null) {
      return true;
    }
    return state.startsWith("08")
        || state.startsWith("53")
        || state.startsWith("57")
        || state.startsWith("40")
        || state.startsWith("55");
  }

  /** The database could not be used; the batch stays queued. */
  static final class SinkUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SinkUnavailableException(SQLException cause) {
      super("database unavailable: " + cause.getMessage(), cause);
    }
  }
}
