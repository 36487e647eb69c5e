package dev.conveyor.e2e;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.redis.GroupState;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

/**
 * Dispatch alone, with a backlog already in the inbox: how fast the dispatcher jar (1 and 2
 * replicas, real processes) turns inbox entries into registered, fanned-out tasks, next to a bare
 * XREADGROUP → XADD → XACK loop with the same batch size on the same Redis (1 and 2 consumers). No
 * processor runs. Run with {@code deploy/bin/bench dispatch}.
 */
@WithServices
class DispatchBench {
  private static final int MESSAGES = Integer.getInteger("bench.messages", 100_000);
  private static final int BATCH = 100;

  @Test
  void dispatchThroughputAgainstABareStreamCopy(TestServices services, @TempDir Path pipelines)
      throws Exception {
    Files.writeString(
        pipelines.resolve("bench.yaml"),
        """
        pipeline: bench
        version: 1
        max_in_flight: 100000000
        steps:
          - {name: deliver, kind: sink, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
        """);
    BenchReport report =
        new BenchReport(
            "Dispatch, " + MESSAGES + " messages already in the inbox",
            "deploy/bin/bench dispatch");

    report.row("bare XREADGROUP→XADD→XACK loop, 1 consumer", MESSAGES, bareCopy(services, "b1", 1));
    report.row(
        "bare XREADGROUP→XADD→XACK loop, 2 consumers", MESSAGES, bareCopy(services, "b2", 2));
    report.row("dispatcher, 1 replica", MESSAGES, dispatch(services, pipelines, "d1", 1));
    report.row("dispatcher, 2 replicas", MESSAGES, dispatch(services, pipelines, "d2", 2));
    try (ReplicaOf replica = ReplicaOf.start(services.redisUrl())) {
      report.row(
          "dispatcher, 1 replica; Redis with a replica, CONVEYOR_REDIS_WAIT_REPLICAS=false",
          MESSAGES,
          dispatch(services, pipelines, "w0", 1, Map.of("CONVEYOR_REDIS_WAIT_REPLICAS", "false")));
      report.row(
          "dispatcher, 1 replica; Redis with a replica, CONVEYOR_REDIS_WAIT_REPLICAS=true",
          MESSAGES,
          dispatch(services, pipelines, "w1", 1, Map.of("CONVEYOR_REDIS_WAIT_REPLICAS", "true")));
      assertThat(replica.alive()).as("the replica stayed up through the runs").isTrue();
    }
    report.write("dispatch");
  }

  /** The baseline: the least any stream-to-stream dispatcher has to do. */
  private static double bareCopy(TestServices services, String run, int consumers)
      throws Exception {
    UnifiedJedis jedis = services.jedis();
    String in = services.keys().namespace() + ":bare:" + run + ":in";
    String out = services.keys().namespace() + ":bare:" + run + ":out";
    fill(jedis, in, run, MESSAGES);
    new StreamGroup(jedis, in, "g").ensure();
    long start = System.nanoTime();
    try (ExecutorService pool = Executors.newFixedThreadPool(consumers)) {
      List<Future<?>> done = new ArrayList<>();
      for (int c = 0; c < consumers; c++) {
        String consumer = "c" + c;
        done.add(
            pool.submit(() -> {
              StreamGroup group = new StreamGroup(jedis, in, "g");
              while (true) {
                List<StreamMessage> batch = group.readNew(consumer, BATCH, Duration.ZERO);
                if (batch.isEmpty()) {
                  return;
                }
                try (AbstractPipeline p = jedis.pipelined()) {
                  for (StreamMessage m : batch) {
                    p.xadd(out, StreamEntryID.NEW_ENTRY, Map.of("t", m.text("id").orElse("")));
                  }
                  p.sync();
                }
                group.ack(batch.stream().map(StreamMessage::id).toList());
              }
            }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    assertThat(jedis.xlen(out)).isEqualTo(MESSAGES);
    return seconds;
  }

  /** The dispatcher jar, as real processes, draining the backlog. */
  private static double dispatch(TestServices services, Path pipelines, String run, int replicas)
      throws Exception {
    return dispatch(services, pipelines, run, replicas, Map.of());
  }

  private static double dispatch(
      TestServices services,
      Path pipelines,
      String run,
      int replicas,
      Map<String, String> overrides)
      throws Exception {
    UnifiedJedis jedis = services.jedis();
    Keys keys = services.keys();
    jedis.del(keys.inbox());
    fill(jedis, keys.inbox(), run, MESSAGES);
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.put("JAVA_OPTS", "-Xmx512m");
    env.putAll(overrides);
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/bench-dispatch-" + run);
    List<DaemonProcess> daemons = new ArrayList<>();
    for (int r = 0; r < replicas; r++) {
      Map<String, String> e = new HashMap<>(env);
      e.put("CONVEYOR_NODE_ID", "bench-" + run + "-" + r);
      daemons.add(new DaemonProcess("dispatcher", e, logs.resolve("r" + r)).start());
    }
    StreamGroup inbox = new StreamGroup(jedis, keys.inbox(), Keys.DISPATCHER_GROUP);
    try {
      // why: timed from the first entry handled to the last, so JVM start-up does not count
      long[] first = {0};
      long[] readAtFirst = {0};
      await()
          .atMost(120, SECONDS)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> {
            GroupState s = inbox.state();
            long read = s.length() - Math.max(s.lag(), 0);
            if (read > 0 && first[0] == 0) {
              first[0] = System.nanoTime();
              readAtFirst[0] = read - s.pending();
            }
            return s.length() == MESSAGES && s.lag() == 0 && s.pending() == 0;
          });
      double seconds = (System.nanoTime() - first[0]) / 1e9;
      assertThat(jedis.zcard(keys.inflight("bench"))).isGreaterThanOrEqualTo(MESSAGES);
      return seconds * MESSAGES / (MESSAGES - readAtFirst[0]);
    } finally {
      for (DaemonProcess d : daemons) {
        d.stop(Duration.ofSeconds(30));
      }
      jedis.del(keys.inbox());
    }
  }

  private static void fill(UnifiedJedis jedis, String stream, String run, int n) {
    for (int from = 0; from < n; from += 1000) {
      try (AbstractPipeline p = jedis.pipelined()) {
        for (int i = from; i < Math.min(n, from + 1000); i++) {
          p.xadd(
              stream,
              StreamEntryID.NEW_ENTRY,
              Map.of(
                  "pipeline", "bench",
                  "id", run + "-" + i,
                  "payload", "{\"text\":\"message number " + i + " of the benchmark\"}"));
        }
        p.sync();
      }
    }
  }

  /** A Redis replica of the test Redis, for as long as the bench needs it. */
  private record ReplicaOf(RedisServer server) implements AutoCloseable {
    static ReplicaOf start(String masterUrl) throws Exception {
      java.net.URI master = java.net.URI.create(masterUrl);
      Path dir = Files.createTempDirectory("bench-replica");
      RedisServer server =
          new RedisServer(dir.resolve("data"), dir.resolve("redis.log"))
              .startReplicaOf(master.getHost(), master.getPort());
      try (redis.clients.jedis.Jedis j = new redis.clients.jedis.Jedis(master)) {
        await("the bench replica in sync")
            .atMost(60, SECONDS)
            .until(() -> j.info("replication").contains("port=" + server.port() + ",state=online"));
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
      return new ReplicaOf(server);
    }

    boolean alive() {
      try (var j = server.client()) {
        return "PONG".equals(j.ping());
      }
    }

    @Override
    public void close() {
      server.close();
    }
  }
}
