package dev.conveyor.patrol;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.cli.CliContext;
import dev.conveyor.cli.Conveyor;
import dev.conveyor.common.config.ConveyorConfig;
import dev.conveyor.common.config.Env;
import dev.conveyor.common.daemon.Daemon;
import dev.conveyor.common.daemon.RedisSubsystem;
import dev.conveyor.common.db.Fence;
import dev.conveyor.common.http.Handler;
import dev.conveyor.common.http.HttpResponse;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.RedisConnector.Endpoint;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
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
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.records.DeadItem;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.RejectedMessageRepository;
import dev.conveyor.runtime.records.TaskAudit;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code status}, {@code publish}, {@code dead}, {@code replay}, {@code suspend} and {@code resume}
 * in-process against a real Redis and PostgreSQL, with a real daemon (the {@link Daemon} base with
 * its heartbeat, HTTP, admin token and patrol's {@code POST /replay}) for the commands that go
 * through HTTP. The processor's part is played by hand through {@link StepLedger}, as it does it.
 */
@WithServices
class OperatorCommandsIT {
  private static final String TOKEN = "s3cret-token";
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Path pipelines;
  private static Pipeline flow;
  private static PatrolLike patrol;

  @BeforeAll
  static void setUp(TestServices services, @TempDir Path dir) throws IOException {
    pipelines = dir;
    Files.writeString(
        dir.resolve("flow.yaml"),
        """
        pipeline: flow
        version: 1
        max_in_flight: 5
        steps:
          - {name: fix, kind: java, class: dev.conveyor.runtime.step.builtin.Identity}
          - name: deliver
            kind: sink
            after: [fix]
            sink: {table: conveyor.echo_rows, key: [task_id, part]}
        """);
    flow = PipelineLoader.loadDirectory(dir).get("flow").orElseThrow();
    Map<String, String> env = env(services);
    env.put("CONVEYOR_HTTP_PORT", Integer.toString(freePort()));
    env.put("CONVEYOR_HTTP_HOST", "127.0.0.1");
    env.put("CONVEYOR_NODE_ID", "it-patrol");
    env.put("CONVEYOR_ADMIN_TOKEN", TOKEN);
    patrol = new PatrolLike(ConveyorConfig.from(Env.of(env)), services);
    patrol.activate();
    patrol.start();
    await()
        .atMost(10, SECONDS)
        .until(() -> services.jedis().hget(services.keys().node("it-patrol"), "http") != null);
    // why: the first beat may still say READY (the heartbeat starts last); the next one, 5 s on,
    // says RUNNING
    await()
        .atMost(15, SECONDS)
        .until(() ->
            "RUNNING".equals(services.jedis().hget(services.keys().node("it-patrol"), "state")));
  }

  @AfterAll
  static void tearDown() {
    patrol.complete();
  }

  /** The Daemon base as patrol uses it: HTTP with POST /replay, Redis, heartbeat. */
  static final class PatrolLike extends Daemon {
    PatrolLike(ConveyorConfig config, TestServices services) {
      this(config, services, replayHandler(services));
    }

    @SuppressWarnings("this-escape")
    PatrolLike(ConveyorConfig config, TestServices services, Handler replay) {
      super("patrol", config);
      route("POST", "/replay", replay, true);
      addHttp();
      RedisSubsystem redis =
          add(new RedisSubsystem("redis", config.redis(), Endpoint.RUNTIME, config.nodeId(), 2, 1));
      addHeartbeat(redis);
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
  }

  /** A patrol without the lease: it answers every replay with 409, naming {@code holder}. */
  private static PatrolLike standby(TestServices services, String node, String holder)
      throws IOException {
    Map<String, String> env = env(services);
    env.put("CONVEYOR_HTTP_PORT", Integer.toString(freePort()));
    env.put("CONVEYOR_HTTP_HOST", "127.0.0.1");
    env.put("CONVEYOR_NODE_ID", node);
    env.put("CONVEYOR_ADMIN_TOKEN", TOKEN);
    PatrolLike standby =
        new PatrolLike(
            ConveyorConfig.from(Env.of(env)),
            services,
            request ->
                HttpResponse.json(
                    409,
                    Map.of(
                        "error",
                        "patrol " + node + " does not hold the patrol lease; " + holder + " does",
                        "holder",
                        holder)));
    standby.activate();
    standby.start();
    await()
        .atMost(15, SECONDS)
        .until(() -> "RUNNING".equals(services.jedis().hget(services.keys().node(node), "state")));
    return standby;
  }

  @Test
  void publishSendsGoodLinesAndReportsBadOnesWithTheirLineNumbers(
      TestServices services, @TempDir Path dir) throws IOException {
    Path file = dir.resolve("in.jsonl");
    Files.writeString(
        file,
        """
        {"id": "pub-1", "pipeline": "flow", "payload": {"text": "one"}}
        not json
        {"pipeline": "flow", "payload": {"text": "two"}}

        {"id": "pub-3", "pipeline": "flow", "payload": "not an object"}
        {"id": "pub-4", "payload": {}}
        """);
    String stream = services.keys().namespace() + ":pubtest";

    Run r = run(env(services), "publish", file.toString(), "--stream", stream);

    assertThat(r.out().lines()).containsExactly("published 2, skipped 3 bad lines");
    assertThat(r.code()).isEqualTo(Conveyor.EXIT_NOT_FOUND);
    assertThat(r.err().lines())
        .hasSize(3)
        .anySatisfy(l -> assertThat(l).startsWith("conveyor: line 2: not JSON"))
        .contains(
            "conveyor: line 5: no \"payload\" object", "conveyor: line 6: no \"pipeline\" string");
    var entries = services.jedis().xrange(stream, "-", "+");
    assertThat(entries).hasSize(2);
    assertThat(entries.get(0).getFields())
        .containsExactly(
            Map.entry("id", "pub-1"),
            Map.entry("pipeline", "flow"),
            Map.entry("payload", "{\"text\":\"one\"}"));
    assertThat(entries.get(1).getFields()).doesNotContainKey("id");
  }

  @Test
  void publishReadsStdinAndAGoodFileIsExitCodeZero(TestServices services) {
    String stream = services.keys().namespace() + ":stdin";
    byte[] input =
        "{\"id\":\"s-1\",\"pipeline\":\"flow\",\"payload\":{}}\n".getBytes(StandardCharsets.UTF_8);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code;
    try (CliContext context = new CliContext(Env.of(env(services)))) {
      code =
          Conveyor.commandLine(
                  context,
                  new PrintWriter(out, true),
                  new PrintWriter(err, true),
                  () -> new ByteArrayInputStream(input),
                  false)
              .execute("publish", "-", "--stream", stream);
    }
    assertThat(code).isEqualTo(Conveyor.EXIT_OK);
    assertThat(out.toString().lines()).containsExactly("published 1, skipped 0 bad lines");
    assertThat(err.toString()).isEmpty();
    assertThat(services.jedis().xlen(stream)).isEqualTo(1);
  }

  @Test
  void aMissingFileIsAUsageError(TestServices services) {
    Run r = run(env(services), "publish", "/nonexistent/x.jsonl");

    assertThat(r.code()).isEqualTo(Conveyor.EXIT_USAGE);
    assertThat(r.err().lines().findFirst())
        .hasValue("conveyor: cannot read /nonexistent/x.jsonl: no such file");
  }

  @Test
  void statusShowsNodesInboxInFlightBacklogAndDeadItems(TestServices services) throws Exception {
    register(services, "st-1");
    new DeadItemRepository(services.dataSource())
        .insert(
            new dev.conveyor.runtime.records.DeadItem(
                "st-old", "flow", 0, "fix", 3, "boom", "{}", java.time.Instant.now()));

    Run text = run(env(services), "status");
    Run json = run(env(services), "status", "--json");

    assertThat(text.code()).isEqualTo(Conveyor.EXIT_OK);
    assertThat(text.err()).isEmpty();
    assertThat(text.out())
        .contains("patrol  it-patrol  RUNNING")
        .contains("pipeline  flow v1: ")
        .contains("STEP     WAITING  PENDING  RETRYING  DEAD");
    assertThat(json.code()).isEqualTo(Conveyor.EXIT_OK);
    assertThat(json.out().lines()).hasSize(1);
    JsonNode s = JSON.readTree(json.out());
    JsonNode node = s.get("nodes").get(0);
    assertThat(node.get("node").asText()).isEqualTo("it-patrol");
    assertThat(node.get("role").asText()).isEqualTo("patrol");
    assertThat(node.get("live").asBoolean()).isTrue();
    assertThat(node.get("stale").asBoolean()).isFalse();
    assertThat(node.get("http").asText()).startsWith("127.0.0.1:");
    assertThat(s.at("/inbox/stream").asText()).isEqualTo(services.keys().inbox());
    assertThat(s.at("/inbox/held").isBoolean()).isTrue();
    JsonNode p = s.get("pipelines").get(0);
    assertThat(p.get("pipeline").asText()).isEqualTo("flow");
    assertThat(p.get("in_flight").asLong()).isGreaterThanOrEqualTo(1);
    assertThat(p.get("max_in_flight").asInt()).isEqualTo(5);
    JsonNode fix = p.get("steps").get(0);
    assertThat(fix.get("step").asText()).isEqualTo("fix");
    assertThat(fix.get("waiting").asLong()).isGreaterThanOrEqualTo(1);
    assertThat(fix.get("dead").asLong()).isGreaterThanOrEqualTo(1);
    assertThat(fix.has("pending")).isTrue();
    assertThat(fix.has("retrying")).isTrue();
  }

  @Test
  void deadListsDeadItemsAndRejectedMessagesNewestFirst(TestServices services) throws Exception {
    DeadItemRepository dead = new DeadItemRepository(services.dataSource());
    java.time.Instant t = java.time.Instant.parse("2026-11-22T01:00:00Z");
    dead.insert(
        new dev.conveyor.runtime.records.DeadItem("dl-1", "flow", 0, "fix", 3, "older", "{}", t));
    dead.insert(
        new dev.conveyor.runtime.records.DeadItem(
            "dl-2", "flow", 1, "fix", 3, "newer", "{\"a\":1}", t.plusSeconds(5)));
    new RejectedMessageRepository(services.dataSource())
        .insert(
            "9-1", "sha-c", "unknown_pipeline", "no pipeline 'nope'", "{\"pipeline\":\"nope\"}");

    Run json = run(env(services), "dead", "--json", "--pipeline", "flow", "--limit", "50");
    Run text = run(env(services), "dead", "--task", "dl-2");
    Run rejected = run(env(services), "dead", "--json", "--pipeline", "nope");
    Run badLimit = run(env(services), "dead", "--limit", "0");

    assertThat(json.code()).isEqualTo(Conveyor.EXIT_OK);
    List<JsonNode> lines =
        json.out()
            .lines()
            .map(OperatorCommandsIT::tree)
            .filter(n -> n.path("task_id").asText().startsWith("dl-"))
            .toList();
    assertThat(lines).extracting(n -> n.get("task_id").asText()).containsExactly("dl-2", "dl-1");
    assertThat(lines.getFirst().get("kind").asText()).isEqualTo("dead");
    assertThat(lines.getFirst().at("/payload/a").asInt()).isEqualTo(1);
    assertThat(text.out())
        .contains("dead items (1)")
        .contains("dl-2")
        .doesNotContain("dl-1")
        .contains("rejected messages (0)");
    JsonNode r = tree(rejected.out().lines().toList().getLast());
    assertThat(r.get("kind").asText()).isEqualTo("rejected");
    assertThat(r.get("stream_id").asText()).isEqualTo("9-1");
    assertThat(r.at("/fields/pipeline").asText()).isEqualTo("nope");
    assertThat(badLimit.code()).isEqualTo(Conveyor.EXIT_USAGE);
  }

  @Test
  void replayOfADeadItemDeliversTheTaskAgainWithANewOutcome(TestServices services)
      throws Exception {
    StepLedger ledger = new StepLedger(services.jedis(), services.keys());
    DeadItemRepository deadRows = new DeadItemRepository(services.dataSource());
    TaskAuditRepository audit = new TaskAuditRepository(services.dataSource());
    TaskCompletion completion =
        new TaskCompletion(
            new TaskFinishing(services.jedis(), services.keys()), audit, Clock.systemUTC());
    register(services, "rp-1");
    // the step fails on the task's only part for the last time: dead, the task finishes failed
    QueueItem item =
        take(services, "fix").stream()
            .filter(i -> i.taskId().equals("rp-1"))
            .findFirst()
            .orElseThrow();
    Progress p =
        new DeadLetters(ledger, deadRows, Clock.systemUTC())
            .kill(progress("fix"), "flow", item, "{\"text\":\"x\"}", "bug in fix");
    assertThat(p.complete()).isTrue();
    completion.finish(flow, List.of("rp-1"));
    assertThat(audit.find("rp-1").orElseThrow().outcome().sql()).isEqualTo("failed");
    assertThat(services.jedis().zscore(services.keys().inflight("flow"), "rp-1")).isNull();

    Run noToken = run(env(services), "replay", "--task", "rp-1");
    Map<String, String> withToken = env(services);
    withToken.put("CONVEYOR_ADMIN_TOKEN", TOKEN);
    Run dry = run(withToken, "replay", "--task", "rp-1", "--dry-run");
    Run replay = run(withToken, "replay", "--task", "rp-1");

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
        take(services, "fix").stream()
            .filter(i -> i.taskId().equals("rp-1"))
            .findFirst()
            .orElseThrow();
    assertThat(ledger.recordOutput(progress("fix"), again, "{\"text\":\"x\"}").ready())
        .containsExactly("deliver");
    ledger.enqueue(flow, flow.step("deliver").orElseThrow(), List.of(Map.entry("rp-1", 0)));
    QueueItem sinkItem =
        take(services, "deliver").stream()
            .filter(i -> i.taskId().equals("rp-1"))
            .findFirst()
            .orElseThrow();
    services.sql(
        "INSERT INTO conveyor.echo_rows (task_id, part) VALUES ('rp-1', 0) ON CONFLICT DO NOTHING");
    assertThat(ledger.recordOutput(progress("deliver"), sinkItem, "1").complete()).isTrue();
    assertThat(completion.finish(flow, List.of("rp-1"))).isEqualTo(1);

    var row = audit.find("rp-1").orElseThrow();
    assertThat(row.outcome().sql()).isEqualTo("delivered");
    assertThat(row.failedParts()).isZero();
    assertThat(row.rowsDelivered()).isEqualTo(1);
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.echo_rows WHERE task_id = 'rp-1'"))
        .isEqualTo(1);

    Run nothing = run(withToken, "replay", "--task", "rp-1");
    assertThat(nothing.code()).isEqualTo(Conveyor.EXIT_NOT_FOUND);
    assertThat(nothing.out().lines()).containsExactly("replayed 0, skipped 0");
  }

  @Test
  void aCleanedTaskIsSkippedWithTheReasonAndItsRowKept(TestServices services) {
    DeadItemRepository deadRows = new DeadItemRepository(services.dataSource());
    deadRows.insert(
        new dev.conveyor.runtime.records.DeadItem(
            "gone-1", "flow", 0, "fix", 3, "x", "{}", java.time.Instant.now()));
    Map<String, String> env = env(services);
    env.put("CONVEYOR_ADMIN_TOKEN", TOKEN);

    Run r = run(env, "replay", "--task", "gone-1");

    assertThat(r.code()).isEqualTo(Conveyor.EXIT_NOT_FOUND);
    assertThat(r.err())
        .contains(
            "conveyor: skipped dead item gone-1 part 0 at flow.fix: task gone-1 was cleaned up");
    assertThat(deadRows.forTask("gone-1")).hasSize(1);
  }

  @Test
  void replayOfRejectedMessagesPublishesThemAgainAndDeletesTheRows(TestServices services)
      throws Exception {
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
    Map<String, String> env = env(services);
    env.put("CONVEYOR_ADMIN_TOKEN", TOKEN);
    long before = services.jedis().xlen(services.keys().inbox());

    Run r = run(env, "replay", "--rejected", "--reason", "late_pipeline", "--json");

    assertThat(r.code()).as("one was skipped").isEqualTo(Conveyor.EXIT_NOT_FOUND);
    assertThat(r.err()).contains("it was stored cut (field payload)");
    JsonNode answer = JSON.readTree(r.out());
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
  void suspendAndResumeADaemonKindThroughItsHttpWithTheToken(TestServices services) {
    Map<String, String> env = env(services);
    env.put("CONVEYOR_ADMIN_TOKEN", TOKEN);

    Run wrong = run(withToken(services, "wrong"), "suspend", "patrol");
    Run suspend = run(env, "suspend", "patrol");
    Run resume = run(env, "resume", "it-patrol");
    Run none = run(env, "suspend", "dispatcher");
    Run noStep = run(env, "suspend", "flow.fix");

    assertThat(wrong.code()).isEqualTo(Conveyor.EXIT_USAGE);
    assertThat(wrong.err())
        .contains("refused /suspend (401)")
        .contains("is not the daemons' admin token");
    assertThat(suspend.err()).isEmpty();
    assertThat(suspend.code()).isEqualTo(Conveyor.EXIT_OK);
    assertThat(suspend.out().lines()).containsExactly("patrol it-patrol: INTERMITTED");
    assertThat(resume.code()).isEqualTo(Conveyor.EXIT_OK);
    assertThat(resume.out().lines()).containsExactly("patrol it-patrol: RUNNING");
    assertThat(none.code()).isEqualTo(Conveyor.EXIT_NOT_FOUND);
    assertThat(none.err().lines()).containsExactly("conveyor: no live node matches dispatcher");
    assertThat(noStep.code()).isEqualTo(Conveyor.EXIT_NOT_FOUND);
    assertThat(noStep.err().lines())
        .containsExactly("conveyor: no live processor with HTTP to suspend step flow.fix");
  }

  @Test
  void anUnreachableDaemonIsExitCodeThree(TestServices services) {
    services
        .jedis()
        .hset(
            services.keys().node("ghost-1"),
            Map.of("role", "dispatcher", "state", "RUNNING", "http", "127.0.0.1:1"));
    services.jedis().zadd(services.keys().nodes(), System.currentTimeMillis(), "ghost-1");
    try {
      Run r = run(env(services), "resume", "ghost-1");

      assertThat(r.code()).isEqualTo(Conveyor.EXIT_UNREACHABLE);
      assertThat(r.err().lines())
          .singleElement()
          .asString()
          .startsWith("conveyor: cannot reach node ghost-1 at http://127.0.0.1:1: ");
    } finally {
      services.jedis().del(services.keys().node("ghost-1"));
      services.jedis().zrem(services.keys().nodes(), "ghost-1");
    }
  }

  @Test
  void replayWithoutALivePatrolIsExitCodeThree(TestServices services) {
    Map<String, String> env = env(services);
    env.put("CONVEYOR_NAMESPACE", services.keys().namespace() + "-nobody");

    Run r = run(env, "replay", "--task", "rp-x");

    assertThat(r.code()).isEqualTo(Conveyor.EXIT_UNREACHABLE);
    assertThat(r.err().lines())
        .containsExactly(
            "conveyor: no live patrol with HTTP in the heartbeats: replay runs in patrol"
                + " (is it running, with CONVEYOR_HTTP_PORT not 0?)");
  }

  @Test
  void aReplaySentToAPatrolWithoutTheLeaseGoesToTheHolderItNames(TestServices services)
      throws Exception {
    register(services, "hop-1");
    QueueItem item =
        take(services, "fix").stream()
            .filter(i -> i.taskId().equals("hop-1"))
            .findFirst()
            .orElseThrow();
    new DeadLetters(
            new StepLedger(services.jedis(), services.keys()),
            new DeadItemRepository(services.dataSource()),
            Clock.systemUTC())
        .kill(progress("fix"), "flow", item, "{\"text\":\"x\"}", "bug in fix");
    // why: the CLI asks the patrols in the order of their ids: this one first
    PatrolLike standby = standby(services, "it-a-standby", "it-patrol");
    try {
      Run r = run(withToken(services, TOKEN), "replay", "--task", "hop-1");

      assertThat(r.err()).isEmpty();
      assertThat(r.code()).isEqualTo(Conveyor.EXIT_OK);
      assertThat(r.out().lines())
          .containsExactly("replayed dead item hop-1 part 0 at flow.fix", "replayed 1, skipped 0");
    } finally {
      forget(services, standby, "it-a-standby");
    }
  }

  @Test
  void aReplayNoPatrolHoldingTheLeaseTakesIsExitCodeThree(TestServices services) throws Exception {
    PatrolLike standby = standby(services, "it-a-standby", "it-gone");
    try {
      Run r = run(withToken(services, TOKEN), "replay", "--task", "nobody-1");

      assertThat(r.code()).isEqualTo(Conveyor.EXIT_UNREACHABLE);
      assertThat(r.err().lines())
          .containsExactly(
              "conveyor: patrol it-a-standby refused the replay: patrol it-a-standby does not hold"
                  + " the patrol lease; it-gone does");
    } finally {
      forget(services, standby, "it-a-standby");
    }
  }

  private static void forget(TestServices services, PatrolLike daemon, String node) {
    daemon.complete();
    services.jedis().del(services.keys().node(node));
    services.jedis().zrem(services.keys().nodes(), node);
  }

  @Test
  void pruneCountsThenDeletesWhatIsPastItsRetention(TestServices services) {
    Instant old = Instant.now().minus(Duration.ofDays(40));
    Instant fresh = Instant.now().minus(Duration.ofDays(1));
    audit(services, "pr-old", old, true);
    audit(services, "pr-fresh", fresh, true);
    audit(services, "pr-not-cleaned", old, false);
    audit(services, "pr-dead-old", old, true);
    audit(services, "pr-dead-fresh", old, true);
    DeadItemRepository dead = new DeadItemRepository(services.dataSource());
    dead.insert(new DeadItem("pr-dead-old", "flow", 0, "fix", 1, "x", "{}", old));
    dead.insert(new DeadItem("pr-dead-fresh", "flow", 0, "fix", 1, "x", "{}", fresh));
    services.sql(
        "INSERT INTO conveyor.task_snapshots (task_id, pipeline, data, taken_at) VALUES"
            + " ('pr-dead-old', 'flow', '{}', now()), ('pr-dead-fresh', 'flow', '{}', now())");
    RejectedMessageRepository rejected = new RejectedMessageRepository(services.dataSource());
    rejected.insert("pr-9-0", "sha-pr-0", "bad_id", "x", "{}");
    rejected.insert("pr-9-1", "sha-pr-1", "bad_id", "x", "{}");
    services.sql(
        "UPDATE conveyor.rejected_messages SET received_at = now() - interval '40 days'"
            + " WHERE stream_id = 'pr-9-0'");
    Map<String, String> env = env(services);
    env.put("CONVEYOR_DEDUPE_WINDOW", "30d");
    env.put("CONVEYOR_DEAD_RETENTION", "30d");
    env.put("CONVEYOR_REJECTED_RETENTION", "30d");

    Run dry = run(env, "prune", "--dry-run", "--json");
    Run prune = run(env, "prune");
    Run again = run(env, "prune", "--dry-run");

    assertThat(dry.code()).isEqualTo(Conveyor.EXIT_OK);
    JsonNode counts = tree(dry.out()).get("rows");
    assertThat(counts.get("task_audit").asLong()).as("pr-old and pr-dead-old").isEqualTo(2);
    assertThat(counts.get("dead_items").asLong()).isEqualTo(1);
    assertThat(counts.get("task_snapshots").asLong()).isEqualTo(1);
    assertThat(counts.get("rejected_messages").asLong()).isEqualTo(1);
    assertThat(prune.code()).isEqualTo(Conveyor.EXIT_OK);
    assertThat(prune.out().lines())
        .first()
        .isEqualTo(
            "deleted past retention (dedupe window 30d, dead items 30d, rejected messages 30d)");
    assertThat(prune.out().lines()).last().isEqualTo("deleted 5 rows");
    assertThat(again.out().lines()).last().isEqualTo("would delete 0 rows");
    assertThat(ids(services, "SELECT task_id FROM conveyor.task_audit WHERE task_id LIKE 'pr-%'"))
        .containsExactlyInAnyOrder("pr-fresh", "pr-not-cleaned", "pr-dead-fresh");
    assertThat(ids(services, "SELECT task_id FROM conveyor.dead_items WHERE task_id LIKE 'pr-%'"))
        .containsExactly("pr-dead-fresh");
    assertThat(ids(services, "SELECT task_id FROM conveyor.task_snapshots"))
        .containsExactly("pr-dead-fresh");
    assertThat(
            ids(
                services,
                "SELECT stream_id FROM conveyor.rejected_messages WHERE stream_id LIKE 'pr-%'"))
        .containsExactly("pr-9-1");
  }

  private static void audit(TestServices services, String id, Instant finished, boolean cleaned) {
    new TaskAuditRepository(services.dataSource())
        .insert(
            new TaskAudit(
                id,
                "flow",
                1,
                TaskAudit.Outcome.DELIVERED,
                1,
                0,
                1,
                "1-0",
                finished,
                finished,
                java.util.Optional.empty()));
    if (cleaned) {
      services.sql(
          "UPDATE conveyor.task_audit SET cleaned_at = finished_at WHERE task_id = '" + id + "'");
    }
  }

  private static List<String> ids(TestServices services, String query) {
    List<String> ids = new java.util.ArrayList<>();
    try (var c = services.dataSource().getConnection();
        var st = c.createStatement();
        var rs = st.executeQuery(query)) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    return ids;
  }

  @Test
  void replayOptionsAreExclusive(TestServices services) {
    Run both = run(env(services), "replay", "--task", "a", "--rejected");
    Run stepAlone = run(env(services), "replay", "--step", "fix");

    assertThat(both.code()).isEqualTo(Conveyor.EXIT_USAGE);
    assertThat(stepAlone.code()).isEqualTo(Conveyor.EXIT_USAGE);
  }

  private static Map<String, String> withToken(TestServices services, String token) {
    Map<String, String> env = env(services);
    env.put("CONVEYOR_ADMIN_TOKEN", token);
    return env;
  }

  private static List<QueueItem> take(TestServices services, String step) {
    StreamGroup q =
        new StreamGroup(
            services.jedis(), services.keys().stepQueue("flow", step, 0), Keys.PROCESSOR_GROUP);
    q.ensure();
    List<StreamMessage> read = q.readNew(Keys.PROCESSOR_CONSUMER, 100, Duration.ofMillis(100));
    q.ack(read.stream().map(StreamMessage::id).toList());
    return read.stream().map(QueueItem::from).flatMap(java.util.Optional::stream).toList();
  }

  private static void register(TestServices services, String id) {
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    Registration r =
        new Registration(id, flow, "1-0", java.time.Instant.now(), List.of("{\"text\":\"x\"}"));
    intake.registerAll(List.of(r));
    intake.dispatchAll(List.of(r));
  }

  private static StepProgress progress(String step) {
    return StepProgress.of(flow, flow.step(step).orElseThrow());
  }

  private static JsonNode tree(String line) {
    try {
      return JSON.readTree(line);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private record Run(int code, String out, String err) {}

  private static Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code;
    try (CliContext context = new CliContext(Env.of(env))) {
      code =
          Conveyor.commandLine(context, new PrintWriter(out, true), new PrintWriter(err, true))
              .execute(args);
    }
    return new Run(code, out.toString(), err.toString());
  }

  private static Map<String, String> env(TestServices services) {
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.remove("CONVEYOR_ADMIN_TOKEN");
    return env;
  }
}
