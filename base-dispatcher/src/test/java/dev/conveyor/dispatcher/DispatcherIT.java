package dev.conveyor.dispatcher;

import static dev.conveyor.dispatcher.DispatcherFixture.daemonThreads;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.lifecycle.LifecycleSnapshot;
import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.outage.Service;
import dev.conveyor.common.outage.ServiceWatch;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.test.TcpRelay;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.dispatcher.DispatcherFixture.LogCapture;
import dev.conveyor.dispatcher.DispatcherFixture.Rejected;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

/**
 * The dispatcher daemon in-process against a real Redis and PostgreSQL: it holds what it read while
 * PostgreSQL is away and handles all of it when it is back, and a shutdown completes it and stops
 * its threads.
 */
@WithServices
class DispatcherIT {
  private TestServices services;
  private IntakeFixture fixture;
  private Keys keys;
  private UnifiedJedis jedis;

  @BeforeEach
  void setUp(TestServices services, @TempDir Path dir) throws IOException {
    this.services = services;
    this.fixture = IntakeFixture.create(services, dir);
    this.keys = fixture.keys();
    this.jedis = fixture.jedis();
  }

  @AfterEach
  void stopDispatchers() {
    fixture.close();
  }

  @Test
  void whilePostgresIsUnreachableNothingIsAcknowledgedAndAllIsHandledWhenItIsBack()
      throws Exception {
    try (LogCapture log = LogCapture.of(ServiceWatch.class);
        LogCapture intake = LogCapture.of(InboxConsumer.class);
        TcpRelay relay = TcpRelay.to(services.pgUrl())) {
      Dispatcher dispatcher =
          fixture.running("pg-node", Map.of("CONVEYOR_PG_URL", relay.url(services.pgUrl())));
      StreamEntryID before =
          fixture.publish(Map.of("pipeline", "fan", "id", "pg-0", "payload", "{}"));
      fixture.awaitHandled(before);

      relay.cut();
      StreamEntryID good =
          fixture.publish(Map.of("pipeline", "fan", "id", "pg-1", "payload", "{}"));
      StreamEntryID bad =
          fixture.publish(Map.of("pipeline", "fan", "id", "pg-2", "payload", "{oops"));

      await().atMost(60, SECONDS).until(() -> !log.events("service_down").isEmpty());
      assertThat(dispatcher.serviceWatch().down()).containsExactly(Service.POSTGRES);
      assertThat(jedis.xpending(keys.inbox(), Keys.DISPATCHER_GROUP).getTotal())
          .as("what was read is held, not acknowledged")
          .isGreaterThanOrEqualTo(1);
      // why: a batch is registered before its one look-up of audit rows, but fanned out after it
      assertThat(jedis.hget(keys.taskMeta("pg-1"), "dispatched")).isNull();
      assertThat(fixture.queuedParts("fan", "a", "pg-1")).as("nothing fanned out").isEmpty();
      assertThat(jedis.zscore(keys.inflight("fan"), "pg-1")).isNull();
      assertThat(dispatcher.state()).isEqualTo(State.RUNNING);

      relay.restore();
      fixture.awaitHandled(bad, Duration.ofSeconds(60));

      assertThat(jedis.hget(keys.taskMeta("pg-1"), "stream_id")).isEqualTo(good.toString());
      assertThat(fixture.queuedParts("fan", "a", "pg-1")).containsExactly("0");
      assertThat(fixture.rejectedRow(bad).map(Rejected::reason)).contains("payload_not_json");
      assertThat(dispatcher.state()).isEqualTo(State.RUNNING);
      assertThat(log.events("service_down")).as("one line when it went").hasSize(1);
      assertThat(log.events("service_up")).as("one line when it came back").hasSize(1);
      assertThat(intake.events("intake_retry")).as("no line per failed attempt").isEmpty();
    }
  }

  @Test
  void shutdownCompletesTheDaemonAndStopsItsThreads() {
    Dispatcher dispatcher = fixture.running("stop-node");
    assertThat(daemonThreads()).containsExactlyInAnyOrder("intake", "inbox-stats", "heartbeat");
    StreamEntryID id = fixture.publish(Map.of("pipeline", "fan", "id", "stop-1", "payload", "{}"));
    fixture.awaitHandled(id);

    long began = System.nanoTime();
    dispatcher.shutdown();
    Duration took = Duration.ofNanos(System.nanoTime() - began);

    assertThat(dispatcher.state()).isEqualTo(State.COMPLETED);
    assertThat(allStates(dispatcher.snapshot())).containsOnly(State.COMPLETED);
    assertThat(took).as("the blocking read returns within BLOCK").isLessThan(Duration.ofSeconds(5));
    await().atMost(5, SECONDS).until(() -> daemonThreads().isEmpty());
    dispatcher.shutdown();
    assertThat(dispatcher.state()).as("a second shutdown is harmless").isEqualTo(State.COMPLETED);
  }

  private static List<State> allStates(LifecycleSnapshot s) {
    List<State> states = new ArrayList<>(List.of(s.state()));
    s.children().forEach(c -> states.addAll(allStates(c)));
    return states;
  }
}
