package dev.conveyor.patrol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.quartz.ChainKey;
import dev.conveyor.runtime.quartz.QuartzTables;
import dev.conveyor.runtime.quartz.QuartzTables.ChainRow;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quartz.Scheduler;
import org.quartz.TriggerBuilder;
import org.quartz.impl.matchers.GroupMatcher;

/** What the one query of a round reads from the Quartz store, case by case. */
@WithServices
class QuartzTablesIT {
  private static QuartzClient client;

  @BeforeAll
  static void start(TestServices services) {
    client = new QuartzClient("patrol-tables-it", services::dataSource);
    client.activate();
  }

  @AfterAll
  static void stop() {
    client.shutdown();
  }

  @Test
  void eachChainIsReadWithItsJobTriggerPausedGroupFiringsAndOtherTriggers(TestServices services)
      throws Exception {
    Scheduler quartz = client.scheduler();
    Instant now = Instant.now();
    ChainKey waiting = new ChainKey("t", "waiting", 0);
    ChainKey acquired = new ChainKey("t", "acquired", 0);
    ChainKey running = new ChainKey("t", "running", 0);
    ChainKey recovering = new ChainKey("t", "recovering", 0);
    ChainKey jobless = new ChainKey("t", "jobless", 0);
    ChainKey paused = new ChainKey("t", "paused", 3);
    for (ChainKey k : List.of(waiting, acquired, running, recovering, paused)) {
      TickJobs.insert(services, k);
    }
    for (ChainKey k : List.of(waiting, acquired, running, paused)) {
      quartz.scheduleJob(k.link(now, Duration.ofMinutes(5)));
    }
    TickJobs.setState(services, acquired, "ACQUIRED");
    TickJobs.fired(services, acquired, "p1", "ACQUIRED");
    TickJobs.setState(services, running, "COMPLETE");
    TickJobs.fired(services, running, "p1", "EXECUTING");
    // a dead node's tick being recovered: Quartz's own trigger for the job, not the chain's
    quartz.scheduleJob(
        TriggerBuilder.newTrigger()
            .withIdentity("recover_p2_1", "RECOVERING_JOBS")
            .forJob(recovering.jobKey())
            .startNow()
            .build());
    quartz.pauseTriggers(GroupMatcher.triggerGroupEquals(paused.triggerKey().getGroup()));

    List<ChainRow> rows =
        new QuartzTables(services::dataSource)
            .chains(List.of(waiting, acquired, running, recovering, jobless, paused));

    long due = now.plus(Duration.ofMinutes(5)).toEpochMilli();
    assertThat(rows)
        .containsExactly(
            new ChainRow(waiting, true, "WAITING", due, false, 0, 0),
            new ChainRow(acquired, true, "ACQUIRED", due, false, 1, 0),
            new ChainRow(running, true, "COMPLETE", due, false, 1, 0),
            new ChainRow(recovering, true, null, null, false, 0, 1),
            new ChainRow(jobless, false, null, null, false, 0, 0),
            new ChainRow(paused, true, "PAUSED", due, true, 0, 0));
  }

  @Test
  void theActiveChainsAreThoseWhoseTriggerIsNotPaused(TestServices services) throws Exception {
    Scheduler quartz = client.scheduler();
    QuartzTables tables = new QuartzTables(services::dataSource);
    int before = tables.activeChains();
    ChainKey running = new ChainKey("count", "running", 0);
    ChainKey suspended = new ChainKey("count", "suspended", 0);
    for (ChainKey k : List.of(running, suspended)) {
      TickJobs.insert(services, k);
      quartz.scheduleJob(k.link(Instant.now(), Duration.ofMinutes(5)));
    }
    quartz.pauseTriggers(GroupMatcher.triggerGroupEquals(suspended.triggerKey().getGroup()));

    assertThat(tables.activeChains()).isEqualTo(before + 1);
  }

  @Test
  void noChainsNeedNoQuery(TestServices services) {
    assertThat(new QuartzTables(services::dataSource).chains(List.of())).isEmpty();
  }
}
