package dev.conveyor.patrol;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.config.Env;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.runtime.ledger.DeadLetters;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.StepLedger;
import dev.conveyor.runtime.ledger.StepProgress;
import dev.conveyor.runtime.ledger.TaskCompletion;
import dev.conveyor.runtime.ledger.TaskFinishing;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.TaskAudit;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the patrol tests share, with task state built by hand (no processor): the pipelines of the
 * patrol tests ({@code lost}, {@code doomed}, {@code watched}, {@code tidy}, {@code patient},
 * {@code forced}, all delivering to {@code conveyor.facts}), patrols started on them (stopped by
 * {@link #stopAll()}), and tasks registered or finished as the dispatcher and the processor would
 * leave them.
 */
final class PatrolFixture {
  private final Path pipelines;
  private final List<Patrol> patrols = new ArrayList<>();

  private PatrolFixture(Path pipelines) {
    this.pipelines = pipelines;
  }

  /** Writes the pipelines into {@code dir} and creates their sink table, {@code conveyor.facts}. */
  static PatrolFixture create(TestServices services, Path dir) throws IOException {
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
    return new PatrolFixture(dir);
  }

  /** The patrols started so far. */
  List<Patrol> patrols() {
    return patrols;
  }

  void stopAll() {
    patrols.forEach(Patrol::shutdown);
    patrols.clear();
  }

  Patrol start(TestServices services, String node) {
    return start(services, node, Map.of(), Clock.systemUTC(), List.of());
  }

  Patrol start(
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
  static Chore counting(AtomicInteger rounds) {
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

  Pipelines patrolPipelines(TestServices services) {
    return PipelineLoader.loadDirectory(pipelines);
  }

  Pipeline pipeline(TestServices services, String name) {
    return patrolPipelines(services).get(name).orElseThrow();
  }

  /** Registered with its parts, but never fanned out (as if the queue entries were lost). */
  Registration register(TestServices services, String pipeline, String id, int parts) {
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
  void finished(TestServices services, String pipeline, String id, int parts, int rowsKept) {
    finished(services, pipeline, id, parts, rowsKept, 0);
  }

  /**
   * As above, but the last {@code dead} parts died at the sink (a {@code dead_items} row each)
   * instead of being delivered.
   */
  void finished(
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

  TaskAudit awaitAudit(TestServices services, String id) {
    TaskAuditRepository audits = new TaskAuditRepository(services.dataSource());
    await().atMost(10, SECONDS).until(() -> audits.find(id).isPresent());
    return audits.find(id).orElseThrow();
  }
}
