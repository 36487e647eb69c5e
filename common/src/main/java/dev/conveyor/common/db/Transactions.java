package dev.conveyor.common.db;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/** The transaction every {@link Fence} runs its work in. */
public final class Transactions {
  private Transactions() {}

  /** Guards a transaction: true lets the work run, false rolls back and runs nothing. */
  @FunctionalInterface
  public interface Guard {
    boolean admit(Connection connection) throws SQLException;
  }

  /**
   * Opens a transaction, asks {@code guard}, runs {@code work}, commits; rolls back on any failure.
   *
   * @throws LeaseLostException when the guard refuses
   */
  public static <T> T inTransaction(DataSource dataSource, Guard guard, Fence.Work<T> work) {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        if (!guard.admit(c)) {
          c.rollback();
          throw new LeaseLostException("this patrol no longer holds the patrol lease");
        }
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        rollback(c, e);
        throw e;
      }
    } catch (SQLException e) {
      throw new DatabaseException("transaction failed: " + e.getMessage(), e);
    }
  }

  private static void rollback(Connection c, Exception cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }
}
