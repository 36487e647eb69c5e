package dev.conveyor.common.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** A class of its own: it drops the schema its database was given. */
@WithServices
class ConcurrentMigrationIT {

  @Test
  void daemonsStartingAtOnceOnAnEmptyDatabaseAllComeUp(TestServices services) throws Exception {
    services.sql("DROP SCHEMA conveyor CASCADE");
    List<Callable<Integer>> starts = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      starts.add(() -> Migrations.migrate(services.config().pg()));
    }
    int applied = 0;
    try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
      for (Future<Integer> f : pool.invokeAll(starts)) {
        applied += f.get();
      }
    }

    long migrations = migrationFiles();
    assertThat(migrations).isGreaterThanOrEqualTo(5);
    assertThat((long) applied).as("each migration runs exactly once in all").isEqualTo(migrations);
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.flyway_schema_history WHERE success AND version IS NOT NULL"))
        .isEqualTo(migrations);
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.qrtz_locks")).isEqualTo(2);
  }

  /** The versioned migrations of common's classpath ({@code db/migration/V*.sql}). */
  private static long migrationFiles() throws Exception {
    Path dir = Path.of(Migrations.class.getResource("/db/migration").toURI());
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().matches("V[0-9_]+__.*\\.sql")).count();
    }
  }
}
