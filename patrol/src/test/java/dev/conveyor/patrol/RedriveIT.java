package dev.conveyor.patrol;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.StepLedger;
import dev.conveyor.runtime.ledger.StepProgress;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.records.DeadItem;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.TaskAudit;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The patrol in-process against real Redis and PostgreSQL: a task whose parts are stuck is
 * re-driven to its first step, and a part stuck past its re-drives is dead and its task partial.
 */
@WithServices
class RedriveIT {
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
  void aTaskWhosePartsWereNeverEnqueuedIsRedrivenToItsFirstStep(TestServices services) {
    Patrol patrol = fixture.start(services, "redrive-node");
    Registration r = fixture.register(services, "lost", "lost-1", 3);

    await()
        .atMost(10, SECONDS)
        .until(() -> services.jedis().xlen(services.keys().stepQueue("lost", "deliver", 0)) == 3);
    assertThat(services.jedis().hget(services.keys().taskMeta(r.taskId()), "redrives"))
        .isEqualTo("1");
    assertThat(patrol.state().name()).isEqualTo("RUNNING");
  }

  @Test
  void aPartStuckPastItsRedrivesIsDeadAndItsTaskPartial(TestServices services) {
    StepLedger ledger = new StepLedger(services.jedis(), services.keys());
    Pipeline doomed = fixture.pipeline(services, "doomed");
    fixture.register(services, "doomed", "doomed-1", 2);
    // part 0 was delivered; part 1 never arrives
    ledger.recordOutput(
        StepProgress.of(doomed, doomed.step("deliver").orElseThrow()),
        new QueueItem("doomed-1", 0, "1-0"),
        "1");
    // why: only now: a round before part 0's output would find both parts stuck (FAILED)
    fixture.start(services, "kill-node");

    TaskAudit audit = fixture.awaitAudit(services, "doomed-1");
    assertThat(audit.outcome()).isEqualTo(TaskAudit.Outcome.PARTIAL);
    assertThat(audit.failedParts()).isEqualTo(1);
    List<DeadItem> dead = new DeadItemRepository(services.dataSource()).forTask("doomed-1");
    assertThat(dead).hasSize(1);
    assertThat(dead.getFirst().part()).isEqualTo(1);
    assertThat(dead.getFirst().error())
        .startsWith("stuck: no progress for 300ms after 0 re-drives");
  }
}
