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
    HikariConfig hc = new HikariConfig();
    hc.setPoolName(poolName);
    hc.setJdbcUrl(pg.url());
    hc.setUsername(pg.user());
    pg.password().ifPresent(p -> hc.setPassword(p.reveal()));
    hc.setMaximumPoolSize(size);
    hc.setMinimumIdle(1);
    hc.setConnectionTimeout(Duration.ofSeconds(10).toMillis());
    hc.setValidationTimeout(Duration.ofSeconds(3).toMillis());
    hc.setMaxLifetime(Duration.ofMinutes(30).toMillis());
    hc.setKeepaliveTime(Duration.ofMinutes(2).toMillis());
    // why: a daemon must be able to start while PostgreSQL is still coming up; connections are
    // tried when first needed and the pool retries, instead of failing construction.
    hc.setInitializationFailTimeout(-1);
    hc.addDataSourceProperty("ApplicationName", poolName);
    hc.addDataSourceProperty("tcpKeepAlive", "true");
    hc.addDataSourceProperty("reWriteBatchedInserts", "true");
    return new HikariDataSource(hc);
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
