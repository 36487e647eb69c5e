package dev.conveyor.runtime.pipeline;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * Where a sink step inserts its rows: {@code INSERT INTO schema.table (columns) ... ON CONFLICT
 * (key) DO NOTHING}, {@code batchRows} rows per statement. Identifiers are lowercase and never need
 * quoting.
 *
 * @param key the natural key: redelivered rows conflict on it and are skipped
 * @param columns the columns to fill; empty means every field of the rows a step delivers
 */
public record SinkDef(
    String schema, String table, List<String> key, List<String> columns, int batchRows) {
  public static final String DEFAULT_SCHEMA = "public";
  public static final int DEFAULT_BATCH_ROWS = 1000;
  public static final int MAX_BATCH_ROWS = 100_000;

  public SinkDef {
    requireIdentifier("schema", schema);
    requireIdentifier("table", table);
    key = List.copyOf(key);
    columns = List.copyOf(columns);
    if (key.isEmpty()) {
      throw new IllegalArgumentException("sink without a key");
    }
    requireDistinctIdentifiers("key", key);
    requireDistinctIdentifiers("columns", columns);
    if (!columns.isEmpty() && !columns.containsAll(key)) {
      throw new IllegalArgumentException(
          "sink columns " + columns + " must contain every key column " + key);
    }
    if (batchRows < 1 || batchRows > MAX_BATCH_ROWS) {
      throw new IllegalArgumentException(
          "sink batch_rows must be from 1 to " + MAX_BATCH_ROWS + ", was " + batchRows);
    }
  }

  /** {@code schema.table}. */
  public String qualifiedName() {
    return schema + "." + table;
  }

  private static void requireIdentifier(String what, String s) {
    Objects.requireNonNull(s, what);
    if (!Names.isSqlIdentifier(s)) {
      throw new IllegalArgumentException(
          "bad sink " + what + " '" + s + "' (use " + Names.SQL_RULE + ")");
    }
  }

  private static void requireDistinctIdentifiers(String what, List<String> names) {
    var seen = new HashSet<String>();
    for (String n : names) {
      requireIdentifier(what, n);
      if (!seen.add(n)) {
        throw new IllegalArgumentException("sink " + what + " lists '" + n + "' twice");
      }
    }
  }
}
