package dev.conveyor.cli;

import static dev.conveyor.cli.test.CliRun.run;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import dev.conveyor.cli.test.CliRun;
import dev.conveyor.common.config.Env;
import dev.conveyor.common.db.Fence;
import dev.conveyor.common.http.JsonBodies;
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
import dev.conveyor.runtime.ledger.TaskSweep;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.TaskAuditRepository;
import dev.conveyor.runtime.records.TaskCleanupRepository;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI in-process through picocli against a real Redis and PostgreSQL, with task state built by
 * hand: one task in flight, one finished, one cleaned up.
 */
@WithServices
class ConveyorCliIT {
  private static final Instant RECEIVED = Instant.parse("2026-11-22T01:22:45.247Z");
  private static final Instant FINISHED = Instant.parse("2026-11-22T01:23:10.500Z");
  private static final Instant CLEANED = Instant.parse("2026-11-22T01:24:15.250Z");
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Path pipelines;
  private static Pipeline ner;

  @BeforeAll
  static void state(TestServices services, @TempDir Path dir) throws Exception {
    pipelines = dir;
    Files.writeString(
        dir.resolve("ner.yaml"),
        """
        pipeline: ner
        version: 1
        steps:
          - {name: company, kind: java, class: dev.conveyor.runtime.step.builtin.Identity}
          - {name: person, kind: java, class: dev.conveyor.runtime.step.builtin.Identity}
          - name: merge
            kind: java
            class: dev.conveyor.runtime.step.builtin.Identity
            after: [company, person]
          - name: assemble
            kind: java
            class: dev.conveyor.runtime.step.builtin.Identity
            after: [merge]
            scope: task
          - name: deliver
            kind: sink
            after: [assemble]
            sink: {table: conveyor.echo_rows, key: [task_id, part]}
        """);
    ner = PipelineLoader.loadDirectory(dir).get("ner").orElseThrow();
    StepLedger ledger = new StepLedger(services.jedis(), services.keys());
    TaskSweep sweep = new TaskSweep(services.jedis(), services.keys());

    // doc-42: in flight; part 2 died at person
    register(services, "doc-42", RECEIVED);
    output(ledger, "company", "doc-42", 0, 1, 2);
    output(ledger, "person", "doc-42", 0, 1);
    output(ledger, "merge", "doc-42", 0, 1);
    ledger.recordDead(progress("person"), new QueueItem("doc-42", 2, "1-0"), "timeout after 30s");

    // doc-40: every part delivered, its audit row written, not cleaned up yet
    register(services, "doc-40", RECEIVED.minusSeconds(60));
    output(ledger, "company", "doc-40", 0, 1, 2);
    output(ledger, "person", "doc-40", 0, 1, 2);
    output(ledger, "merge", "doc-40", 0, 1, 2);
    ledger.recordOutput(progress("assemble"), new QueueItem("doc-40", QueueItem.TASK, "1-0"), "{}");
    ledger.recordOutput(progress("deliver"), new QueueItem("doc-40", QueueItem.TASK, "1-0"), "7");
    completion(services).finish(ner, List.of("doc-40"));

    // doc-41: part 2 dead after 3 attempts, the rest delivered; finished, then cleaned up
    register(services, "doc-41", RECEIVED.minusSeconds(120));
    output(ledger, "company", "doc-41", 0, 1, 2);
    output(ledger, "person", "doc-41", 0, 1);
    output(ledger, "merge", "doc-41", 0, 1);
    new DeadLetters(ledger, new DeadItemRepository(services.dataSource()), fixed(FINISHED))
        .kill(
            progress("person"),
            "ner",
            new QueueItem("doc-41", 2, "1-0", 3),
            "{\"text\":\"x\"}",
            "timeout after 30s");
    ledger.recordOutput(progress("assemble"), new QueueItem("doc-41", QueueItem.TASK, "1-0"), "{}");
    ledger.recordOutput(progress("deliver"), new QueueItem("doc-41", QueueItem.TASK, "1-0"), "2");
    completion(services).finish(ner, List.of("doc-41"));
    sweep.deleteTasks("ner", List.of("doc-41"));
    Fence.plain(services.dataSource())
        .run(c -> {
          TaskCleanupRepository audit = new TaskCleanupRepository(services.dataSource());
          return audit.markCleaned(
              c, looked(audit, "doc-41"), CLEANED, 1, java.util.Optional.empty());
        });
  }

  @Test
  void aTaskInFlightIsPrintedAsAlignedLines(TestServices services) {
    CliRun r = run(env(services), "task", "doc-42");

    assertThat(r.err()).isEmpty();
    assertThat(r.code()).isEqualTo(Conveyor.EXIT_OK);
    assertThat(r.out().lines())
        .containsExactly(
            "task      doc-42  (pipeline ner v1)",
            "state     in_flight, received 2026-11-22T01:22:45Z, 3 parts, re-driven 0 times",
            "steps     company  3/3",
            "          person   2/3",
            "          merge    2/3",
            "          assemble 0/1",
            "          deliver  0/1",
            "dead      part 2  person: timeout after 30s",
            "outcome   -");
  }

  @Test
  void aFinishedTaskShowsItsStepsAndItsOutcome(TestServices services) {
    CliRun r = run(env(services), "task", "doc-40");

    assertThat(r.code()).isEqualTo(Conveyor.EXIT_OK);
    assertThat(r.out().lines())
        .containsExactly(
            "task      doc-40  (pipeline ner v1)",
            "state     finished, received 2026-11-22T01:21:45Z, 3 parts, re-driven 0 times",
            "steps     company  3/3",
            "          person   3/3",
            "          merge    3/3",
            "          assemble 1/1",
            "          deliver  1/1",
            "dead      -",
            "outcome   delivered, 7 rows delivered, 0 of 3 parts failed",
            "finished  2026-11-22T01:23:10Z");
  }

  @Test
  void aCleanedTaskIsPrintedFromTheAuditRowAndTheDeadItems(TestServices services) {
    CliRun r = run(env(services), "task", "doc-41");

    assertThat(r.code()).isEqualTo(Conveyor.EXIT_OK);
    assertThat(r.out().lines())
        .containsExactly(
            "task      doc-41  (pipeline ner v1)",
            "state     cleaned, received 2026-11-22T01:20:45Z, 3 parts",
            "dead      part 2  person: timeout after 30s (3 attempts)",
            "outcome   partial, 2 rows delivered, 1 of 3 parts failed",
            "finished  2026-11-22T01:23:10Z",
            "cleaned   2026-11-22T01:24:15Z");
  }

  @Test
  void jsonIsOneObjectWithWhatPatrolAnswersForTheTask(TestServices services) throws Exception {
    CliRun r = run(env(services), "task", "doc-42", "--json");

    assertThat(r.code()).isEqualTo(Conveyor.EXIT_OK);
    assertThat(r.err()).isEmpty();
    assertThat(r.out().lines()).hasSize(1);
    JsonNode json = JSON.readTree(r.out());
    assertThat(json.get("task_id").asText()).isEqualTo("doc-42");
    assertThat(json.get("pipeline").asText()).isEqualTo("ner");
    assertThat(json.get("version").asInt()).isEqualTo(1);
    assertThat(json.get("received_at").asText()).isEqualTo("2026-11-22T01:22:45.247Z");
    assertThat(json.get("parts").asInt()).isEqualTo(3);
    assertThat(json.get("state").asText()).isEqualTo("in_flight");
    assertThat(json.get("redrives").asInt()).isZero();
    assertThat(json.at("/steps/person/passed").asInt()).isEqualTo(2);
    assertThat(json.at("/steps/assemble/of").asInt()).isEqualTo(1);
    assertThat(json.at("/dead/0/part").asText()).isEqualTo("2");
    assertThat(json.at("/dead/0/error").asText()).isEqualTo("person: timeout after 30s");
    assertThat(json.has("outcome")).isFalse();

    // why: patrol's GET /tasks/<id> answers this report too (TaskReportHandlerIT)
    byte[] report = JsonBodies.write(report(services).status("doc-42").orElseThrow());
    assertThat(json).isEqualTo(JSON.readTree(report));
  }

  @Test
  void jsonOfACleanedTaskHasItsOutcomeAndDeadItems(TestServices services) throws Exception {
    CliRun r = run(env(services), "task", "--json", "doc-41");

    JsonNode json = JSON.readTree(r.out());
    assertThat(r.code()).isEqualTo(Conveyor.EXIT_OK);
    assertThat(json.get("state").asText()).isEqualTo("cleaned");
    assertThat(json.get("outcome").asText()).isEqualTo("partial");
    assertThat(json.get("rows_delivered").asLong()).isEqualTo(2);
    assertThat(json.get("failed_parts").asInt()).isEqualTo(1);
    assertThat(json.get("cleaned_at").asText()).isEqualTo("2026-11-22T01:24:15.250Z");
    assertThat(json.at("/dead/0/step").asText()).isEqualTo("person");
    assertThat(json.at("/dead/0/attempts").asInt()).isEqualTo(3);
  }

  @Test
  void anUnknownTaskIsExitCodeOneWithNothingOnStdout(TestServices services) {
    CliRun r = run(env(services), "task", "doc-43");

    assertThat(r.code()).isEqualTo(Conveyor.EXIT_NOT_FOUND);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines()).containsExactly("conveyor: no task doc-43");
  }

  @Test
  void aMalformedIdIsAUsageErrorBeforeAnythingConnects(TestServices services) {
    Map<String, String> env = env(services);
    env.put("CONVEYOR_REDIS_URL", "redis://127.0.0.1:1");

    CliRun r = run(env, "task", "doc 42");

    assertThat(r.code()).isEqualTo(Conveyor.EXIT_USAGE);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines().findFirst())
        .hasValue("conveyor: not a task id: 'doc 42' (1-128 characters of A-Z a-z 0-9 . _ : -)");
  }

  @Test
  void aBadSettingIsOneLineNamingTheVariableAndExitCodeTwo(TestServices services) {
    Map<String, String> env = env(services);
    env.put("CONVEYOR_REDIS_URL", "http://redis:6379");

    CliRun r = run(env, "task", "doc-42");

    assertThat(r.code()).isEqualTo(Conveyor.EXIT_USAGE);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines())
        .containsExactly(
            "conveyor: CONVEYOR_REDIS_URL must start with redis:// or rediss:// (TLS),"
                + " was 'http://redis:6379'");
  }

  @Test
  void aMissingPipelineDirectoryIsAConfigurationError(TestServices services) {
    Map<String, String> env = env(services);
    env.put("CONVEYOR_PIPELINES", pipelines.resolve("missing").toString());

    CliRun r = run(env, "task", "doc-42");

    assertThat(r.code()).isEqualTo(Conveyor.EXIT_USAGE);
    assertThat(r.err().lines())
        .singleElement()
        .asString()
        .startsWith("conveyor: CONVEYOR_PIPELINES: pipeline directory ")
        .endsWith("missing does not exist");
  }

  @Test
  void anUnreachablePostgresIsOneLineAndExitCodeThree(TestServices services) {
    Map<String, String> env = env(services);
    env.put("CONVEYOR_PG_URL", "jdbc:postgresql://127.0.0.1:1/conveyor?password=hunter2");

    CliRun r = run(env, "task", "doc-42");

    assertThat(r.code()).isEqualTo(Conveyor.EXIT_UNREACHABLE);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines())
        .singleElement()
        .asString()
        .startsWith(
            "conveyor: cannot reach PostgreSQL at"
                + " jdbc:postgresql://127.0.0.1:1/conveyor?password=****: ")
        .contains("127.0.0.1:1")
        .doesNotContain("hunter2");
  }

  @Test
  void anUnreachableRedisIsOneLineAndExitCodeThree(TestServices services) {
    Map<String, String> env = env(services);
    env.put("CONVEYOR_REDIS_URL", "redis://127.0.0.1:1");

    CliRun r = run(env, "task", "doc-42");

    assertThat(r.code()).isEqualTo(Conveyor.EXIT_UNREACHABLE);
    assertThat(r.err().lines())
        .singleElement()
        .asString()
        .startsWith("conveyor: cannot reach Redis at redis://127.0.0.1:1: ");
  }

  @Test
  void anUnexpectedFailureIsExitCodeFourWithItsStackTrace(TestServices services) {
    services
        .jedis()
        .hset(services.keys().taskMeta("odd-1"), Map.of("pipeline", "ner", "parts", "x"));

    CliRun r = run(env(services), "task", "odd-1");

    assertThat(r.code()).isEqualTo(Conveyor.EXIT_INTERNAL);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines().toList())
        .first()
        .asString()
        .startsWith("conveyor: internal error: java.lang.NumberFormatException");
    assertThat(r.err()).contains("\tat dev.conveyor.runtime.ledger.TaskMeta.from");
  }

  @Test
  void theContextClosesThePoolAndClientItOpened(TestServices services) {
    DataSource pool;
    try (CliContext context = new CliContext(Env.of(env(services)))) {
      int code =
          Conveyor.commandLine(context, new PrintWriter(new StringWriter()), silent())
              .execute("task", "doc-42");
      assertThat(code).isEqualTo(Conveyor.EXIT_OK);
      pool = context.postgres();
      assertThat(((HikariDataSource) pool).isClosed()).isFalse();
    }

    assertThat(((HikariDataSource) pool).isClosed()).isTrue();
    await()
        .atMost(5, SECONDS)
        .until(() ->
            Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("conveyor-cli ")));
  }

  @Test
  void versionAndHelpNeedNeitherTheConfigurationNorTheServices() {
    Map<String, String> env = Map.of("CONVEYOR_REDIS_URL", "http://wrong");

    CliRun version = run(env, "--version");
    CliRun help = run(env, "task", "--help");

    assertThat(version.code()).isEqualTo(Conveyor.EXIT_OK);
    assertThat(version.out().lines()).containsExactly("conveyor dev");
    assertThat(help.code()).isEqualTo(Conveyor.EXIT_OK);
    assertThat(help.out()).contains("Usage: conveyor task [-h] [--json] ID");
    assertThat(help.err()).isEmpty();
  }

  private static Map<String, String> env(TestServices services) {
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    return env;
  }

  private static PrintWriter silent() {
    return new PrintWriter(new StringWriter());
  }

  private static TaskReport report(TestServices services) {
    return new TaskReport(
        Pipelines.of(List.of(ner)),
        new TaskLookup(services.jedis(), services.keys()),
        new TaskAuditRepository(services.dataSource()),
        new DeadItemRepository(services.dataSource()));
  }

  private static void register(TestServices services, String id, Instant received) {
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    Registration r =
        new Registration(id, ner, "1-0", received, Collections.nCopies(3, "{\"text\":\"x\"}"));
    intake.registerAll(List.of(r));
    intake.dispatchAll(List.of(r));
  }

  private static void output(StepLedger ledger, String step, String id, int... parts) {
    for (int part : parts) {
      ledger.recordOutput(progress(step), new QueueItem(id, part, "1-" + part), "{}");
    }
  }

  private static StepProgress progress(String step) {
    return StepProgress.of(ner, ner.step(step).orElseThrow());
  }

  private static TaskCompletion completion(TestServices services) {
    return new TaskCompletion(
        new TaskFinishing(services.jedis(), services.keys()),
        new TaskAuditRepository(services.dataSource()),
        fixed(FINISHED));
  }

  private static Clock fixed(Instant at) {
    return Clock.fixed(at, ZoneOffset.UTC);
  }

  /** The task as patrol's cleanup looks at it before marking it cleaned. */
  static List<TaskCleanupRepository.Finished> looked(TaskCleanupRepository audit, String taskId) {
    return audit.toClean("ner", Instant.now().plusSeconds(3600), 10_000).stream()
        .filter(f -> f.taskId().equals(taskId))
        .toList();
  }
}
