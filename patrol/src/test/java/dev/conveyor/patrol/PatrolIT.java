package dev.conveyor.patrol;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.config.Env;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.DeadLetters;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.StepLedger;
import dev.conveyor.runtime.ledger.StepProgress;
import dev.conveyor.runtime.ledger.TaskCompletion;
import dev.conveyor.runtime.ledger.TaskFinishing;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.ledger.TaskLookup;
import dev.conveyor.runtime.ledger.TaskReport;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.records.DeadItem;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.TaskAudit;
import dev.conveyor.runtime.records.TaskAuditRepository;
import dev.conveyor.runtime.records.TaskCleanupRepository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The patrol in-process against real Redis and PostgreSQL, with task state built by hand (no
 * processor): what it re-drives, kills, finishes, cleans and keeps.
 */
@WithServices
class PatrolIT {
  private static Path pipelines;
  private final List<Patrol> patrols = new ArrayList<>();

  @BeforeAll
  static void files(TestServices services, @TempDir Path dir) throws Exception {
    pipelines = dir;
    services.sql(
        "CREATE TABLE conveyor.facts (task_id text, part int, text text, PRIMARY KEY (task_id, part))");
    Files.writeString(
        dir.resolve("lost.yaml"),
        """
        pipeline: lost
        version: 1
        stuck_after: 300ms
        max_redrives: 2
        cleanup: {mode: off}
        steps:
          - {name: deliver, kind: sink, sink: {table: conveyor.facts, key: [task_id, part]}}
        """);
    Files.writeString(
        dir.resolve("doomed.yaml"),
        """
        pipeline: doomed
        version: 1
        stuck_after: 300ms
        max_redrives: 0
        cleanup: {mode: off}
        steps:
          - {name: deliver, kind: sink, sink: {table: conveyor.facts, key: [task_id, part]}}
        """);
    Files.writeString(
        dir.resolve("watched.yaml"),
        """
        pipeline: watched
        version: 1
        steps:
          - {name: deliver, kind: sink, sink: {table: conveyor.facts, key: [task_id, part]}}
        """);
    Files.writeString(
        dir.resolve("tidy.yaml"),
        """
        pipeline: tidy
        version: 1
        cleanup: {mode: auto, tolerance: 0.1, grace: 200ms}
        steps:
          - {name: deliver, kind: sink, sink: {table: conveyor.facts, key: [task_id, part]}}
        """);
    Files.writeString(
        dir.resolve("patient.yaml"),
        """
        pipeline: patient
        version: 1
        cleanup: {mode: force, grace: 60s}
        steps:
          - {name: deliver, kind: sink, sink: {table: conveyor.facts, key: [task_id, part]}}
        """);
    Files.writeString(
        dir.resolve("forced.yaml"),
        """
        pipeline: forced
        version: 1
        cleanup: {mode: force, grace: 200ms}
        steps:
          - {name: deliver, kind: sink, sink: {table: conveyor.facts, key: [task_id, part]}}
        """);
  }

  @AfterEach
  void stop() {
    patrols.forEach(Patrol::shutdown);
  }

  @Test
  void aTaskWhosePartsWereNeverEnqueuedIsRedrivenToItsFirstStep(TestServices services) {
    Patrol patrol = start(services, "redrive-node");
    Registration r = register(services, "lost", "lost-1", 3);

    await()
        .atMost(10, SECONDS)
        .until(() -> services.jedis().xlen(services.keys().stepQueue("lost", "deliver", 0)) == 3);
    assertThat(services.jedis().hget(services.keys().taskMeta(r.taskId()), "redrives"))
        .isEqualTo("1");
    assertThat(patrol.state().name()).isEqualTo("RUNNING");
  }

  @Test
  void aPartStuckPastItsRedrivesIsDeadAndItsTaskPartial(TestServices services) {
    StepLedger ledger = new StepLedger(services.jedis(), services.keys());
    Pipeline doomed = pipeline(services, "doomed");
    register(services, "doomed", "doomed-1", 2);
    // part 0 was delivered; part 1 never arrives
    ledger.recordOutput(
        StepProgress.of(doomed, doomed.step("deliver").orElseThrow()),
        new QueueItem("doomed-1", 0, "1-0"),
        "1");
    // why: only now: a round before part 0's output would find both parts stuck (FAILED)
    start(services, "kill-node");

    TaskAudit audit = awaitAudit(services, "doomed-1");
    assertThat(audit.outcome()).isEqualTo(TaskAudit.Outcome.PARTIAL);
    assertThat(audit.failedParts()).isEqualTo(1);
    List<DeadItem> dead = new DeadItemRepository(services.dataSource()).forTask("doomed-1");
    assertThat(dead).hasSize(1);
    assertThat(dead.getFirst().part()).isEqualTo(1);
    assertThat(dead.getFirst().error())
        .startsWith("stuck: no progress for 300ms after 0 re-drives");
  }

  @Test
  void autoCleanupDeletesAtAndAboveTheToleranceAndKeepsBelow(TestServices services) {
    finished(services, "tidy", "tidy-full", 10, 10);
    finished(services, "tidy", "tidy-at", 10, 9);
    finished(services, "tidy", "tidy-below", 10, 8);
    start(services, "clean-node");

    TaskAuditRepository audits = new TaskAuditRepository(services.dataSource());
    TaskCleanupRepository cleanups = new TaskCleanupRepository(services.dataSource());
    await()
        .atMost(10, SECONDS)
        .until(() ->
            audits.find("tidy-full").orElseThrow().cleanedAt().isPresent()
                && audits.find("tidy-at").orElseThrow().cleanedAt().isPresent()
                && cleanups.countHeld() == 1);
    assertThat(services.jedis().exists(services.keys().taskMeta("tidy-full"))).isFalse();
    assertThat(services.jedis().exists(services.keys().taskOutput("tidy-at", "deliver"))).isFalse();
    assertThat(audits.find("tidy-below").orElseThrow().cleanedAt()).isEmpty();
    assertThat(services.jedis().exists(services.keys().taskMeta("tidy-below"))).isTrue();
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.task_audit WHERE task_id = 'tidy-below'"
                    + " AND cleanup_detail LIKE 'rows in database 8 of 10%'"))
        .isEqualTo(1);
  }

  @Test
  void forceCleanupWaitsForTheGraceThenDeletesWithoutCounting(TestServices services) {
    finished(services, "patient", "patient-1", 4, 0);
    MutableClock clock = new MutableClock(Instant.now());
    AtomicInteger rounds = new AtomicInteger();
    start(services, "patient-node", Map.of(), clock, List.of(counting(rounds)));
    TaskAuditRepository audits = new TaskAuditRepository(services.dataSource());

    int seen = rounds.get();
    await().atMost(10, SECONDS).until(() -> rounds.get() >= seen + 2);
    assertThat(audits.find("patient-1").orElseThrow().cleanedAt())
        .as("within its 60s grace")
        .isEmpty();
    assertThat(services.jedis().exists(services.keys().taskParts("patient-1"))).isTrue();

    clock.advance(Duration.ofSeconds(61));
    await()
        .atMost(10, SECONDS)
        .until(() -> audits.find("patient-1").orElseThrow().cleanedAt().isPresent());
    assertThat(services.jedis().exists(services.keys().taskParts("patient-1"))).isFalse();
  }

  @Test
  void autoCleanupHoldsATaskWhosePartsAreBelowTheToleranceEvenWithEveryRowInTheDatabase(
      TestServices services) {
    // 10 parts, 2 dead: every row its sink reported is in the table, but 8 of 10 parts < 0.9
    finished(services, "tidy", "tidy-parts", 10, 8, 2);
    start(services, "parts-node");

    await()
        .atMost(10, SECONDS)
        .until(() ->
            services.queryLong(
                    "SELECT count(*) FROM conveyor.task_audit WHERE task_id = 'tidy-parts'"
                        + " AND cleanup_held_at IS NOT NULL")
                == 1);
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.task_audit WHERE task_id = 'tidy-parts'"
                    + " AND cleanup_detail LIKE 'rows in database 8 of 8 delivered (1.000),"
                    + " parts delivered 8 of 10 (0.800)%'"))
        .isEqualTo(1);
    assertThat(services.jedis().exists(services.keys().taskMeta("tidy-parts"))).isTrue();
  }

  @Test
  void aHeldTaskIsReleasedAfterTheHeldRetentionWithARowSayingSoAndASnapshotForReplay(
      TestServices services) {
    finished(services, "tidy", "tidy-held", 4, 2, 1);
    // why: past the pipeline's 200ms grace; the clock stands still until the test moves it
    MutableClock clock = new MutableClock(Instant.now().plusSeconds(1));
    start(services, "release-node", Map.of("CONVEYOR_HELD_RETENTION", "1h"), clock, List.of());
    TaskAuditRepository audits = new TaskAuditRepository(services.dataSource());
    await()
        .atMost(10, SECONDS)
        .until(() ->
            services.queryLong(
                    "SELECT count(*) FROM conveyor.task_audit WHERE task_id = 'tidy-held'"
                        + " AND cleanup_held_at IS NOT NULL")
                == 1);
    assertThat(audits.find("tidy-held").orElseThrow().cleanedAt()).isEmpty();

    clock.advance(Duration.ofHours(2));

    await()
        .atMost(10, SECONDS)
        .until(() -> audits.find("tidy-held").orElseThrow().cleanedAt().isPresent());
    assertThat(services.redisKeys()).noneMatch(k -> k.contains("{tidy-held}"));
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.task_audit WHERE task_id = 'tidy-held'"
                    + " AND cleanup_detail LIKE 'released after 1h held: rows in database 2 of 3%'"))
        .isEqualTo(1);
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.task_snapshots WHERE task_id = 'tidy-held'"
                    + " AND data->'parts'->>'3' IS NOT NULL AND data->'dead'->>'3' IS NOT NULL"))
        .as("what a replay of its dead item needs")
        .isEqualTo(1);
  }

  @Test
  void rowsOfAPipelineNoLongerLoadedNeitherBlockCleanupNorStayForEver(TestServices services) {
    Instant longAgo = Instant.now().minus(Duration.ofMinutes(10));
    for (int i = 0; i < 10; i++) {
      services.sql(
          "INSERT INTO conveyor.task_audit (task_id, pipeline, pipeline_version, outcome, parts,"
              + " received_at, finished_at) VALUES ('gone-"
              + i
              + "', 'retired', 1, 'delivered', 1, '"
              + longAgo
              + "', '"
              + longAgo
              + "')");
    }
    finished(services, "forced", "after-gone", 1, 1);
    // why: past the pipeline's 200ms grace; the clock stands still until the test moves it
    MutableClock clock = new MutableClock(Instant.now().plusSeconds(1));
    start(
        services,
        "budget-node",
        Map.of("CONVEYOR_PATROL_BUDGET", "10", "CONVEYOR_HELD_RETENTION", "1h"),
        clock,
        List.of());
    TaskAuditRepository audits = new TaskAuditRepository(services.dataSource());

    await()
        .atMost(10, SECONDS)
        .until(() -> audits.find("after-gone").orElseThrow().cleanedAt().isPresent());
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.task_audit WHERE pipeline = 'retired'"
                    + " AND cleaned_at IS NULL"))
        .as("within the held retention")
        .isEqualTo(10);

    clock.advance(Duration.ofHours(1));
    await()
        .atMost(10, SECONDS)
        .until(() ->
            services.queryLong(
                    "SELECT count(*) FROM conveyor.task_audit WHERE pipeline = 'retired'"
                        + " AND cleanup_detail LIKE 'released after 1h finished, its pipeline not"
                        + " loaded: %'")
                == 10);
  }

  @Test
  void eachRoundDeletesRowsPastTheirRetentionAndCountsThem(TestServices services) {
    String old = Instant.now().minus(Duration.ofHours(2)).toString();
    services.sql(
        "INSERT INTO conveyor.task_audit (task_id, pipeline, pipeline_version, outcome, parts,"
            + " received_at, finished_at, cleaned_at) VALUES ('old-1', 'forced', 1, 'delivered',"
            + " 1, '"
            + old
            + "', '"
            + old
            + "', '"
            + old
            + "')");
    services.sql(
        "INSERT INTO conveyor.dead_items (task_id, pipeline, part, step, attempts, error,"
            + " failed_at) VALUES ('old-2', 'forced', 0, 'deliver', 1, 'x', '"
            + old
            + "')");
    services.sql(
        "INSERT INTO conveyor.rejected_messages (stream_id, reason, fields, received_at)"
            + " VALUES ('old-3', 'bad_id', '{}', '"
            + old
            + "')");
    Patrol patrol =
        start(
            services,
            "prune-node",
            Map.of(
                "CONVEYOR_DEDUPE_WINDOW", "1h",
                "CONVEYOR_DEAD_RETENTION", "1h",
                "CONVEYOR_REJECTED_RETENTION", "1h"),
            Clock.systemUTC(),
            List.of());

    await()
        .atMost(10, SECONDS)
        .untilAsserted(() ->
            assertThat(
                    services.queryLong(
                        "SELECT (SELECT count(*) FROM conveyor.task_audit WHERE task_id = 'old-1')"
                            + " + (SELECT count(*) FROM conveyor.dead_items WHERE task_id = 'old-2')"
                            + " + (SELECT count(*) FROM conveyor.rejected_messages"
                            + "    WHERE stream_id = 'old-3')"))
                .isZero());
    assertThat(
            patrol.metrics().scrape().lines().filter(l -> l.startsWith("conveyor_patrol_pruned")))
        .anyMatch(l -> l.contains("table=\"task_audit\"") && l.endsWith(" 1.0"))
        .anyMatch(l -> l.contains("table=\"dead_items\"") && l.endsWith(" 1.0"))
        .anyMatch(l -> l.contains("table=\"rejected_messages\"") && l.endsWith(" 1.0"));
  }

  @Test
  void keysOfACleanedTaskThatRedisBroughtBackAreDeletedAgain(TestServices services) {
    finished(services, "forced", "back-1", 2, 0);
    Keys keys = services.keys();
    List<String> taskKeys =
        List.of(
            keys.taskMeta("back-1"),
            keys.taskParts("back-1"),
            keys.taskOutput("back-1", "deliver"));
    Map<String, byte[]> before = new HashMap<>();
    taskKeys.forEach(k -> before.put(k, services.jedis().dump(k)));
    assertThat(before.values()).doesNotContainNull();
    TaskAuditRepository audits = new TaskAuditRepository(services.dataSource());
    start(services, "reclean-node");
    await()
        .atMost(10, SECONDS)
        .until(() -> audits.find("back-1").orElseThrow().cleanedAt().isPresent());
    assertThat(taskKeys).noneMatch(k -> services.jedis().exists(k));

    // Redis restarted from an AOF that lost its last second: the deletes and the index removal
    before.forEach((k, v) -> services.jedis().restore(k, 0, v));
    services.jedis().zadd(keys.finished("forced"), 1, "back-1");

    await()
        .atMost(10, SECONDS)
        .untilAsserted(() -> {
          assertThat(taskKeys).noneMatch(k -> services.jedis().exists(k));
          assertThat(services.jedis().zscore(keys.finished("forced"), "back-1")).isNull();
        });
  }

  @Test
  void twoPatrolsShareTheWorkSoNoTaskIsCleanedTwice(TestServices services) {
    for (int i = 0; i < 40; i++) {
      finished(services, "forced", "pair-" + i, 1, 0);
    }
    start(services, "patrol-one");
    start(services, "patrol-two");

    await()
        .atMost(15, SECONDS)
        .until(() ->
            services.queryLong(
                    "SELECT count(*) FROM conveyor.task_audit WHERE task_id LIKE 'pair-%' AND cleaned_at IS NOT NULL")
                == 40);
    assertThat(
            services.queryLong(
                "SELECT count(DISTINCT cleaned_by) FROM conveyor.task_audit WHERE task_id LIKE 'pair-%'"))
        .as("one lease holder cleaned them all")
        .isEqualTo(1);
    assertThat(patrols)
        .extracting(p -> String.valueOf(((Map<?, ?>) p.status().get("round")).get("role")))
        .containsExactlyInAnyOrder("active", "standby");
  }

  @Test
  void taskReportShowsProgressAndAfterCleanupTheAuditRow(TestServices services) throws Exception {
    Patrol patrol = start(services, "status-node");
    register(services, "watched", "status-1", 2);
    TaskReport status =
        new TaskReport(
            patrolPipelines(services),
            new TaskLookup(services.jedis(), services.keys()),
            new TaskAuditRepository(services.dataSource()),
            new DeadItemRepository(services.dataSource()));

    Map<String, Object> inFlight = status.status("status-1").orElseThrow();
    assertThat(inFlight)
        .containsEntry("pipeline", "watched")
        .containsEntry("state", "in_flight")
        .containsEntry("parts", 2);
    assertThat(inFlight.get("steps")).isEqualTo(Map.of("deliver", Map.of("passed", 0, "of", 2)));

    finished(services, "forced", "status-2", 1, 1);
    TaskAuditRepository audits = new TaskAuditRepository(services.dataSource());
    await()
        .atMost(10, SECONDS)
        .until(() -> audits.find("status-2").orElseThrow().cleanedAt().isPresent());
    Map<String, Object> cleaned = status.status("status-2").orElseThrow();
    assertThat(cleaned).containsEntry("state", "cleaned").containsEntry("outcome", "delivered");
    assertThat(status.status("nope")).isEmpty();
    assertThat(patrol.state().name()).isEqualTo("RUNNING");
  }

  private Patrol start(TestServices services, String node) {
    return start(services, node, Map.of(), Clock.systemUTC(), List.of());
  }

  private Patrol start(
      TestServices services,
      String node,
      Map<String, String> settings,
      Clock clock,
      List<Chore> chores) {
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.put("CONVEYOR_PATROL_INTERVAL", "200ms");
    env.put("CONVEYOR_NODE_ID", node);
    env.putAll(settings);
    Patrol patrol = new Patrol(PatrolConfig.from(Env.of(env)), clock, chores);
    patrol.activate();
    patrol.start();
    patrols.add(patrol);
    return patrol;
  }

  /** A chore that counts the rounds it ran in. */
  private static Chore counting(AtomicInteger rounds) {
    return new Chore() {
      @Override
      public String name() {
        return "counted";
      }

      @Override
      public long round() {
        return rounds.incrementAndGet();
      }
    };
  }

  private static dev.conveyor.runtime.pipeline.Pipelines patrolPipelines(TestServices services) {
    return dev.conveyor.runtime.pipeline.PipelineLoader.loadDirectory(pipelines);
  }

  private static Pipeline pipeline(TestServices services, String name) {
    return patrolPipelines(services).get(name).orElseThrow();
  }

  /** Registered with its parts, but never fanned out (as if the queue entries were lost). */
  private static Registration register(
      TestServices services, String pipeline, String id, int parts) {
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    Registration r =
        new Registration(
            id,
            pipeline(services, pipeline),
            "1-0",
            Instant.now().minusSeconds(5),
            Collections.nCopies(parts, "{\"text\":\"x\"}"));
    intake.registerAll(List.of(r));
    services.jedis().zadd(services.keys().inflight(pipeline), r.receivedAt().toEpochMilli(), id);
    return r;
  }

  /**
   * A task of {@code parts} parts, each delivered as one row by the sink, finished with its audit
   * row; {@code rowsKept} of the rows are really in the table.
   */
  private static void finished(
      TestServices services, String pipeline, String id, int parts, int rowsKept) {
    finished(services, pipeline, id, parts, rowsKept, 0);
  }

  /**
   * As above, but the last {@code dead} parts died at the sink (a {@code dead_items} row each)
   * instead of being delivered.
   */
  private static void finished(
      TestServices services, String pipeline, String id, int parts, int rowsKept, int dead) {
    Pipeline p = pipeline(services, pipeline);
    StepLedger ledger = new StepLedger(services.jedis(), services.keys());
    register(services, pipeline, id, parts);
    StepProgress deliver = StepProgress.of(p, p.step("deliver").orElseThrow());
    DeadLetters letters =
        new DeadLetters(ledger, new DeadItemRepository(services.dataSource()), Clock.systemUTC());
    for (int part = 0; part < parts; part++) {
      if (part >= parts - dead) {
        letters.kill(deliver, pipeline, new QueueItem(id, part, "1-" + part, 3), "{}", "refused");
        continue;
      }
      ledger.recordOutput(deliver, new QueueItem(id, part, "1-" + part), "1");
      if (part < rowsKept) {
        services.sql("INSERT INTO conveyor.facts VALUES ('" + id + "', " + part + ", 'x')");
      }
    }
    new TaskCompletion(
            new TaskFinishing(services.jedis(), services.keys()),
            new TaskAuditRepository(services.dataSource()),
            Clock.systemUTC())
        .finish(p, List.of(id));
  }

  private static TaskAudit awaitAudit(TestServices services, String id) {
    TaskAuditRepository audits = new TaskAuditRepository(services.dataSource());
    await().atMost(10, SECONDS).until(() -> audits.find(id).isPresent());
    return audits.find(id).orElseThrow();
  }
}
