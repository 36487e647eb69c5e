package dev.conveyor.e2e;

import static dev.conveyor.e2e.CliRun.run;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import redis.clients.jedis.StreamEntryID;

/**
 * The replay of a task patrol already cleaned up, through the real trio: a document of two parts
 * whose second part dies at step {@code a} is delivered {@code partial}, within its pipeline's
 * tolerance, so patrol deletes its runtime data — keeping a snapshot, because it has a dead item.
 * After the fix, {@code conveyor replay} brings the task back from the snapshot: the join after
 * {@code a} gets the output step {@code b} made for that part before the cleanup (it is not made
 * again), the part is delivered, and the task gets its new audit row, {@code delivered}.
 */
@WithServices
class ReplayCleanedTaskIT {
  private static final String TOKEN = "e2e-replay-token";

  private List<DaemonProcess> daemons = List.of();

  @AfterEach
  void killLeftovers() throws InterruptedException {
    for (DaemonProcess d : daemons) {
      d.killIfAlive();
    }
  }

  @Test
  void aDeadPartOfATaskCleanedUnderTheToleranceIsReplayedFromItsSnapshotAndDelivered(
      TestServices services, @TempDir Path dir) throws Exception {
    Path pipelines = Files.createDirectories(dir.resolve("pipelines"));
    Path fixed = dir.resolve("fixed");
    Files.writeString(
        pipelines.resolve("a.py"),
        """
        import json, os, sys
        options = json.loads(os.environ.get("CONVEYOR_STEP_OPTIONS") or "{}")
        for line in sys.stdin:
            text = json.loads(line)["input"]["text"]
            if "BROKEN" in text and not os.path.exists(options["fixed"]):
                print(json.dumps({"ok": False, "error": "not fixed yet"}), flush=True)
            else:
                print(json.dumps({"ok": True, "data": {"text": "a:" + text}}), flush=True)
        """);
    Files.writeString(
        pipelines.resolve("merge.py"),
        """
        import json, sys
        for line in sys.stdin:
            joined = json.loads(line)["input"]
            text = joined["a"]["text"] + " | b:" + joined["b"]["text"]
            print(json.dumps({"ok": True, "data": {"text": text}}), flush=True)
        """);
    Files.writeString(
        pipelines.resolve("rejoin.yaml"),
        """
        pipeline: rejoin
        version: 1
        split: {mode: text, field: text, max_chars: 50}
        cleanup: {mode: auto, tolerance: 0.5, grace: 1s}
        defaults: {offset: 200ms}
        steps:
          - name: a
            kind: command
            command: [python3, a.py]
            retry: {attempts: 1, backoff: 100ms}
            options: {fixed: "%s"}
          - {name: b, kind: java, class: dev.conveyor.runtime.step.builtin.Identity}
          - {name: merge, kind: command, command: [python3, merge.py], after: [a, b]}
          - name: deliver
            kind: sink
            after: [merge]
            sink: {table: conveyor.echo_rows, key: [task_id, part]}
        """
            .formatted(fixed));
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.put("CONVEYOR_ADMIN_TOKEN", TOKEN);
    env.put("CONVEYOR_PATROL_INTERVAL", "500ms");
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/replay-cleaned");
    daemons =
        List.of(
            new DaemonProcess("dispatcher", env, logs),
            new DaemonProcess("processor", env, logs),
            new DaemonProcess("patrol", env, logs));
    daemons.forEach(DaemonProcess::start);
    await()
        .atMost(60, SECONDS)
        .untilAsserted(() -> assertThat(daemons).allMatch(DaemonProcess::healthy));

    services
        .jedis()
        .xadd(
            services.keys().inbox(),
            StreamEntryID.NEW_ENTRY,
            Map.of(
                "pipeline",
                "rejoin",
                "id",
                "rc-1",
                "payload",
                "{\"text\":\"The first paragraph goes through.\\n\\n"
                    + "BROKEN: the second one fails.\"}"));

    await()
        .atMost(60, SECONDS)
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(() ->
            assertThat(
                    services.queryLong(
                        "SELECT count(*) FROM conveyor.task_audit WHERE task_id = 'rc-1'"
                            + " AND outcome = 'partial' AND cleaned_at IS NOT NULL"))
                .isEqualTo(1));
    assertThat(services.redisKeys()).noneMatch(k -> k.contains("{rc-1}"));
    assertThat(count(services, "task_snapshots")).isEqualTo(1);
    assertThat(count(services, "dead_items")).isEqualTo(1);
    assertThat(count(services, "echo_rows")).isEqualTo(1);

    Files.writeString(fixed, "yes");
    Map<String, String> cli = new HashMap<>(services.env());
    cli.put("CONVEYOR_PIPELINES", pipelines.toString());
    cli.put("CONVEYOR_ADMIN_TOKEN", TOKEN);
    CliRun replay = run(cli, dir, "replay", "--task", "rc-1");

    assertThat(replay.err()).isEmpty();
    assertThat(replay.out())
        .containsExactly("replayed dead item rc-1 part 1 at rejoin.a", "replayed 1, skipped 0");
    assertThat(replay.code()).isZero();
    await()
        .atMost(60, SECONDS)
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(() ->
            assertThat(
                    services.queryLong(
                        "SELECT count(*) FROM conveyor.task_audit WHERE task_id = 'rc-1'"
                            + " AND outcome = 'delivered' AND failed_parts = 0"
                            + " AND rows_delivered = 2"))
                .isEqualTo(1));
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.echo_rows WHERE task_id = 'rc-1' AND part = 1"
                    + " AND text = 'a:BROKEN: the second one fails. | b:BROKEN: the second one"
                    + " fails.'"))
        .as("the join got b's output for the part from the snapshot")
        .isEqualTo(1);
    assertThat(count(services, "dead_items")).isZero();
    assertThat(count(services, "task_snapshots")).isZero();
    // and it is cleaned up again, now delivered in full
    await()
        .atMost(60, SECONDS)
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> {
          assertThat(
                  services.queryLong(
                      "SELECT count(*) FROM conveyor.task_audit WHERE task_id = 'rc-1'"
                          + " AND cleaned_at IS NOT NULL"))
              .isEqualTo(1);
          assertThat(services.redisKeys()).noneMatch(k -> k.contains("{rc-1}"));
        });

    for (DaemonProcess d : daemons) {
      assertThat(d.stop(Duration.ofSeconds(30))).isIn(0, 143);
      assertThat(d.logLines())
          .as(d.name() + " logged no ERROR")
          .noneMatch(l -> l.contains(" ERROR "));
    }
  }

  private static long count(TestServices services, String table) {
    return services.queryLong("SELECT count(*) FROM conveyor." + table);
  }
}
