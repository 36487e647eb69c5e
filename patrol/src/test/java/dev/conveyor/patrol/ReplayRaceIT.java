package dev.conveyor.patrol;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.cli.Conveyor;
import dev.conveyor.common.config.Env;
import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.common.test.CapturedLog;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.DeadLetters;
import dev.conveyor.runtime.ledger.Progress;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.StepLedger;
import dev.conveyor.runtime.ledger.StepProgress;
import dev.conveyor.runtime.ledger.TaskCompletion;
import dev.conveyor.runtime.ledger.TaskFinishing;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two patrols, replays racing cleanup, the lease moving between them again and again: tasks of two
 * parts, one of them dead, finish {@code partial} within their pipeline's tolerance, so that patrol
 * cleans them up (keeping a snapshot) while {@code conveyor replay} re-opens them — some after they
 * were cleaned, some while the cleanup is due — and in each iteration the patrol holding the lease
 * is suspended, so that the other takes it over in the middle of the replays. No dead item may be
 * lost, no task may end as {@code task_lost}, and every replayed task must end with one audit row,
 * {@code delivered}, once its replayed part went through.
 */
@WithServices
class ReplayRaceIT {
  private static final int ITERATIONS = 10;
  private static final int TASKS = 6;

  private final List<Patrol> patrols = new ArrayList<>();

  @AfterEach
  void stop() {
    patrols.forEach(Patrol::shutdown);
  }

  @Test
  void replaysRacingCleanupOnTwoPatrolsLoseNothingWhileTheLeaseMoves(
      TestServices services, @TempDir Path dir) throws Exception {
    services.sql(
        "CREATE TABLE conveyor.race_facts (task_id text, part int, text text,"
            + " PRIMARY KEY (task_id, part))");
    Files.writeString(
        dir.resolve("race.yaml"),
        """
        pipeline: race
        version: 1
        cleanup: {mode: auto, tolerance: 0.5, grace: 1s}
        steps:
          - {name: work, kind: java, class: dev.conveyor.runtime.step.builtin.Identity}
          - name: deliver
            kind: sink
            after: [work]
            sink: {table: conveyor.race_facts, key: [task_id, part]}
        """);
    Pipeline race = PipelineLoader.loadDirectory(dir).get("race").orElseThrow();
    Map<String, Patrol> byNode = new HashMap<>();
    byNode.put("race-a", start(services, dir, "race-a"));
    byNode.put("race-b", start(services, dir, "race-b"));
    TaskAuditRepository audit = new TaskAuditRepository(services.dataSource());
    DeadItemRepository dead = new DeadItemRepository(services.dataSource());
    TaskCompletion completion =
        new TaskCompletion(
            new TaskFinishing(services.jedis(), services.keys()), audit, Clock.systemUTC());
    Map<String, String> cli = new HashMap<>(services.env());
    cli.put("CONVEYOR_PIPELINES", dir.toString());
    await().atMost(15, SECONDS).until(() -> liveHolder(services).isPresent());
    await()
        .atMost(15, SECONDS)
        .until(() ->
            services.jedis().hget(services.keys().node("race-b"), "http") != null
                && services.jedis().hget(services.keys().node("race-a"), "http") != null);

    List<String> all = new ArrayList<>();
    Map<Integer, Integer> codes = new java.util.TreeMap<>();
    try (CapturedLog replays = new CapturedLog(DeadItemReplay.class);
        CapturedLog audits = new CapturedLog(CompletenessAudit.class);
        CapturedLog leases = new CapturedLog(PatrolLease.class)) {
      for (int i = 0; i < ITERATIONS; i++) {
        List<String> ids = new ArrayList<>();
        for (int k = 0; k < TASKS; k++) {
          String id = "race-" + i + "-" + k;
          finishedWithADeadPart(services, race, dead, completion, id);
          ids.add(id);
        }
        all.addAll(ids);
        // half of them cleaned up before the replay (brought back from their snapshot), the
        // others replayed while their cleanup is due
        await().atMost(15, SECONDS).until(() -> cleaned(audit, ids.subList(0, TASKS / 2)));

        // the holder is suspended while three replays run: it stops renewing, the other patrol
        // takes the lease over once it expired
        String holder = liveHolder(services).orElseThrow();
        List<CompletableFuture<Run>> first = new ArrayList<>();
        for (int n = 0; n < 3; n++) {
          first.add(CompletableFuture.supplyAsync(() -> replay(cli)));
        }
        byNode.get(holder).suspend();
        await()
            .atMost(15, SECONDS)
            .until(() -> liveHolder(services).filter(h -> !h.equals(holder)).isPresent());
        byNode.get(holder).resume();
        for (CompletableFuture<Run> f : first) {
          Run r = f.get(30, SECONDS);
          codes.merge(r.code(), 1, Integer::sum);
          assertThat(r.code())
              .as("done, nothing left, or refused by a patrol that lost the lease: %s", r)
              .isIn(Conveyor.EXIT_OK, Conveyor.EXIT_NOT_FOUND, Conveyor.EXIT_UNREACHABLE);
        }
        // until every dead item of the iteration was replayed (a replay cut short by the lease
        // moving is run again, as an operator would)
        await()
            .atMost(30, SECONDS)
            .pollInterval(Duration.ofMillis(300))
            .until(() -> {
              if (ids.stream().allMatch(id -> dead.forTask(id).isEmpty())) {
                return true;
              }
              replay(cli);
              return false;
            });
        processReplayedParts(services, race, completion, ids);
      }

      System.out.println("exit codes of the racing replays: " + codes);
      assertThat(audits.events("task_lost")).isEmpty();
      assertThat(replays.events("task_replayed"))
          .as("brought back from a snapshot")
          .anyMatch(e -> Boolean.TRUE.equals(e.get("restored")));
      // why: whether a task of the second half is replayed before or after its cleanup is the race
      // itself; both paths are covered one at a time by DeadItemReplayIT, here only counted
      System.out.println(
          "replays re-opened before their cleanup: "
              + replays.events("task_replayed").stream()
                  .filter(e -> Boolean.FALSE.equals(e.get("restored")))
                  .count());
      assertThat(leases.events("lease_taken").stream().map(e -> e.get("holder")).distinct())
          .containsExactlyInAnyOrder("race-a", "race-b");
      assertThat(leases.events("lease_taken")).hasSizeGreaterThanOrEqualTo(ITERATIONS);
    }
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.dead_items")).isZero();
    for (String id : all) {
      var row = audit.find(id);
      assertThat(row).as(id + " has its audit row").isPresent();
      assertThat(row.get().outcome().sql()).as(id).isEqualTo("delivered");
      assertThat(row.get().failedParts()).as(id).isZero();
    }
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.race_facts WHERE task_id LIKE 'race-%'"))
        .isEqualTo(2L * all.size());
    assertThat(byNode.values()).allMatch(p -> p.state() == State.RUNNING);
  }

  /** Part 0 delivered, part 1 dead at {@code work}: {@code partial}, within the tolerance. */
  private static void finishedWithADeadPart(
      TestServices services,
      Pipeline race,
      DeadItemRepository dead,
      TaskCompletion completion,
      String id) {
    StepLedger ledger = new StepLedger(services.jedis(), services.keys());
    Registration r =
        new Registration(id, race, "1-0", Instant.now(), List.of("{\"n\":0}", "{\"n\":1}"));
    new TaskIntake(services.jedis(), services.keys()).registerAll(List.of(r));
    services.jedis().zadd(services.keys().inflight("race"), r.receivedAt().toEpochMilli(), id);
    ledger.recordOutput(progress(race, "work"), new QueueItem(id, 0, "1-0"), "{\"n\":0}");
    services.sql("INSERT INTO conveyor.race_facts VALUES ('" + id + "', 0, 'x')");
    ledger.recordOutput(progress(race, "deliver"), new QueueItem(id, 0, "1-0"), "1");
    Progress p =
        new DeadLetters(ledger, dead, Clock.systemUTC())
            .kill(
                progress(race, "work"), "race", new QueueItem(id, 1, "1-1", 3), "{\"n\":1}", "bug");
    assertThat(p.complete()).isTrue();
    completion.finish(race, List.of(id));
  }

  /** What a processor does with the replayed items: work, then deliver; the task finishes. */
  private static void processReplayedParts(
      TestServices services, Pipeline race, TaskCompletion completion, List<String> ids) {
    StepLedger ledger = new StepLedger(services.jedis(), services.keys());
    StreamGroup queue =
        new StreamGroup(
            services.jedis(), services.keys().stepQueue("race", "work", 0), Keys.PROCESSOR_GROUP);
    queue.ensure();
    List<String> done = new ArrayList<>();
    await()
        .atMost(15, SECONDS)
        .until(() -> {
          List<StreamMessage> read =
              queue.readNew(Keys.PROCESSOR_CONSUMER, 100, Duration.ofMillis(100));
          queue.ack(read.stream().map(StreamMessage::id).toList());
          for (StreamMessage m : read) {
            Optional<QueueItem> item = QueueItem.from(m);
            if (item.isEmpty() || !ids.contains(item.get().taskId())) {
              continue;
            }
            QueueItem it = item.get();
            if (ledger.recordOutput(progress(race, "work"), it, "{\"n\":1}").ready().isEmpty()) {
              continue;
            }
            services.sql(
                "INSERT INTO conveyor.race_facts VALUES ('"
                    + it.taskId()
                    + "', 1, 'x') ON CONFLICT DO NOTHING");
            if (ledger
                .recordOutput(progress(race, "deliver"), new QueueItem(it.taskId(), 1, "2-0"), "1")
                .complete()) {
              completion.finish(race, List.of(it.taskId()));
              done.add(it.taskId());
            }
          }
          return done.containsAll(ids);
        });
  }

  private static boolean cleaned(TaskAuditRepository audit, List<String> ids) {
    return ids.stream().allMatch(id -> audit.find(id).flatMap(a -> a.cleanedAt()).isPresent());
  }

  private static Optional<String> liveHolder(TestServices services) {
    return new PatrolLeaseRepository(services.dataSource())
        .holder()
        .filter(PatrolLeaseRepository.Holder::live)
        .map(PatrolLeaseRepository.Holder::node);
  }

  private static StepProgress progress(Pipeline p, String step) {
    return StepProgress.of(p, p.step(step).orElseThrow());
  }

  private record Run(int code, String out, String err) {}

  private static Run replay(Map<String, String> env) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Conveyor.run(
            Env.of(env),
            new PrintWriter(out, true),
            new PrintWriter(err, true),
            "replay",
            "--pipeline",
            "race");
    return new Run(code, out.toString(), err.toString());
  }

  private Patrol start(TestServices services, Path dir, String node) throws IOException {
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    env.put("CONVEYOR_PATROL_INTERVAL", "100ms");
    env.put("CONVEYOR_PATROL_LEASE_TTL", "1s");
    env.put("CONVEYOR_NODE_ID", node);
    env.put("CONVEYOR_HTTP_PORT", Integer.toString(freePort()));
    env.put("CONVEYOR_HTTP_HOST", "127.0.0.1");
    Patrol patrol = new Patrol(PatrolConfig.from(Env.of(env)));
    patrol.activate();
    patrol.start();
    patrols.add(patrol);
    return patrol;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
