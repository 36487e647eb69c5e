package dev.conveyor.common.db;

import dev.conveyor.common.config.PgConfig;
import dev.conveyor.common.config.Secret;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates and upgrades schema {@value #SCHEMA} with Flyway at start-up. Several daemons may start
 * at once: they queue on a PostgreSQL advisory lock, so one migrates and the others find the work
 * done. A schema whose history already holds the newest migration of this build ({@link #NEWEST})
 * is not handed to Flyway at all: one query instead of Flyway's start (about 0.3 s of a cold JVM,
 * taken in turn by every daemon starting at once, on the first row's path).
 */
public final class Migrations {
  public static final String SCHEMA = "conveyor";
  private static final Logger log = LoggerFactory.getLogger(Migrations.class);
  // why: an arbitrary constant shared by every daemon; it names "conveyor schema migration"
  private static final long LOCK_KEY = 0x636f6e7665796fL;
  private static final String LOCK = "SELECT pg_advisory_lock(?)";
  private static final String UNLOCK = "SELECT pg_advisory_unlock(?)";

  /**
   * The statement (and lock) timeout of migrations: a migration may rewrite a large table, and a
   * daemon waits on the advisory lock while another migrates, so both take far longer than steady
   * work may; the connect and socket timeouts still end a wait on a dead server.
   */
  static final Duration STATEMENT_TIMEOUT = Duration.ofMinutes(10);

  /**
   * The version of the newest migration in {@code db/migration} of this build; {@code MigrationsIT}
   * fails when a newer file is added and this is not moved.
   */
  static final String NEWEST = "10";

  private static final String UP_TO_DATE =
      "SELECT coalesce(bool_and(success) AND bool_or(ltrim(version, '0') = ?), false)"
          + " FROM conveyor.flyway_schema_history";

  private Migrations() {}

  /**
   * Applies pending migrations; returns how many ran. Uses connections of its own, not a daemon's
   * pool, so a small pool cannot starve it.
   */
  public static int migrate(PgConfig pg) {
    String password = pg.password().map(Secret::reveal).orElse(null);
    Map<String, String> driver =
        Database.driverProperties(pg, "conveyor-migrations", STATEMENT_TIMEOUT, STATEMENT_TIMEOUT);
    Properties lockProperties = new Properties();
    lockProperties.putAll(driver);
    lockProperties.setProperty("user", pg.user());
    if (password != null) {
      lockProperties.setProperty("password", password);
    }
    if (upToDate(pg, lockProperties)) {
      log.atInfo()
          .addKeyValue("event", "schema_ready")
          .addKeyValue("schema", SCHEMA)
          .addKeyValue("version", NEWEST)
          .addKeyValue("migrations_applied", 0)
          .log();
      return 0;
    }
    Flyway flyway =
        Flyway.configure(Migrations.class.getClassLoader())
            .dataSource(pg.url(), pg.user(), password)
            .jdbcProperties(driver)
            .connectRetries(10)
            .schemas(SCHEMA)
            .createSchemas(true)
            .locations("classpath:db/migration")
            .table("flyway_schema_history")
            .cleanDisabled(true)
            .load();
    try (Connection lockConnection = DriverManager.getConnection(pg.url(), lockProperties)) {
      advisory(lockConnection, LOCK);
      try {
        MigrateResult result = flyway.migrate();
        log.atInfo()
            .addKeyValue("event", "schema_ready")
            .addKeyValue("schema", SCHEMA)
            .addKeyValue(
                "version",
                result.targetSchemaVersion == null
                    ? result.initialSchemaVersion
                    : result.targetSchemaVersion)
            .addKeyValue("migrations_applied", result.migrationsExecuted)
            .log();
        return result.migrationsExecuted;
      } finally {
        advisory(lockConnection, UNLOCK);
      }
    } catch (SQLException e) {
      throw new DatabaseException("schema migration could not take its lock: " + e.getMessage(), e);
    }
  }

  /** Whether the schema's history holds {@link #NEWEST}, every migration of it successful. */
  private static boolean upToDate(PgConfig pg, Properties connection) {
    try (Connection c = DriverManager.getConnection(pg.url(), connection)) {
      return upToDate(c);
    } catch (SQLException e) {
      return false; // why: PostgreSQL not up yet, say: Flyway's own retries and errors take over
    }
  }

  /**
   * Whether the history on {@code c} holds {@link #NEWEST}, every migration of it successful; false
   * without a history.
   */
  static boolean upToDate(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(UP_TO_DATE)) {
      ps.setString(1, NEWEST);
      try (var rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        return false; // why: no history table: a new database
      }
      throw e;
    }
  }

  private static void advisory(Connection c, String sql) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setLong(1, LOCK_KEY);
      ps.execute();
    }
  }
}
