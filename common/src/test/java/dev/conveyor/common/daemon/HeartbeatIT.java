package dev.conveyor.common.daemon;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.config.ConveyorConfig;
import dev.conveyor.common.config.Env;
import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.outage.Service;
import dev.conveyor.common.redis.RedisConnector.Endpoint;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.net.URI;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.UnifiedJedis;

/**
 * A daemon's heartbeat against a real Redis, as every reader of the heartbeats sees it: a running
 * daemon is live, and one that stopped cleanly is gone at once (not a minute later, when its last
 * beat expires). Compose gives every new container a new node id, so a stopped node that still said
 * RUNNING was counted by the processors' chain shares as if it were working.
 */
@WithServices
class HeartbeatIT {
  private final TestServices services;

  HeartbeatIT(TestServices services) {
    this.services = services;
  }

  /** The smallest real daemon: Redis and the heartbeat. */
  private static final class Beating extends Daemon {
    Beating(ConveyorConfig config) {
      super("processor", config);
      RedisSubsystem redis =
          add(new RedisSubsystem("redis", config.redis(), Endpoint.RUNTIME, "heartbeat-it", 2, 1));
      addHeartbeat(redis);
    }
  }

  /** The same with its service watch over Redis, as the three daemons have it. */
  private static final class WatchedBeating extends Daemon {
    WatchedBeating(ConveyorConfig config) {
      super("processor", config, Set.of(Service.REDIS));
      RedisSubsystem redis =
          add(new RedisSubsystem("redis", config.redis(), Endpoint.RUNTIME, "heartbeat-it", 2, 1));
      addHeartbeat(redis);
    }
  }

  @Test
  void aDaemonWhoseBeatsAnswerSendsRedisNoProbeOfItsOwn() {
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_NODE_ID", "beat-watched");
    WatchedBeating daemon = new WatchedBeating(ConveyorConfig.from(Env.of(env)));
    daemon.activate();
    daemon.start();
    try {
      await().atMost(10, SECONDS).until(() -> node("beat-watched").isPresent());
      // why: three probe periods (5 s each) without a beat's answer would have sent two PINGs
      await().pollDelay(12, SECONDS).atMost(13, SECONDS).until(() -> true);
      String clients;
      try (Jedis admin = new Jedis(URI.create(services.redisUrl()))) {
        clients = admin.clientList();
      }
      String watchClient =
          clients
              .lines()
              .filter(l -> l.contains(" name=processor-watch-beat-watched "))
              .findFirst()
              .orElseThrow();
      long idleSeconds = Long.parseLong(watchClient.replaceAll(".* idle=(\\d+) .*", "$1"));
      assertThat(idleSeconds)
          .as("seconds since the watch's probe connection sent a command")
          .isGreaterThanOrEqualTo(10);
      assertThat(daemon.serviceWatch().allUp()).isTrue();
    } finally {
      daemon.complete();
    }
  }

  @Test
  void aReaderReadsTheHashesItAsksForOnly() {
    Beating one = start("beat-one");
    Beating two = start("beat-two");
    try {
      await()
          .atMost(10, SECONDS)
          .until(() -> node("beat-one").isPresent() && node("beat-two").isPresent());
      List<NodeBeat> nodes =
          new NodeReader(services.keys())
              .read(services.jedis(), (id, lastBeat) -> !id.equals("beat-one"));
      assertThat(nodes).extracting(NodeBeat::id).contains("beat-one", "beat-two");
      assertThat(nodes.stream().filter(n -> n.id().equals("beat-two")).findFirst().orElseThrow())
          .satisfies(n -> assertThat(n.live()).isTrue())
          .satisfies(n -> assertThat(n.role()).isEqualTo("processor"));
      assertThat(nodes.stream().filter(n -> n.id().equals("beat-one")).findFirst().orElseThrow())
          .as("not asked for: no hash, though it beats")
          .satisfies(n -> assertThat(n.fields()).isEmpty())
          .satisfies(n -> assertThat(n.lastBeat()).isAfter(Instant.now().minusSeconds(30)));
      assertThat(node("beat-one").orElseThrow().live()).as("read(jedis): every hash").isTrue();
    } finally {
      one.complete();
      two.complete();
    }
  }

  @Test
  void aReaderAnswersInTheIndexsOrderWhicheverHashesItReads() {
    UnifiedJedis jedis = services.jedis();
    for (String id : List.of("order-a", "order-b", "order-c")) {
      jedis.hset(services.keys().node(id), Map.of("role", "processor", "state", "RUNNING"));
    }
    jedis.zadd(
        services.keys().nodes(), Map.of("order-c", 3_000d, "order-a", 1_000d, "order-b", 2_000d));

    List<NodeBeat> middleSkipped =
        new NodeReader(services.keys()).read(jedis, (id, lastBeat) -> !id.equals("order-b"));
    List<NodeBeat> noneRead = new NodeReader(services.keys()).read(jedis, (id, lastBeat) -> false);

    assertThat(middleSkipped)
        .extracting(NodeBeat::id)
        .filteredOn(id -> id.startsWith("order-"))
        .containsExactly("order-a", "order-b", "order-c");
    assertThat(middleSkipped)
        .filteredOn(n -> n.id().startsWith("order-"))
        .extracting(n -> n.fields().isEmpty())
        .containsExactly(false, true, false);
    assertThat(noneRead)
        .extracting(NodeBeat::id)
        .filteredOn(id -> id.startsWith("order-"))
        .containsExactly("order-a", "order-b", "order-c");
  }

  @Test
  void aDaemonThatStopsCleanlyDropsOutOfTheLiveNodesAtOnce() {
    Beating daemon = start("beat-stops");
    // why: the first beat comes as the heartbeat starts, while the daemon is still READY
    await("a beat that says RUNNING")
        .atMost(15, SECONDS)
        .until(() -> node("beat-stops").map(NodeBeat::state).orElse(""), "RUNNING"::equals);
    assertThat(node("beat-stops").orElseThrow().live()).isTrue();

    daemon.complete();

    // why: no waiting: a reader right after the stop must not count it any more
    assertThat(daemon.state()).isEqualTo(State.COMPLETED);
    NodeBeat last = node("beat-stops").orElseThrow();
    assertThat(last.state()).as("its last beat").isEqualTo("COMPLETED");
    assertThat(last.stopped()).isTrue();
    assertThat(last.live()).as("counted as live").isFalse();
    assertThat(services.jedis().pttl(services.keys().node("beat-stops")))
        .as("its final state stays visible for a while, then expires")
        .isBetween(1L, 60_000L);
  }

  @Test
  void aSuspendedDaemonStaysLive() {
    Beating daemon = start("beat-suspends");
    await().atMost(10, SECONDS).until(() -> node("beat-suspends").isPresent());

    daemon.suspend();
    await("a suspended daemon still beats")
        .atMost(15, SECONDS)
        .until(() -> "INTERMITTED".equals(node("beat-suspends").orElseThrow().state()));
    assertThat(node("beat-suspends").orElseThrow().live()).isTrue();
    assertThat(node("beat-suspends").orElseThrow().stopped()).isFalse();

    daemon.complete();
    assertThat(node("beat-suspends").orElseThrow().live()).isFalse();
  }

  private Beating start(String node) {
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_NODE_ID", node);
    Beating daemon = new Beating(ConveyorConfig.from(Env.of(env)));
    daemon.activate();
    daemon.start();
    return daemon;
  }

  private Optional<NodeBeat> node(String id) {
    List<NodeBeat> nodes = new NodeReader(services.keys()).read(services.jedis());
    return nodes.stream().filter(n -> n.id().equals(id)).findFirst();
  }
}
