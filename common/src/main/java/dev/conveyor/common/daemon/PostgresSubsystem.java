package dev.conveyor.common.daemon;

import com.zaxxer.hikari.HikariDataSource;
import dev.conveyor.common.config.PgConfig;
import dev.conveyor.common.db.Database;
import dev.conveyor.common.db.Migrations;
import dev.conveyor.common.lifecycle.Lifecycle;
import dev.conveyor.common.outage.GuardedDataSource;
import dev.conveyor.common.outage.ServiceWatch;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * A daemon's PostgreSQL: activation brings schema {@code conveyor} up to date (safe when several
 * daemons start at once) and opens the daemon's pool, which refuses at once while the service watch
 * knows PostgreSQL is down ({@link GuardedDataSource}).
 */
public final class PostgresSubsystem extends Lifecycle {
  private final PgConfig config;
  private final String poolName;
  private final int poolSize;
  private final ServiceWatch watch;
  private final MeterRegistry registry;
  private volatile HikariDataSource pool;
  private volatile DataSource guarded;

  /**
   * @param needed the connections the daemon needs at least (a processor: one per worker thread and
   *     two more); the pool holds {@code CONVEYOR_PG_POOL_SIZE} or that many, the larger
   */
  public PostgresSubsystem(PgConfig config, String poolName, int needed, ServiceWatch watch) {
    this(config, poolName, needed, watch, null);
  }

  /**
   * @param registry where the pool's meters are published; null publishes none
   */
  public PostgresSubsystem(
      PgConfig config, String poolName, int needed, ServiceWatch watch, MeterRegistry registry) {
    super("postgres");
    this.registry = registry;
    this.config = config;
    this.poolName = poolName;
    this.poolSize = Math.max(config.poolSize(), needed);
    this.watch = watch;
  }

  /** The most connections the pool opens. */
  public int poolSize() {
    return poolSize;
  }

  /** The pool; available once READY. */
  public DataSource dataSource() {
    return Objects.requireNonNull(guarded, "postgres not activated");
  }

  public PgConfig config() {
    return config;
  }

  @Override
  protected void onActivate() {
    Migrations.migrate(config);
    HikariDataSource p = Database.pool(config, poolName, poolSize);
    pool = registry == null ? p : Database.measured(p, registry);
    guarded = new GuardedDataSource(pool, watch);
  }

  @Override
  protected void onComplete() {
    close();
  }

  @Override
  protected void onTerminate() {
    close();
  }

  private void close() {
    HikariDataSource p = pool;
    if (p != null) {
      p.close();
    }
  }
}
