package dev.conveyor.patrol;

import dev.conveyor.common.db.Fence;
import dev.conveyor.common.db.LeaseLostException;
import dev.conveyor.common.db.Transactions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * The fence of one lease holding (an instance and its token): each unit of work is one transaction
 * that first locks the lease row and checks the instance, the token and the expiry. A takeover
 * updates that row, so it waits until the units in progress have committed; a unit that starts
 * after it finds another token, runs nothing and throws {@link LeaseLostException}. A holder that
 * hangs inside a unit cannot block the lease for ever: PostgreSQL ends a transaction idle for
 * longer than {@code idleLimit} (its locks go with it).
 */
public final class LeaseFence implements Fence {
  private final DataSource dataSource;
  private final PatrolLeaseRepository lease;
  private final String instance;
  private final long token;
  private final Duration idleLimit;
  private final Runnable onLost;

  /**
   * @param onLost called when a unit finds the lease gone (before the exception is thrown)
   */
  public LeaseFence(
      DataSource dataSource,
      PatrolLeaseRepository lease,
      String instance,
      long token,
      Duration idleLimit,
      Runnable onLost) {
    this.dataSource = dataSource;
    this.lease = lease;
    this.instance = instance;
    this.token = token;
    this.idleLimit = idleLimit;
    this.onLost = onLost;
  }

  /** The fencing token this fence checks. */
  public long token() {
    return token;
  }

  @Override
  public <T> T run(Work<T> work) {
    try {
      return Transactions.inTransaction(dataSource, this::admit, work);
    } catch (LeaseLostException e) {
      onLost.run();
      throw e;
    }
  }

  private boolean admit(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET LOCAL idle_in_transaction_session_timeout = '" + idleLimit.toMillis() + "ms'");
    }
    return lease.lock(c, instance, token);
  }
}
