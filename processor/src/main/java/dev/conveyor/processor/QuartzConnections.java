package dev.conveyor.processor;

import com.zaxxer.hikari.HikariDataSource;
import dev.conveyor.common.config.PgConfig;
import dev.conveyor.common.db.Database;
import dev.conveyor.common.outage.GuardedDataSource;
import dev.conveyor.common.outage.ServiceWatch;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.quartz.utils.ConnectionProvider;
import org.quartz.utils.DBConnectionManager;

/**
 * Quartz's connections: a pool of their own built like the daemons' ({@link Database#pool}, so with
 * connect, socket, statement, lock and idle-in-transaction timeouts, which Quartz's own HikariCP
 * provider does not set), refusing at once while the service watch knows PostgreSQL is down. Quartz
 * closes it when the scheduler shuts down.
 */
final class QuartzConnections implements ConnectionProvider {
  private static final AtomicLong NAMES = new AtomicLong();

  private final HikariDataSource pool;
  private final DataSource guarded;

  private QuartzConnections(HikariDataSource pool, ServiceWatch watch) {
    this.pool = pool;
    this.guarded = new GuardedDataSource(pool, watch);
  }

  /**
   * Opens the pool and registers it with Quartz; returns the name to give the job store ({@code
   * org.quartz.jobStore.dataSource}).
   */
  static String register(PgConfig pg, String instanceId, int size, ServiceWatch watch) {
    // why: Quartz's providers live in one JVM-wide map by name; a name of our own per scheduler
    // keeps two processors in one JVM (tests) on pools of their own
    String name = "quartz-" + instanceId + "-" + NAMES.incrementAndGet();
    DBConnectionManager.getInstance()
        .addConnectionProvider(
            name, new QuartzConnections(Database.pool(pg, "quartz-" + instanceId, size), watch));
    return name;
  }

  @Override
  public Connection getConnection() throws SQLException {
    return guarded.getConnection();
  }

  @Override
  public void shutdown() {
    pool.close();
  }

  @Override
  public void initialize() {}
}
