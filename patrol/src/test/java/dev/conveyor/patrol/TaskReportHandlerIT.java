package dev.conveyor.patrol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.cli.CliContext;
import dev.conveyor.cli.Conveyor;
import dev.conveyor.common.config.Env;
import dev.conveyor.common.http.HttpRequest;
import dev.conveyor.common.http.HttpResponse;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.ledger.QueuedMessages;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.StepLedger;
import dev.conveyor.runtime.ledger.StepProgress;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.ledger.TaskLookup;
import dev.conveyor.runtime.ledger.TaskReport;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.RejectedMessageRepository;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.StreamEntryID;

/** Patrol's {@code GET /tasks/<id>}: the report the CLI's {@code conveyor task} prints. */
@WithServices
class TaskReportHandlerIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Path pipelines;
  private static Pipeline flow;

  @BeforeAll
  static void files(@TempDir Path dir) throws Exception {
    pipelines = dir;
    Files.writeString(
        dir.resolve("flow.yaml"),
        """
        pipeline: flow
        version: 1
        steps:
          - {name: fix, kind: java, class: dev.conveyor.runtime.step.builtin.Identity}
          - name: deliver
            kind: sink
            after: [fix]
            sink: {table: conveyor.echo_rows, key: [task_id, part]}
        """);
    flow = PipelineLoader.loadDirectory(dir).get("flow").orElseThrow();
  }

  @Test
  void aTaskInFlightIsAnsweredAsTheCliPrintsIt(TestServices services) throws Exception {
    Registration r =
        new Registration(
            "rep-1",
            flow,
            "1-0",
            Instant.parse("2026-11-22T01:22:45.247Z"),
            List.of("{\"text\":\"a\"}", "{\"text\":\"b\"}"));
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    intake.registerAll(List.of(r));
    intake.dispatchAll(List.of(r));
    StepLedger ledger = new StepLedger(services.jedis(), services.keys());
    StepProgress fix = StepProgress.of(flow, flow.step("fix").orElseThrow());
    ledger.recordOutput(fix, new QueueItem("rep-1", 0, "1-0"), "{\"text\":\"A\"}");
    ledger.recordDead(fix, new QueueItem("rep-1", 1, "1-1"), "boom");

    HttpResponse answer = get(services, "rep-1");
    StringWriter out = new StringWriter();
    int code;
    try (CliContext context = new CliContext(Env.of(env(services)))) {
      code =
          Conveyor.commandLine(
                  context, new PrintWriter(out, true), new PrintWriter(new StringWriter()))
              .execute("task", "--json", "rep-1");
    }

    assertThat(answer.status()).isEqualTo(200);
    assertThat(code).isEqualTo(Conveyor.EXIT_OK);
    JsonNode json = JSON.readTree(answer.bodyAsString());
    assertThat(json).isEqualTo(JSON.readTree(out.toString()));
    assertThat(json.at("/steps/fix/passed").asInt()).isEqualTo(1);
    assertThat(json.at("/dead/0/error").asText()).isEqualTo("fix: boom");
  }

  @Test
  void aQueuedAndARejectedMessageAreAnsweredAsTheCliPrintsThem(TestServices services)
      throws Exception {
    services
        .jedis()
        .xadd(
            services.keys().inbox(),
            StreamEntryID.NEW_ENTRY,
            Map.of("pipeline", "flow", "id", "rep-queued", "payload", "{}"));
    new RejectedMessageRepository(services.dataSource())
        .insert(
            "1-42",
            "sha-rep",
            "bad_id",
            "field 'id' must be 1-128 characters",
            "{\"pipeline\":\"flow\",\"id\":\"rep-rejected\"}");

    for (String id : List.of("rep-queued", "rep-rejected")) {
      HttpResponse answer = get(services, id);
      StringWriter out = new StringWriter();
      try (CliContext context = new CliContext(Env.of(env(services)))) {
        assertThat(
                Conveyor.commandLine(
                        context, new PrintWriter(out, true), new PrintWriter(new StringWriter()))
                    .execute("task", "--json", id))
            .isEqualTo(Conveyor.EXIT_OK);
      }
      assertThat(answer.status()).isEqualTo(200);
      assertThat(JSON.readTree(answer.bodyAsString())).isEqualTo(JSON.readTree(out.toString()));
    }
    assertThat(JSON.readTree(get(services, "rep-queued").bodyAsString()).get("state").asText())
        .isEqualTo("queued");
    assertThat(JSON.readTree(get(services, "rep-rejected").bodyAsString()).get("reason").asText())
        .isEqualTo("bad_id");
  }

  @Test
  void anUnknownTaskIs404AndWhatIsNotATaskIdIs400(TestServices services) throws Exception {
    HttpResponse unknown = get(services, "nobody-1");
    HttpResponse bad = get(services, "doc 42");

    assertThat(unknown.status()).isEqualTo(404);
    assertThat(JSON.readTree(unknown.bodyAsString()))
        .isEqualTo(JSON.readTree("{\"error\":\"no task nobody-1\",\"task_id\":\"nobody-1\"}"));
    assertThat(bad.status()).isEqualTo(400);
    assertThat(JSON.readTree(bad.bodyAsString()).get("error").asText())
        .isEqualTo("not a task id: doc 42");
  }

  private static HttpResponse get(TestServices services, String id) {
    TaskReport report =
        new TaskReport(
            Pipelines.of(List.of(flow)),
            new TaskLookup(services.jedis(), services.keys()),
            new TaskAuditRepository(services.dataSource()),
            new DeadItemRepository(services.dataSource()),
            new RejectedMessageRepository(services.dataSource()),
            new QueuedMessages(services.jedis(), services.keys(), 1000));
    return new TaskReportHandler(() -> report)
        .handle(new HttpRequest("GET", "/tasks/" + id, id, Map.of(), Map.of(), new byte[0]));
  }

  private static Map<String, String> env(TestServices services) {
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    return env;
  }
}
