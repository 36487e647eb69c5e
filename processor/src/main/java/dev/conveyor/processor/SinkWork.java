package dev.conveyor.processor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.conveyor.common.json.SafeText;
import dev.conveyor.runtime.work.ItemResult;
import dev.conveyor.runtime.work.SinkRows;
import dev.conveyor.runtime.work.StepWork;
import dev.conveyor.runtime.work.WorkItem;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * A sink step: turns each item's input into rows ({@link SinkRows}: a JSON object is one row, an
 * array or an object's {@code rows} array is many; {@code task_id} and {@code part} are always set
 * by the sink when the table has them) and inserts the batch's rows in one transaction, {@code
 * batch_rows} per statement (fewer when their JSON passes {@value #MAX_STATEMENT_CHARS}
 * characters), with {@code ON CONFLICT (key) DO NOTHING}, so redelivery never duplicates a row.
 *
 * <p>If the batch fails on its data, the set is halved and each half tried in a transaction of its
 * own, down to the items at fault: n good items and one bad one cost about 1 + 2·log2(n)
 * transactions, and the good ones are delivered. An item's rows stay all-or-nothing (they are never
 * split across transactions). For an item that fails alone, the row at fault is found the same way
 * (halving its rows under savepoints, then rolled back) and named in the error: {@code insert into
 * conveyor.t failed at row 3 of 7: ...}. If the database is unreachable, the whole batch stays
 * queued.
 */
final class SinkWork implements StepWork {
  /** Most characters of row JSON one INSERT carries; more rows go in another statement. */
  static final int MAX_STATEMENT_CHARS = 16 << 20;

  private static final int SHOWN_ROW_CHARS = 300;

  private final DataSource dataSource;
  private final SinkTable table;
  private final boolean fillTaskId;
  private final boolean fillPart;
  private final AtomicLong transactions = new AtomicLong();

  /**
   * One item's rows, each as JSON text.
   *
   * @param plain whether they may go as json text ({@link PlainRows})
   */
  private record ItemRows(int index, List<String> rows, boolean plain) {}

  SinkWork(DataSource dataSource, SinkTable table) {
    this.dataSource = dataSource;
    this.table = table;
    this.fillTaskId = table.columns().contains("task_id");
    this.fillPart = table.columns().contains("part");
  }

  @Override
  public List<ItemResult> process(List<WorkItem> batch) {
    List<ItemResult> results = new ArrayList<>(batch.size());
    List<ItemRows> items = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      WorkItem w = batch.get(i);
      try {
        ArrayNode rows = SinkRows.rows(w.input(), w.item(), fillTaskId, fillPart);
        List<String> json = new ArrayList<>(rows.size());
        for (JsonNode row : rows) {
          json.add(row.toString());
        }
        items.add(new ItemRows(i, json, PlainRows.plain(rows)));
        results.add(new ItemResult.Output(Integer.toString(rows.size())));
      } catch (IllegalArgumentException e) {
        results.add(new ItemResult.Failed(e.getMessage()));
      }
    }
    deliver(items, results);
    return results;
  }

  /** Transactions begun so far (for tests: the cost of finding the items at fault). */
  long transactions() {
    return transactions.get();
  }

  /**
   * Inserts the items' rows in one transaction; when that fails on the data, each half of them in
   * its own, down to the items at fault, whose results become failures.
   */
  private void deliver(List<ItemRows> items, List<ItemResult> results) {
    if (items.isEmpty()) {
      return;
    }
    try {
      insert(items);
      return;
    } catch (SQLException e) {
      if (isOutage(e)) {
        throw new SinkUnavailableException(e);
      }
      if (items.size() == 1) {
        ItemRows item = items.getFirst();
        results.set(item.index(), new ItemResult.Failed(failure(item, e)));
        return;
      }
    }
    // why: the batch failed on its data; halve it to find the item(s) at fault, deliver the rest
    int half = items.size() / 2;
    deliver(items.subList(0, half), results);
    deliver(items.subList(half, items.size()), results);
  }

  private void insert(List<ItemRows> items) throws SQLException {
    List<String> rows = new ArrayList<>();
    items.forEach(i -> rows.addAll(i.rows()));
    boolean plain = items.stream().allMatch(ItemRows::plain);
    transactions.incrementAndGet();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        insertRows(c, rows, plain);
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /**
   * The rows in statements of at most batch_rows rows and MAX_STATEMENT_CHARS characters.
   *
   * @param plain whether they go as json text ({@link PlainRows})
   */
  private void insertRows(Connection c, List<String> rows, boolean plain) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(plain ? table.plainInsertSql() : table.insertSql())) {
      int chunk = table.def().batchRows();
      StringBuilder json = new StringBuilder();
      int inJson = 0;
      for (String row : rows) {
        if (inJson > 0 && (inJson == chunk || json.length() + row.length() > MAX_STATEMENT_CHARS)) {
          execute(ps, json);
          inJson = 0;
        }
        json.append(inJson == 0 ? '[' : ',').append(row);
        inJson++;
      }
      if (inJson > 0) {
        execute(ps, json);
      }
    }
  }

  private static void execute(PreparedStatement ps, StringBuilder json) throws SQLException {
    ps.setString(1, json.append(']').toString());
    ps.executeUpdate();
    json.setLength(0);
  }

  /** The error of an item that fails alone, naming the row at fault when it has several. */
  private String failure(ItemRows item, SQLException e) {
    String prefix = "insert into " + table.def().qualifiedName() + " failed";
    int n = item.rows().size();
    if (n == 1) {
      return prefix + ": " + e.getMessage();
    }
    RowAtFault found = rowAtFault(item.rows(), item.plain());
    if (found == null) {
      return prefix + " (" + n + " rows): " + e.getMessage();
    }
    return prefix
        + " at row "
        + (found.index() + 1)
        + " of "
        + n
        + ": "
        + found.error().getMessage()
        + "; row: "
        + SafeText.capped(item.rows().get(found.index()), SHOWN_ROW_CHARS);
  }

  private record RowAtFault(int index, SQLException error) {}

  /**
   * The first row that fails given the rows before it, found by halving under savepoints in one
   * transaction that is rolled back; null if none fails now.
   */
  private RowAtFault rowAtFault(List<String> rows, boolean plain) {
    transactions.incrementAndGet();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        int good = 0;
        int bad = rows.size();
        // invariant: rows [0, good) insert; some row in [good, bad) fails after them
        while (bad - good > 1) {
          int mid = (good + bad) / 2;
          if (tryRows(c, rows.subList(good, mid), plain) == null) {
            good = mid;
          } else {
            bad = mid;
          }
        }
        SQLException error = tryRows(c, rows.subList(good, good + 1), plain);
        return error == null ? null : new RowAtFault(good, error);
      } finally {
        c.rollback();
      }
    } catch (SQLException e) {
      if (isOutage(e)) {
        throw new SinkUnavailableException(e);
      }
      return null;
    }
  }

  /** Inserts the rows under a savepoint: kept when they go in, undone when not (the error). */
  private SQLException tryRows(Connection c, List<String> rows, boolean plain) throws SQLException {
    Savepoint sp = c.setSavepoint();
    try {
      insertRows(c, rows, plain);
      c.releaseSavepoint(sp);
      return null;
    } catch (SQLException e) {
      if (isOutage(e)) {
        throw e;
      }
      c.rollback(sp);
      return e;
    }
  }

  /**
   * Connection trouble, shutdown, resource exhaustion, lock conflicts, and a schema or role that
   * does not fit (a table dropped, a privilege revoked): no item's data is at fault, retry the
   * batch later.
   */
  static boolean isOutage(SQLException e) {
    String state = e.getSQLState();
    if (state == null) {
      return true;
    }
    return state.startsWith("08")
        || state.startsWith("53")
        || state.startsWith("57")
        || state.startsWith("40")
        || state.startsWith("55")
        || state.startsWith("42")
        || state.startsWith("28")
        || state.startsWith("3D")
        || state.startsWith("3F");
  }

  /** The database could not be used; the batch stays queued. */
  static final class SinkUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SinkUnavailableException(SQLException cause) {
      super("database unavailable: " + cause.getMessage(), cause);
    }
  }
}
