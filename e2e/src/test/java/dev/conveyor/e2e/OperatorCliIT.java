package dev.conveyor.e2e;

import static dev.conveyor.e2e.CliRun.run;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator CLI against the real trio (jars as processes, an admin token set): publish with a
 * bad line, a step that fails until it is fixed, status and dead show it, suspend and resume reach
 * the daemons over the HTTP address of their heartbeats, and a replay through patrol — refused
 * without the token — delivers the tasks after the fix with a new audit outcome.
 */
@WithServices
class OperatorCliIT {
  private static final String TOKEN = "e2e-admin-token";
  private static final ObjectMapper JSON = new ObjectMapper();

  private List<DaemonProcess> daemons = List.of();

  @AfterEach
  void killLeftovers() throws InterruptedException {
    for (DaemonProcess d : daemons) {
      d.killIfAlive();
    }
  }

  @Test
  void failThenFixThenReplayDeliversWithANewOutcome(TestServices services, @TempDir Path dir)
      throws Exception {
    Path pipelines = Files.createDirectories(dir.resolve("pipelines"));
    Path fixed = dir.resolve("fixed");
    Files.writeString(
        pipelines.resolve("check.py"),
        """
        import json, os, sys
        options = json.loads(os.environ.get("CONVEYOR_STEP_OPTIONS") or "{}")
        for line in sys.stdin:
            item = json.loads(line)["input"]
            if os.path.exists(options["fixed"]):
                print(json.dumps({"ok": True, "data": item}), flush=True)
            else:
                print(json.dumps({"ok": False, "error": "not fixed yet"}), flush=True)
        """);
    Files.writeString(
        pipelines.resolve("fixme.yaml"),
        """
        pipeline: fixme
        version: 1
        steps:
          - name: check
            kind: command
            command: [python3, check.py]
            offset: 200ms
            retry: {attempts: 1, backoff: 100ms}
            options: {fixed: "%s"}
          - name: deliver
            kind: sink
            after: [check]
            offset: 200ms
            sink: {table: conveyor.echo_rows, key: [task_id, part]}
        """
            .formatted(fixed));
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.put("CONVEYOR_ADMIN_TOKEN", TOKEN);
    env.put("CONVEYOR_PATROL_INTERVAL", "1s");
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/operator-cli");
    daemons =
        List.of(
            new DaemonProcess("dispatcher", env, logs),
            new DaemonProcess("processor", env, logs),
            new DaemonProcess("patrol", env, logs));
    daemons.forEach(DaemonProcess::start);
    await()
        .atMost(60, SECONDS)
        .untilAsserted(() -> assertThat(daemons).allMatch(DaemonProcess::healthy));
    Map<String, String> cli = new HashMap<>(services.env());
    cli.put("CONVEYOR_PIPELINES", pipelines.toString());
    Map<String, String> admin = new HashMap<>(cli);
    admin.put("CONVEYOR_ADMIN_TOKEN", TOKEN);

    Path input = dir.resolve("in.jsonl");
    Files.writeString(
        input,
        """
        {"id": "fx-1", "pipeline": "fixme", "payload": {"text": "one"}}
        {"id": "fx-2", "pipeline": "fixme", "payload": {"text": "two"}}
        {"id": "fx-3", "pipeline": "fixme"}
        """);
    CliRun publish = run(cli, dir, "publish", input.toString());
    assertThat(publish.out()).containsExactly("published 2, skipped 1 bad lines");
    assertThat(publish.err()).containsExactly("conveyor: line 3: no \"payload\" object");
    assertThat(publish.code()).isEqualTo(1);

    await()
        .atMost(60, SECONDS)
        .untilAsserted(() ->
            assertThat(
                    services.queryLong(
                        "SELECT count(*) FROM conveyor.task_audit WHERE outcome = 'failed'"))
                .isEqualTo(2));

    CliRun status = run(cli, dir, "status", "--json");
    assertThat(status.code()).isZero();
    assertThat(status.out()).hasSize(1);
    JsonNode s = JSON.readTree(status.out().getFirst());
    assertThat(s.get("nodes"))
        .hasSize(3)
        .allSatisfy(n -> {
          assertThat(n.get("live").asBoolean()).isTrue();
          assertThat(n.get("http").asText()).startsWith("127.0.0.1:");
        });
    assertThat(s.at("/pipelines/0/steps/0/dead").asLong()).isEqualTo(2);

    CliRun dead = run(cli, dir, "dead", "--json", "--pipeline", "fixme");
    assertThat(dead.out()).hasSize(2).allMatch(l -> l.contains("\"error\":\"not fixed yet\""));

    CliRun noToken = run(cli, dir, "suspend", "processor");
    assertThat(noToken.code()).isEqualTo(2);
    assertThat(noToken.err()).singleElement().asString().contains("(401)");
    CliRun suspend = run(admin, dir, "suspend", "fixme.check");
    assertThat(suspend.code()).isZero();
    assertThat(suspend.out()).containsExactly("step fixme.check: INTERMITTED");
    CliRun resume = run(admin, dir, "resume", "fixme.check");
    assertThat(resume.out()).containsExactly("step fixme.check: RUNNING");
    CliRun daemon = run(admin, dir, "suspend", "dispatcher");
    assertThat(daemon.out()).singleElement().asString().endsWith(": INTERMITTED");
    assertThat(run(admin, dir, "resume", "dispatcher").code()).isZero();

    CliRun refused = run(cli, dir, "replay", "--pipeline", "fixme", "--step", "check");
    assertThat(refused.code()).isEqualTo(2);
    Files.writeString(fixed, "yes");
    CliRun replay = run(admin, dir, "replay", "--pipeline", "fixme", "--step", "check");
    assertThat(replay.err()).isEmpty();
    assertThat(replay.code()).isZero();
    assertThat(replay.out()).contains("replayed 2, skipped 0");

    await()
        .atMost(60, SECONDS)
        .untilAsserted(() -> {
          assertThat(
                  services.queryLong(
                      "SELECT count(*) FROM conveyor.task_audit WHERE outcome = 'delivered'"))
              .isEqualTo(2);
          assertThat(services.queryLong("SELECT count(*) FROM conveyor.echo_rows")).isEqualTo(2);
        });
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.dead_items")).isZero();
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.task_audit")).isEqualTo(2);

    for (DaemonProcess d : daemons) {
      assertThat(d.stop(Duration.ofSeconds(30))).isIn(0, 143);
      assertThat(d.logLines())
          .as(d.name() + " logged no ERROR")
          .noneMatch(l -> l.contains(" ERROR "));
    }
  }
}
