package dev.conveyor.patrol;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.TaskLookup;
import dev.conveyor.runtime.ledger.TaskReport;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The task report against a running patrol: a task's progress while in flight, its audit row once
 * patrol cleaned it up.
 */
@WithServices
class TaskReportIT {
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
  void taskReportShowsProgressAndAfterCleanupTheAuditRow(TestServices services) throws Exception {
    Patrol patrol = fixture.start(services, "status-node");
    fixture.register(services, "watched", "status-1", 2);
    TaskReport status =
        new TaskReport(
            fixture.patrolPipelines(services),
            new TaskLookup(services.jedis(), services.keys()),
            new TaskAuditRepository(services.dataSource()),
            new DeadItemRepository(services.dataSource()));

    Map<String, Object> inFlight = status.status("status-1").orElseThrow();
    assertThat(inFlight)
        .containsEntry("pipeline", "watched")
        .containsEntry("state", "in_flight")
        .containsEntry("parts", 2);
    assertThat(inFlight.get("steps")).isEqualTo(Map.of("deliver", Map.of("passed", 0, "of", 2)));

    fixture.finished(services, "forced", "status-2", 1, 1);
    TaskAuditRepository audits = new TaskAuditRepository(services.dataSource());
    await()
        .atMost(10, SECONDS)
        .until(() -> audits.find("status-2").orElseThrow().cleanedAt().isPresent());
    Map<String, Object> cleaned = status.status("status-2").orElseThrow();
    assertThat(cleaned).containsEntry("state", "cleaned").containsEntry("outcome", "delivered");
    assertThat(status.status("nope")).isEmpty();
    assertThat(patrol.state().name()).isEqualTo("RUNNING");
  }
}
