package dev.conveyor.patrol;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The patrol in-process against real Redis and PostgreSQL: rows of a pipeline no longer loaded are
 * released after the held retention, and each round deletes the rows past their retention.
 */
@WithServices
class RetentionIT {
  private static PatrolFixture fixture;

  @BeforeAll
  static void files(TestServices services, @TempDir Path dir) throws Exception {
    fixture = PatrolFixture.create(services, dir);
  }

  @AfterEach
  void stop() {
    fixture.stopAll();
  }

  @Test
  void rowsOfAPipelineNoLongerLoadedNeitherBlockCleanupNorStayForEver(TestServices services) {
    Instant longAgo = Instant.now().minus(Duration.ofMinutes(10));
    for (int i = 0; i < 10; i++) {
      services.sql(
          "INSERT INTO conveyor.task_audit (task_id, pipeline, pipeline_version, outcome, parts,"
              + " received_at, finished_at) VALUES ('gone-"
              + i
              + "', 'retired', 1, 'delivered', 1, '"
              + longAgo
              + "', '"
              + longAgo
              + "')");
    }
    fixture.finished(services, "forced", "after-gone", 1, 1);
    // why: past the pipeline's 200ms grace; the clock stands still until the test moves it
    MutableClock clock = new MutableClock(Instant.now().plusSeconds(1));
    fixture.start(
        services,
        "budget-node",
        Map.of("CONVEYOR_PATROL_BUDGET", "10", "CONVEYOR_HELD_RETENTION", "1h"),
        clock,
        List.of());
    TaskAuditRepository audits = new TaskAuditRepository(services.dataSource());

    await()
        .atMost(10, SECONDS)
        .until(() -> audits.find("after-gone").orElseThrow().cleanedAt().isPresent());
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.task_audit WHERE pipeline = 'retired'"
                    + " AND cleaned_at IS NULL"))
        .as("within the held retention")
        .isEqualTo(10);

    clock.advance(Duration.ofHours(1));
    await()
        .atMost(10, SECONDS)
        .until(() ->
            services.queryLong(
                    "SELECT count(*) FROM conveyor.task_audit WHERE pipeline = 'retired'"
                        + " AND cleanup_detail LIKE 'released after 1h finished, its pipeline not"
                        + " loaded: %'")
                == 10);
  }

  @Test
  void eachRoundDeletesRowsPastTheirRetentionAndCountsThem(TestServices services) {
    String old = Instant.now().minus(Duration.ofHours(2)).toString();
    services.sql(
        "INSERT INTO conveyor.task_audit (task_id, pipeline, pipeline_version, outcome, parts,"
            + " received_at, finished_at, cleaned_at) VALUES ('old-1', 'forced', 1, 'delivered',"
            + " 1, '"
            + old
            + "', '"
            + old
            + "', '"
            + old
            + "')");
    services.sql(
        "INSERT INTO conveyor.dead_items (task_id, pipeline, part, step, attempts, error,"
            + " failed_at) VALUES ('old-2', 'forced', 0, 'deliver', 1, 'x', '"
            + old
            + "')");
    services.sql(
        "INSERT INTO conveyor.rejected_messages (stream_id, reason, fields, received_at)"
            + " VALUES ('old-3', 'bad_id', '{}', '"
            + old
            + "')");
    Patrol patrol =
        fixture.start(
            services,
            "prune-node",
            Map.of(
                "CONVEYOR_DEDUPE_WINDOW", "1h",
                "CONVEYOR_DEAD_RETENTION", "1h",
                "CONVEYOR_REJECTED_RETENTION", "1h"),
            Clock.systemUTC(),
            List.of());

    await()
        .atMost(10, SECONDS)
        .untilAsserted(() ->
            assertThat(
                    services.queryLong(
                        "SELECT (SELECT count(*) FROM conveyor.task_audit WHERE task_id = 'old-1')"
                            + " + (SELECT count(*) FROM conveyor.dead_items WHERE task_id = 'old-2')"
                            + " + (SELECT count(*) FROM conveyor.rejected_messages"
                            + "    WHERE stream_id = 'old-3')"))
                .isZero());
    assertThat(
            patrol.metrics().scrape().lines().filter(l -> l.startsWith("conveyor_patrol_pruned")))
        .anyMatch(l -> l.contains("table=\"task_audit\"") && l.endsWith(" 1.0"))
        .anyMatch(l -> l.contains("table=\"dead_items\"") && l.endsWith(" 1.0"))
        .anyMatch(l -> l.contains("table=\"rejected_messages\"") && l.endsWith(" 1.0"));
  }
}
