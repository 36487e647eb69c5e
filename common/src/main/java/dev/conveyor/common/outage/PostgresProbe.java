package dev.conveyor.common.outage;

import dev.conveyor.common.config.PgConfig;
import dev.conveyor.common.config.Secret;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;

/**
 * Asks PostgreSQL {@code SELECT 1} on one connection of its own, kept open between checks and
 * opened again after a failure, with timeouts of two seconds: a stopped server, one still starting
 * ({@code 57P03}) and a silent one (a half-open connection) all fail the check within a few
 * seconds.
 */
public final class PostgresProbe implements ServiceProbe {
  static final int TIMEOUT_SECONDS = 2;

  private final PgConfig pg;
  private final String applicationName;
  private Connection connection;

  public PostgresProbe(PgConfig pg, String applicationName) {
    this.pg = pg;
    this.applicationName = applicationName;
  }

  @Override
  public void check(boolean fresh) throws SQLException {
    if (fresh) {
      close();
    }
    try {
      if (connection == null) {
        connection = open();
      }
      try (Statement s = connection.createStatement()) {
        s.execute("SELECT 1");
      }
    } catch (SQLException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private Connection open() throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", pg.user());
    pg.password().map(Secret::reveal).ifPresent(pw -> p.setProperty("password", pw));
    p.setProperty("ApplicationName", applicationName);
    p.setProperty("connectTimeout", Integer.toString(TIMEOUT_SECONDS));
    p.setProperty("loginTimeout", Integer.toString(TIMEOUT_SECONDS));
    p.setProperty("socketTimeout", Integer.toString(TIMEOUT_SECONDS));
    p.setProperty("tcpKeepAlive", "true");
    p.setProperty(
        "options", "-c statement_timeout=" + Duration.ofSeconds(TIMEOUT_SECONDS).toMillis());
    return DriverManager.getConnection(pg.url(), p);
  }

  @Override
  public void close() {
    Connection c = connection;
    connection = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        // why: the connection is broken already; nothing to release
      }
    }
  }
}
