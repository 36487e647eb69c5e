package dev.conveyor.patrol;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.config.Env;
import dev.conveyor.common.test.CapturedLog;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.processor.Processor;
import dev.conveyor.processor.ProcessorConfig;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.quartz.ChainKey;
import dev.conveyor.runtime.quartz.QuartzTables;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quartz.Scheduler;
import org.quartz.TriggerKey;
import org.quartz.impl.SchedulerRepository;
import org.quartz.impl.matchers.GroupMatcher;

/**
 * Chains broken by hand in the store of a processor running in this JVM are repaired, and healthy,
 * suspended or job-less chains are not. Each test breaks chains of its own pipeline and leaves them
 * healthy.
 */
@WithServices
class ChainRepairIT {
  private static final String CLIENT_ID = "patrol-repair-it";
  private static final String PROCESSOR_ID = "processor-repair-it";

  /** A link waiting to fire, or acquired by a processor that will fire it when due. */
  private static final List<String> LIVE = List.of("WAITING", "ACQUIRED");

  private static final String NOT_TICKING =
      "NOT EXISTS (SELECT 1 FROM conveyor.qrtz_fired_triggers f WHERE f.sched_name = 'conveyor'"
          + " AND f.job_name = '%s' AND f.job_group = '%s' AND f.state = 'EXECUTING')";

  private static Processor processor;
  private static QuartzClient client;
  private static Pipelines processorPipelines;
  private static Pipelines patrolPipelines;

  @BeforeAll
  static void start(TestServices services, @TempDir Path dir) throws Exception {
    for (String name : List.of("lost", "err", "orphan", "paused")) {
      Files.writeString(
          dir.resolve(name + ".yaml"),
          """
          pipeline: %s
          version: 1
          steps:
            - name: deliver
              kind: sink
              offset: 100ms
              batch: 50
              shards: %d
              sink: {table: conveyor.echo_rows, key: [task_id, part]}
          """
              .formatted(name, name.equals("orphan") ? 2 : 1));
    }
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    env.put("CONVEYOR_REDIS_BLOCK", "200ms");
    env.put("CONVEYOR_CLUSTER_CHECKIN", "1s");
    env.put("CONVEYOR_NODE_ID", PROCESSOR_ID);
    ProcessorConfig config = ProcessorConfig.from(Env.of(env));
    processorPipelines = config.pipelines();
    // the patrol also loads a pipeline no processor runs: its chain has no job
    List<Pipeline> all = new ArrayList<>(processorPipelines.all());
    all.add(
        PipelineLoader.parse(
            """
            pipeline: ghost
            version: 1
            steps:
              - {name: deliver, kind: sink, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
            """,
            "ghost.yaml"));
    patrolPipelines = Pipelines.of(all);
    processor = new Processor(config);
    processor.activate();
    processor.start();
    client = new QuartzClient(CLIENT_ID, services::dataSource);
    client.activate();
    client.start();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.shutdown();
    }
    if (processor != null) {
      processor.shutdown();
    }
  }

  @Test
  void aChainWhoseTriggerWasDeletedStallsUntilARoundGivesItANewLink(TestServices services)
      throws Exception {
    ChainKey key = new ChainKey("lost", "deliver", 0);
    breakChain(services, key, LIVE, deleteTrigger(key));
    assertThat(triggers(services, key)).isZero();

    publish(services, "lost", "lost-", 5);
    await()
        .during(Duration.ofMillis(1500))
        .atMost(3, SECONDS)
        .until(() -> rows(services, "lost-") == 0);

    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (CapturedLog log = new CapturedLog(ChainRepair.class)) {
      assertThat(repair(services, registry).round()).isEqualTo(1);
      assertThat(log.events("chain_repaired"))
          .singleElement()
          .satisfies(e -> {
            assertThat(e.get("level")).isEqualTo("WARN");
            assertThat(e.get("chain")).isEqualTo("lost.deliver.0");
            assertThat(e.get("reason")).isEqualTo("missing_trigger");
          });
    }
    assertThat(
            registry
                .get("conveyor_patrol_chains_repaired")
                .tag("reason", "missing_trigger")
                .counter()
                .count())
        .isEqualTo(1);
    await().atMost(30, SECONDS).until(() -> rows(services, "lost-") == 5);
  }

  @Test
  void aChainWhoseTriggerIsInErrorIsRepaired(TestServices services) throws Exception {
    ChainKey key = new ChainKey("err", "deliver", 0);
    breakChain(services, key, LIVE, setState(key, "ERROR"));

    publish(services, "err", "err-", 5);
    await()
        .during(Duration.ofMillis(1500))
        .atMost(3, SECONDS)
        .until(() -> rows(services, "err-") == 0);

    try (CapturedLog log = new CapturedLog(ChainRepair.class)) {
      assertThat(repair(services, new SimpleMeterRegistry()).round()).isEqualTo(1);
      assertThat(log.events("chain_repaired"))
          .singleElement()
          .satisfies(e -> {
            assertThat(e.get("chain")).isEqualTo("err.deliver.0");
            assertThat(e.get("reason")).isEqualTo("error_state");
          });
    }
    await().atMost(30, SECONDS).until(() -> rows(services, "err-") == 5);
  }

  @Test
  void anOrphanedAcquiredOrBlockedTriggerIsRepairedOnlyOnceOlderThanTheGrace(TestServices services)
      throws Exception {
    ChainKey acquired = new ChainKey("orphan", "deliver", 0);
    ChainKey blocked = new ChainKey("orphan", "deliver", 1);
    MutableClock clock = new MutableClock(Instant.now());
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ChainRepair repair =
        new ChainRepair(
            patrolPipelines,
            new QuartzTables(services::dataSource),
            client::scheduler,
            registry,
            clock,
            Duration.ofMinutes(2));
    try (CapturedLog log = new CapturedLog(ChainRepair.class)) {
      orphan(services, acquired, "ACQUIRED");
      assertThat(stateOf(services, acquired)).isEqualTo("ACQUIRED");
      assertThat(repair.round()).isZero();

      clock.advance(Duration.ofSeconds(90));
      orphan(services, blocked, "BLOCKED");
      assertThat(repair.round()).as("both younger than the grace").isZero();

      clock.advance(Duration.ofSeconds(60));
      assertThat(repair.round()).as("the acquired one is 150 s old, the blocked one 60 s").isOne();
      assertThat(stateOf(services, acquired)).isEqualTo("WAITING");
      assertThat(stateOf(services, blocked)).isEqualTo("BLOCKED");

      clock.advance(Duration.ofSeconds(90));
      assertThat(repair.round()).isOne();
      assertThat(stateOf(services, blocked)).isEqualTo("WAITING");
      assertThat(repair.round()).isZero();

      assertThat(log.events("chain_repaired"))
          .extracting(e -> e.get("chain") + " " + e.get("reason"))
          .containsExactly(
              "orphan.deliver.0 orphaned_acquired", "orphan.deliver.1 orphaned_blocked");
    } finally {
      // why: the repair links are due at the moved clock's time, minutes ahead; bring them back
      for (ChainKey key : List.of(acquired, blocked)) {
        client.scheduler().rescheduleJob(key.triggerKey(), key.link(Instant.now(), Duration.ZERO));
      }
    }
    assertThat(
            registry
                .get("conveyor_patrol_chains_repaired")
                .tag("reason", "orphaned_acquired")
                .counter()
                .count())
        .isEqualTo(1);
  }

  @Test
  void aSuspendedStepIsLeftAloneEvenWithItsTriggerGone(TestServices services) throws Exception {
    ChainKey key = new ChainKey("paused", "deliver", 0);
    Scheduler quartz = client.scheduler();
    GroupMatcher<TriggerKey> group = GroupMatcher.triggerGroupEquals(key.triggerKey().getGroup());
    ChainRepair repair = repair(services, new SimpleMeterRegistry());
    try {
      quartz.pauseTriggers(group);
      await()
          .atMost(10, SECONDS)
          .until(() -> "PAUSED".equals(stateOf(services, key)) && !ticking(services, key));
      assertThat(repair.round()).as("a paused trigger").isZero();

      breakChain(services, key, List.of("PAUSED"), deleteTrigger(key));
      assertThat(repair.round()).as("a missing trigger of a suspended step").isZero();
      assertThat(triggers(services, key)).isZero();
    } finally {
      quartz.resumeTriggers(group);
    }
    try (CapturedLog log = new CapturedLog(ChainRepair.class)) {
      assertThat(repair.round()).as("once resumed, the lost trigger is repaired").isOne();
      assertThat(log.events("chain_repaired"))
          .singleElement()
          .satisfies(e -> assertThat(e.get("reason")).isEqualTo("missing_trigger"));
    }
    publish(services, "paused", "paused-", 3);
    await().atMost(30, SECONDS).until(() -> rows(services, "paused-") == 3);
  }

  @Test
  void aHealthySystemNeedsNoRepairRoundAfterRoundWhileItWorks(TestServices services) {
    ChainRepair repair = repair(services, new SimpleMeterRegistry());
    for (Pipeline p : processorPipelines.all()) {
      publish(services, p.name(), "healthy-" + p.name() + "-", 40);
    }
    List<Integer> rounds = new ArrayList<>();
    await()
        .atMost(30, SECONDS)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> {
          rounds.add(repair.round());
          return rounds.size() >= 15 && rows(services, "healthy-") == 160;
        });
    assertThat(rounds).containsOnly(0);
  }

  @Test
  void aChainWithoutItsJobIsReportedOnceAndItsJobNeverCreated(TestServices services) {
    ChainKey ghost = new ChainKey("ghost", "deliver", 0);
    ChainRepair repair = repair(services, new SimpleMeterRegistry());
    try (CapturedLog log = new CapturedLog(ChainRepair.class)) {
      assertThat(repair.round()).isZero();
      assertThat(repair.round()).isZero();

      assertThat(repair.missingJobs()).containsExactly(ghost);
      assertThat(log.events("chain_missing_job"))
          .singleElement()
          .satisfies(e -> {
            assertThat(e.get("level")).isEqualTo("WARN");
            assertThat(e.get("chain")).isEqualTo("ghost.deliver.0");
          });
    }
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.qrtz_job_details WHERE job_group = 'ghost'"))
        .isZero();
    assertThat(triggers(services, ghost)).isZero();
  }

  @Test
  void theClientSharesTheProcessorsStoreWithoutJoiningItsClusterOrTakingItsName(
      TestServices services) throws Exception {
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.qrtz_scheduler_state WHERE instance_name = '"
                    + PROCESSOR_ID
                    + "'"))
        .isOne();
    Scheduler processors = SchedulerRepository.getInstance().lookup("conveyor");
    assertThat(processors).isNotNull().isNotSameAs(client.scheduler());
    assertThat(processors.isStarted()).isTrue();

    QuartzClient another = new QuartzClient(CLIENT_ID + "-2", services::dataSource);
    another.activate();
    assertThat(another.scheduler().isStarted()).isFalse();
    another.shutdown();

    assertThat(SchedulerRepository.getInstance().lookup("conveyor")).isSameAs(processors);
    assertThat(processors.isShutdown()).isFalse();
    assertThat(client.scheduler().isStarted()).isFalse();
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.qrtz_scheduler_state WHERE instance_name LIKE"
                    + " 'patrol-%'"))
        .isZero();
  }

  private static ChainRepair repair(TestServices services, SimpleMeterRegistry registry) {
    return new ChainRepair(
        patrolPipelines, new QuartzTables(services::dataSource), client::scheduler, registry);
  }

  /**
   * Changes a chain's rows as a fault would, atomically with respect to the processor: under
   * Quartz's TRIGGER_ACCESS lock, once the chain's trigger is in one of {@code states} and no tick
   * of it runs (a running tick would put the link back); then waits until the processor has let go
   * of the link (an acquired link is dropped when it is due and no longer ACQUIRED).
   */
  private static void breakChain(
      TestServices services, ChainKey key, List<String> states, String... statements) {
    await()
        .atMost(10, SECONDS)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> changeIfIdle(services, key, states, statements));
    await().atMost(10, SECONDS).until(() -> firings(services, key) == 0);
  }

  /**
   * Leaves the chain's trigger in {@code state} with no firing behind it. It is parked in ERROR
   * first: a processor holding the link drops an ERROR one untouched, but would put an ACQUIRED or
   * BLOCKED one back to WAITING.
   */
  private static void orphan(TestServices services, ChainKey key, String state) {
    breakChain(services, key, LIVE, setState(key, "ERROR"));
    services.sql(setState(key, state));
    assertThat(firings(services, key)).isZero();
  }

  private static boolean changeIfIdle(
      TestServices services, ChainKey key, List<String> states, String... statements)
      throws SQLException {
    try (Connection c = services.dataSource().getConnection()) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute(
            "SELECT 1 FROM conveyor.qrtz_locks WHERE sched_name = 'conveyor'"
                + " AND lock_name = 'TRIGGER_ACCESS' FOR UPDATE");
        boolean idle;
        try (var rs =
            st.executeQuery(
                "SELECT count(*) FROM conveyor.qrtz_triggers WHERE "
                    + triggerIs(key)
                    + " AND trigger_state IN ('"
                    + String.join("', '", states)
                    + "') AND "
                    + NOT_TICKING.formatted(key.jobKey().getName(), key.jobKey().getGroup()))) {
          rs.next();
          idle = rs.getLong(1) == 1;
        }
        if (idle) {
          for (String s : statements) {
            st.execute(s);
          }
        }
        c.commit();
        return idle;
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private static String triggerIs(ChainKey key) {
    return "sched_name = 'conveyor' AND trigger_name = '%s' AND trigger_group = '%s'"
        .formatted(key.triggerKey().getName(), key.triggerKey().getGroup());
  }

  private static String[] deleteTrigger(ChainKey key) {
    return new String[] {
      "DELETE FROM conveyor.qrtz_simple_triggers WHERE " + triggerIs(key),
      "DELETE FROM conveyor.qrtz_triggers WHERE " + triggerIs(key)
    };
  }

  private static String setState(ChainKey key, String state) {
    return "UPDATE conveyor.qrtz_triggers SET trigger_state = '%s' WHERE %s"
        .formatted(state, triggerIs(key));
  }

  private static long triggers(TestServices services, ChainKey key) {
    return services.queryLong(
        "SELECT count(*) FROM conveyor.qrtz_triggers WHERE " + triggerIs(key));
  }

  /** Firings of the chain: by job (running), or by trigger (acquired: Quartz names no job). */
  private static long firings(TestServices services, ChainKey key) {
    return services.queryLong(
        ("SELECT count(*) FROM conveyor.qrtz_fired_triggers WHERE (job_name = '%s' AND job_group"
                + " = '%s') OR (trigger_name = '%s' AND trigger_group = '%s')")
            .formatted(
                key.jobKey().getName(),
                key.jobKey().getGroup(),
                key.triggerKey().getName(),
                key.triggerKey().getGroup()));
  }

  private static boolean ticking(TestServices services, ChainKey key) {
    return firings(services, key) > 0;
  }

  private static String stateOf(TestServices services, ChainKey key) throws SQLException {
    try (Connection c = services.dataSource().getConnection();
        Statement st = c.createStatement();
        var rs =
            st.executeQuery(
                "SELECT trigger_state FROM conveyor.qrtz_triggers WHERE " + triggerIs(key))) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  private static long rows(TestServices services, String prefix) {
    return services.queryLong(
        "SELECT count(*) FROM conveyor.echo_rows WHERE task_id LIKE '" + prefix + "%'");
  }

  private static void publish(TestServices services, String pipeline, String prefix, int n) {
    Pipeline p = processorPipelines.get(pipeline).orElseThrow();
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    List<Registration> tasks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      tasks.add(
          new Registration(
              prefix + i, p, "1-" + i, Instant.now(), List.of("{\"text\":\"hello " + i + "\"}")));
    }
    intake.registerAll(tasks);
    intake.dispatchAll(tasks);
  }
}
