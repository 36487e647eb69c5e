package dev.conveyor.common.outage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * The watch's own checks against work that answered ({@link ServiceWatch#answered}): a daemon whose
 * heartbeat succeeds sends no probe while all is well, and a service down is asked as often as
 * ever.
 */
class ServiceWatchTest {
  private final CountingProbe probe = new CountingProbe();
  private final ServiceWatch watch =
      new ServiceWatch(Map.of(Service.REDIS, probe), new SimpleMeterRegistry(), Clock.systemUTC());

  @AfterEach
  void tearDown() {
    watch.shutdown();
  }

  @Test
  void workThatAnsweredWithinEachProbePeriodLeavesTheWatchNothingToAsk() throws Exception {
    start();
    long periods = ServiceWatch.UP_PROBE_SECONDS * 1000 + 2000;
    long until = System.currentTimeMillis() + periods;
    while (System.currentTimeMillis() < until) {
      watch.answered(Service.REDIS);
      Thread.sleep(500);
    }
    assertThat(probe.checks.get()).as("only the check at start").isEqualTo(1);
  }

  @Test
  void withoutWorkThatAnsweredTheWatchAsksEveryProbePeriod() {
    start();
    await()
        .atMost(Duration.ofSeconds(ServiceWatch.UP_PROBE_SECONDS + 3))
        .until(() -> probe.checks.get() >= 2);
  }

  @Test
  void aServiceDownIsAskedAgainSoonWhateverAnswersInBetween() {
    start();
    probe.answering.set(false);
    assertThat(watch.failed(new JedisConnectionException("Connection refused")))
        .isEqualTo(ServiceWatch.Verdict.DOWN);
    watch.answered(Service.REDIS);
    int before = probe.checks.get();
    probe.answering.set(true);
    await()
        .atMost(Duration.ofMillis(ServiceWatch.DOWN_PROBE_MILLIS * 4))
        .until(() -> !watch.isDown(Service.REDIS));
    assertThat(probe.checks.get()).isGreaterThan(before);
  }

  @Test
  void aRefusalOfTheGuardWhilePostgresWasDownIsThatOutageEvenOnceItIsBack() throws Exception {
    CountingProbe postgres = new CountingProbe();
    ServiceWatch pgWatch =
        new ServiceWatch(
            Map.of(Service.POSTGRES, postgres), new SimpleMeterRegistry(), Clock.systemUTC());
    try {
      postgres.answering.set(false);
      assertThat(pgWatch.failed(new SQLTransientConnectionException("gone", "08001")))
          .isEqualTo(ServiceWatch.Verdict.DOWN);
      SQLException refused = null;
      try {
        new GuardedDataSource(null, pgWatch).getConnection();
      } catch (SQLException e) {
        refused = e;
      }
      assertThat((Throwable) refused).as("the guard refuses while the watch says down").isNotNull();
      pgWatch.activate();
      pgWatch.start();
      postgres.answering.set(true);
      await("the watch's own check finds PostgreSQL back")
          .atMost(Duration.ofMillis(ServiceWatch.DOWN_PROBE_MILLIS * 4))
          .until(() -> !pgWatch.isDown(Service.POSTGRES));
      assertThat(pgWatch.failed(new SQLTransientConnectionException("a blip", "08001")))
          .as("a failure of the pool now: a blip")
          .isEqualTo(ServiceWatch.Verdict.BLIP);

      // why: a round that the guard refused just before the watch saw PostgreSQL back reports its
      // failure now; the outage was logged, so this is not a failure of the work (no WARN)
      assertThat(pgWatch.failed(new IllegalStateException("patrol_lease update failed", refused)))
          .isEqualTo(ServiceWatch.Verdict.DOWN);
    } finally {
      pgWatch.shutdown();
    }
  }

  private void start() {
    watch.activate();
    watch.start();
    await().atMost(Duration.ofSeconds(2)).until(() -> probe.checks.get() == 1);
  }

  private static final class CountingProbe implements ServiceProbe {
    final AtomicInteger checks = new AtomicInteger();
    final AtomicBoolean answering = new AtomicBoolean(true);

    @Override
    public void check(boolean fresh) {
      checks.incrementAndGet();
      if (!answering.get()) {
        throw new JedisConnectionException("Connection refused");
      }
    }

    @Override
    public void close() {}
  }
}
