package dev.conveyor.processor;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.config.Env;
import dev.conveyor.common.daemon.Heartbeat;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A processor's share of the chains against real PostgreSQL and Redis: the chains in Quartz's store
 * divided by the processors whose heartbeats say RUNNING. (That replicas then split the work is
 * checked with processes in the e2e {@code ReplicasIT}: in one JVM, processors share one Quartz
 * scheduler.)
 */
@WithServices
class ChainShareIT {
  private static final String SPREAD =
      """
      pipeline: spread
      version: 1
      steps:
        - {name: deliver, kind: sink, offset: 50ms, batch: 5, shards: 4, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
      """;
  private Processor processor;
  private int port;

  /** Each test counts its own nodes: the heartbeats of the other test live on for a while. */
  @BeforeEach
  void forgetOtherNodes(TestServices services) {
    for (String id : services.jedis().zrange(services.keys().nodes(), 0, -1)) {
      services.jedis().del(services.keys().node(id));
    }
    services.jedis().del(services.keys().nodes());
  }

  @AfterEach
  void stop() {
    if (processor != null) {
      processor.shutdown();
    }
  }

  @Test
  void theShareIsTheActiveChainsOverTheRunningProcessors(TestServices services, @TempDir Path dir)
      throws Exception {
    Files.writeString(dir.resolve("spread.yaml"), SPREAD);
    processor = start(services, dir, "share-a");
    assertThat(share()).as("alone: every chain").isEqualTo(4);

    beat(services, "share-b", "processor", "RUNNING");
    beat(services, "share-c", "processor", "RUNNING");
    beat(services, "some-dispatcher", "dispatcher", "RUNNING");
    await("three processors running: ⌈4 ÷ 3⌉").atMost(20, SECONDS).until(() -> share().equals(2));

    beat(services, "share-b", "processor", "INTERMITTED");
    beat(services, "share-c", "processor", "INTERMITTED");
    await("the others suspended: every chain again")
        .atMost(20, SECONDS)
        .until(() -> share().equals(4));

    beat(services, "share-b", "processor", "RUNNING");
    await("two processors running").atMost(20, SECONDS).until(() -> share().equals(2));

    HttpResponse<String> suspended =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/steps/spread.deliver/suspend"))
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(suspended.statusCode()).isEqualTo(200);
    await("a suspended step's chains are not counted")
        .atMost(20, SECONDS)
        .until(() -> share().equals(1));
  }

  @Test
  void aProcessorThatStoppedCleanlyIsNotCountedAnyMore(TestServices services, @TempDir Path dir)
      throws Exception {
    Files.writeString(dir.resolve("spread.yaml"), SPREAD);
    processor = start(services, dir, "left-a");
    Heartbeat other = heartbeat(services, "left-b", "processor", "RUNNING");
    other.beat();
    await("two processors running").atMost(20, SECONDS).until(() -> share().equals(2));

    // why: its last beat on a clean stop; its hash lives on for a minute after it
    other.leave();

    await("the one that left is not counted: every chain again, well before its beat expires")
        .atMost(15, SECONDS)
        .until(() -> share().equals(4));
  }

  @Test
  void aNodeFoundNotLiveIsNotReadAgainUntilItBeatsAnew(TestServices services, @TempDir Path dir)
      throws Exception {
    Files.writeString(dir.resolve("spread.yaml"), SPREAD);
    processor = start(services, dir, "gone-a");
    Heartbeat other = heartbeat(services, "gone-b", "processor", "RUNNING");
    other.beat();
    await("two processors running").atMost(20, SECONDS).until(() -> share().equals(2));
    other.leave();
    await("the one that left is not counted").atMost(15, SECONDS).until(() -> share().equals(4));

    // why: its hash says RUNNING again without a new beat (what no heartbeat writes): a share that
    // read the hash of a node it found stopped at that same beat would count it
    services.jedis().hset(services.keys().node("gone-b"), "state", "RUNNING");
    // why: a node that last beat three minutes ago, with a live processor's hash (no hash outlives
    // its last beat by more than a minute)
    long longAgo = System.currentTimeMillis() - Duration.ofMinutes(3).toMillis();
    services.jedis().zadd(services.keys().nodes(), longAgo, "gone-c");
    services
        .jedis()
        .hset(services.keys().node("gone-c"), Map.of("role", "processor", "state", "RUNNING"));
    // why: the share is recounted every 5 s; three rounds
    await().pollDelay(Duration.ofSeconds(15)).atMost(16, SECONDS).until(() -> true);
    assertThat(share()).as("neither hash was read").isEqualTo(4);

    other.beat();
    await("it beat anew: read and counted").atMost(15, SECONDS).until(() -> share().equals(2));
  }

  private Processor start(TestServices services, Path dir, String node) throws Exception {
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    env.put("CONVEYOR_REDIS_BLOCK", "200ms");
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    env.put("CONVEYOR_HTTP_PORT", Integer.toString(port));
    env.put("CONVEYOR_NODE_ID", node);
    env.put("CONVEYOR_CLUSTER_CHECKIN", "1s");
    Processor p = new Processor(ProcessorConfig.from(Env.of(env)));
    p.activate();
    p.start();
    return p;
  }

  private static void beat(TestServices services, String node, String role, String state) {
    heartbeat(services, node, role, state).beat();
  }

  private static Heartbeat heartbeat(
      TestServices services, String node, String role, String state) {
    return new Heartbeat(
        services::jedis,
        services.keys(),
        node,
        role,
        () -> state,
        Duration.ofSeconds(5),
        Clock.systemUTC());
  }

  private Object share() {
    return processor.status().get("chain_share");
  }
}
