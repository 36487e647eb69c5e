package dev.conveyor.common.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

@WithServices
class MigrationsIT {

  @Test
  void theSchemaHasTheContractColumns(TestServices services) {
    assertThat(columns(services, "task_audit"))
        .contains(
            "task_id",
            "pipeline",
            "outcome",
            "parts",
            "failed_parts",
            "rows_delivered",
            "received_at",
            "finished_at",
            "cleaned_at");
    assertThat(columns(services, "rejected_messages"))
        .contains("id", "stream_id", "reason", "fields", "received_at");
    assertThat(columns(services, "dead_items"))
        .contains("task_id", "part", "step", "attempts", "error", "payload", "failed_at");
    assertThat(columns(services, "ner_entities"))
        .containsExactly("task_id", "kind", "surface", "start_offset", "end_offset", "part");
  }

  @Test
  void nerEntitiesAreKeyedByTheNaturalKey(TestServices services) {
    long keyColumns =
        services.queryLong(
            """
            SELECT count(*) FROM information_schema.key_column_usage k
            JOIN information_schema.table_constraints t USING (constraint_schema, constraint_name)
            WHERE t.table_schema = 'conveyor' AND t.table_name = 'ner_entities'
              AND t.constraint_type = 'PRIMARY KEY'
              AND k.column_name IN ('task_id', 'kind', 'start_offset')
            """);
    assertThat(keyColumns).isEqualTo(3);
  }

  @Test
  void quartzTablesExistWithTheirLockRows(TestServices services) {
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'conveyor'"
                    + " AND table_name LIKE 'qrtz\\_%'"))
        .isEqualTo(11);
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.qrtz_locks WHERE sched_name = 'conveyor'"
                    + " AND lock_name IN ('TRIGGER_ACCESS', 'STATE_ACCESS')"))
        .isEqualTo(2);
  }

  @Test
  void migratingAgainChangesNothing(TestServices services) {
    assertThat(Migrations.migrate(services.config().pg())).isZero();
  }

  @Test
  void newestNamesTheNewestMigrationOfTheBuild() throws Exception {
    Path dir = Path.of(Migrations.class.getClassLoader().getResource("db/migration").toURI());
    int newest;
    try (var files = Files.list(dir)) {
      newest =
          files
              .map(f -> f.getFileName().toString())
              .filter(n -> n.matches("V\\d+__.*\\.sql"))
              .mapToInt(n -> Integer.parseInt(n.substring(1, n.indexOf("__"))))
              .max()
              .orElseThrow();
    }
    assertThat(Migrations.NEWEST).isEqualTo(Integer.toString(newest));
  }

  @Test
  void aSchemaIsUpToDateOnlyWithTheNewestMigrationAppliedAndNoneFailed(TestServices services)
      throws Exception {
    try (var c = services.dataSource().getConnection()) {
      assertThat(Migrations.upToDate(c)).isTrue();
      c.setAutoCommit(false);
      try (var s = c.createStatement()) {
        s.execute(
            "DELETE FROM conveyor.flyway_schema_history WHERE ltrim(version, '0') = '"
                + Migrations.NEWEST
                + "'");
        assertThat(Migrations.upToDate(c)).as("newest not applied").isFalse();
        c.rollback();
        s.execute(
            "UPDATE conveyor.flyway_schema_history SET success = false WHERE ltrim(version, '0')"
                + " = '1'");
        assertThat(Migrations.upToDate(c)).as("a failed migration").isFalse();
        c.rollback();
        s.execute("ALTER TABLE conveyor.flyway_schema_history RENAME TO flyway_gone");
        assertThat(Migrations.upToDate(c)).as("no history").isFalse();
        c.rollback();
      } finally {
        c.setAutoCommit(true);
      }
      assertThat(Migrations.upToDate(c)).isTrue();
    }
  }

  private static List<String> columns(TestServices services, String table) {
    List<String> cols = new ArrayList<>();
    try (var c = services.dataSource().getConnection();
        var ps =
            c.prepareStatement(
                "SELECT column_name FROM information_schema.columns WHERE table_schema ="
                    + " 'conveyor' AND table_name = ? ORDER BY ordinal_position")) {
      ps.setString(1, table);
      try (var rs = ps.executeQuery()) {
        while (rs.next()) {
          cols.add(rs.getString(1));
        }
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    return cols;
  }
}
