package dev.conveyor.patrol;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.config.Env;
import dev.conveyor.common.db.LeaseLostException;
import dev.conveyor.common.test.CapturedLog;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.StepLedger;
import dev.conveyor.runtime.ledger.StepProgress;
import dev.conveyor.runtime.ledger.TaskCompletion;
import dev.conveyor.runtime.ledger.TaskFinishing;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The patrol lease in PostgreSQL and its fence, against a real PostgreSQL: a standby takes the
 * lease only once it expired, with the next token; a takeover waits for the unit of work the old
 * holder has in progress, and the old holder writes nothing after it; a round longer than the lease
 * keeps it by renewing it; a round whose lease was lost stops, and the new holder does its work.
 */
@WithServices
class PatrolLeaseIT {
  private static Path pipelines;
  private final List<Patrol> patrols = new ArrayList<>();
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @BeforeAll
  static void files(TestServices services, @TempDir Path dir) throws Exception {
    pipelines = dir;
    services.sql(
        "CREATE TABLE conveyor.lease_facts (task_id text, part int, text text,"
            + " PRIMARY KEY (task_id, part))");
    services.sql("CREATE TABLE conveyor.marks (what text)");
    Files.writeString(
        dir.resolve("forced.yaml"),
        """
        pipeline: forced
        version: 1
        cleanup: {mode: force, grace: 100ms}
        steps:
          - {name: deliver, kind: sink, sink: {table: conveyor.lease_facts, key: [task_id, part]}}
        """);
  }

  @BeforeEach
  void nobodyHoldsTheLease(TestServices services) {
    services.sql(
        "UPDATE conveyor.patrol_lease SET holder = '', instance = '', expires_at = '-infinity'");
  }

  @AfterEach
  void stop() {
    patrols.forEach(Patrol::shutdown);
    threads.shutdownNow();
  }

  @Test
  void aStandbyTakesTheLeaseOnlyOnceItExpiredWithTheNextToken(TestServices services) {
    PatrolLease a = lease(services, "lease-a", Duration.ofSeconds(1));
    PatrolLease b = lease(services, "lease-b", Duration.ofSeconds(1));

    long first = a.hold().orElseThrow();
    assertThat(b.hold()).isEmpty();
    assertThat(a.hold()).as("renewed, same token").hasValue(first);

    // a stops renewing (it died, or hangs): once its TTL is over, b takes over
    await().atMost(10, SECONDS).until(() -> b.hold().isPresent());
    assertThat(b.hold()).hasValue(first + 1);
    assertThat(holder(services).node()).isEqualTo("lease-b");
    assertThat(a.held()).as("a's own view: not renewed for a TTL").isFalse();
    try (CapturedLog log = new CapturedLog(PatrolLease.class)) {
      a.renew();
      assertThat(log.events("lease_lost"))
          .singleElement()
          .extracting(e -> e.get("holder"))
          .isEqualTo("lease-a");
    }
    assertThat(a.hold()).isEmpty();

    b.release();
    assertThat(a.hold()).as("given back: taken at once").hasValue(first + 2);
  }

  @Test
  void aPatrolRestartedWithItsNodeIdTakesItsLeaseBackAtOnceAndTheOldRunIsFencedOff(
      TestServices services) {
    PatrolLease before = lease(services, "restarted", Duration.ofSeconds(30));
    PatrolLease other = lease(services, "other", Duration.ofSeconds(30));
    long first = before.hold().orElseThrow();
    LeaseFence old = before.fence();

    // killed and started again (a container keeps its hostname): no waiting for the TTL
    PatrolLease after = lease(services, "restarted", Duration.ofSeconds(30));
    assertThat(after.hold()).hasValue(first + 1);
    assertThat(other.hold()).isEmpty();
    assertThatThrownBy(() -> old.run(c -> mark(c, "the old run, after the restart")))
        .isInstanceOf(LeaseLostException.class);
  }

  @Test
  void aTakeoverWaitsForTheUnitOfWorkInProgressAndTheOldHolderWritesNothingAfterIt(
      TestServices services) throws Exception {
    PatrolLease a = lease(services, "fence-a", Duration.ofSeconds(1));
    PatrolLease b = lease(services, "fence-b", Duration.ofSeconds(30));
    long first = a.hold().orElseThrow();
    LeaseFence fence = a.fence();
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    CompletableFuture<Integer> unit =
        CompletableFuture.supplyAsync(
            () ->
                fence.run(c -> {
                  mark(c, "a: first write");
                  inside.countDown();
                  awaitLatch(finish);
                  mark(c, "a: last write");
                  return 2;
                }),
            threads);
    assertThat(inside.await(10, SECONDS)).isTrue();
    // a's lease expires while its unit of work runs (a hangs, and its renewals do not come)
    await().atMost(10, SECONDS).until(() -> !holder(services).live());

    CompletableFuture<OptionalLong> takeover = CompletableFuture.supplyAsync(b::hold, threads);
    await()
        .during(Duration.ofMillis(700))
        .atMost(Duration.ofMillis(1500))
        .until(() -> !takeover.isDone());
    finish.countDown();

    assertThat(unit.get(10, SECONDS)).isEqualTo(2);
    OptionalLong taken = takeover.get(10, SECONDS);
    if (taken.isEmpty()) {
      // why: its lock wait (2 s) ran out on a slow machine; the unit is committed now
      taken = b.hold();
    }
    assertThat(taken).hasValue(first + 1);
    assertThat(a.held()).isFalse();
    assertThatThrownBy(() -> a.fence()).isInstanceOf(LeaseLostException.class);
    // even a fence a took before it lost the lease writes nothing now
    assertThatThrownBy(() -> fence.run(c -> mark(c, "a: after the takeover")))
        .isInstanceOf(LeaseLostException.class);
    assertThat(marks(services)).containsExactly("a: first write", "a: last write");
  }

  @Test
  void aRoundLongerThanItsLeaseKeepsTheLeaseByRenewingIt(TestServices services) {
    Gate gate = new Gate();
    start(services, "long-a", List.of(gate));
    await().atMost(10, SECONDS).until(() -> holderIs(services, "long-a"));
    start(services, "long-b", List.of());
    long token = holder(services).token();
    gate.close();
    gate.awaitEntered();

    // three TTLs inside one round: the lease keeper renews it meanwhile, the standby waits
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(5))
        .until(() -> holderIs(services, "long-a") && holder(services).token() == token);
    try (CapturedLog rounds = new CapturedLog(PatrolCycle.class)) {
      gate.open();
      await().atMost(10, SECONDS).until(() -> !rounds.events("patrol_round").isEmpty());
      assertThat(rounds.events("patrol_round").getFirst()).doesNotContainKey("stopped");
    }
    assertThat(holder(services).token()).isEqualTo(token);
  }

  @Test
  void aRoundThatLostItsLeaseStopsAndTheNewHolderCleansWhatItWouldHave(TestServices services) {
    Gate gate = new Gate();
    start(services, "lost-a", List.of(gate));
    await().atMost(10, SECONDS).until(() -> holderIs(services, "lost-a"));
    start(services, "lost-b", List.of());
    long old = holder(services).token();
    try (CapturedLog leases = new CapturedLog(PatrolLease.class);
        CapturedLog rounds = new CapturedLog(PatrolCycle.class)) {
      gate.close();
      gate.awaitEntered();
      for (int i = 0; i < 10; i++) {
        finished(services, "stale-" + i);
      }
      // a's round hangs in a chore while a's lease is lost, as after a pause of its whole JVM:
      // taken away (expired, holder unknown), so that lost-b takes it at its next round
      services.sql(
          "UPDATE conveyor.patrol_lease SET instance = 'paused', expires_at = '-infinity'");
      await().atMost(10, SECONDS).until(() -> holderIs(services, "lost-b"));
      await()
          .atMost(10, SECONDS)
          .until(() ->
              leases.events("lease_lost").stream().anyMatch(e -> "lost-a".equals(e.get("holder"))));
      gate.open();

      await()
          .atMost(10, SECONDS)
          .until(() ->
              rounds.events("patrol_round").stream()
                  .anyMatch(e -> "lease_lost".equals(e.get("stopped"))));
      await()
          .atMost(10, SECONDS)
          .until(() ->
              services.queryLong(
                      "SELECT count(*) FROM conveyor.task_audit WHERE task_id LIKE 'stale-%'"
                          + " AND cleaned_at IS NOT NULL")
                  == 10);
    }
    long now = holder(services).token();
    assertThat(now).isEqualTo(old + 1);
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.task_audit WHERE task_id LIKE 'stale-%'"
                    + " AND cleaned_by = "
                    + now))
        .as("every one cleaned by the new holder")
        .isEqualTo(10);
  }

  /** A chore that, once closed, holds the round it runs in until opened. */
  private static final class Gate implements Chore {
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch open = new CountDownLatch(1);

    @Override
    public String name() {
      return "gate";
    }

    @Override
    public long round() {
      if (closed.compareAndSet(true, false)) {
        entered.countDown();
        awaitLatch(open);
      }
      return 0;
    }

    void close() {
      closed.set(true);
    }

    void awaitEntered() {
      await().atMost(10, SECONDS).until(() -> entered.getCount() == 0);
    }

    void open() {
      open.countDown();
    }
  }

  private static void awaitLatch(CountDownLatch latch) {
    try {
      if (!latch.await(30, SECONDS)) {
        throw new IllegalStateException("the test never opened the latch");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static PatrolLease lease(TestServices services, String node, Duration ttl) {
    return new PatrolLease(
        new PatrolLeaseRepository(services.dataSource()), services.dataSource(), node, ttl);
  }

  private static PatrolLeaseRepository.Holder holder(TestServices services) {
    return new PatrolLeaseRepository(services.dataSource()).holder().orElseThrow();
  }

  private static boolean holderIs(TestServices services, String node) {
    return new PatrolLeaseRepository(services.dataSource())
        .holder()
        .filter(h -> h.live() && h.node().equals(node))
        .isPresent();
  }

  private static int mark(Connection c, String what) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO conveyor.marks VALUES (?)")) {
      ps.setString(1, what);
      return ps.executeUpdate();
    }
  }

  private static List<String> marks(TestServices services) throws SQLException {
    List<String> marks = new ArrayList<>();
    try (Connection c = services.dataSource().getConnection();
        var rs = c.createStatement().executeQuery("SELECT what FROM conveyor.marks")) {
      while (rs.next()) {
        marks.add(rs.getString(1));
      }
    }
    return marks;
  }

  private void start(TestServices services, String node, List<Chore> chores) {
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.put("CONVEYOR_PATROL_INTERVAL", "100ms");
    env.put("CONVEYOR_PATROL_LEASE_TTL", "1s");
    env.put("CONVEYOR_NODE_ID", node);
    Patrol patrol = new Patrol(PatrolConfig.from(Env.of(env)), Clock.systemUTC(), chores);
    patrol.activate();
    patrol.start();
    patrols.add(patrol);
  }

  /** A one-part task of the forced pipeline, delivered and finished. */
  private static void finished(TestServices services, String id) {
    Pipeline p = PipelineLoader.loadDirectory(pipelines).get("forced").orElseThrow();
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    StepLedger ledger = new StepLedger(services.jedis(), services.keys());
    Registration r = new Registration(id, p, "1-0", Instant.now(), List.of("{\"text\":\"x\"}"));
    intake.registerAll(List.of(r));
    ledger.recordOutput(
        StepProgress.of(p, p.step("deliver").orElseThrow()), new QueueItem(id, 0, "1-0"), "1");
    services.sql("INSERT INTO conveyor.lease_facts VALUES ('" + id + "', 0, 'x')");
    new TaskCompletion(
            new TaskFinishing(services.jedis(), services.keys()),
            new TaskAuditRepository(services.dataSource()),
            Clock.systemUTC())
        .finish(p, List.of(id));
  }
}
