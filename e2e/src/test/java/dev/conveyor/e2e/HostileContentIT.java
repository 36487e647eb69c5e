package dev.conveyor.e2e;

import static dev.conveyor.e2e.HostileMessages.GOOD_PER_PIPELINE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.e2e.HostileMessages.Dead;
import dev.conveyor.e2e.HostileMessages.Delivered;
import dev.conveyor.e2e.HostileMessages.Rejected;
import dev.conveyor.e2e.HostileMessages.Sent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.UnifiedJedis;

/**
 * Hostile content through the three real daemons, for each step kind: a sink alone ({@code echo}),
 * a java step before a sink, and a command step (a Python program) before a sink. Messages
 * PostgreSQL cannot store, that a parser reads differently, that are too large or too many, that
 * try to take another task's key, and step outputs of the same kinds, go between good messages.
 * Every hostile message must end in exactly the one place the policy says (a rejected row with its
 * reason, a dead item at its step, or a delivered row under its own key), every good message — also
 * those sent after a hostile one — must be delivered with an audit row, no good item may be dead,
 * every inbox entry acknowledged, every daemon healthy without an ERROR line.
 */
@WithServices
class HostileContentIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_MESSAGE_BYTES = 300_000;
  private static final int MAX_ENTRY_BYTES = 1_572_864;
  private static final int MAX_FIELDS = 16;
  private static final int MAX_OUTPUT_BYTES = 262_144;

  /** The python step: passes its input through, or answers hostile output when asked. */
  private static final String HOSTILE_PY =
      """
      import json, sys

      for line in sys.stdin:
          request = json.loads(line)
          item = request["input"]
          text = item.get("text") if isinstance(item, dict) else None
          if text == "emit-raw":
              sys.stdout.buffer.write(b'{"ok": true, "data": {"text": "\\xed\\xa0\\x80"}}\\n')
              sys.stdout.buffer.flush()
              continue
          data = item
          if text == "emit-nul":
              data = {"text": "a\\u0000b"}
          elif text == "emit-surrogate":
              data = {"text": "x\\ud800"}
          elif text == "emit-huge":
              data = {"text": "h" * (1 << 20)}
          elif text == "emit-scalar":
              data = 42
          elif text == "emit-keys":
              data = {"task_id": "cmd-victim", "part": 5, "text": "keys from the step"}
          print(json.dumps({"ok": True, "data": data}), flush=True)
      """;

  private static final String VIA_JAVA =
      """
      pipeline: viajava
      version: 1
      defaults: {offset: 100ms, retry: {attempts: 2, backoff: 100ms, max_backoff: 200ms}}
      steps:
        - {name: transform, kind: java, class: dev.conveyor.runtime.step.builtin.Identity}
        - name: deliver
          kind: sink
          after: transform
          batch: 500
          sink: {table: conveyor.hostile_rows, key: [task_id, part]}
      """;

  private static final String VIA_COMMAND =
      """
      pipeline: viacmd
      version: 1
      defaults: {offset: 100ms, retry: {attempts: 2, backoff: 100ms, max_backoff: 200ms}}
      steps:
        - {name: transform, kind: command, command: [python3, steps/hostile.py], workers: 2}
        - name: deliver
          kind: sink
          after: transform
          batch: 500
          sink: {table: conveyor.hostile_rows, key: [task_id, part]}
      """;

  private final List<DaemonProcess> daemons = new ArrayList<>();

  @AfterEach
  void killLeftovers() throws InterruptedException {
    for (DaemonProcess d : daemons) {
      d.killIfAlive();
    }
  }

  @Test
  void everyHostileMessageEndsInItsOnePlaceAndEveryGoodOneIsDelivered(
      TestServices services, @TempDir Path pipelines) throws Exception {
    services.sql(
        "CREATE TABLE conveyor.hostile_rows (task_id text NOT NULL, part int NOT NULL, text text,"
            + " n numeric, PRIMARY KEY (task_id, part))");
    Files.copy(Repo.root().resolve("deploy/pipelines/echo.yaml"), pipelines.resolve("echo.yaml"));
    Files.writeString(pipelines.resolve("viajava.yaml"), VIA_JAVA);
    Files.writeString(pipelines.resolve("viacmd.yaml"), VIA_COMMAND);
    Files.createDirectories(pipelines.resolve("steps"));
    Files.writeString(pipelines.resolve("steps/hostile.py"), HOSTILE_PY);
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.put("CONVEYOR_MAX_MESSAGE_BYTES", Integer.toString(MAX_MESSAGE_BYTES));
    env.put("CONVEYOR_MAX_ENTRY_BYTES", Integer.toString(MAX_ENTRY_BYTES));
    env.put("CONVEYOR_MAX_ENTRY_FIELDS", Integer.toString(MAX_FIELDS));
    env.put("CONVEYOR_MAX_OUTPUT_BYTES", Integer.toString(MAX_OUTPUT_BYTES));
    env.put("CONVEYOR_PATROL_INTERVAL", "2s");
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/hostile-content");
    daemons.add(new DaemonProcess("dispatcher", env, logs).start());
    daemons.add(new DaemonProcess("processor", env, logs).start());
    daemons.add(new DaemonProcess("patrol", env, logs).start());

    UnifiedJedis jedis = services.jedis();
    Keys keys = services.keys();
    HostileMessages messages = new HostileMessages();
    messages.sendAll(jedis, keys);

    long rejected = messages.count(p -> p instanceof Rejected);
    long tasks = messages.sent().size() - rejected;
    await("every message in its place")
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> {
          assertThat(services.queryLong("SELECT count(*) FROM conveyor.rejected_messages"))
              .isEqualTo(rejected);
          assertThat(services.queryLong("SELECT count(*) FROM conveyor.task_audit"))
              .isEqualTo(tasks);
        });

    assertThat(services.queryLong("SELECT count(*) FROM conveyor.dead_items"))
        .as("dead items: the hostile ones that should die, and no other")
        .isEqualTo(messages.count(p -> p instanceof Dead));
    for (Sent s : messages.sent()) {
      assertInItsPlace(services, s);
    }
    assertThat(messages.good()).isEqualTo(3 * (GOOD_PER_PIPELINE + 1));
    JsonNode blob = rejectedFields(services, messages.idOf("echo: an entry of 2 MiB")).get("blob");
    assertThat(blob.get("truncated").booleanValue()).isTrue();
    assertThat(blob.get("bytes").longValue()).isEqualTo(2 << 20);
    assertThat(blob.get("sha256").textValue()).isEqualTo(sha256(new byte[2 << 20]));
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.hostile_rows WHERE task_id = 'java-big-number'"
                    + " AND n = 1e400"))
        .as("a number beyond a double's range is delivered exactly through a java step")
        .isEqualTo(1);
    assertThat(jedis.xpending(keys.inbox(), Keys.DISPATCHER_GROUP).getTotal())
        .as("every inbox entry acknowledged")
        .isZero();
    for (DaemonProcess d : daemons) {
      assertThat(d.healthy()).as(d.name() + " /health").isTrue();
      assertThat(d.logLines())
          .as(d.name() + " logged no ERROR")
          .noneMatch(l -> l.contains(" ERROR "));
    }
    assertThat(daemons.getFirst().logLines())
        .as("run-local binds the HTTP to loopback")
        .anyMatch(l -> l.contains("event=http_listening") && l.contains("address=127.0.0.1"));
  }

  private void assertInItsPlace(TestServices services, Sent s) throws Exception {
    Optional<String> reason = rejectedReason(services, s.streamId());
    Optional<String> outcome = auditOutcome(services, s.id());
    List<String[]> dead = deadItems(services, s.id());
    Optional<String> row = rowText(services, s.table(), s.id());
    switch (s.place()) {
      case Rejected r -> {
        assertThat(reason).as(s.what()).contains(r.reason());
        assertThat(outcome).as(s.what() + ": no task").isEmpty();
        assertThat(dead).as(s.what() + ": no dead item").isEmpty();
      }
      case Dead d -> {
        assertThat(reason).as(s.what() + ": not rejected").isEmpty();
        assertThat(outcome).as(s.what()).contains("failed");
        assertThat(dead).as(s.what()).hasSize(1);
        assertThat(dead.getFirst()[0]).as(s.what() + ": step").isEqualTo(d.step());
        assertThat(dead.getFirst()[1]).as(s.what() + ": error").contains(d.error());
        assertThat(row).as(s.what() + ": no row").isEmpty();
      }
      case Delivered d -> {
        assertThat(reason).as(s.what() + ": not rejected").isEmpty();
        assertThat(outcome).as(s.what()).contains("delivered");
        assertThat(dead).as(s.what() + ": no dead item").isEmpty();
        assertThat(row).as(s.what() + ": its row under its own key").contains(d.text());
      }
    }
  }

  private static Optional<String> rejectedReason(TestServices services, String streamId)
      throws Exception {
    return one(
        services, "SELECT reason FROM conveyor.rejected_messages WHERE stream_id = ?", streamId);
  }

  private static JsonNode rejectedFields(TestServices services, String streamId) throws Exception {
    return JSON.readTree(
        one(
                services,
                "SELECT fields::text FROM conveyor.rejected_messages WHERE stream_id = ?",
                streamId)
            .orElseThrow());
  }

  private static Optional<String> auditOutcome(TestServices services, String id) throws Exception {
    return one(services, "SELECT outcome FROM conveyor.task_audit WHERE task_id = ?", id);
  }

  private static Optional<String> rowText(TestServices services, String table, String id)
      throws Exception {
    return one(
        services, "SELECT text FROM conveyor." + table + " WHERE task_id = ? AND part = 0", id);
  }

  private static List<String[]> deadItems(TestServices services, String id) throws Exception {
    try (Connection c = services.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT step, error FROM conveyor.dead_items WHERE task_id = ?")) {
      ps.setString(1, id);
      List<String[]> rows = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.add(new String[] {rs.getString(1), rs.getString(2)});
        }
      }
      return rows;
    }
  }

  private static Optional<String> one(TestServices services, String sql, String arg)
      throws Exception {
    try (Connection c = services.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, arg);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
      }
    }
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
