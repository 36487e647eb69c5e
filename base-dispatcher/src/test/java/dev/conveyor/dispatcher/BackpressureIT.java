package dev.conveyor.dispatcher;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.dispatcher.DispatcherFixture.LogCapture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

/**
 * The intake holds back while a pipeline has {@code max_in_flight} tasks in flight, leaving the
 * rest in the inbox, and resumes once the pipeline is back under 90% of its limit.
 */
@WithServices
class BackpressureIT {
  private static final int LIMIT = 5;
  private static final int MESSAGES = 20;
  private static final String CAPPED =
      """
      pipeline: capped
      version: 1
      max_in_flight: 5
      steps:
        - name: a
          kind: sink
          sink:
            table: conveyor.echo_rows
            key: [task_id, part]
      """;

  private DispatcherFixture fixture;
  private Keys keys;
  private UnifiedJedis jedis;

  @BeforeEach
  void setUp(TestServices services, @TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("capped.yaml"), CAPPED);
    fixture = DispatcherFixture.create(services, dir);
    keys = fixture.keys();
    jedis = fixture.jedis();
  }

  @AfterEach
  void tearDown() {
    fixture.close();
  }

  @Test
  void intakeIsHeldWhileAPipelineHasMaxInFlightTasksAndResumesBelowNinetyPercent() {
    List<StreamEntryID> entries = new ArrayList<>();
    for (int i = 0; i < MESSAGES; i++) {
      entries.add(
          fixture.publish(Map.of("pipeline", "capped", "id", "capped-" + i, "payload", "{}")));
    }

    try (LogCapture log = LogCapture.of(Backpressure.class)) {
      int port = DispatcherFixture.freePort();
      Dispatcher dispatcher =
          fixture.start(
              "held-node",
              Map.of("CONVEYOR_DISPATCH_BATCH", "1", "CONVEYOR_HTTP_PORT", Integer.toString(port)));

      await().atMost(10, SECONDS).until(() -> !log.events("intake_held").isEmpty());
      // why: no processor runs, so only this test takes tasks out of flight
      await()
          .during(Duration.ofMillis(1500))
          .atMost(5, SECONDS)
          .untilAsserted(() -> {
            assertThat(registered()).as("registered").isEqualTo(LIMIT);
            assertThat(fixture.lag()).as("entries left in the inbox").isEqualTo(MESSAGES - LIMIT);
          });
      assertThat(jedis.zcard(keys.inflight("capped"))).isEqualTo(LIMIT);
      assertThat(jedis.xpending(keys.inbox(), Keys.DISPATCHER_GROUP).getTotal())
          .as("what was read is acknowledged")
          .isZero();
      assertThat(log.events("intake_held"))
          .singleElement()
          .satisfies(e -> assertKeyValues(e, "capped", LIMIT, LIMIT));
      assertThat(log.events("intake_resumed")).isEmpty();
      assertThat(dispatcher.status().get("held"))
          .isInstanceOfSatisfying(
              Backpressure.Hold.class,
              h -> {
                assertThat(h.pipeline()).isEqualTo("capped");
                assertThat(h.inFlight()).isEqualTo(LIMIT);
                assertThat(h.limit()).isEqualTo(LIMIT);
              });
      assertThat(dispatcher.status().get("in_flight"))
          .isEqualTo(Map.of("capped", Map.of("in_flight", (long) LIMIT, "limit", LIMIT)));
      JsonNode overHttp = DispatcherFixture.status(port);
      assertThat(overHttp.at("/held/pipeline").textValue()).isEqualTo("capped");
      assertThat(overHttp.at("/held/inFlight").asLong()).isEqualTo(LIMIT);
      assertThat(overHttp.at("/held/limit").asInt()).isEqualTo(LIMIT);
      assertThat(Instant.parse(overHttp.at("/held/since").textValue())).isBefore(Instant.now());
      assertThat(overHttp.at("/in_flight/capped/in_flight").asLong()).isEqualTo(LIMIT);

      // as the processor does when a task finished
      jedis.zrem(keys.inflight("capped"), "capped-0");

      await().atMost(5, SECONDS).until(() -> !log.events("intake_resumed").isEmpty());
      await().atMost(5, SECONDS).until(() -> registered() == LIMIT + 1);
      assertThat(log.events("intake_resumed"))
          .singleElement()
          .satisfies(e -> {
            assertThat(DispatcherFixture.value(e, "pipeline")).isEqualTo("capped");
            assertThat((Duration) DispatcherFixture.value(e, "held_for")).isPositive();
          });
      assertThat(dispatcher.metrics().find("conveyor_dispatcher_held_seconds").counter().count())
          .as("held seconds")
          .isPositive();
      await().atMost(5, SECONDS).until(() -> log.events("intake_held").size() == 2);
      assertThat(log.events("intake_held").get(1))
          .as("full again with one more task")
          .satisfies(e -> assertKeyValues(e, "capped", LIMIT, LIMIT));

      while (registered() < MESSAGES) {
        long before = registered();
        List<String> inFlight = jedis.zrange(keys.inflight("capped"), 0, -1);
        jedis.zrem(keys.inflight("capped"), inFlight.toArray(String[]::new));
        await().atMost(5, SECONDS).until(() -> registered() > before);
      }

      fixture.awaitHandled(entries.getLast());
      assertThat(fixture.lag()).isZero();
      for (int i = 0; i < MESSAGES; i++) {
        assertThat(jedis.hget(keys.taskMeta("capped-" + i), "stream_id"))
            .isEqualTo(entries.get(i).toString());
        assertThat(fixture.queuedParts("capped", "a", "capped-" + i)).containsExactly("0");
      }
      assertThat(dispatcher.state()).isEqualTo(State.RUNNING);
    }
  }

  /** How many of the published tasks are registered and fanned out. */
  private long registered() {
    List<Response<String>> replies = new ArrayList<>();
    try (AbstractPipeline p = jedis.pipelined()) {
      for (int i = 0; i < MESSAGES; i++) {
        replies.add(p.hget(keys.taskMeta("capped-" + i), "dispatched"));
      }
      p.sync();
    }
    return replies.stream().filter(r -> "1".equals(r.get())).count();
  }

  private static void assertKeyValues(ILoggingEvent e, String pipeline, long inFlight, int limit) {
    assertThat(DispatcherFixture.value(e, "pipeline")).isEqualTo(pipeline);
    assertThat(DispatcherFixture.value(e, "in_flight")).isEqualTo(inFlight);
    assertThat(DispatcherFixture.value(e, "limit")).isEqualTo(limit);
  }
}
