package dev.conveyor.common.db;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Runs one unit of work in one PostgreSQL transaction. Patrol's units (a cleanup batch, the replay
 * of one task, a retention batch) run behind the patrol lease ({@link LeaseFence}): the transaction
 * first locks the lease row and checks that this patrol still holds it, so a patrol that lost the
 * lease writes nothing, and a takeover waits for the units in progress. {@link #plain} is the same
 * without the lease, for the operator CLI.
 */
public interface Fence {
  /**
   * Runs {@code work} on one connection in one transaction, committed when it returns and rolled
   * back when it throws.
   *
   * @throws LeaseLostException when this fence's holder no longer holds the lease (nothing ran)
   */
  <T> T run(Work<T> work);

  /** What runs inside the transaction; its SQL goes through {@code connection}. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection connection) throws SQLException;
  }

  /** A transaction without the lease (the operator CLI's {@code prune}). */
  static Fence plain(DataSource dataSource) {
    return new Fence() {
      @Override
      public <T> T run(Work<T> work) {
        return Transactions.inTransaction(dataSource, c -> true, work);
      }
    };
  }
}
