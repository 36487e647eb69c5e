package dev.conveyor.processor;

import dev.conveyor.runtime.pipeline.SinkDef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * A sink's table as the database has it, checked at start-up: the table exists, every configured
 * column and key column exists, and the key is a unique constraint (the ON CONFLICT target). Names
 * from YAML reach SQL only after this check, and always quoted. Owns the sink's INSERT.
 */
final class SinkTable {
  private static final String COLUMNS =
      """
      SELECT column_name, column_default IS NOT NULL OR is_identity = 'YES' OR is_generated = 'ALWAYS',
             data_type = 'json'
      FROM information_schema.columns
      WHERE table_schema = ? AND table_name = ?
      ORDER BY ordinal_position
      """;
  private static final String UNIQUE_KEYS =
      """
      SELECT array_agg(a.attname::text)
      FROM pg_index i
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = to_regclass(?) AND i.indisunique
      GROUP BY i.indexrelid
      """;

  private final SinkDef def;
  private final List<String> columns;
  private final String insert;
  private final String plainInsert;

  private SinkTable(SinkDef def, List<String> columns, boolean hasJsonColumn) {
    this.def = def;
    this.columns = List.copyOf(columns);
    String table = quote(def.schema()) + "." + quote(def.table());
    String cols = columns.stream().map(SinkTable::quote).collect(Collectors.joining(", "));
    String key = def.key().stream().map(SinkTable::quote).collect(Collectors.joining(", "));
    // why: the whole batch travels as one jsonb parameter and PostgreSQL converts every value
    // to its column's type; one statement, one round trip, whatever the row count
    this.insert = insert(table, cols, key, "jsonb");
    // why: the text json form skips building jsonb (about a quarter less of PostgreSQL's time per
    // row, docs/benchmarks.md); it stores the same values only where no value's text could read
    // differently, so never with a json column (which keeps the text as written)
    this.plainInsert = hasJsonColumn ? insert : insert(table, cols, key, "json");
  }

  private static String insert(String table, String cols, String key, String jsonType) {
    return "INSERT INTO "
        + table
        + " ("
        + cols
        + ") SELECT "
        + cols
        + " FROM "
        + jsonType
        + "_populate_recordset(NULL::"
        + table
        + ", ?::"
        + jsonType
        + ") ON CONFLICT ("
        + key
        + ") DO NOTHING";
  }

  /** Reads and checks the table; the message of a failure says what is wrong. */
  static SinkTable resolve(DataSource dataSource, SinkDef def) throws SinkTableException {
    Map<String, Boolean> hasDefault = new LinkedHashMap<>();
    boolean hasJsonColumn = false;
    Set<Set<String>> uniqueKeys = new HashSet<>();
    try (Connection c = dataSource.getConnection()) {
      try (PreparedStatement ps = c.prepareStatement(COLUMNS)) {
        ps.setString(1, def.schema());
        ps.setString(2, def.table());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            hasDefault.put(rs.getString(1), rs.getBoolean(2));
            hasJsonColumn |= rs.getBoolean(3);
          }
        }
      }
      if (hasDefault.isEmpty()) {
        throw new SinkTableException("table " + def.qualifiedName() + " does not exist");
      }
      try (PreparedStatement ps = c.prepareStatement(UNIQUE_KEYS)) {
        ps.setString(1, quote(def.schema()) + "." + quote(def.table()));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            uniqueKeys.add(Set.of((String[]) rs.getArray(1).getArray()));
          }
        }
      }
    } catch (SQLException e) {
      throw new SinkTableException(
          "cannot read table " + def.qualifiedName() + ": " + e.getMessage());
    }
    for (String k : def.key()) {
      if (!hasDefault.containsKey(k)) {
        throw new SinkTableException(
            "key column " + k + " is not a column of " + def.qualifiedName());
      }
    }
    if (!uniqueKeys.contains(Set.copyOf(def.key()))) {
      throw new SinkTableException(
          "key "
              + def.key()
              + " of "
              + def.qualifiedName()
              + " is not a primary key or unique constraint (ON CONFLICT needs one)");
    }
    List<String> columns = new ArrayList<>();
    if (def.columns().isEmpty()) {
      hasDefault.forEach((col, defaulted) -> {
        if (!defaulted || def.key().contains(col)) {
          columns.add(col);
        }
      });
    } else {
      for (String col : def.columns()) {
        if (!hasDefault.containsKey(col)) {
          throw new SinkTableException(
              "column " + col + " is not a column of " + def.qualifiedName());
        }
        columns.add(col);
      }
    }
    return new SinkTable(def, columns, hasJsonColumn);
  }

  List<String> columns() {
    return columns;
  }

  SinkDef def() {
    return def;
  }

  /** INSERT ... SELECT ... FROM jsonb_populate_recordset(?) ON CONFLICT (key) DO NOTHING. */
  String insertSql() {
    return insert;
  }

  /**
   * The same INSERT for {@link PlainRows plain rows}: from the rows as json text instead of jsonb
   * (the jsonb one when the table has a json column).
   */
  String plainInsertSql() {
    return plainInsert;
  }

  private static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  /** The sink's table cannot take the sink's rows. */
  static final class SinkTableException extends Exception {
    private static final long serialVersionUID = 1L;

    SinkTableException(String message) {
      super(message);
    }
  }
}
