package dev.conveyor.common.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import dev.conveyor.common.config.PgConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds the HikariCP pools the daemons (and Quartz, and the operator CLI) use for PostgreSQL.
 * Every connection has timeouts, so that neither a stopped server nor a half-open connection (the
 * server or the path to it gone without a word) can hold a thread for ever: connect and login
 * ({@code CONVEYOR_PG_CONNECT_TIMEOUT}), the socket ({@link PgConfig#socketTimeout()}), and on the
 * server {@code statement_timeout}, {@code lock_timeout} and {@code
 * idle_in_transaction_session_timeout} (which ends the server's side of a session whose client is
 * gone, and so releases its locks).
 */
public final class Database {
  private Database() {}

  /**
   * Publishes the pool's meters ({@code hikaricp_connections_*}, tag {@code pool}: its name) in
   * {@code registry}; closing the pool removes them. Call once per pool.
   */
  public static HikariDataSource measured(HikariDataSource pool, MeterRegistry registry) {
    pool.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(registry));
    return pool;
  }

  /**
   * A pool named {@code poolName} (it shows in {@code pg_stat_activity.application_name} and in
   * Hikari's metrics).
   *
   * @param size maximum connections; connections are opened as needed
   */
  public static HikariDataSource pool(PgConfig pg, String poolName, int size) {
    HikariConfig hc = base(pg, poolName, size);
    // why: no idle minimum. While PostgreSQL is down nobody asks the pool for connections (the
    // service watch fails them fast), so Hikari does not keep retrying in the background with a
    // backoff of up to 5 s: the first request after the outage connects at once.
    hc.setMinimumIdle(0);
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
    hc.addDataSourceProperty("connectTimeout", seconds(connectTimeout));
    hc.addDataSourceProperty("loginTimeout", seconds(connectTimeout));
    return new HikariDataSource(hc);
  }

  /**
   * The driver properties of a connection with {@code pg}'s connect timeout and the statement and
   * lock timeouts given (migrations need longer ones than steady work): connect, login and socket
   * timeouts, keep-alives, and the server settings as start-up options.
   */
  public static Map<String, String> driverProperties(
      PgConfig pg, String applicationName, Duration statementTimeout, Duration lock) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("ApplicationName", applicationName);
    p.put("tcpKeepAlive", "true");
    p.put("connectTimeout", seconds(pg.connectTimeout()));
    p.put("loginTimeout", seconds(pg.connectTimeout()));
    p.put("socketTimeout", seconds(PgConfig.socketTimeoutFor(statementTimeout)));
    p.put(
        "options",
        "-c statement_timeout="
            + statementTimeout.toMillis()
            + " -c lock_timeout="
            + lock.toMillis()
            + " -c idle_in_transaction_session_timeout="
            + PgConfig.idleInTransactionTimeoutFor(statementTimeout).toMillis());
    return p;
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
    driverProperties(pg, poolName, pg.statementTimeout(), pg.lockTimeout())
        .forEach(hc::addDataSourceProperty);
    hc.addDataSourceProperty("reWriteBatchedInserts", "true");
    return hc;
  }

  /** Whole seconds, at least one: the driver's timeouts are in seconds. */
  private static String seconds(Duration d) {
    return Long.toString(Math.max(1, (d.toMillis() + 999) / 1000));
  }
}
