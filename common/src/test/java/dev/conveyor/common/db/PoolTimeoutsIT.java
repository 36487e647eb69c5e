package dev.conveyor.common.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.common.config.PgConfig;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every pool's connections carry the timeouts, set on the server for the session (statement, lock,
 * idle in transaction) and on the client (connect, login, socket), so no thread can wait for ever
 * on a server that does not answer.
 */
@WithServices
class PoolTimeoutsIT {
  @Test
  void aDaemonsSessionsHaveTheStatementLockAndIdleInTransactionTimeouts(TestServices services)
      throws Exception {
    PgConfig pg = services.config().pg();
    try (var pool = Database.pool(pg, "timeouts-it", 1);
        Connection c = pool.getConnection()) {
      assertThat(show(c, "statement_timeout")).isEqualTo("30s");
      assertThat(show(c, "lock_timeout")).isEqualTo("10s");
      assertThat(show(c, "idle_in_transaction_session_timeout")).isEqualTo("1min");
      assertThat(show(c, "application_name")).isEqualTo("timeouts-it");
    }
  }

  @Test
  void aStatementLongerThanTheTimeoutIsCancelledByTheServer(TestServices services)
      throws Exception {
    PgConfig defaults = services.config().pg();
    PgConfig pg =
        new PgConfig(
            defaults.url(),
            defaults.user(),
            defaults.password(),
            1,
            Duration.ofSeconds(1),
            Duration.ofSeconds(1),
            Duration.ofMillis(500));
    try (var pool = Database.pool(pg, "timeouts-short", 1);
        Connection c = pool.getConnection();
        Statement s = c.createStatement()) {
      assertThatThrownBy(() -> s.execute("SELECT pg_sleep(5)"))
          .isInstanceOf(SQLException.class)
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("57014"));
    }
  }

  @Test
  void theDriverGetsConnectLoginAndSocketTimeoutsAndMigrationsLongerOnes(TestServices services) {
    PgConfig pg = services.config().pg();
    Map<String, String> steady =
        Database.driverProperties(pg, "x", pg.statementTimeout(), pg.lockTimeout());
    assertThat(steady)
        .containsEntry("connectTimeout", "5")
        .containsEntry("loginTimeout", "5")
        .containsEntry("socketTimeout", "45")
        .containsEntry("tcpKeepAlive", "true")
        .containsEntry(
            "options",
            "-c statement_timeout=30000 -c lock_timeout=10000"
                + " -c idle_in_transaction_session_timeout=60000");
    Map<String, String> migrations =
        Database.driverProperties(
            pg, "m", Migrations.STATEMENT_TIMEOUT, Migrations.STATEMENT_TIMEOUT);
    assertThat(migrations.get("options"))
        .contains("statement_timeout=600000", "lock_timeout=600000");
    assertThat(migrations).containsEntry("socketTimeout", "615");
  }

  private static String show(Connection c, String setting) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW " + setting)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
