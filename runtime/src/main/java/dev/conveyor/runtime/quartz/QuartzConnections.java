package dev.conveyor.runtime.quartz;

import com.zaxxer.hikari.HikariDataSource;
import dev.conveyor.common.config.PgConfig;
import dev.conveyor.common.db.Database;
import dev.conveyor.common.outage.GuardedDataSource;
import dev.conveyor.common.outage.ServiceWatch;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.quartz.utils.ConnectionProvider;
import org.quartz.utils.DBConnectionManager;

/**
 * Quartz's connections, registered under a name of their own in Quartz's JVM-wide map of providers
 * (so that two schedulers in one JVM, as in tests, stay on pools of their own):
 *
 * <ul>
 *   <li>{@link #open}: the processors' scheduler's pool, built like the daemons' ({@link
 *       Database#pool}, so with connect, socket, statement, lock and idle-in-transaction timeouts,
 *       which Quartz's own HikariCP provider does not set), refusing at once while the service
 *       watch knows PostgreSQL is down; Quartz closes it when the scheduler shuts down;
 *   <li>{@link #lend}: a pool that belongs to someone else (patrol's), lent to Quartz, which never
 *       closes it.
 * </ul>
 */
public final class QuartzConnections implements ConnectionProvider {
  private static final AtomicLong NAMES = new AtomicLong();

  private final DataSource connections;
  private final Runnable close;

  private QuartzConnections(DataSource connections, Runnable close) {
    this.connections = connections;
    this.close = close;
  }

  /**
   * Opens a pool of {@code size} connections and registers it with Quartz; returns the name to give
   * the job store ({@code org.quartz.jobStore.dataSource}).
   */
  public static String open(
      PgConfig pg, String instanceId, int size, ServiceWatch watch, MeterRegistry registry) {
    HikariDataSource pool =
        Database.measured(Database.pool(pg, "quartz-" + instanceId, size), registry);
    return register(
        "quartz-" + instanceId,
        new QuartzConnections(new GuardedDataSource(pool, watch), pool::close));
  }

  /**
   * Lends {@code pool} to Quartz, which never closes it; returns the name to give the job store.
   */
  public static String lend(String instanceId, DataSource pool) {
    // why: the pool belongs to its owner's postgres subsystem, which closes it after Quartz
    return register("lent-" + instanceId, new QuartzConnections(pool, () -> {}));
  }

  private static String register(String prefix, QuartzConnections provider) {
    String name = prefix + "-" + NAMES.incrementAndGet();
    DBConnectionManager.getInstance().addConnectionProvider(name, provider);
    return name;
  }

  @Override
  public Connection getConnection() throws SQLException {
    return connections.getConnection();
  }

  @Override
  public void shutdown() {
    close.run();
  }

  @Override
  public void initialize() {}
}
