package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.cli.embedded.EmbeddedRun;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.resource.SharedResources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * One run of the {@code ner} pipeline under faults, for {@link FaultsIT}, {@link ReplicasIT} and
 * the soak: a Redis and a PostgreSQL of its own, the daemons as processes (one or more replicas of
 * each, each with a stable node id, as a container has), a producer, and the faults to inject while
 * the documents flow. Prints a timeline.
 */
final class FaultRun implements AutoCloseable {
  private static final String NAMESPACE = "conveyor";

  private final List<EmbeddedRun.Input> documents;
  private final int warm;
  private final RedisServer redis;
  private final PostgresServer pg;
  private final Path pipelines;
  private final Map<String, DaemonProcess> daemons = new LinkedHashMap<>();
  private final List<String> timeline = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final long started = System.nanoTime();
  private final AtomicReference<Throwable> publishFailure = new AtomicReference<>();
  private final Set<String> faults = new HashSet<>();
  private final Set<String> down = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final List<String> overlaps = new java.util.concurrent.CopyOnWriteArrayList<>();
  private Thread shardWatch;
  private Thread publisher;
  private Thread supervisor;
  private volatile boolean closing;
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
    this.redis = new RedisServer(tmp.resolve("redis"), logs.resolve("redis.log"));
    this.pg = new PostgresServer(tmp.resolve("pg"), tmp.resolve("pg.log"));
    this.pipelines = nerWithShortGrace(tmp.resolve("pipelines"), topology.shards());
    Map<String, String> env = new HashMap<>();
    env.put("CONVEYOR_REDIS_URL", redis.url());
    env.put("CONVEYOR_PG_URL", pg.jdbcUrl("conveyor"));
    env.put("CONVEYOR_PG_USER", "postgres");
    env.put("CONVEYOR_NAMESPACE", NAMESPACE);
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
    try (EmbeddedRun run =
        new EmbeddedRun(
                PipelineLoader.loadFile(pipelines.resolve("ner.yaml")), new SharedResources())
            .start()) {
      List<ObjectNode> rows = run.run(documents).rows();
      return NerCorpus.normal(rows);
    }
  }

  void startAll() throws Exception {
    redis.start();
    pg.start();
    note("redis and postgresql up");
    daemons.values().forEach(DaemonProcess::start);
    supervisor = Thread.ofPlatform().daemon().name("supervisor").start(this::supervise);
    awaitHealthy();
    note("daemons healthy");
  }

  /**
   * What compose's {@code restart: always} (and {@code run-local}'s trio) does: a daemon that exits
   * by itself is started again a second later. A daemon exits 1 when it cannot get ready — e.g. the
   * patrol, restarted while PostgreSQL is still recovering from its crash.
   */
  private void supervise() {
    while (!closing) {
      try {
        // why: compose restarts a container about a second after it exited
        Thread.sleep(1_000);
        synchronized (this) {
          for (DaemonProcess d : daemons.values()) {
            if (!closing && !down.contains(d.name()) && d.exitCode().isPresent()) {
              note(d.name() + " exited with code " + d.exitCode().getAsInt() + ", restarted");
              d.start();
            }
          }
        }
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** A few tasks through and cleaned; the key count then is the baseline. */
  void warmUpAndTakeBaseline() {
    publish(documents.subList(0, warm));
    await("warm-up tasks delivered and cleaned")
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(() ->
            count("SELECT count(*) FROM conveyor.task_audit WHERE cleaned_at IS NOT NULL") == warm);
    baseline = withoutHeartbeats(keys());
    note("baseline " + baseline.size() + " keys after " + warm + " tasks");
  }

  /** The rest of the documents, 25 every 200 ms, retrying a batch while Redis is away. */
  void publishInBackground() {
    publisher =
        Thread.ofPlatform()
            .name("producer")
            .start(() -> {
              try {
                for (int from = warm; from < documents.size(); from += 25) {
                  publishRetrying(documents.subList(from, Math.min(documents.size(), from + 25)));
                  // why: a producer's pace (125 a second), so that the faults meet a running flow
                  Thread.sleep(200);
                }
              } catch (Throwable t) {
                publishFailure.set(t);
              }
            });
  }

  void awaitPublished() throws InterruptedException {
    publisher.join(Duration.ofMinutes(5));
    assertThat(publisher.isAlive()).as("producer finished").isFalse();
    assertThat(publishFailure.get()).as("producer failure").isNull();
    note("all " + documents.size() + " published");
  }

  /** Every message once more, same ids: each must be acknowledged as a duplicate. */
  void publishEverythingAgain() throws InterruptedException {
    for (int from = 0; from < documents.size(); from += 100) {
      publishRetrying(documents.subList(from, Math.min(documents.size(), from + 100)));
    }
    note("all " + documents.size() + " published again");
  }

  /** Waits until {@code fraction} of the documents have their audit row, then injects a fault. */
  void at(double fraction, String fault, FaultAction action) throws Exception {
    long target = (long) (fraction * documents.size());
    await("audit rows for " + fault)
        .atMost(Duration.ofMinutes(5))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> count("SELECT count(*) FROM conveyor.task_audit") >= target);
    action.run();
    faults.add(fault);
    note(fault + " (at " + count0() + " audit rows)");
  }

  void restartProcessor() throws InterruptedException {
    restart("processor");
  }

  void restartDispatcher() throws InterruptedException {
    restart("dispatcher");
  }

  void restartPatrol() throws InterruptedException {
    restart("patrol");
  }

  /**
   * SIGKILL to Redis, whose AOF then loses everything written since a patrol round (at least one
   * second, and a round that cleaned up tasks: what a power cut leaves of an {@code appendfsync
   * everysec} AOF, at its worst moment), and a start on the same port and directory.
   */
  void crashRedisLosingASecond() throws Exception {
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
    pg.crashAndRestart();
  }

  void awaitAllDeliveredAndCleaned(Duration atMost) {
    await("every message audited and cleaned up")
        .atMost(atMost)
        .pollInterval(Duration.ofSeconds(1))
        .ignoreExceptions()
        .until(() ->
            count("SELECT count(*) FROM conveyor.task_audit WHERE cleaned_at IS NOT NULL")
                >= documents.size());
    note("all audited and cleaned");
  }

  void assertExactlyOnceDeliveredAuditRowPerMessage() throws SQLException {
    Set<String> ids = new HashSet<>();
    Map<String, Long> outcomes = new HashMap<>();
    try (Connection c = pg.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT task_id, outcome FROM conveyor.task_audit")) {
      while (rs.next()) {
        ids.add(rs.getString(1));
        outcomes.merge(rs.getString(2), 1L, Long::sum);
      }
    }
    assertThat(ids)
        .as("one audit row per message")
        .containsExactlyInAnyOrderElementsOf(
            documents.stream().map(EmbeddedRun.Input::taskId).toList());
    assertThat(outcomes).isEqualTo(Map.of("delivered", (long) documents.size()));
    assertThat(count("SELECT count(*) FROM conveyor.dead_items")).as("dead items").isZero();
  }

  /** The delivered rows, in the embedded run's order. */
  List<Map<String, Object>> rows() throws SQLException {
    try (Connection c = pg.connect()) {
      return NerCorpus.rows(c);
    }
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
            assertThat(withoutHeartbeats(keys())).containsExactlyInAnyOrderElementsOf(baseline));
    note("keys back to the baseline of " + baseline.size());
  }

  private static Set<String> withoutHeartbeats(List<String> keys) {
    Set<String> kept = new HashSet<>(keys);
    kept.removeIf(k -> k.startsWith(NAMESPACE + ":node:"));
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

  void report() {
    System.out.println(
        "faults run: "
            + documents.size()
            + " documents, "
            + faults.size()
            + " faults, AOF bytes dropped "
            + aofBytesLost);
    timeline.forEach(System.out::println);
  }

  @Override
  public void close() throws IOException {
    closing = true;
    if (supervisor != null) {
      supervisor.interrupt();
    }
    if (publisher != null) {
      publisher.interrupt();
    }
    if (shardWatch != null) {
      shardWatch.interrupt();
    }
    try {
      for (DaemonProcess d : daemons.values()) {
        d.killIfAlive();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      redis.close();
      pg.close();
    }
  }

  /** SIGKILL to one replica, which stays down (a host lost): the others must take over. */
  synchronized void killForGood(String replica) throws InterruptedException {
    down.add(replica);
    daemons.get(replica).kill();
  }

  /** The patrol replica that took the lease last (and has not logged losing it). */
  String leaseHolder() throws IOException {
    for (DaemonProcess d : daemons.values()) {
      if (!d.name().startsWith("patrol") || down.contains(d.name())) {
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
    return daemons
        .get(replica)
        .get("/metrics")
        .lines()
        .filter(l -> l.startsWith(metric + "{") || l.startsWith(metric + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  /**
   * Samples Quartz's {@code qrtz_fired_triggers} every 20 ms until {@link #close()} and records
   * every moment at which one chain (one step shard) was executing on two replicas at once.
   */
  void watchShardsRunOnceAtATime() {
    shardWatch =
        Thread.ofPlatform()
            .daemon()
            .name("shard-watch")
            .start(() -> {
              try (Connection c = pg.connect();
                  java.sql.PreparedStatement s =
                      c.prepareStatement(
                          "SELECT job_group, job_name, string_agg(instance_name, ',')"
                              + " FROM conveyor.qrtz_fired_triggers WHERE state = 'EXECUTING'"
                              + " GROUP BY job_group, job_name HAVING count(*) > 1")) {
                while (!closing) {
                  try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                      overlaps.add(
                          rs.getString(1) + "." + rs.getString(2) + " on " + rs.getString(3));
                    }
                  } catch (SQLException e) {
                    // why: PostgreSQL may be away for a moment (a fault); sample again
                  }
                  Thread.sleep(20);
                }
              } catch (SQLException | InterruptedException e) {
                // closing
              }
            });
  }

  void assertNoShardRanOnTwoReplicasAtOnce() {
    assertThat(shardWatch).as("watchShardsRunOnceAtATime() was called").isNotNull();
    assertThat(overlaps).as("step shards executing on two replicas at once").isEmpty();
  }

  private synchronized void restart(String daemon) throws InterruptedException {
    DaemonProcess d = daemons.get(daemon);
    d.kill();
    d.start();
  }

  private void awaitHealthy() {
    await("every daemon answers /health with 200")
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .until(() ->
            daemons.values().stream()
                .filter(d -> !down.contains(d.name()))
                .allMatch(DaemonProcess::healthy));
  }

  private void publish(List<EmbeddedRun.Input> batch) {
    try (RedisClient j = redis.client();
        AbstractPipeline p = j.pipelined()) {
      for (EmbeddedRun.Input d : batch) {
        p.xadd(
            NAMESPACE + ":inbox",
            StreamEntryID.NEW_ENTRY,
            Map.of("pipeline", "ner", "id", d.taskId(), "payload", d.payload().toString()));
      }
      p.sync();
    }
  }

  private void publishRetrying(List<EmbeddedRun.Input> batch) throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      try {
        publish(batch);
        return;
      } catch (RuntimeException e) {
        if (attempt >= 120) {
          throw e;
        }
        // why: Redis is down for a moment; a producer retries (ids make a repeat harmless)
        Thread.sleep(500);
      }
    }
  }

  private List<String> keys() {
    List<String> keys = new ArrayList<>();
    try (RedisClient j = redis.client()) {
      String cursor = ScanParams.SCAN_POINTER_START;
      ScanParams params = new ScanParams().match(NAMESPACE + ":*").count(1000);
      do {
        ScanResult<String> page = j.scan(cursor, params);
        keys.addAll(page.getResult());
        cursor = page.getCursor();
      } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    }
    return keys;
  }

  private long count(String query) throws SQLException {
    try (Connection c = pg.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(query)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private String count0() {
    try {
      return Long.toString(count("SELECT count(*) FROM conveyor.task_audit"));
    } catch (SQLException e) {
      return "?";
    }
  }

  private synchronized void note(String what) {
    String line =
        String.format(
            java.util.Locale.ROOT, "  %6.1fs  %s", (System.nanoTime() - started) / 1e9, what);
    timeline.add(line);
    System.out.println(line);
  }

  /**
   * {@code deploy/pipelines/ner.yaml} with cleanup grace 2 s (so cleanup runs amid the faults) and
   * {@code shards} chains for every step.
   */
  private static Path nerWithShortGrace(Path dir, int shards) throws IOException {
    Files.createDirectories(dir);
    Path shipped = Repo.root().resolve("deploy/pipelines");
    String yaml = Files.readString(shipped.resolve("ner.yaml"));
    String patched =
        yaml.replace(
            "cleanup: {mode: auto, tolerance: 0.1}",
            "cleanup: {mode: auto, tolerance: 0.1, grace: 2s}");
    if (patched.equals(yaml)) {
      throw new IllegalStateException("ner.yaml's cleanup line changed; update FaultRun");
    }
    if (shards > 1) {
      String sharded = patched.replace("defaults:\n", "defaults:\n  shards: " + shards + "\n");
      if (sharded.equals(patched)) {
        throw new IllegalStateException("ner.yaml has no defaults: block; update FaultRun");
      }
      patched = sharded;
    }
    Files.writeString(dir.resolve("ner.yaml"), patched);
    Files.createSymbolicLink(dir.resolve("data"), shipped.resolve("data"));
    return dir;
  }

  /** A fault to inject. */
  @FunctionalInterface
  interface FaultAction {
    void run() throws Exception;
  }
}
