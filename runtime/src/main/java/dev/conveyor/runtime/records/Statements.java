package dev.conveyor.runtime.records;

import dev.conveyor.common.db.DatabaseException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The JDBC plumbing the repositories of this package share. Each repository keeps its own
 * statements; this only runs them.
 */
final class Statements {
  /** Sets a statement's parameters. */
  @FunctionalInterface
  interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  /** Reads the current row of a result. */
  @FunctionalInterface
  interface Row<T> {
    T read(ResultSet rs) throws SQLException;
  }

  private Statements() {}

  /** Runs {@code sql} on a connection of its own; its rows. */
  static <T> List<T> query(DataSource ds, String sql, Binder bind, Row<T> row, String what) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      bind.bind(ps);
      return rows(ps, row);
    } catch (SQLException e) {
      throw new DatabaseException(what + " failed: " + e.getMessage(), e);
    }
  }

  /** Runs a {@code count(*)} on a connection of its own. */
  static long count(DataSource ds, String sql, Binder bind, String what) {
    return query(ds, sql, bind, rs -> rs.getLong(1), what).getFirst();
  }

  /**
   * Binds each optional filter twice from parameter 1 on, for {@code (?::text IS NULL OR column =
   * ?)}; returns the index of the next parameter.
   */
  static int bindFilters(PreparedStatement ps, String... filters) throws SQLException {
    int i = 1;
    for (String f : filters) {
      ps.setString(i++, f);
      ps.setString(i++, f);
    }
    return i;
  }

  /** Runs a prepared query; its rows. */
  static <T> List<T> rows(PreparedStatement ps, Row<T> row) throws SQLException {
    List<T> rows = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        rows.add(row.read(rs));
      }
    }
    return rows;
  }

  /** {@link #idsAmong(Connection, String, Collection, boolean)} on a connection of its own. */
  static Set<String> idsAmong(
      DataSource ds, String sql, Collection<String> ids, boolean planEachTime, String what) {
    if (ids.isEmpty()) {
      return new HashSet<>();
    }
    try (Connection c = ds.getConnection()) {
      return idsAmong(c, sql, ids, planEachTime);
    } catch (SQLException e) {
      throw new DatabaseException(what + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * The ids {@code sql} (one {@code text[]} parameter, one id column) returns among {@code ids}, on
   * {@code c}.
   *
   * @param planEachTime see {@link #planEachTime}
   */
  static Set<String> idsAmong(
      Connection c, String sql, Collection<String> ids, boolean planEachTime) throws SQLException {
    if (ids.isEmpty()) {
      return new HashSet<>();
    }
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      if (planEachTime) {
        planEachTime(ps);
      }
      ps.setArray(1, c.createArrayOf("text", ids.toArray()));
      return new HashSet<>(rows(ps, rs -> rs.getString(1)));
    }
  }

  /**
   * Plans the statement on every execution instead of reusing a server-side plan. why: a plan
   * cached while task_audit was nearly empty is a sequential scan, and nothing replaces it while
   * the table grows unless it is analyzed (autovacuum off, or not yet run): the dispatcher's
   * duplicate check then scans the whole table per batch and throughput falls with history.
   */
  static void planEachTime(PreparedStatement ps) throws SQLException {
    ps.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(0);
  }
}
