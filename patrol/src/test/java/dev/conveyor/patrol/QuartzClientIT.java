package dev.conveyor.patrol;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.quartz.ChainKey;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.quartz.Scheduler;
import org.quartz.Trigger;

/** The patrol's client of the Quartz store, with no processor around. */
@WithServices
class QuartzClientIT {

  @Test
  void theClientNeverStartsNeverChecksInAndHoldsNoWorkerThreads(TestServices services)
      throws Exception {
    QuartzClient client = new QuartzClient("patrol-client-it", services::dataSource);
    client.activate();
    client.start();
    assertThat(threadAlive("quartz-client-patrol-client-it")).isTrue();
    assertThat(client.state()).isEqualTo(State.RUNNING);
    Scheduler scheduler = client.scheduler();

    ChainKey key = new ChainKey("solo", "deliver", 0);
    TickJobs.insert(services, key);
    scheduler.scheduleJob(key.link(Instant.now(), Duration.ofHours(1)));

    assertThat(scheduler.isStarted()).isFalse();
    assertThat(scheduler.isInStandbyMode()).isTrue();
    assertThat(scheduler.getSchedulerName()).isEqualTo("conveyor");
    assertThat(scheduler.getSchedulerInstanceId()).isEqualTo("patrol-client-it");
    assertThat(scheduler.getMetaData().getThreadPoolSize()).isZero();
    assertThat(scheduler.getMetaData().isJobStoreClustered()).isTrue();
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.qrtz_scheduler_state")).isZero();
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.qrtz_triggers WHERE trigger_group = 'solo.deliver'"
                    + " AND trigger_state = 'WAITING'"))
        .isEqualTo(1);

    client.complete();
    assertThat(scheduler.isShutdown()).isTrue();
    await().atMost(5, SECONDS).until(() -> !threadAlive("quartz-client-patrol-client-it"));
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.qrtz_scheduler_state")).isZero();
  }

  @Test
  void aLinkStoredWhileATickRunsWaitsBlockedBehindItAsTheProcessorsWouldStoreIt(
      TestServices services) throws Exception {
    QuartzClient client = new QuartzClient("patrol-busy-it", services::dataSource);
    client.activate();
    try {
      ChainKey key = new ChainKey("busy", "deliver", 0);
      TickJobs.insert(services, key);
      TickJobs.fired(services, key, "p1", "EXECUTING");

      Trigger link = key.link(Instant.now(), Duration.ZERO);
      client.scheduler().scheduleJob(link);

      assertThat(stateOf(services, key)).isEqualTo("BLOCKED");

      services.sql("DELETE FROM conveyor.qrtz_fired_triggers");
      client.scheduler().rescheduleJob(key.triggerKey(), key.link(Instant.now(), Duration.ZERO));

      assertThat(stateOf(services, key)).isEqualTo("WAITING");
    } finally {
      client.shutdown();
    }
  }

  private static boolean threadAlive(String name) {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.isAlive() && t.getName().equals(name));
  }

  private static String stateOf(TestServices services, ChainKey key) throws Exception {
    try (var c = services.dataSource().getConnection();
        var ps =
            c.prepareStatement(
                "SELECT trigger_state FROM conveyor.qrtz_triggers"
                    + " WHERE trigger_name = ? AND trigger_group = ?")) {
      ps.setString(1, key.triggerKey().getName());
      ps.setString(2, key.triggerKey().getGroup());
      try (var rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }
}
