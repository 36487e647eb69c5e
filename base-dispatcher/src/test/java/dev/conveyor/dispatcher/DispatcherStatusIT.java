package dev.conveyor.dispatcher;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.common.redis.GroupState;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.StreamEntryID;

/** What the dispatcher shows operators: the inbox's consumer group in /status, and its metrics. */
@WithServices
class DispatcherStatusIT {
  private static final String FAN =
      """
      pipeline: fan
      version: 1
      steps:
        - name: a
          kind: sink
          sink:
            table: conveyor.echo_rows
            key: [task_id, part]
      """;

  private DispatcherFixture fixture;
  private Keys keys;

  @BeforeEach
  void setUp(TestServices services, @TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("fan.yaml"), FAN);
    fixture = DispatcherFixture.create(services, dir);
    keys = fixture.keys();
  }

  @AfterEach
  void tearDown() {
    fixture.close();
  }

  @Test
  void statusShowsTheInboxGroupWithThisDispatcherAndTheMetricsCountTheIntake() {
    int port = DispatcherFixture.freePort();
    Dispatcher dispatcher =
        fixture.start("status-node", Map.of("CONVEYOR_HTTP_PORT", Integer.toString(port)));
    StreamEntryID good =
        fixture.publish(Map.of("pipeline", "fan", "id", "status-1", "payload", "{}"));
    StreamEntryID bad = fixture.publish(Map.of("pipeline", "fan", "payload", "{oops"));
    fixture.awaitHandled(bad);
    assertThat(fixture.jedis().hget(keys.taskMeta("status-1"), "stream_id"))
        .isEqualTo(good.toString());

    // why: the stats run every 5 s; the first run may come before this dispatcher's first read
    await()
        .atMost(12, SECONDS)
        .untilAsserted(() ->
            assertThat(dispatcher.status().get("inbox"))
                .isInstanceOfSatisfying(
                    GroupState.class,
                    s -> {
                      assertThat(s.stream()).isEqualTo(keys.inbox());
                      assertThat(s.group()).isEqualTo(Keys.DISPATCHER_GROUP);
                      assertThat(s.length()).isEqualTo(2);
                      assertThat(s.lag()).isZero();
                      assertThat(s.pending()).isZero();
                      assertThat(s.consumers())
                          .singleElement()
                          .satisfies(c -> {
                            assertThat(c.name()).isEqualTo("status-node");
                            assertThat(c.pending()).isZero();
                          });
                    }));
    Map<String, Object> status = dispatcher.status();
    assertThat(status).containsEntry("held", null);
    assertThat(status)
        .containsEntry("in_flight", Map.of("fan", Map.of("in_flight", 1L, "limit", 10_000)));

    JsonNode overHttp = DispatcherFixture.status(port);
    assertThat(overHttp.get("state").textValue()).isEqualTo("RUNNING");
    assertThat(overHttp.get("held").isNull()).isTrue();
    assertThat(overHttp.at("/in_flight/fan/in_flight").asLong()).isEqualTo(1);
    assertThat(overHttp.at("/inbox/stream").textValue()).isEqualTo(keys.inbox());
    assertThat(overHttp.at("/inbox/length").asLong()).isEqualTo(2);
    assertThat(overHttp.at("/inbox/consumers/0/name").textValue()).isEqualTo("status-node");

    String scrape = dispatcher.metrics().scrape();
    assertThat(sample(scrape, "conveyor_dispatcher_received_total", "")).isEqualTo(2.0);
    assertThat(sample(scrape, "conveyor_dispatcher_rejected_total", "reason=\"payload_not_json\""))
        .isEqualTo(1.0);
    assertThat(sample(scrape, "conveyor_dispatcher_inbox_lag", "")).isZero();
    assertThat(sample(scrape, "conveyor_dispatcher_inbox_length", "")).isEqualTo(2.0);
    assertThat(sample(scrape, "conveyor_dispatcher_inbox_pending", "")).isZero();
    assertThat(DispatcherFixture.get(port, "/metrics").body())
        .contains("conveyor_dispatcher_received_total{");
  }

  /** The value of the one sample of {@code name} whose labels contain {@code label}. */
  private static double sample(String scrape, String name, String label) {
    Matcher m =
        Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE)
            .matcher(scrape);
    Double value = null;
    while (m.find()) {
      if (m.group(1).contains(label)) {
        assertThat(value).as("one sample of %s{%s}", name, label).isNull();
        assertThat(m.group(1)).contains("node=\"status-node\"");
        value = Double.parseDouble(m.group(2));
      }
    }
    assertThat(value).as("a sample of %s{%s} in\n%s", name, label, scrape).isNotNull();
    return value;
  }
}
