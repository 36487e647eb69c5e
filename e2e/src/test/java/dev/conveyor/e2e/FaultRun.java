package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.cli.embedded.EmbeddedRun;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One run of the {@code ner} pipeline under faults, for {@link FaultsIT}, {@link ReplicasIT} and
 * the soak: a Redis and a PostgreSQL of its own ({@link RunServices}), the daemons as processes
 * (one or more replicas of each, each with a stable node id, as a container has) under a {@link
 * Supervisor}, a {@link Producer}, and the faults to inject while the documents flow. Prints a
 * {@link Timeline}.
 */
final class FaultRun implements AutoCloseable {
  private final List<EmbeddedRun.Input> documents;
  private final int warm;
  private final RunServices services;
  private final Path pipelines;
  private final Map<String, DaemonProcess> daemons = new LinkedHashMap<>();
  private final Timeline timeline = new Timeline();
  private final Supervisor supervisor;
  private final Producer producer;
  private final Set<String> faults = new HashSet<>();
  private ShardOverlapWatch shardWatch;
  private Set<String> baseline;
  private long aofBytesLost;

  /**
   * How many replicas of each daemon run, and the {@code shards} of every step.
   *
   * <p>With one replica, a daemon is named as what it runs ({@code processor}); with more, {@code
   * processor-1}, {@code processor-2}, ...
   */
  record Topology(int dispatchers, int processors, int patrols, int shards) {
    static final Topology ONE_OF_EACH = new Topology(1, 1, 1, 1);

    Map<String, Integer> replicas() {
      Map<String, Integer> m = new LinkedHashMap<>();
      m.put("dispatcher", dispatchers);
      m.put("processor", processors);
      m.put("patrol", patrols);
      return m;
    }
  }

  private FaultRun(Path tmp, String name, int documents, int warm, Topology topology)
      throws IOException {
    this.documents = Corpus.repeated(documents);
    this.warm = warm;
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/" + name);
    this.services = new RunServices(tmp, logs);
    this.pipelines = nerWithShortGrace(tmp.resolve("pipelines"), topology.shards());
    // why: a batch retried for a minute at most: no fault here keeps Redis away longer
    this.producer = new Producer(services.redis(), 120);
    Map<String, String> env = new HashMap<>();
    env.put("CONVEYOR_REDIS_URL", services.redis().url());
    env.put("CONVEYOR_PG_URL", services.pg().jdbcUrl("conveyor"));
    env.put("CONVEYOR_PG_USER", "postgres");
    env.put("CONVEYOR_NAMESPACE", RunServices.NAMESPACE);
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.put("CONVEYOR_PATROL_INTERVAL", "2s");
    env.put("CONVEYOR_CLUSTER_CHECKIN", "2s");
    env.put("JAVA_OPTS", "-Xmx512m");
    topology
        .replicas()
        .forEach((d, n) -> {
          for (int i = 1; i <= n; i++) {
            String replica = n == 1 ? d : d + "-" + i;
            Map<String, String> e = new HashMap<>(env);
            // why: a stable id per daemon, as a container's hostname: a restarted one finds its
            // own work
            e.put("CONVEYOR_NODE_ID", name + "-" + replica);
            daemons.put(replica, new DaemonProcess(d, replica, e, logs));
          }
        });
    this.supervisor = new Supervisor(daemons.values(), timeline::note);
  }

  static FaultRun prepare(Path tmp, String name, int documents, int warm) throws IOException {
    return prepare(tmp, name, documents, warm, Topology.ONE_OF_EACH);
  }

  static FaultRun prepare(Path tmp, String name, int documents, int warm, Topology topology)
      throws IOException {
    return new FaultRun(tmp, name, documents, warm, topology);
  }

  int documents() {
    return documents.size();
  }

  /** What {@code conveyor run} delivers for the same documents, in one process. */
  List<Map<String, Object>> expectedRows() throws Exception {
    return NerCorpus.expectedRows(pipelines.resolve("ner.yaml"), documents);
  }

  void startAll() throws Exception {
    services.start();
    timeline.note("redis and postgresql up");
    daemons.values().forEach(DaemonProcess::start);
    supervisor.start();
    awaitHealthy();
    timeline.note("daemons healthy");
  }

  /** A few tasks through and cleaned; the key count then is the baseline. */
  void warmUpAndTakeBaseline() {
    producer.publish(documents.subList(0, warm));
    await("warm-up tasks delivered and cleaned")
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(() ->
            services.count("SELECT count(*) FROM conveyor.task_audit WHERE cleaned_at IS NOT NULL")
                == warm);
    baseline = withoutHeartbeats(services.keys());
    timeline.note("baseline " + baseline.size() + " keys after " + warm + " tasks");
  }

  /** The rest of the documents, 25 every 200 ms (125 a second), retrying while Redis is away. */
  void publishInBackground() {
    producer.start(documents.subList(warm, documents.size()), 25, Duration.ofMillis(200));
  }

  void awaitPublished() throws InterruptedException {
    producer.await(Duration.ofMinutes(5), "producer finished");
    timeline.note("all " + documents.size() + " published");
  }

  /** Every message once more, same ids: each must be acknowledged as a duplicate. */
  void publishEverythingAgain() throws InterruptedException {
    for (int from = 0; from < documents.size(); from += 100) {
      producer.publishRetrying(documents.subList(from, Math.min(documents.size(), from + 100)));
    }
    timeline.note("all " + documents.size() + " published again");
  }

  /** Waits until {@code fraction} of the documents have their audit row, then injects a fault. */
  void at(double fraction, String fault, FaultAction action) throws Exception {
    long target = (long) (fraction * documents.size());
    await("audit rows for " + fault)
        .atMost(Duration.ofMinutes(5))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> services.count("SELECT count(*) FROM conveyor.task_audit") >= target);
    action.run();
    faults.add(fault);
    timeline.note(fault + " (at " + auditRows() + " audit rows)");
  }

  void restartProcessor() throws InterruptedException {
    supervisor.restart(daemons.get("processor"));
  }

  void restartDispatcher() throws InterruptedException {
    supervisor.restart(daemons.get("dispatcher"));
  }

  void restartPatrol() throws InterruptedException {
    supervisor.restart(daemons.get("patrol"));
  }

  /** SIGKILL to one replica, which stays down (a host lost): the others must take over. */
  void killForGood(String replica) throws InterruptedException {
    supervisor.killForGood(daemons.get(replica));
  }

  /**
   * SIGKILL to Redis, whose AOF then loses everything written since a patrol round (at least one
   * second, and a round that cleaned up tasks: what a power cut leaves of an {@code appendfsync
   * everysec} AOF, at its worst moment), and a start on the same port and directory.
   */
  void crashRedisLosingASecond() throws Exception {
    RedisServer redis = services.redis();
    DaemonProcess patrol = daemons.get("patrol");
    long rounds = cleaningRounds(patrol);
    await("a patrol round that cleans up")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> cleaningRounds(patrol) > rounds);
    redis.snapshotAof();
    long snapshotAt = System.nanoTime();
    long before = redis.aofBytes();
    long roundsBefore = cleaningRounds(patrol);
    await("a second of writes, and a cleanup, after the snapshot")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(50))
        .until(() ->
            System.nanoTime() - snapshotAt >= Duration.ofSeconds(1).toNanos()
                && cleaningRounds(patrol) > roundsBefore);
    redis.kill();
    aofBytesLost += redis.aofBytes() - before;
    redis.restoreAof();
    redis.start();
  }

  /** Patrol rounds so far that cleaned up at least one task. */
  private static long cleaningRounds(DaemonProcess patrol) throws IOException {
    return patrol.logLines().stream()
        .filter(l -> l.contains("event=patrol_round") && !l.contains(" cleaned=0 "))
        .count();
  }

  void crashPostgres() throws Exception {
    services.pg().crashAndRestart();
  }

  void awaitAllDeliveredAndCleaned(Duration atMost) {
    await("every message audited and cleaned up")
        .atMost(atMost)
        .pollInterval(Duration.ofSeconds(1))
        .ignoreExceptions()
        .until(() ->
            services.count("SELECT count(*) FROM conveyor.task_audit WHERE cleaned_at IS NOT NULL")
                >= documents.size());
    timeline.note("all audited and cleaned");
  }

  void assertExactlyOnceDeliveredAuditRowPerMessage() throws SQLException {
    services.assertOneDeliveredAuditRowEach(
        documents.stream().map(EmbeddedRun.Input::taskId).toList());
  }

  /** The delivered rows, in the embedded run's order. */
  List<Map<String, Object>> rows() throws SQLException {
    return services.rows();
  }

  /**
   * The namespace holds the keys it held after the warm-up, no more, no fewer — not counting the
   * heartbeats of replicas killed for good, which expire.
   */
  void assertKeysBackToBaseline() {
    await("the namespace back to its " + baseline.size() + " keys")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() ->
            assertThat(withoutHeartbeats(services.keys()))
                .containsExactlyInAnyOrderElementsOf(baseline));
    timeline.note("keys back to the baseline of " + baseline.size());
  }

  private static Set<String> withoutHeartbeats(List<String> keys) {
    Set<String> kept = new HashSet<>(keys);
    kept.removeIf(k -> k.startsWith(RunServices.NAMESPACE + ":node:"));
    return kept;
  }

  /** The daemons not killed for good are healthy; none logged a lost task. */
  void assertDaemonsHealthyAndNothingLost() throws IOException {
    awaitHealthy();
    for (DaemonProcess d : daemons.values()) {
      assertThat(d.logLines())
          .as(d.name() + " logged no lost task")
          .noneMatch(l -> l.contains("event=task_lost"));
    }
  }

  /** The patrol replica that took the lease last (and has not logged losing it). */
  String leaseHolder() throws IOException {
    for (DaemonProcess d : daemons.values()) {
      if (!d.name().startsWith("patrol") || supervisor.isDown(d)) {
        continue;
      }
      List<String> events =
          d.logLines().stream()
              .filter(l -> l.contains("event=lease_taken") || l.contains("event=lease_lost"))
              .toList();
      if (!events.isEmpty() && events.getLast().contains("event=lease_taken")) {
        return d.name();
      }
    }
    throw new AssertionError("no live patrol holds the lease");
  }

  /** How often the replica logged {@code event=<event>}. */
  long logged(String replica, String event) throws IOException {
    return daemons.get(replica).logLines().stream()
        .filter(l -> l.contains("event=" + event + " ") || l.endsWith("event=" + event))
        .count();
  }

  /** The sum of a counter's series in the replica's {@code /metrics}. */
  double counter(String replica, String metric) throws IOException, InterruptedException {
    return daemons.get(replica).counter(metric);
  }

  /** Starts a {@link ShardOverlapWatch}, which runs until {@link #close()}. */
  void watchShardsRunOnceAtATime() {
    shardWatch = new ShardOverlapWatch(services.pg());
  }

  void assertNoShardRanOnTwoReplicasAtOnce() {
    assertThat(shardWatch).as("watchShardsRunOnceAtATime() was called").isNotNull();
    shardWatch.assertNoShardRanOnTwoReplicasAtOnce();
  }

  void report() {
    System.out.println(
        "faults run: "
            + documents.size()
            + " documents, "
            + faults.size()
            + " faults, AOF bytes dropped "
            + aofBytesLost);
    timeline.print();
  }

  @Override
  public void close() throws IOException {
    supervisor.close();
    producer.close();
    if (shardWatch != null) {
      shardWatch.close();
    }
    try {
      for (DaemonProcess d : daemons.values()) {
        d.killIfAlive();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      services.close();
    }
  }

  private void awaitHealthy() {
    await("every daemon answers /health with 200")
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .until(() ->
            daemons.values().stream()
                .filter(d -> !supervisor.isDown(d))
                .allMatch(DaemonProcess::healthy));
  }

  private String auditRows() {
    try {
      return Long.toString(services.count("SELECT count(*) FROM conveyor.task_audit"));
    } catch (SQLException e) {
      return "?";
    }
  }

  /**
   * {@code deploy/pipelines/ner.yaml} with cleanup grace 2 s (so cleanup runs amid the faults) and
   * {@code shards} chains for every step.
   */
  private static Path nerWithShortGrace(Path dir, int shards) throws IOException {
    return Repo.nerPipeline(
        dir,
        yaml -> {
          String patched =
              yaml.replace(
                  "cleanup: {mode: auto, tolerance: 0.1}",
                  "cleanup: {mode: auto, tolerance: 0.1, grace: 2s}");
          if (patched.equals(yaml)) {
            throw new IllegalStateException("ner.yaml's cleanup line changed; update FaultRun");
          }
          if (shards > 1) {
            String sharded =
                patched.replace("defaults:\n", "defaults:\n  shards: " + shards + "\n");
            if (sharded.equals(patched)) {
              throw new IllegalStateException("ner.yaml has no defaults: block; update FaultRun");
            }
            patched = sharded;
          }
          return patched;
        });
  }

  /** A fault to inject. */
  @FunctionalInterface
  interface FaultAction {
    void run() throws Exception;
  }
}
