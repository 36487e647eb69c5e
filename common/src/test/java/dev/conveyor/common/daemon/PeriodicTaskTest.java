package dev.conveyor.common.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.config.PgConfig;
import dev.conveyor.common.outage.PostgresProbe;
import dev.conveyor.common.outage.Service;
import dev.conveyor.common.outage.ServiceWatch;
import dev.conveyor.common.test.CapturedLog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PeriodicTaskTest {
  @Test
  void anErrorInARoundIsLoggedWithItsTraceAndTheNextRoundRuns() {
    AtomicInteger rounds = new AtomicInteger();
    PeriodicTask task =
        new PeriodicTask(
            "erring",
            Duration.ofMillis(20),
            () -> {
              if (rounds.incrementAndGet() <= 2) {
                throw new NoClassDefFoundError("dev/conveyor/Missing");
              }
            });
    try (CapturedLog log = new CapturedLog(PeriodicTask.class)) {
      task.activate();
      task.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> rounds.get() >= 5);
      task.shutdown();
      assertThat(log.events("periodic_error"))
          .hasSize(2)
          .allSatisfy(e -> {
            assertThat(e).containsEntry("level", "ERROR").containsEntry("task", "erring");
            assertThat(String.valueOf(e.get("error"))).contains("NoClassDefFoundError");
          });
    }
  }

  @Test
  void aRoundThatFailsBecauseAServiceIsDownSaysNothingOfItsOwn() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    // why: a real PostgreSQL that is not there: nothing listens on the port
    PgConfig pg =
        new PgConfig(
            "jdbc:postgresql://127.0.0.1:" + closedPort + "/conveyor",
            "conveyor",
            Optional.empty(),
            1);
    ServiceWatch watch =
        new ServiceWatch(
            Map.of(Service.POSTGRES, new PostgresProbe(pg, "periodic-test")),
            new SimpleMeterRegistry(),
            Clock.systemUTC());
    AtomicInteger rounds = new AtomicInteger();
    PeriodicTask task =
        new PeriodicTask(
            "quiet",
            Duration.ofMillis(20),
            () -> {
              rounds.incrementAndGet();
              throw new IllegalStateException(
                  "could not count", new SQLException("Connection refused", "08001"));
            },
            watch);
    try (CapturedLog log = new CapturedLog(PeriodicTask.class);
        CapturedLog watchLog = new CapturedLog(ServiceWatch.class)) {
      task.activate();
      task.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> rounds.get() >= 5);
      task.shutdown();
      assertThat(log.events("periodic_failed")).as("no line per failed round").isEmpty();
      assertThat(watchLog.events("service_down")).hasSize(1);
      assertThat(watch.isDown(Service.POSTGRES)).isTrue();
    }
  }

  @Test
  void anyOtherFailureOfARoundIsAWarning() {
    PeriodicTask task =
        new PeriodicTask(
            "failing",
            Duration.ofMillis(20),
            () -> {
              throw new IllegalStateException("WRONGTYPE Operation against a key");
            },
            new ServiceWatch(Map.of(), new SimpleMeterRegistry(), Clock.systemUTC()));
    try (CapturedLog log = new CapturedLog(PeriodicTask.class)) {
      task.activate();
      task.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> log.events("periodic_failed").size() >= 2);
      task.shutdown();
      assertThat(log.events("periodic_failed").getFirst())
          .containsEntry("level", "WARN")
          .containsEntry("task", "failing");
    }
  }
}
