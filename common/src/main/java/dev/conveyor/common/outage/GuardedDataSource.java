package dev.conveyor.common.outage;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A pool that refuses at once while the service watch knows PostgreSQL is down, instead of making
 * each caller wait the pool's connection timeout. Besides sparing the waits, it keeps the pool idle
 * during the outage: HikariCP then does not retry in the background (with a backoff of up to 5 s),
 * and the first request after the outage connects at once.
 */
public final class GuardedDataSource implements DataSource {
  private final DataSource pool;
  private final ServiceWatch watch;

  public GuardedDataSource(DataSource pool, ServiceWatch watch) {
    this.pool = pool;
    this.watch = watch;
  }

  @Override
  public Connection getConnection() throws SQLException {
    refuseWhileDown();
    return pool.getConnection();
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    refuseWhileDown();
    return pool.getConnection(username, password);
  }

  private void refuseWhileDown() throws SQLTransientConnectionException {
    if (watch.isDown(Service.POSTGRES)) {
      throw new RefusedWhileDown();
    }
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return pool.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    pool.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    pool.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return pool.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return pool.getParentLogger();
  }

  @Override
  public <T> T unwrap(Class<T> type) throws SQLException {
    return type.isInstance(this) ? type.cast(this) : pool.unwrap(type);
  }

  @Override
  public boolean isWrapperFor(Class<?> type) throws SQLException {
    return type.isInstance(this) || pool.isWrapperFor(type);
  }
}
