package dev.conveyor.patrol;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.daemon.Heartbeat;
import dev.conveyor.common.http.HttpResponse;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.test.CapturedLog;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@WithServices
class NodeWatchIT {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  private final TestServices services;
  private final Keys keys;
  private final MutableClock clock = new MutableClock(T0);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  NodeWatchIT(TestServices services) {
    this.services = services;
    this.keys = services.keys();
  }

  @BeforeEach
  void emptyIndex() {
    for (String id : services.jedis().zrange(keys.nodes(), 0, -1)) {
      services.jedis().del(keys.node(id));
    }
    services.jedis().del(keys.nodes());
  }

  @Test
  void liveNodesAreListedFirstByRoleAndNodesWithoutAHeartbeatAsDead() {
    beat("proc-1", "processor", "RUNNING");
    beat("disp-1", "dispatcher", "RUNNING");
    beat("disp-0", "dispatcher", "INTERMITTED");
    beat("gone-1", "processor", "RUNNING");
    services.jedis().del(keys.node("gone-1"));
    NodeWatch watch = watch();

    try (CapturedLog log = new CapturedLog(NodeWatch.class)) {
      watch.round();
      assertThat(log.events()).as("the first round only lists").isEmpty();
    }

    assertThat(watch.nodes())
        .containsExactly(
            new NodeWatch.Node("disp-0", "dispatcher", "INTERMITTED", version(), T0, T0, true),
            new NodeWatch.Node("disp-1", "dispatcher", "RUNNING", version(), T0, T0, true),
            new NodeWatch.Node("proc-1", "processor", "RUNNING", version(), T0, T0, true),
            new NodeWatch.Node("gone-1", null, null, null, null, T0, false));
    assertThat(registry.get("conveyor_nodes").tag("state", "live").gauge().value()).isEqualTo(3);
    assertThat(registry.get("conveyor_nodes").tag("state", "dead").gauge().value()).isEqualTo(1);
  }

  @Test
  void aNodeWhoseHeartbeatExpiresIsReportedDeadAndWhenItBeatsAgainReturned() {
    Heartbeat proc = beat("proc-1", "processor", "RUNNING");
    NodeWatch watch = watch();
    watch.round();
    services.jedis().pexpire(keys.node("proc-1"), 50);
    await().atMost(5, SECONDS).until(() -> !services.jedis().exists(keys.node("proc-1")));

    try (CapturedLog log = new CapturedLog(NodeWatch.class)) {
      watch.round();
      assertThat(log.events())
          .singleElement()
          .satisfies(e ->
              assertThat(e)
                  .containsEntry("level", "WARN")
                  .containsEntry("event", "node_died")
                  .containsEntry("node", "proc-1")
                  .containsEntry("role", "processor")
                  .containsEntry("last_beat", T0));
      assertThat(watch.nodes())
          .containsExactly(
              new NodeWatch.Node("proc-1", "processor", "RUNNING", version(), T0, T0, false));

      watch.round();
      assertThat(log.events()).as("reported once").hasSize(1);

      clock.advance(Duration.ofMinutes(3));
      proc.beat();
      watch.round();
      assertThat(log.events("node_returned"))
          .singleElement()
          .satisfies(e ->
              assertThat(e)
                  .containsEntry("level", "INFO")
                  .containsEntry("node", "proc-1")
                  .containsEntry("role", "processor"));
    }
    assertThat(watch.nodes())
        .extracting(NodeWatch.Node::live, NodeWatch.Node::lastBeat)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(true, T0.plus(Duration.ofMinutes(3))));
  }

  @Test
  void aNodeThatStoppedCleanlyHasLeftAtOnceAndIsNotReportedDead() {
    // why: the heartbeat is the first subsystem to stop, while the daemon still says RUNNING
    Heartbeat disp = beat("disp-1", "dispatcher", "RUNNING");
    NodeWatch watch = watch();
    watch.round();

    try (CapturedLog log = new CapturedLog(NodeWatch.class)) {
      disp.leave();
      watch.round();
      assertThat(log.events())
          .as("the round right after its last beat, not once its hash expired")
          .singleElement()
          .satisfies(e ->
              assertThat(e)
                  .containsEntry("level", "INFO")
                  .containsEntry("event", "node_left")
                  .containsEntry("last_state", "COMPLETED"));
      assertThat(watch.nodes())
          .containsExactly(
              new NodeWatch.Node("disp-1", "dispatcher", "COMPLETED", version(), T0, T0, false));
      assertThat(registry.get("conveyor_nodes").tag("state", "live").gauge().value()).isZero();

      services.jedis().del(keys.node("disp-1"));
      watch.round();
      assertThat(log.events()).as("reported once").hasSize(1);
    }
  }

  @Test
  void deadNodesAreForgottenOnceTheRetentionHasPassedAndLiveOnesNever() {
    beat("old-1", "processor", "RUNNING");
    services.jedis().del(keys.node("old-1"));
    beat("skewed-1", "dispatcher", "RUNNING"); // alive, but its clock is a day behind
    NodeWatch watch = watch();

    clock.advance(Duration.ofHours(23));
    watch.round();
    assertThat(watch.nodes()).extracting(NodeWatch.Node::id).contains("old-1", "skewed-1");

    clock.advance(Duration.ofHours(2));
    watch.round();

    assertThat(watch.nodes()).extracting(NodeWatch.Node::id).containsExactly("skewed-1");
    assertThat(services.jedis().zrange(keys.nodes(), 0, -1)).containsExactly("skewed-1");
    assertThat(registry.get("conveyor_patrol_nodes_forgotten_total").counter().count())
        .isEqualTo(1);
    assertThat(registry.get("conveyor_nodes").tag("state", "dead").gauge().value()).isZero();
  }

  @Test
  void theNodeListIsWrittenAsJsonForStatus() {
    beat("proc-1", "processor", "RUNNING");
    NodeWatch watch = watch();
    watch.round();

    String json = HttpResponse.json(200, Map.of("nodes", watch.nodes())).bodyAsString();

    assertThat(json)
        .contains("\"id\":\"proc-1\"", "\"live\":true", "\"lastBeat\":\"2026-03-01T10:00:00Z\"");
  }

  private NodeWatch watch() {
    return new NodeWatch(keys, services::jedis, registry, clock, NodeWatch.DEFAULT_RETENTION);
  }

  private Heartbeat beat(String id, String role, String state) {
    Heartbeat h = heartbeat(id, role, new AtomicReference<>(state));
    h.beat();
    return h;
  }

  private Heartbeat heartbeat(String id, String role, AtomicReference<String> state) {
    return new Heartbeat(services::jedis, keys, id, role, state::get, Duration.ofSeconds(5), clock);
  }

  private static String version() {
    return dev.conveyor.common.daemon.Version.current();
  }
}
