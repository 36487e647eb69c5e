package dev.conveyor.common.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.conveyor.common.config.PgConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;

/** Builds the HikariCP pools the daemons use for PostgreSQL. */
public final class Database {
  private Database() {}

  /**
   * A pool named {@code poolName} (it shows in {@code pg_stat_activity.application_name} and in
   * Hikari's metrics).
   *
   * @param size maximum connections; the pool keeps one idle connection at least
   */
  public static HikariDataSource pool(PgConfig pg, String poolName, int size) {
    HikariConfig hc = base(pg, poolName, size);
    hc.setMinimumIdle(1);
    hc.setMaxLifetime(Duration.ofMinutes(30).toMillis());
    hc.setKeepaliveTime(Duration.ofMinutes(2).toMillis());
    // why: a daemon must be able to start while PostgreSQL is still coming up; connections are
    // tried when first needed and the pool retries, instead of failing construction.
    hc.setInitializationFailTimeout(-1);
    return new HikariDataSource(hc);
  }

  /**
   * A pool for a short-lived client (the operator CLI): it connects at once and fails at once,
   * instead of waiting for PostgreSQL to come up as a daemon's pool does.
   *
   * @throws com.zaxxer.hikari.pool.HikariPool.PoolInitializationException when PostgreSQL does not
   *     answer (or refuses the login) within {@code connectTimeout}
   */
  public static HikariDataSource clientPool(
      PgConfig pg, String poolName, int size, Duration connectTimeout) {
    HikariConfig hc = base(pg, poolName, size);
    hc.setMinimumIdle(0);
    hc.setConnectionTimeout(Math.max(250, connectTimeout.toMillis()));
    // why: a single attempt (Hikari reports it after a one-second pause); a larger value would
    // keep retrying a refused connection for that long
    hc.setInitializationFailTimeout(1);
    hc.addDataSourceProperty(
        "connectTimeout", Long.toString(Math.max(1, connectTimeout.toSeconds())));
    return new HikariDataSource(hc);
  }

  private static HikariConfig base(PgConfig pg, String poolName, int size) {
    HikariConfig hc = new HikariConfig();
    hc.setPoolName(poolName);
    hc.setJdbcUrl(pg.url());
    hc.setUsername(pg.user());
    pg.password().ifPresent(p -> hc.setPassword(p.reveal()));
    hc.setMaximumPoolSize(size);
    hc.setConnectionTimeout(Duration.ofSeconds(10).toMillis());
    hc.setValidationTimeout(Duration.ofSeconds(3).toMillis());
    hc.addDataSourceProperty("ApplicationName", poolName);
    hc.addDataSourceProperty("tcpKeepAlive", "true");
    hc.addDataSourceProperty("reWriteBatchedInserts", "true");
    return hc;
  }

  /** Throws when the database does not answer within a few seconds. */
  public static void check(DataSource dataSource) {
    try (Connection c = dataSource.getConnection()) {
      if (!c.isValid(3)) {
        throw new DatabaseException("PostgreSQL did not answer a validity check", null);
      }
    } catch (SQLException e) {
      throw new DatabaseException("PostgreSQL is unreachable: " + e.getMessage(), e);
    }
  }
}
