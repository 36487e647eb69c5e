package dev.conveyor.patrol;

import static dev.conveyor.cli.test.CliRun.run;
import static dev.conveyor.cli.test.OperatorFixture.TOKEN;
import static dev.conveyor.cli.test.OperatorFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.cli.Conveyor;
import dev.conveyor.cli.test.CliRun;
import dev.conveyor.cli.test.OperatorFixture;
import dev.conveyor.cli.test.StandInDaemon;
import dev.conveyor.cli.test.StandInDaemon.Route;
import dev.conveyor.common.db.Fence;
import dev.conveyor.common.http.Handler;
import dev.conveyor.common.http.HttpResponse;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.DeadLetters;
import dev.conveyor.runtime.ledger.Progress;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.ledger.StepLedger;
import dev.conveyor.runtime.ledger.TaskCompletion;
import dev.conveyor.runtime.ledger.TaskFinishing;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.records.DeadItem;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.RejectedMessageRepository;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code conveyor replay} in-process against a real Redis and PostgreSQL and a daemon that answers
 * {@code POST /replay} with patrol's own {@link ReplayHandler} (the CLI's other commands are tested
 * in the cli module, against a daemon with no patrol in it). The processor's part is played by hand
 * through {@link StepLedger}, as it does it.
 */
@WithServices
class ReplayCommandIT {
  private static OperatorFixture fixture;
  private static Pipeline flow;
  private static StandInDaemon patrol;

  @BeforeAll
  static void setUp(TestServices services, @TempDir Path dir) throws IOException {
    fixture = OperatorFixture.create(dir);
    flow = fixture.flow();
    patrol =
        StandInDaemon.start(
            services,
            fixture.env(services),
            "patrol",
            "it-patrol",
            TOKEN,
            new Route("POST", "/replay", replayHandler(services)));
  }

  @AfterAll
  static void tearDown() {
    patrol.complete();
  }

  private static Handler replayHandler(TestServices services) {
    Pipelines loaded = Pipelines.of(List.of(flow));
    return new ReplayHandler(
        () ->
            new DeadItemReplay(
                loaded,
                services.jedis(),
                services.keys(),
                services.dataSource(),
                () -> Fence.plain(services.dataSource())),
        () ->
            new RejectedReplay(
                new RejectedMessageRepository(services.dataSource()),
                services.jedis(),
                services.keys().inbox()));
  }

  /** A patrol without the lease: it answers every replay with 409, naming {@code holder}. */
  private static StandInDaemon standby(TestServices services, String node, String holder) {
    return StandInDaemon.start(
        services,
        fixture.env(services),
        "patrol",
        node,
        TOKEN,
        new Route(
            "POST",
            "/replay",
            request ->
                HttpResponse.json(
                    409,
                    Map.of(
                        "error",
                        "patrol " + node + " does not hold the patrol lease; " + holder + " does",
                        "holder",
                        holder))));
  }

  @Test
  void replayOfADeadItemDeliversTheTaskAgainWithANewOutcome(TestServices services) {
    StepLedger ledger = new StepLedger(services.jedis(), services.keys());
    DeadItemRepository deadRows = new DeadItemRepository(services.dataSource());
    TaskAuditRepository audit = new TaskAuditRepository(services.dataSource());
    TaskCompletion completion =
        new TaskCompletion(
            new TaskFinishing(services.jedis(), services.keys()), audit, Clock.systemUTC());
    fixture.register(services, "rp-1");
    // the step fails on the task's only part for the last time: dead, the task finishes failed
    QueueItem item =
        fixture.take(services, "fix").stream()
            .filter(i -> i.taskId().equals("rp-1"))
            .findFirst()
            .orElseThrow();
    Progress p =
        new DeadLetters(ledger, deadRows, Clock.systemUTC())
            .kill(fixture.progress("fix"), "flow", item, "{\"text\":\"x\"}", "bug in fix");
    assertThat(p.complete()).isTrue();
    completion.finish(flow, List.of("rp-1"));
    assertThat(audit.find("rp-1").orElseThrow().outcome().sql()).isEqualTo("failed");
    assertThat(services.jedis().zscore(services.keys().inflight("flow"), "rp-1")).isNull();

    CliRun noToken = run(fixture.env(services), "replay", "--task", "rp-1");
    Map<String, String> withToken = fixture.withToken(services, TOKEN);
    CliRun dry = run(withToken, "replay", "--task", "rp-1", "--dry-run");
    CliRun replay = run(withToken, "replay", "--task", "rp-1");

    assertThat(noToken.code()).isEqualTo(Conveyor.EXIT_USAGE);
    assertThat(noToken.err()).contains("refused /replay (401)").contains("CONVEYOR_ADMIN_TOKEN");
    assertThat(dry.code()).isEqualTo(Conveyor.EXIT_OK);
    assertThat(dry.out()).contains("would replay dead item rp-1 part 0 at flow.fix");
    assertThat(replay.err()).isEmpty();
    assertThat(replay.code()).isEqualTo(Conveyor.EXIT_OK);
    assertThat(replay.out().lines())
        .containsExactly("replayed dead item rp-1 part 0 at flow.fix", "replayed 1, skipped 0");
    assertThat(deadRows.forTask("rp-1")).isEmpty();
    assertThat(audit.find("rp-1")).isEmpty();
    assertThat(services.jedis().zscore(services.keys().inflight("flow"), "rp-1")).isNotNull();

    // after the fix the step succeeds, and the sink delivers: the task completes again
    QueueItem again =
        fixture.take(services, "fix").stream()
            .filter(i -> i.taskId().equals("rp-1"))
            .findFirst()
            .orElseThrow();
    assertThat(ledger.recordOutput(fixture.progress("fix"), again, "{\"text\":\"x\"}").ready())
        .containsExactly("deliver");
    ledger.enqueue(flow, flow.step("deliver").orElseThrow(), List.of(Map.entry("rp-1", 0)));
    QueueItem sinkItem =
        fixture.take(services, "deliver").stream()
            .filter(i -> i.taskId().equals("rp-1"))
            .findFirst()
            .orElseThrow();
    services.sql(
        "INSERT INTO conveyor.echo_rows (task_id, part) VALUES ('rp-1', 0) ON CONFLICT DO NOTHING");
    assertThat(ledger.recordOutput(fixture.progress("deliver"), sinkItem, "1").complete()).isTrue();
    assertThat(completion.finish(flow, List.of("rp-1"))).isEqualTo(1);

    var row = audit.find("rp-1").orElseThrow();
    assertThat(row.outcome().sql()).isEqualTo("delivered");
    assertThat(row.failedParts()).isZero();
    assertThat(row.rowsDelivered()).isEqualTo(1);
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.echo_rows WHERE task_id = 'rp-1'"))
        .isEqualTo(1);

    CliRun nothing = run(withToken, "replay", "--task", "rp-1");
    assertThat(nothing.code()).isEqualTo(Conveyor.EXIT_NOT_FOUND);
    assertThat(nothing.out().lines()).containsExactly("replayed 0, skipped 0");
  }

  @Test
  void aCleanedTaskIsSkippedWithTheReasonAndItsRowKept(TestServices services) {
    DeadItemRepository deadRows = new DeadItemRepository(services.dataSource());
    deadRows.insert(new DeadItem("gone-1", "flow", 0, "fix", 3, "x", "{}", Instant.now()));

    CliRun r = run(fixture.withToken(services, TOKEN), "replay", "--task", "gone-1");

    assertThat(r.code()).isEqualTo(Conveyor.EXIT_NOT_FOUND);
    assertThat(r.err())
        .contains(
            "conveyor: skipped dead item gone-1 part 0 at flow.fix: task gone-1 was cleaned up");
    assertThat(deadRows.forTask("gone-1")).hasSize(1);
  }

  @Test
  void replayOfRejectedMessagesPublishesThemAgainAndDeletesTheRows(TestServices services) {
    RejectedMessageRepository rejected = new RejectedMessageRepository(services.dataSource());
    rejected.insert(
        "100-0",
        "sha-a",
        "late_pipeline",
        "no pipeline 'late'",
        "{\"pipeline\":\"late\",\"payload\":\"{\\\"x\\\":1}\"}");
    rejected.insert(
        "100-1",
        "sha-b",
        "late_pipeline",
        "no pipeline 'late'",
        "{\"pipeline\":\"late\",\"id\":\"keep-me\",\"payload\":\"{}\",\"bin\":{\"base64\":\"AAE=\"}}");
    rejected.insert(
        "100-2",
        "sha-c",
        "late_pipeline",
        "no pipeline 'late' (stored cut: the entry was over the limits)",
        "{\"pipeline\":\"late\",\"payload\":{\"truncated\":true,\"bytes\":9999,\"sha256\":\"ab\","
            + "\"head\":\"{\"}}");
    long before = services.jedis().xlen(services.keys().inbox());

    CliRun r =
        run(
            fixture.withToken(services, TOKEN),
            "replay",
            "--rejected",
            "--reason",
            "late_pipeline",
            "--json");

    assertThat(r.code()).as("one was skipped").isEqualTo(Conveyor.EXIT_NOT_FOUND);
    assertThat(r.err()).contains("it was stored cut (field payload)");
    JsonNode answer = json(r.out());
    assertThat(answer.get("replayed").asInt()).isEqualTo(2);
    assertThat(answer.get("skipped").asInt()).isEqualTo(1);
    assertThat(answer.get("items").get(0).get("stream_id").asText()).isEqualTo("100-0");
    assertThat(rejected.countByReason("late_pipeline"))
        .as("the entry stored cut is skipped and its row kept")
        .isEqualTo(1);
    var entries = services.jedis().xrange(services.keys().inbox(), "-", "+");
    assertThat(entries.size() - before).isEqualTo(2);
    Map<String, String> first = entries.get(entries.size() - 2).getFields();
    assertThat(first)
        .containsEntry("pipeline", "late")
        .containsEntry("payload", "{\"x\":1}")
        .containsEntry("id", "100-0");
    assertThat(entries.getLast().getFields()).containsEntry("id", "keep-me");
    assertThat(entries.getLast().getFields())
        .as("a value stored as base64 is published as its bytes")
        .containsEntry("bin", "\u0000\u0001");
  }

  @Test
  void replayWithoutALivePatrolIsExitCodeThree(TestServices services) {
    Map<String, String> env = fixture.env(services);
    env.put("CONVEYOR_NAMESPACE", services.keys().namespace() + "-nobody");

    CliRun r = run(env, "replay", "--task", "rp-x");

    assertThat(r.code()).isEqualTo(Conveyor.EXIT_UNREACHABLE);
    assertThat(r.err().lines())
        .containsExactly(
            "conveyor: no live patrol with HTTP in the heartbeats: replay runs in patrol"
                + " (is it running, with CONVEYOR_HTTP_PORT not 0?)");
  }

  @Test
  void aReplaySentToAPatrolWithoutTheLeaseGoesToTheHolderItNames(TestServices services) {
    fixture.register(services, "hop-1");
    QueueItem item =
        fixture.take(services, "fix").stream()
            .filter(i -> i.taskId().equals("hop-1"))
            .findFirst()
            .orElseThrow();
    new DeadLetters(
            new StepLedger(services.jedis(), services.keys()),
            new DeadItemRepository(services.dataSource()),
            Clock.systemUTC())
        .kill(fixture.progress("fix"), "flow", item, "{\"text\":\"x\"}", "bug in fix");
    // why: the CLI asks the patrols in the order of their ids: this one first
    StandInDaemon standby = standby(services, "it-a-standby", "it-patrol");
    try {
      CliRun r = run(fixture.withToken(services, TOKEN), "replay", "--task", "hop-1");

      assertThat(r.err()).isEmpty();
      assertThat(r.code()).isEqualTo(Conveyor.EXIT_OK);
      assertThat(r.out().lines())
          .containsExactly("replayed dead item hop-1 part 0 at flow.fix", "replayed 1, skipped 0");
    } finally {
      standby.forget(services);
    }
  }

  @Test
  void aReplayNoPatrolHoldingTheLeaseTakesIsExitCodeThree(TestServices services) {
    StandInDaemon standby = standby(services, "it-a-standby", "it-gone");
    try {
      CliRun r = run(fixture.withToken(services, TOKEN), "replay", "--task", "nobody-1");

      assertThat(r.code()).isEqualTo(Conveyor.EXIT_UNREACHABLE);
      assertThat(r.err().lines())
          .containsExactly(
              "conveyor: patrol it-a-standby refused the replay: patrol it-a-standby does not hold"
                  + " the patrol lease; it-gone does");
    } finally {
      standby.forget(services);
    }
  }

  @Test
  void replayOptionsAreExclusive(TestServices services) {
    CliRun both = run(fixture.env(services), "replay", "--task", "a", "--rejected");
    CliRun stepAlone = run(fixture.env(services), "replay", "--step", "fix");

    assertThat(both.code()).isEqualTo(Conveyor.EXIT_USAGE);
    assertThat(stepAlone.code()).isEqualTo(Conveyor.EXIT_USAGE);
  }
}
